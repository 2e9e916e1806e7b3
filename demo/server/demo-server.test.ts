// The demo server's pieces, in Node: the broken v3 model, the salt that puts a device inside a
// rollout, the reference profile, and the scenario's steps run with the real CLI.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEnvelope } from '../../src/manifest/envelope.js';
import { parseManifestPayload } from '../../src/manifest/schema.js';
import { parsePayloadJson } from '../../src/manifest/verify.js';
import { inspectOnnx } from '../../src/publish/inspect-onnx.js';
import { writeKeyPair } from '../../src/publish/keys-fs.js';
import { deviceBucket, inRollout } from '../../src/router/bucket.js';
import { sileroModelPath } from '../../src/testing/models.js';
import type { Manifest } from '../../src/types.js';
import { CONTEXT, FRAME, STREAMS, requestInput, synthesizeClip } from '../clip.js';
import { createDemoControl, type DemoControl } from './control.js';
import { brokenVadModel, writeDemoModels } from './models.js';
import { placement, saltPlacingInside } from './placement.js';
import { clipProfile } from './profile.js';

describe('brokenVadModel', () => {
  it("has Silero VAD v5's exact interface, and the same bytes on every call", async () => {
    const v5 = inspectOnnx(new Uint8Array(await readFile(sileroModelPath('v5'))));
    const v3 = inspectOnnx(brokenVadModel());
    expect(v3.inputs).toEqual(v5.inputs);
    expect(v3.outputs).toEqual(v5.outputs);
    expect(v3.opsets).toEqual(v5.opsets);
    expect(Buffer.from(brokenVadModel()).equals(Buffer.from(brokenVadModel()))).toBe(true);
  });

  it('answers NaN for the speech probability and a finite state, on silence as on speech', async () => {
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(brokenVadModel());
    try {
      for (const data of [new Float32Array(STREAMS * (CONTEXT + FRAME)), requestInput(synthesizeClip(), 40)]) {
        const out = await session.run({
          input: new ort.Tensor('float32', data, [STREAMS, CONTEXT + FRAME]),
          state: new ort.Tensor('float32', new Float32Array(2 * STREAMS * 128), [2, STREAMS, 128]),
          sr: new ort.Tensor('int64', BigInt64Array.of(16_000n), []),
        });
        expect([...(out['output']!.data as Float32Array)].every(Number.isNaN)).toBe(true);
        expect([...(out['stateN']!.data as Float32Array)].every(Number.isFinite)).toBe(true);
      }
    } finally {
      await session.release();
    }
  });
});

describe('saltPlacingInside', () => {
  it('finds a salt whose bucket puts the device inside, and the fleet splits about evenly under it', async () => {
    for (const deviceId of ['a', 'device-1', '0123456789abcdef0123456789abcdef']) {
      const salt = await saltPlacingInside(deviceId, 'vad-x', '2.0.0', 50);
      expect(inRollout(await deviceBucket(deviceId, salt), 50)).toBe(true);
      const p = await placement(deviceId, '2.0.0', 50, salt);
      expect(p).toMatchObject({ deviceId, inside: true, percent: 50, fleetSize: 1000 });
      // 1000 fair coin flips: within ±5 standard deviations (~79) of 500.
      expect(Math.abs(p.fleetInside - 500)).toBeLessThan(80);
    }
  });
});

describe('clipProfile', () => {
  it('profiles the audio input only, as deciles summing to 1', () => {
    const profile = clipProfile();
    expect(profile.inputs.map((t) => t.name)).toEqual(['input']);
    expect(profile.outputs).toEqual([]);
    const [input] = profile.inputs;
    expect(input!.freq.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect([...input!.edges]).toEqual([...input!.edges].sort((a, b) => a - b));
    expect(clipProfile()).toEqual(profile);
  });
});

describe('the scenario steps', () => {
  let root: string;
  let control: DemoControl;
  const manifest = async (model: string): Promise<Manifest> =>
    parseManifestPayload(parsePayloadJson(openEnvelope(new Uint8Array(await readFile(join(root, 'registry', model, 'manifest.json')))).payloadBytes));

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'baton-demo-test-'));
    const keys = await writeKeyPair(join(root, 'keys'));
    control = createDemoControl({
      registryDir: join(root, 'registry'),
      privateKeyPath: keys.privatePath,
      models: await writeDemoModels(join(root, 'models')),
      profile: clipProfile(),
      autoplay: false,
    });
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('reset publishes v1 with demo-sized health gates; v2 goes to 50 % with this device inside; v3 follows v2 promoted', async () => {
    const first = await control.reset();
    expect(first).toMatchObject({ round: 1, step: 'v1', stable: '1.0.0' });
    let m = await manifest(first.model);
    expect(m.policy.health).toMatchObject({ promoteAfterRequests: 250, minRequests: 20, maxP95Ratio: 2 });
    expect(m.versions[0]!.profile?.inputs[0]?.name).toBe('input');
    await expect(control.publishV3('device-7')).rejects.toThrow(/publish v2 first/);

    const v2 = await control.publishV2('device-7');
    m = await manifest(first.model);
    expect(m.policy.candidate).toMatchObject({ version: '2.0.0', percent: 50, salt: v2.candidate!.salt });
    expect(v2.placement).toMatchObject({ deviceId: 'device-7', version: '2.0.0', inside: true });
    expect(v2.sequence).toBe(m.sequence);
    await expect(control.publishV2('device-7')).rejects.toThrow(/already published/);

    const v3 = await control.publishV3('device-7');
    m = await manifest(first.model);
    expect(m.policy.stable).toBe('2.0.0');
    expect(m.policy.candidate).toMatchObject({ version: '3.0.0', percent: 50 });
    expect(v3.placement).toMatchObject({ version: '3.0.0', inside: true });
    expect(v3.commands.map((c) => c.command.split(' ').slice(0, 2).join(' '))).toEqual([
      'baton publish',
      'baton health',
      'baton publish',
      'baton promote',
      'baton publish',
    ]);
    expect(v3.commands.every((c) => c.code === 0)).toBe(true);

    const second = await control.reset();
    expect(second).toMatchObject({ round: 2, step: 'v1', stable: '1.0.0' });
    expect(second.model).not.toBe(first.model);
    expect(second.candidate).toBeUndefined();
  }, 60_000);
});
