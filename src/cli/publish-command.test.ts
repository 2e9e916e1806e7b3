/**
 * `baton publish` says what it did (the rollout, even the default; the candidate it replaced),
 * refuses an interface change unless allowed, checks everything before its first write, and
 * reports file problems in one line.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEnvelope } from '../manifest/envelope.js';
import { parsePayloadJson } from '../manifest/verify.js';
import { mlpModel, sileroModelPath } from '../testing/models.js';
import type { Manifest } from '../types.js';
import { baton as batonAt, snapshot } from './test-helpers.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const baton = (...argv: string[]) => batonAt(T0, ...argv);
let dir: string;
let key: string;
let otherKey: string;
const model = (n: number) => join(dir, `mlp-v${n}.onnx`);
const signing = (registry: string, name = 'mlp') => ['--registry', registry, '--name', name, '--key', key];
const readManifest = async (registry: string, name = 'mlp'): Promise<Manifest> =>
  parsePayloadJson(openEnvelope(new Uint8Array(await readFile(join(registry, name, 'manifest.json')))).payloadBytes) as Manifest;
// Silero VAD legacy → v5: the recurrent state changes from h, c (in) / hn, cn (out) to state / stateN.
const SILERO_CHANGES = 'inputs: removed h (float32), c (float32); added state (float32); outputs: removed hn (float32), cn (float32); added stateN (float32)';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-publish-'));
  for (const n of [1, 2, 3, 4]) await writeFile(model(n), mlpModel(n));
  expect((await baton('keygen', '--out', join(dir, 'keys'))).code).toBe(0);
  expect((await baton('keygen', '--out', join(dir, 'other-keys'))).code).toBe(0);
  key = join(dir, 'keys', 'baton-private.json');
  otherKey = join(dir, 'other-keys', 'baton-private.json');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('publish says which rollout it applied', () => {
  it('first release: stable; --rollout: that share; no --rollout: 100 %, said so; a replaced candidate: named', async () => {
    const reg = join(dir, 'rollout-registry');
    const v1 = await baton('publish', model(1), '--version', '1.0.0', ...signing(reg));
    expect(v1.code, v1.stderr).toBe(0);
    expect(v1.stdout).toMatch(
      /^published mlp 1\.0\.0 \(\d+ B, 1 chunk: 1 written, 0 already stored\) as stable; manifest sequence 1\nrollout: stable \(first release\)\n$/,
    );

    const v2 = await baton('publish', model(2), '--version', '2.0.0', '--rollout', '10', ...signing(reg));
    expect(v2.stdout).toMatch(
      / as candidate at 10%; manifest sequence 2\nrollout: 10 % of devices \(--rollout 10\); the other devices stay on stable 1\.0\.0\n$/,
    );

    const v3 = await baton('publish', model(3), '--version', '3.0.0', ...signing(reg), '--json');
    expect(JSON.parse(v3.stdout)).toMatchObject({
      version: '3.0.0',
      sequence: 3,
      dryRun: false,
      role: 'candidate',
      firstRelease: false,
      rollout: 100,
      rolloutDefaulted: true,
      replacedCandidate: { version: '2.0.0', percent: 10 },
      comparedTo: '1.0.0',
      interfaceChanges: [],
    });

    const v4 = await baton('publish', model(4), '--version', '4.0.0', ...signing(reg));
    expect(v4.stdout).toMatch(
      / as candidate at 100%; manifest sequence 4\nrollout: 100 % of devices \(no --rollout given\)\nreplaces candidate 3\.0\.0 \(was at 100 %\)\n$/,
    );
    expect((await readManifest(reg)).policy).toMatchObject({ stable: '1.0.0', candidate: { version: '4.0.0', percent: 100 } });
  });

  it('--json of a first release: stable, no candidate replaced, nothing compared', async () => {
    const reg = join(dir, 'first-json');
    const r = await baton('publish', model(1), '--version', '1', ...signing(reg), '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({
      role: 'stable',
      firstRelease: true,
      rollout: 100,
      rolloutDefaulted: true,
      replacedCandidate: null,
      comparedTo: null,
      dryRun: false,
    });
  });
});

describe('an incompatible model', () => {
  let reg: string;
  beforeAll(async () => {
    reg = join(dir, 'vad-registry');
    expect((await baton('publish', sileroModelPath('legacy'), '--version', 'legacy', ...signing(reg, 'vad'))).code).toBe(0);
  });

  it('is refused, exit 1, naming each difference from the stable version; nothing written', async () => {
    const before = await snapshot(reg);
    const r = await baton('publish', sileroModelPath('v5'), '--version', '5', ...signing(reg, 'vad'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`baton publish: incompatible-model: version 5 changes the model interface of stable version legacy (${SILERO_CHANGES})`);
    expect(r.stderr).toContain('Pass --allow-incompatible');
    expect(r.stderr.split('\n')).toHaveLength(2);
    expect(await snapshot(reg)).toEqual(before);
  });

  it('is published with --allow-incompatible, with a warning line', async () => {
    const r = await baton('publish', sileroModelPath('v5'), '--version', '5', '--rollout', '5', '--allow-incompatible', ...signing(reg, 'vad'), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      `warning: version 5 changes the model interface of stable version legacy (${SILERO_CHANGES}); devices running an app that declares the old interface refuse it (incompatible-model)\n`,
    );
    expect(JSON.parse(r.stdout)).toMatchObject({
      version: '5',
      comparedTo: 'legacy',
      interfaceChanges: expect.arrayContaining([{ side: 'inputs', name: 'state', change: 'added', to: 'float32' }]),
    });
    expect((await readManifest(reg, 'vad')).policy).toMatchObject({ stable: 'legacy', candidate: { version: '5', percent: 5 } });
  });
});

describe('a refused publish leaves the registry byte for byte as it was', () => {
  let reg: string;
  beforeAll(async () => {
    reg = join(dir, 'refusals');
    expect((await baton('publish', model(1), '--version', '1.0.0', ...signing(reg))).code).toBe(0);
    expect((await baton('publish', model(2), '--version', '2.0.0', '--rollout', '10', ...signing(reg))).code).toBe(0);
    // A copy of model "mlp" in the folder of model "b": publishing --name b there must be refused.
    await cp(join(reg, 'mlp'), join(reg, 'b'), { recursive: true });
    await writeFile(join(dir, 'not-a-model.onnx'), 'hello');
    await writeFile(join(dir, 'bad-samples.json'), JSON.stringify({ inputs: [{ x: { type: 'float32', dims: [1, 4], data: [1, 2] } }] }));
  });

  it.each<[string, () => string[], number, RegExp]>([
    [
      'another model in the folder',
      () => ['publish', model(3), '--version', '3.0.0', '--registry', reg, '--name', 'b', '--key', key],
      2,
      /registry holds model "mlp", not "b"/,
    ],
    [
      'a name the schema refuses',
      () => ['publish', model(3), '--version', '3.0.0', '--registry', reg, '--name', 'Bad_Name', '--key', key],
      2,
      /--name "Bad_Name" is not a model name/,
    ],
    [
      'a name that climbs out of the registry',
      () => ['publish', model(3), '--version', '3.0.0', '--registry', join(reg, 'mlp'), '--name', '../escaped', '--key', key],
      2,
      /is not a model name/,
    ],
    ['a version the schema refuses', () => ['publish', model(3), '--version', '3.0 beta', ...signing(reg)], 2, /--version "3\.0 beta" is not a valid version/],
    ['a version already published', () => ['publish', model(3), '--version', '1.0.0', ...signing(reg)], 2, /already published/],
    ['--rollout on a first release', () => ['publish', model(3), '--version', '1', '--rollout', '5', ...signing(reg, 'fresh')], 2, /first release/],
    ['an incompatible model', () => ['publish', sileroModelPath('v5'), '--version', '3.0.0', ...signing(reg)], 1, /incompatible-model/],
    [
      'a key that did not sign the manifest',
      () => ['publish', model(3), '--version', '3.0.0', '--registry', reg, '--name', 'mlp', '--key', otherKey],
      1,
      /unknown-key: .* was not signed by the --key given/,
    ],
    ['a missing model file', () => ['publish', join(dir, 'nope.onnx'), '--version', '3.0.0', ...signing(reg)], 1, /cannot read model file/],
    ['a file that is not a model', () => ['publish', join(dir, 'not-a-model.onnx'), '--version', '3.0.0', ...signing(reg)], 1, /model-invalid/],
    [
      'samples that do not fit',
      () => ['publish', model(3), '--version', '3.0.0', '--profile', join(dir, 'bad-samples.json'), ...signing(reg)],
      1,
      /model-invalid/,
    ],
  ])('%s', async (_, argv, code, message) => {
    const before = await snapshot(dir);
    const r = await baton(...argv());
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(await snapshot(dir)).toEqual(before);
  });
});

describe('publish --dry-run', () => {
  let reg: string;
  beforeAll(async () => {
    reg = join(dir, 'dry-registry');
    expect((await baton('publish', model(1), '--version', '1.0.0', ...signing(reg))).code).toBe(0);
  });

  it('checks everything, says what it would write and sign, writes nothing, exit 0', async () => {
    const before = await snapshot(reg);
    const r = await baton('publish', model(2), '--version', '2.0.0', ...signing(reg), '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^dry run: would publish mlp 2\.0\.0 \(\d+ B, 1 chunk: 1 to write, 0 already stored\) as candidate at 100%; next manifest sequence 2\nrollout: 100 % of devices \(no --rollout given\)\nnothing written \(--dry-run\)\n$/,
    );
    expect(await snapshot(reg)).toEqual(before);
  });

  it('counts the chunks already stored, and --json says dryRun', async () => {
    const before = await snapshot(reg);
    // The bytes of 1.0.0 again, under a new version: every chunk is already stored.
    const r = await baton('publish', model(1), '--version', '1.0.1', '--rollout', '20', ...signing(reg), '--dry-run', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({
      dryRun: true,
      version: '1.0.1',
      sequence: 2,
      chunks: 1,
      chunksWritten: 0,
      chunksReused: 1,
      bytesWritten: 0,
      rollout: 20,
      rolloutDefaulted: false,
    });
    expect(await snapshot(reg)).toEqual(before);
  });

  it('refuses what the real run would refuse', async () => {
    const r = await baton('publish', model(2), '--version', '1.0.0', ...signing(reg), '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already published/);
  });

  it('creates nothing for a model never published', async () => {
    const r = await baton('publish', model(1), '--version', '1', ...signing(join(dir, 'dry-new-registry')), '--dry-run');
    expect(r.stdout).toMatch(/as stable; next manifest sequence 1\nrollout: stable \(first release\)\n/);
    expect(await snapshot(join(dir, 'dry-new-registry'))).toEqual(new Map());
  });
});

describe('a file that cannot be read is one line, exit 1', () => {
  it.each<[string, () => string[], () => string]>([
    [
      'model file',
      () => ['publish', join(dir, 'model.onnx'), '--version', '1', ...signing(join(dir, 'r'))],
      () => `baton publish: cannot read model file ${join(dir, 'model.onnx')}: no such file\n`,
    ],
    [
      'key file',
      () => ['publish', model(1), '--version', '1', '--registry', join(dir, 'r'), '--name', 'mlp', '--key', join(dir, 'nokey.json')],
      () => `baton publish: cannot read private key ${join(dir, 'nokey.json')}: no such file\n`,
    ],
    [
      'samples file',
      () => ['publish', model(1), '--version', '1', '--profile', join(dir, 'none.json'), ...signing(join(dir, 'r'))],
      () => `baton publish: cannot read profile samples ${join(dir, 'none.json')}: no such file\n`,
    ],
    [
      'registry that is a file',
      () => ['publish', model(1), '--version', '1', ...signing(model(2))],
      () => `baton publish: cannot read registry manifest ${join(model(2), 'mlp', 'manifest.json')}: a part of the path is a file, not a directory\n`,
    ],
    [
      'public key for status',
      () => ['status', '--registry', join(dir, 'r'), '--name', 'mlp', '--pub', join(dir, 'nopub.json')],
      () => `baton status: cannot read public key ${join(dir, 'nopub.json')}: no such file\n`,
    ],
    [
      'public key for verify',
      () => ['verify', '--registry', join(dir, 'r'), '--name', 'mlp', '--pub', join(dir, 'nopub.json')],
      () => `baton verify: cannot read public key ${join(dir, 'nopub.json')}: no such file\n`,
    ],
    [
      'public key passed as --key',
      () => ['rollout', '--percent', '5', '--registry', join(dir, 'r'), '--name', 'mlp', '--key', join(dir, 'keys', 'baton-public.json')],
      () => `baton rollout: ${join(dir, 'keys', 'baton-public.json')} is not a private key (no "privateKey"); did you pass the public key?\n`,
    ],
  ])('%s', async (_, argv, line) => {
    expect(await baton(...argv())).toEqual({ code: 1, stdout: '', stderr: line() });
  });

  it('a bad flag is reported before any file is read (exit 2)', async () => {
    const r = await baton('publish', join(dir, 'model.onnx'), '--chunk-size', 'lots', '--version', '1', ...signing(join(dir, 'r')));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^baton publish: --chunk-size must be a size/);
  });
});
