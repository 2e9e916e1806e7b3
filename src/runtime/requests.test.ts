import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import type { Feeds } from '../types.js';
import { createRequestPath, type RequestDeps } from './requests.js';
import type { Slot } from './slot.js';

const slot = (version: string) => ({ version, release: { version }, load: { ep: 'wasm' }, inputLimits: { byName: new Map([['x', 4]]), other: 4 } }) as unknown as Slot;
const feeds = (n = 4): Feeds => ({ x: { type: 'float32', data: new Float32Array(n), dims: [1, n] } });

function world(served: Awaited<ReturnType<RequestDeps['dispatcher']['run']>>, over: Partial<RequestDeps> = {}) {
  const observed: [string, boolean, number][] = [];
  const requests: [string, boolean][] = [];
  let t = 0;
  const run = createRequestPath({
    dispatcher: { run: async () => ((t += 7), served) },
    serving: { live: served.slot, lastLive: served.slot },
    trial: { observe: (v, ok, ms) => void observed.push([v, ok, ms]) },
    obs: { sampleDrift: () => false, drift: () => {}, request: (v, _ep, _arm, ok) => void requests.push([v, ok]) },
    shadow: { sample: () => undefined, after: () => {} },
    arm: () => ({ name: 'b', version: '2' }),
    rejectNonFinite: false,
    perfNow: () => t,
    disposed: () => false,
    ...over,
  });
  return { run, observed, requests };
}

describe('the request path', () => {
  it('answers with onnxruntime tensors, the version and its A/B arm; the trial hears the model’s own run time', async () => {
    const w = world({ slot: slot('2'), ok: true, result: { outputs: { y: { type: 'float32', data: Float32Array.of(1, 2), dims: [1, 2] } }, runMs: 0.5, ep: 'wasm' } });
    const out = await w.run(feeds());
    expect(out.version).toBe('2');
    expect(out.arm).toBe('b');
    expect(Array.from(out.outputs['y']!.data as Float32Array)).toEqual([1, 2]);
    expect(out.outputs['y']!.dims).toEqual([1, 2]);
    expect(w.observed).toEqual([['2', true, 0.5]]);
    expect(w.requests).toEqual([['2', true]]);
  });

  it('a failed run counts against its version, with the end-to-end time, and rejects with its error', async () => {
    const error = new BatonError('timeout', 'hung');
    const w = world({ slot: slot('1'), ok: false, error });
    await expect(w.run(feeds())).rejects.toBe(error);
    expect(w.observed).toEqual([['1', false, 7]]);
  });

  it('NaN answers count as errors; rejected with run-failed only under rejectNonFinite', async () => {
    const served = { slot: slot('1'), ok: true as const, result: { outputs: { y: { type: 'float32' as const, data: Float32Array.of(NaN), dims: [1] } }, runMs: 1, ep: 'wasm' as const } };
    const lenient = world(served);
    await expect(lenient.run(feeds())).resolves.toMatchObject({ version: '1' });
    expect(lenient.observed[0]![1]).toBe(false);
    const strict = world(served, { rejectNonFinite: true });
    await expect(strict.run(feeds())).rejects.toMatchObject({ code: 'run-failed', details: { nonFinite: true } });
  });

  it('refuses an oversized input before anything is queued, and anything after dispose', async () => {
    let queued = 0;
    const w = world({ slot: slot('1'), ok: true, result: { outputs: {}, runMs: 1, ep: 'wasm' } }, { dispatcher: { run: async () => (queued++, undefined as never) } });
    await expect(w.run(feeds(5))).rejects.toMatchObject({ code: 'input-too-large' });
    expect(queued).toBe(0);
    const gone = world({ slot: slot('1'), ok: true, result: { outputs: {}, runMs: 1, ep: 'wasm' } }, { disposed: () => true });
    await expect(gone.run(feeds())).rejects.toMatchObject({ code: 'disposed' });
  });
});
