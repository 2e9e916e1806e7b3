/** setPolicy's typed changes do what the matching `baton` commands do, and refuse what they refuse. */
import { describe, expect, it } from 'vitest';
import { parseManifestPayload } from '../manifest/schema.js';
import { PolicyError, resign } from '../publish/policy-edit.js';
import type { Manifest } from '../types.js';
import { applyPolicyChange, type PolicyChange } from './policy.js';
import { sampleManifest, sampleRelease } from './sample-manifest.js';

/** Every change must leave a manifest a device would accept. */
const apply = (change: PolicyChange, m: Manifest = sampleManifest()) =>
  parseManifestPayload(
    resign(
      applyPolicyChange(m, change, () => 'salt-x'),
      Date.parse('2026-01-02T00:00:00Z'),
    ),
  ).policy;

describe('applyPolicyChange', () => {
  it('sets the candidate percentage, promotes, rolls back', () => {
    expect(apply({ percent: 75 }).candidate).toMatchObject({ version: '2.0.0', percent: 75 });
    expect(apply({ promote: true })).toMatchObject({ stable: '2.0.0' });
    expect(apply({ promote: true }).candidate).toBeUndefined();
    const three = sampleManifest({ versions: [sampleRelease('1.0.0'), sampleRelease('2.0.0'), sampleRelease('3.0.0')] });
    const back = apply({ rollbackTo: '3.0.0' }, three);
    expect(back.stable).toBe('3.0.0');
    expect(back.candidate).toBeUndefined();
  });

  it('sets stages, with the plain percentage following the last stage unless given', () => {
    const stages = [{ percent: 1 }, { percent: 20, minHealthyRuns: 10 }];
    expect(apply({ stages }).candidate).toMatchObject({ percent: 20, stages });
    expect(apply({ stages, percent: 5 }).candidate).toMatchObject({ percent: 5, stages });
    const staged = applyPolicyChange(sampleManifest(), { stages });
    expect(apply({ stages: null }, staged).candidate?.stages).toBeUndefined();
    expect(() => apply({ stages: [{ percent: 50 }, { percent: 10 }] })).toThrow(PolicyError);
  });

  it('kills one or several versions, pins and unpins', () => {
    const three = sampleManifest({ versions: [sampleRelease('1.0.0'), sampleRelease('2.0.0'), sampleRelease('3.0.0')] });
    expect(apply({ kill: '2.0.0' })).toMatchObject({ killed: ['2.0.0'] });
    expect(apply({ kill: ['2.0.0', '3.0.0'] }, three).killed).toEqual(['2.0.0', '3.0.0']);
    expect(() => apply({ kill: '1.0.0' })).toThrow(/stable version/);
    expect(apply({ pin: '2.0.0' }).pinned).toBe('2.0.0');
    expect(apply({ pin: null }, applyPolicyChange(sampleManifest(), { pin: '2.0.0' })).pinned).toBeUndefined();
    expect(() => apply({ pin: '9.9.9' })).toThrow(/not published/);
  });

  it('starts an A/B test with default weights and a random salt unless given, and ends it', () => {
    const arms = [
      { name: 'a', version: '1.0.0' },
      { name: 'b', version: '2.0.0', weight: 3 },
    ];
    expect(apply({ ab: { arms } }).ab).toEqual({
      salt: 'salt-x',
      arms: [
        { name: 'a', version: '1.0.0', weight: 1 },
        { name: 'b', version: '2.0.0', weight: 3 },
      ],
    });
    expect(apply({ ab: { arms, salt: 'exp-1' } }).ab?.salt).toBe('exp-1');
    expect(apply({ ab: null }, applyPolicyChange(sampleManifest(), { ab: { arms } })).ab).toBeUndefined();
    expect(() => apply({ ab: { arms: [arms[0]!] } })).toThrow(/two arms/);
  });

  it('shadows the candidate with the CLI’s defaults, and stops', () => {
    expect(apply({ shadow: { sampleRate: 0.5 } }).candidate?.shadow).toEqual({ sampleRate: 0.5, compare: 'max-abs-diff', tolerance: 0.001 });
    expect(apply({ shadow: { sampleRate: 1, compare: 'argmax' } }).candidate?.shadow).toMatchObject({ compare: 'argmax' });
    const shadowed = applyPolicyChange(sampleManifest(), { shadow: { sampleRate: 1 } });
    expect(apply({ shadow: null }, shadowed).candidate?.shadow).toBeUndefined();
    expect(() => apply({ shadow: { sampleRate: 0 } })).toThrow(PolicyError);
    expect(() => apply({ shadow: { sampleRate: 1 } }, applyPolicyChange(sampleManifest(), { promote: true }))).toThrow(/no candidate/);
  });

  it('merges health gates', () => {
    const health = apply({ health: { minRequests: 10, windowRequests: 50 } }).health;
    expect(health).toMatchObject({ minRequests: 10, windowRequests: 50, promoteAfterRequests: sampleManifest().policy.health.promoteAfterRequests });
    expect(() => apply({ health: { minRequests: 100, windowRequests: 50 } })).toThrow(PolicyError);
  });

  it('applies several changes in one manifest', () => {
    const p = apply({ percent: 30, shadow: { sampleRate: 0.1 }, health: { minRequests: 5 } });
    expect(p.candidate).toMatchObject({ percent: 30, shadow: { sampleRate: 0.1 } });
    expect(p.health.minRequests).toBe(5);
  });

  it('refuses an empty, unknown or self-contradicting change', () => {
    expect(() => applyPolicyChange(sampleManifest(), {})).toThrow(/empty/);
    expect(() => applyPolicyChange(sampleManifest(), { precent: 5 } as unknown as PolicyChange)).toThrow(/unknown policy change precent/);
    expect(() => applyPolicyChange(sampleManifest(), { promote: true, rollbackTo: '1.0.0' })).toThrow(TypeError);
    expect(() => applyPolicyChange(sampleManifest(), { promote: true, percent: 10 })).toThrow(/end the rollout/);
  });
});
