import { describe, expect, it } from 'vitest';
import { parseManifestPayload } from '../manifest/schema.js';
import { sampleManifest, sampleRelease } from '../testing/sample-manifest.js';
import type { Manifest } from '../types.js';
import {
  addRelease,
  describeInterfaceChanges,
  interfaceChanges,
  kill,
  pin,
  PolicyError,
  promote,
  resign,
  rollbackTo,
  setHealth,
  setRolloutPercent,
  setStages,
  unpin,
} from './policy-edit.js';

/** Every edit must leave a manifest a device would accept. */
const valid = (m: Manifest) => parseManifestPayload(resign(m, Date.parse('2026-01-02T00:00:00Z')));

describe('policy edits', () => {
  it('makes the first release stable and a later one the candidate at the given percentage', () => {
    const first = addRelease(undefined, sampleRelease('1.0.0'), { name: 'mlp', salt: 's1' });
    expect(first.policy).toMatchObject({ stable: '1.0.0', killed: [] });
    expect(first.policy.candidate).toBeUndefined();
    const second = valid(addRelease(valid(first), sampleRelease('2.0.0'), { name: 'mlp', salt: 's2', rolloutPercent: 10 }));
    expect(second.policy.candidate).toEqual({ version: '2.0.0', percent: 10, salt: 's2' });
    expect(second.versions.map((r) => r.version)).toEqual(['1.0.0', '2.0.0']);
  });

  it('refuses a rollout percentage on the first release, a republished version and another model name', () => {
    expect(() => addRelease(undefined, sampleRelease('1.0.0'), { name: 'mlp', salt: 's', rolloutPercent: 10 })).toThrow(PolicyError);
    expect(() => addRelease(sampleManifest(), sampleRelease('2.0.0'), { name: 'mlp', salt: 's' })).toThrow(/already published/);
    expect(() => addRelease(sampleManifest(), sampleRelease('3.0.0'), { name: 'vad', salt: 's' })).toThrow(/holds model "mlp"/);
  });

  it('changes the rollout percentage, promotes, and rolls back', () => {
    const m = sampleManifest();
    expect(valid(setRolloutPercent(m, 75)).policy.candidate?.percent).toBe(75);
    expect(() => setRolloutPercent(m, 101)).toThrow(PolicyError);
    const promoted = valid(promote(m));
    expect(promoted.policy.stable).toBe('2.0.0');
    expect(promoted.policy.candidate).toBeUndefined();
    expect(() => promote(promoted)).toThrow(/no candidate/);
    const back = valid(rollbackTo(promoted, '1.0.0'));
    expect(back.policy.stable).toBe('1.0.0');
    expect(() => rollbackTo(m, '7.0.0')).toThrow(/not published/);
  });

  it('kills a candidate (dropping the rollout and any pin on it) but never the stable version', () => {
    const pinned = pin(sampleManifest(), '2.0.0');
    const killed = valid(kill(pinned, '2.0.0'));
    expect(killed.policy.killed).toEqual(['2.0.0']);
    expect(killed.policy.candidate).toBeUndefined();
    expect(killed.policy.pinned).toBeUndefined();
    expect(() => kill(sampleManifest(), '1.0.0')).toThrow(/stable version/);
    expect(() => pin(killed, '2.0.0')).toThrow(/killed/);
    expect(() => rollbackTo(killed, '2.0.0')).toThrow(/killed/);
  });

  it('pins and unpins', () => {
    expect(valid(pin(sampleManifest(), '2.0.0')).policy.pinned).toBe('2.0.0');
    expect(valid(unpin(pin(sampleManifest(), '2.0.0'))).policy.pinned).toBeUndefined();
  });

  it('bumps the sequence and renews the expiry on every signing', () => {
    const now = Date.parse('2026-03-01T00:00:00Z');
    const next = resign(sampleManifest({ sequence: 5 }), now, 3_600_000);
    expect(next.sequence).toBe(6);
    expect(next.issuedAt).toBe('2026-03-01T00:00:00.000Z');
    expect(next.expires).toBe('2026-03-01T01:00:00.000Z');
  });

  it('keeps the manifest bounded by dropping the oldest versions nobody refers to', () => {
    let m = addRelease(undefined, sampleRelease('0.0.0'), { name: 'mlp', salt: 's' });
    for (let i = 1; i <= 260; i++) m = addRelease(m, sampleRelease(`0.0.${i}`), { name: 'mlp', salt: 's' });
    expect(m.versions).toHaveLength(256);
    expect(m.versions[0]!.version).toBe('0.0.0'); // the stable version is never dropped
    expect(m.versions.at(-1)!.version).toBe('0.0.260');
    valid(m);
  });

  it('gives the candidate a schedule whose stages only grow, and drops it again', () => {
    const m = valid(addRelease(sampleManifest(), sampleRelease('3.0.0'), { name: 'mlp', salt: 's3', rolloutPercent: 1 }));
    const staged = valid(setStages(m, [{ percent: 1 }, { percent: 10, after: '2026-12-01T00:00:00Z' }, { percent: 100, minHealthyRuns: 50 }]));
    expect(staged.policy.candidate?.stages).toHaveLength(3);
    expect(() => setStages(m, [{ percent: 50 }, { percent: 10 }])).toThrow(/only grow/);
    expect(() => setStages(m, [{ percent: 10, after: 'soon' }])).toThrow(PolicyError);
    expect(() => setStages(m, [{ percent: 10, minHealthyRuns: 1.5 }])).toThrow(PolicyError);
    expect(() => setStages(promote(m), [{ percent: 10 }])).toThrow(/no candidate/);
    expect(valid(setStages(staged, [])).policy.candidate?.stages).toBeUndefined();
  });

  it('changes the health gates it names and refuses gates no device could apply', () => {
    const m = sampleManifest();
    const next = valid(setHealth(m, { promoteAfterRequests: 40, minRequests: 10 }));
    expect(next.policy.health).toEqual({ ...m.policy.health, promoteAfterRequests: 40, minRequests: 10 });
    expect(() => setHealth(m, { maxErrorRateIncrease: 2 })).toThrow(PolicyError);
    expect(() => setHealth(m, { maxP95Ratio: 0.5 })).toThrow(PolicyError);
    expect(() => setHealth(m, { windowMs: 0.5 })).toThrow(PolicyError);
    expect(() => setHealth(m, { minRequests: 500, windowRequests: 100 })).toThrow(/cannot exceed/);
  });
});

