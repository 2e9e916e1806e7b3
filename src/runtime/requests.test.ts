import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import type { Feeds } from '../types.js';
import type { RunResult } from '../worker/protocol.js';
import { createRequestPath, type RequestDeps } from './requests.js';
import type { Slot } from './slot.js';

/** A slot whose own runs (used for fallbacks and paired timing) answer with `answer`. */
const slot = (version: string, answer?: () => Promise<RunResult>) =>
  ({
    version,
    release: { version },
    load: { ep: 'wasm' },
    inputLimits: { byName: new Map([['x', 4]]), other: 4 },
    worker: { alive: true },
    runs: 0,
    run(this: { runs: number }) {
      this.runs++;
      return answer ? answer() : Promise.reject(new Error('not used'));
    },
  }) as unknown as Slot & { runs: number };
const feeds = (n = 4): Feeds => ({ x: { type: 'float32', data: new Float32Array(n), dims: [1, n] } });
const answer = (y: number[], runMs = 0.5): RunResult => ({
  outputs: { y: { type: 'float32', data: Float32Array.from(y), dims: [1, y.length] } },
  runMs,
  ep: 'wasm',
});

function world(served: Awaited<ReturnType<RequestDeps['dispatcher']['run']>>, over: Partial<RequestDeps> & { onTrial?: boolean; fallback?: Slot } = {}) {
  const observed: [string, boolean, number][] = [];
  const requests: [string, boolean][] = [];
  const paired: [string, number, number][] = [];
  let t = 0;
  const { onTrial = false, fallback, ...rest } = over;
  const run = createRequestPath({
    dispatcher: { run: async (_feeds, onStart) => (onStart?.(served.slot), (t += 7), served) },
    serving: { live: served.slot, lastLive: served.slot, fallback },
    trial: { observe: (v, ok, ms) => void observed.push([v, ok, ms]), isOnTrial: () => onTrial, paired: (v, c, b) => void paired.push([v, c, b]) },
    obs: { sampleDrift: () => false, drift: () => {}, request: (v, _ep, _arm, ok) => void requests.push([v, ok]) },
    shadow: { sample: () => undefined, after: () => {} },
    arm: () => ({ name: 'b', version: '2' }),
    rejectNonFinite: false,
    fallbackMaxExtraMs: 1000,
    pairedTiming: 0,
    random: () => 0,
    perfNow: () => t,
    disposed: () => false,
    ...rest,
  });
  return { run, observed, requests, paired };
}

describe('the request path', () => {
  it('answers with onnxruntime tensors, the version and its A/B arm; the trial hears the model’s own run time', async () => {
    const w = world({ slot: slot('2'), ok: true, result: answer([1, 2]) });
    const out = await w.run(feeds());
    expect(out.version).toBe('2');
    expect(out.arm).toBe('b');
    expect(out.fallback).toBeUndefined();
    expect(Array.from(out.outputs['y']!.data as Float32Array)).toEqual([1, 2]);
    expect(out.outputs['y']!.dims).toEqual([1, 2]);
    expect(w.observed).toEqual([['2', true, 0.5]]);
    expect(w.requests).toEqual([['2', true]]);
  });

  it('outside a trial, a failed run counts against its version, with the end-to-end time, and rejects with its error', async () => {
    const error = new BatonError('timeout', 'hung');
    const w = world({ slot: slot('1'), ok: false, error });
    await expect(w.run(feeds())).rejects.toBe(error);
    expect(w.observed).toEqual([['1', false, 7]]);
  });

  it('NaN answers count as errors; rejected with run-failed only under rejectNonFinite', async () => {
    const served = { slot: slot('1'), ok: true as const, result: answer([NaN], 1) };
    const lenient = world(served);
    await expect(lenient.run(feeds())).resolves.toMatchObject({ version: '1' });
    expect(lenient.observed[0]![1]).toBe(false);
    const strict = world(served, { rejectNonFinite: true });
    await expect(strict.run(feeds())).rejects.toMatchObject({ code: 'run-failed', details: { nonFinite: true } });
  });

  it('refuses an oversized input before anything is queued, and anything after dispose', async () => {
    let queued = 0;
    const w = world({ slot: slot('1'), ok: true, result: answer([]) }, { dispatcher: { run: async () => (queued++, undefined as never) } });
    await expect(w.run(feeds(5))).rejects.toMatchObject({ code: 'input-too-large' });
    expect(queued).toBe(0);
    const gone = world({ slot: slot('1'), ok: true, result: answer([]) }, { disposed: () => true });
    await expect(gone.run(feeds())).rejects.toMatchObject({ code: 'disposed' });
  });

  it('validate() refusing an answer makes it an error (run-failed, details.invalid)', async () => {
    const w = world({ slot: slot('1'), ok: true, result: answer([5]) }, { validate: (o) => (o['y']!.data as Float32Array)[0]! < 1 });
    await expect(w.run(feeds())).rejects.toMatchObject({ code: 'run-failed', details: { invalid: true } });
    expect(w.observed).toEqual([['1', false, 0.5]]);
    const throws = world(
      { slot: slot('1'), ok: true, result: answer([5]) },
      {
        validate: () => {
          throw new Error('shape');
        },
      },
    );
    await expect(throws.run(feeds())).rejects.toMatchObject({ code: 'run-failed', message: /threw.*shape/ });
  });
});

