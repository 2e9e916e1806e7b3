import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utf8Decode } from '../crypto/encoding.js';
import { openEnvelope } from '../manifest/envelope.js';
import { parsePayloadJson } from '../manifest/verify.js';
import { largeModel, mlpModel, mlpReference, sileroModelPath } from '../testing/models.js';
import type { Manifest } from '../types.js';
import { runCli } from './run.js';

let dir: string;
let registry: string;
let keyDir: string;
let otherKeyDir: string;
const T0 = Date.parse('2026-06-01T00:00:00Z');

/** Runs the CLI in-process and captures what it printed. */
async function baton(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now: () => T0 });
  return { code, stdout, stderr };
}

async function batonAt(now: number, ...argv: string[]) {
  let stdout = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: () => {}, now: () => now });
  return { code, stdout };
}

const signing = () => ['--registry', registry, '--name', 'mlp', '--key', join(keyDir, 'baton-private.json')];
const checking = (pub = join(keyDir, 'baton-public.json')) => ['--registry', registry, '--name', 'mlp', '--pub', pub];
const manifestPath = () => join(registry, 'mlp', 'manifest.json');
const readManifest = async (): Promise<Manifest> => parsePayloadJson(openEnvelope(new Uint8Array(await readFile(manifestPath()))).payloadBytes) as Manifest;