describe('interfaceChanges: what a device would refuse as incompatible-model', () => {
  const spec = (name: string, type: 'float32' | 'int64' | 'float16', shape: (number | string)[] = [1]) => ({ name, type, shape });

  it('is empty for the same names and element types, whatever the order and the shapes', () => {
    const base = sampleRelease('1', { inputs: [spec('a', 'float32'), spec('b', 'int64')] });
    const next = sampleRelease('2', { inputs: [spec('b', 'int64', [7]), spec('a', 'float32', ['n', 3])] });
    expect(interfaceChanges(base, next)).toEqual([]);
  });

  it('names each tensor added, removed or retyped, per side', () => {
    const base = sampleRelease('1', { inputs: [spec('input', 'float32'), spec('h', 'float32'), spec('sr', 'int64')], outputs: [spec('y', 'float32')] });
    const next = sampleRelease('2', { inputs: [spec('input', 'float32'), spec('state', 'float32'), spec('sr', 'int64')], outputs: [spec('y', 'float16')] });
    const changes = interfaceChanges(base, next);
    expect(changes).toEqual([
      { side: 'inputs', name: 'h', change: 'removed', from: 'float32' },
      { side: 'inputs', name: 'state', change: 'added', to: 'float32' },
      { side: 'outputs', name: 'y', change: 'type', from: 'float32', to: 'float16' },
    ]);
    expect(describeInterfaceChanges(changes)).toBe('inputs: removed h (float32); added state (float32); outputs: changed type y float32 → float16');
  });
});