describe('the fallback during a trial', () => {
  it('a request the candidate fails is answered by the kept version; the failure counts against the candidate', async () => {
    const kept = slot('1', async () => answer([7]));
    const error = new BatonError('worker-crashed', 'oom');
    const w = world({ slot: slot('2'), ok: false, error }, { onTrial: true, fallback: kept });
    const out = await w.run(feeds());
    expect(out.version).toBe('1');
    expect(out.fallback).toEqual({ from: '2', error });
    expect(Array.from(out.outputs['y']!.data as Float32Array)).toEqual([7]);
    expect(w.observed).toEqual([['2', false, 7]]);
    expect(w.requests).toEqual([
      ['2', false],
      ['1', true],
    ]);
  });

  it('also for NaN under rejectNonFinite and for an answer validate() refuses', async () => {
    const kept = slot('1', async () => answer([0.25]));
    const nan = world({ slot: slot('2'), ok: true, result: answer([NaN]) }, { onTrial: true, fallback: kept, rejectNonFinite: true });
    expect(await nan.run(feeds())).toMatchObject({ version: '1', fallback: { from: '2', error: { details: { nonFinite: true } } } });
    const invalid = world(
      { slot: slot('2'), ok: true, result: answer([9]) },
      { onTrial: true, fallback: kept, validate: (o) => (o['y']!.data as Float32Array)[0]! < 1 },
    );
    expect(await invalid.run(feeds())).toMatchObject({ version: '1', fallback: { from: '2', error: { details: { invalid: true } } } });
  });

  it('returns the candidate’s error when the kept version is too slow, fails too, or the fallback is off', async () => {
    const error = new BatonError('run-failed', 'bad input');
    const slow = world(
      { slot: slot('2'), ok: false, error },
      { onTrial: true, fallback: slot('1', () => new Promise((r) => setTimeout(() => r(answer([1])), 200))), fallbackMaxExtraMs: 20 },
    );
    await expect(slow.run(feeds())).rejects.toBe(error);
    const failing = world({ slot: slot('2'), ok: false, error }, { onTrial: true, fallback: slot('1', () => Promise.reject(new Error('also bad'))) });
    await expect(failing.run(feeds())).rejects.toBe(error);
    const off = world({ slot: slot('2'), ok: false, error }, { onTrial: true, fallback: slot('1', async () => answer([1])), fallbackMaxExtraMs: undefined });
    await expect(off.run(feeds())).rejects.toBe(error);
    const notOnTrial = world({ slot: slot('2'), ok: false, error }, { onTrial: false, fallback: slot('1', async () => answer([1])) });
    await expect(notOnTrial.run(feeds())).rejects.toBe(error);
  });

  it('is decided when the request starts: one queued before the switch, that the candidate fails, is answered by the kept version', async () => {
    const kept = slot('1', async () => answer([3]));
    const candidate = slot('2');
    const error = new BatonError('run-failed', 'bad input');
    // Queued while v1 serves with no trial; the switch to v2 (on trial, v1 kept) comes before its turn.
    const serving: { live: Slot; lastLive: Slot; fallback: Slot | undefined } = { live: kept, lastLive: kept, fallback: undefined };
    let onTrial = false;
    const w = world(
      { slot: candidate, ok: false, error },
      {
        serving,
        trial: { observe: () => {}, isOnTrial: (v) => onTrial && v === '2', paired: () => {} },
        dispatcher: {
          run: async (input, onStart) => {
            Object.assign(serving, { live: candidate, lastLive: candidate, fallback: kept });
            onTrial = true;
            onStart?.(candidate);
            // The run transfers the input: the worker's side detaches it.
            structuredClone(input['x']!.data, { transfer: [(input['x']!.data as Float32Array).buffer] });
            return { slot: candidate, ok: false, error };
          },
        },
      },
    );
    expect(await w.run(feeds())).toMatchObject({ version: '1', fallback: { from: '2', error } });
    expect(kept.runs).toBe(1);
  });

  it('one the candidate was running when its verdict came is still answered by the kept version, live again', async () => {
    const kept = slot('1', async () => answer([3]));
    const candidate = slot('2');
    const error = new BatonError('run-failed', 'bad input');
    const serving: { live: Slot; lastLive: Slot; fallback: Slot | undefined } = { live: candidate, lastLive: candidate, fallback: kept };
    let onTrial = true;
    const w = world(
      { slot: candidate, ok: false, error },
      {
        serving,
        trial: { observe: () => {}, isOnTrial: (v) => onTrial && v === '2', paired: () => {} },
        dispatcher: {
          run: async (_input, onStart) => {
            onStart?.(candidate);
            // While it runs, an earlier request's failure rolls the trial back: v1 serves again.
            Object.assign(serving, { live: kept, lastLive: kept, fallback: undefined });
            onTrial = false;
            return { slot: candidate, ok: false, error };
          },
        },
      },
    );
    expect(await w.run(feeds())).toMatchObject({ version: '1', fallback: { from: '2', error } });
    expect(kept.runs).toBe(1);
  });

  it('times a share of the trial’s requests on the kept version too, after the answer, with the same input', async () => {
    const kept = slot('1', async () => answer([1], 0.25));
    const w = world({ slot: slot('2'), ok: true, result: answer([1], 0.75) }, { onTrial: true, fallback: kept, pairedTiming: 1 });
    await w.run(feeds());
    expect(kept.runs).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(kept.runs).toBe(1);
    expect(w.paired).toEqual([['2', 0.75, 0.25]]);
  });
});