async function verifyJson(pub?: string) {
  const { code, stdout } = await baton('verify', ...checking(pub), '--json');
  return { code, report: JSON.parse(stdout) as { ok: boolean; problems: { code: string; version?: string }[] } };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-cli-'));
  registry = join(dir, 'registry');
  keyDir = join(dir, 'keys');
  otherKeyDir = join(dir, 'other-keys');
  await writeFile(join(dir, 'mlp-v1.onnx'), mlpModel(1));
  await writeFile(join(dir, 'mlp-v2.onnx'), mlpModel(2));
  expect((await baton('keygen', '--out', keyDir)).code).toBe(0);
  expect((await baton('keygen', '--out', otherKeyDir)).code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('baton keygen', () => {
  it('writes a private key only its owner can read and a public key the app pins', async () => {
    const pub = JSON.parse(await readFile(join(keyDir, 'baton-public.json'), 'utf8')) as Record<string, unknown>;
    expect(pub).toEqual({ keyid: expect.stringMatching(/^[0-9a-f]{64}$/), alg: 'ed25519', publicKey: expect.any(String) });
    const { stat } = await import('node:fs/promises');
    expect((await stat(join(keyDir, 'baton-private.json'))).mode & 0o777).toBe(0o600);
  });
});

describe('baton publish → verify', () => {
  it('publishes v1 as stable and v2 as a candidate, recording the model interface', async () => {
    const v1 = await baton('publish', join(dir, 'mlp-v1.onnx'), '--version', '1.0.0', ...signing());
    expect(v1.code, v1.stderr).toBe(0);
    expect(v1.stdout).toMatch(/published mlp 1\.0\.0 .* as stable; manifest sequence 1/);
    const v2 = await baton('publish', join(dir, 'mlp-v2.onnx'), '--version', '2.0.0', '--rollout', '25', ...signing(), '--json');
    expect(v2.code, v2.stderr).toBe(0);
    expect(JSON.parse(v2.stdout)).toMatchObject({ version: '2.0.0', sequence: 2 });

    const m = await readManifest();
    expect(m.policy).toMatchObject({ stable: '1.0.0', candidate: { version: '2.0.0', percent: 25 } });
    const release = m.versions[1]!;
    expect(release.inputs).toEqual([{ name: 'x', type: 'float32', shape: ['batch', 4] }]);
    expect(release.outputs).toEqual([{ name: 'y', type: 'float32', shape: ['batch', 2] }]);
    expect(release.opsets).toContainEqual({ domain: '', version: expect.any(Number) });
    expect(release.compat.executionProviders).toEqual(['wasm', 'webgpu']);
    expect(m.expires).toBe(new Date(T0 + 30 * 86_400_000).toISOString());
    expect((await readdir(join(registry, 'mlp', 'history'))).sort()).toEqual(['1.json', '2.json']);

    const { code, report } = await verifyJson();
    expect(report).toMatchObject({ ok: true, problems: [] });
    expect(code).toBe(0);
  });

  it('changes the policy with rollout, pin, unpin, promote, kill and rollback, each re-signed with sequence + 1', async () => {
    const steps: [string[], (m: Manifest) => void][] = [
      [['rollout', '--percent', '50'], (m) => expect(m.policy.candidate?.percent).toBe(50)],
      [
        ['rollout', '--stage', '1', '--stage', '10@+1d', '--stage', '50@2030-01-02T00:00:00Z/100runs'],
        (m) =>
          expect(m.policy.candidate).toMatchObject({
            percent: 50,
            stages: [
              { percent: 1 },
              { percent: 10, after: new Date(T0 + 86_400_000).toISOString() },
              { percent: 50, after: '2030-01-02T00:00:00.000Z', minHealthyRuns: 100 },
            ],
          }),
      ],
      [['rollout', '--no-stages'], (m) => expect(m.policy.candidate?.stages).toBeUndefined()],
      [
        ['health', '--promote-after', '50', '--window', '90s', '--max-p95-ratio', '3'],
        (m) => expect(m.policy.health).toMatchObject({ promoteAfterRequests: 50, windowMs: 90_000, maxP95Ratio: 3, minRequests: 30 }),
      ],
      [['pin', '2.0.0'], (m) => expect(m.policy.pinned).toBe('2.0.0')],
      [['unpin'], (m) => expect(m.policy.pinned).toBeUndefined()],
      [['promote'], (m) => expect(m.policy).toMatchObject({ stable: '2.0.0' })],
      [['rollback', '--to', '1.0.0'], (m) => expect(m.policy.stable).toBe('1.0.0')],
      [
        ['ab', '--arm', 'a=1.0.0:3', '--arm', 'b=2.0.0', '--salt', 'exp-1'],
        (m) =>
          expect(m.policy.ab).toEqual({
            salt: 'exp-1',
            arms: [
              { name: 'a', version: '1.0.0', weight: 3 },
              { name: 'b', version: '2.0.0', weight: 1 },
            ],
          }),
      ],
      [['ab', '--end'], (m) => expect(m.policy.ab).toBeUndefined()],
      [['kill', '2.0.0'], (m) => expect(m.policy.killed).toEqual(['2.0.0'])],
    ];
    let sequence = (await readManifest()).sequence;
    for (const [args, check] of steps) {
      const r = await baton(...args, ...signing());
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      const m = await readManifest();
      expect(m.sequence).toBe(++sequence);
      check(m);
    }
    expect((await verifyJson()).report.ok).toBe(true);
    const status = await baton('status', ...checking());
    expect(status.stdout).toMatch(/2\.0\.0\s+killed/);
    expect(status.stdout).toMatch(/1\.0\.0\s+stable/);
  });
});

describe('baton verify finds what is wrong', () => {
  let pristine: Map<string, Buffer>;
  beforeAll(async () => {
    pristine = new Map();
    for (const f of await readdir(join(registry, 'mlp', 'chunks'))) pristine.set(f, await readFile(join(registry, 'mlp', 'chunks', f)));
    pristine.set('manifest.json', await readFile(manifestPath()));
  });
  const restore = async () => {
    for (const [f, b] of pristine) await writeFile(f === 'manifest.json' ? manifestPath() : join(registry, 'mlp', 'chunks', f), b);
  };
  const firstChunk = async () => join(registry, 'mlp', 'chunks', (await readManifest()).versions[0]!.chunks[0]!.sha256);

  it('a flipped byte in one chunk: hash-mismatch, exit 1', async () => {
    const path = await firstChunk();
    const bytes = await readFile(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(path, bytes);
    const { code, report } = await verifyJson();
    expect(code).toBe(1);
    expect(report.problems).toContainEqual(expect.objectContaining({ code: 'hash-mismatch', version: '1.0.0' }));
    await restore();
  });

  it('a truncated chunk: size-mismatch', async () => {
    const path = await firstChunk();
    await truncate(path, 10);
    const { code, report } = await verifyJson();
    expect(code).toBe(1);
    expect(report.problems[0]).toMatchObject({ code: 'size-mismatch', version: '1.0.0' });
    await restore();
  });

  it('a missing chunk: chunk-missing', async () => {
    await rm(await firstChunk());
    const { report } = await verifyJson();
    expect(report.problems[0]).toMatchObject({ code: 'chunk-missing' });
    await restore();
  });

  it('an edited manifest payload: signature-invalid', async () => {
    const env = JSON.parse(await readFile(manifestPath(), 'utf8')) as { payload: string };
    const payload = JSON.parse(atob(env.payload)) as Manifest;
    env.payload = btoa(JSON.stringify({ ...payload, policy: { ...payload.policy, killed: [] } }));
    await writeFile(manifestPath(), JSON.stringify(env));
    const { code, report } = await verifyJson();
    expect(code).toBe(1);
    expect(report.problems).toEqual([expect.objectContaining({ code: 'signature-invalid' })]);
    await restore();
  });

  it('a manifest signed by a key the devices do not pin: unknown-key', async () => {
    const { report } = await verifyJson(join(otherKeyDir, 'baton-public.json'));
    expect(report.problems).toEqual([expect.objectContaining({ code: 'unknown-key' })]);
  });

  it('an expired manifest: manifest-expired (and re-signing renews it)', async () => {
    const later = T0 + 31 * 86_400_000;
    const expired = await batonAt(later, 'verify', ...checking(), '--json');
    expect(expired.code).toBe(1);
    expect(JSON.parse(expired.stdout).problems).toEqual([expect.objectContaining({ code: 'manifest-expired' })]);
    expect((await batonAt(later, 'rollout', '--percent', '0', ...signing())).code).toBe(2); // no candidate after the kill
    expect((await batonAt(later, 'pin', '1.0.0', ...signing())).code).toBe(0);
    expect((await batonAt(later, 'verify', ...checking())).code).toBe(0);
  });

  it('garbage instead of a manifest: manifest-invalid', async () => {
    await writeFile(manifestPath(), '<html>oops</html>');
    const { report } = await verifyJson();
    expect(report.problems).toEqual([expect.objectContaining({ code: 'manifest-invalid' })]);
    await restore();
  });
});

describe('publish stores nothing twice', () => {
  it('an update that changes a few chunks writes only those chunks', async () => {
    const reg = join(dir, 'dedup-registry');
    await writeFile(join(dir, 'large-v1.onnx'), largeModel({ megabytes: 4, variant: 1, changedFraction: 0.05 }));
    await writeFile(join(dir, 'large-v2.onnx'), largeModel({ megabytes: 4, variant: 2, changedFraction: 0.05 }));
    const args = (file: string, version: string) => [
      'publish',
      join(dir, file),
      '--name',
      'big',
      '--version',
      version,
      '--registry',
      reg,
      '--key',
      join(keyDir, 'baton-private.json'),
      '--chunk-size',
      '64k',
      '--json',
    ];
    const v1 = JSON.parse((await baton(...args('large-v1.onnx', '1'))).stdout) as Record<string, number>;
    const v2 = JSON.parse((await baton(...args('large-v2.onnx', '2'))).stdout) as Record<string, number>;
    expect(v1.chunksWritten).toBe(v1.chunks);
    // 5 % of 4 MiB = 205 kB of changed weights spans at most 5 chunks of 64 KiB.
    expect(v2.chunksWritten).toBeGreaterThan(0);
    expect(v2.chunksWritten).toBeLessThanOrEqual(5);
    expect(v2.chunksReused).toBe(v2.chunks! - v2.chunksWritten!);
    expect((await readdir(join(reg, 'big', 'chunks'))).length).toBe(v1.chunks! + v2.chunksWritten!);
    // Re-publishing identical bytes under a new version writes nothing at all.
    const v3 = JSON.parse((await baton(...args('large-v2.onnx', '3'))).stdout) as Record<string, number>;
    expect(v3.chunksWritten).toBe(0);
  });
});

describe('the real Silero VAD models', () => {
  it('records v5 and legacy with different inputs, which the runtime uses to refuse an incompatible update', async () => {
    const reg = join(dir, 'vad-registry');
    const key = join(keyDir, 'baton-private.json');
    const pub = (name: string) => ['publish', '--name', name, '--registry', reg, '--key', key];
    expect((await baton(...pub('vad-legacy'), sileroModelPath('legacy'), '--version', 'legacy')).code).toBe(0);
    expect((await baton(...pub('vad'), sileroModelPath('v5'), '--version', '5')).code).toBe(0);
    const read = async (name: string) =>
      (parsePayloadJson(openEnvelope(new Uint8Array(await readFile(join(reg, name, 'manifest.json')))).payloadBytes) as Manifest).versions[0]!;
    const legacy = await read('vad-legacy');
    const v5 = await read('vad');
    expect(v5.inputs.map((i) => i.name).sort()).toEqual(['input', 'sr', 'state']);
    expect(legacy.inputs.map((i) => i.name)).toEqual(expect.arrayContaining(['input', 'sr', 'h', 'c']));
  });
});

describe('bad arguments exit with code 2 and a message', () => {
  it.each([
    [['publish', '--name', 'mlp']],
    [['frobnicate']],
    // A missing key file is not bad usage but a file problem (exit 1): see publish-command.test.ts.
    [['publish', 'x.onnx', '--name', 'mlp', '--version', '1', '--registry', '/tmp/r']],
    [['rollout', '--percent', '150', '--registry', '/tmp/r', '--name', 'mlp', '--key', 'k']],
    [['publish', 'm.onnx', '--chunk-size', 'lots', '--name', 'a', '--version', '1', '--registry', '/tmp/r', '--key', 'k']],
    [['verify', '--registry', '/tmp/r', '--name', 'mlp']],
    [['keygen', '--out', '/tmp/x', '--bogus']],
    [['rollout', '--stage', '10@yesterday', '--registry', '/tmp/r', '--name', 'mlp', '--key', 'k']],
    [['rollout', '--registry', '/tmp/r', '--name', 'mlp', '--key', 'k']],
    [['health', '--registry', '/tmp/r', '--name', 'mlp', '--key', 'k']],
    [['health', '--promote-after', 'many', '--registry', '/tmp/r', '--name', 'mlp', '--key', 'k']],
  ])('%j', async (argv) => {
    const { code, stderr } = await baton(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^baton \S+: /);
  });

  it('a file that is not an ONNX model: model-invalid, exit 1, registry untouched', async () => {
    await writeFile(join(dir, 'not-a-model.onnx'), 'hello');
    const before = await readFile(manifestPath());
    const r = await baton('publish', join(dir, 'not-a-model.onnx'), '--version', '9.0.0', ...signing());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model-invalid/);
    expect(utf8Decode(await readFile(manifestPath()))).toBe(utf8Decode(before));
  });

  it('republishing an existing version is refused before any chunk is written', async () => {
    const chunksBefore = (await readdir(join(registry, 'mlp', 'chunks'))).length;
    await writeFile(join(dir, 'mlp-v3.onnx'), mlpModel(3));
    const r = await baton('publish', join(dir, 'mlp-v3.onnx'), '--version', '1.0.0', ...signing());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already published/);
    expect((await readdir(join(registry, 'mlp', 'chunks'))).length).toBe(chunksBefore);
  });
});

describe('baton publish --profile', () => {
  it('records a reference profile of the sample inputs and of the outputs the model gives on them', async () => {
    const samples = { inputs: Array.from({ length: 40 }, (_, i) => ({ x: { type: 'float32', dims: [1, 4], data: [i / 10, -i / 20, 1, (i % 7) - 3] } })) };
    await writeFile(join(dir, 'samples.json'), JSON.stringify(samples));
    await writeFile(join(dir, 'mlp-v4.onnx'), mlpModel(4));
    const r = await baton('publish', join(dir, 'mlp-v4.onnx'), '--version', '4.0.0', '--profile', join(dir, 'samples.json'), ...signing());
    expect(r.code, r.stderr).toBe(0);
    const release = (await readManifest()).versions.find((v) => v.version === '4.0.0')!;
    expect(release.profile).toMatchObject({ samples: 40, inputs: [{ name: 'x' }], outputs: [{ name: 'y' }] });
    const input = release.profile!.inputs[0]!;
    const all = samples.inputs.flatMap((s) => s.x.data);
    expect(input.mean).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 5);
    expect(input.freq.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // The outputs are what the model computes on the samples (its pure-JS reference agrees).
    const ys = samples.inputs.flatMap((s) => Array.from(mlpReference(4, Float32Array.from(s.x.data), 1)));
    expect(release.profile!.outputs[0]!.mean).toBeCloseTo(ys.reduce((a, b) => a + b, 0) / ys.length, 4);
    expect((await verifyJson()).report.ok).toBe(true);
  });

  it('refuses samples that do not fit the model, before writing anything', async () => {
    await writeFile(join(dir, 'bad-samples.json'), JSON.stringify({ inputs: [{ x: { type: 'float32', dims: [1, 4], data: [1, 2] } }] }));
    await writeFile(join(dir, 'mlp-v5.onnx'), mlpModel(5));
    const before = await readFile(manifestPath());
    const r = await baton('publish', join(dir, 'mlp-v5.onnx'), '--version', '5.0.0', '--profile', join(dir, 'bad-samples.json'), ...signing());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/model-invalid: .*2 values for dims \[1, 4\]/);
    expect(utf8Decode(await readFile(manifestPath()))).toBe(utf8Decode(before));
  });
});
