import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { sampleRelease } from '../testing/sample-manifest.js';
import type { Feeds, RunResult } from '../worker/protocol.js';
import type { InferenceWorker } from '../worker/worker-client.js';
import { loadSlot } from './slot.js';

/** A worker whose runs finish when the test says so, recording what happened to it. */
function fakeWorker(opts: { failLoad?: BatonError } = {}) {
  const log: string[] = [];
  const pending: (() => void)[] = [];
  let alive = true;
  const worker: InferenceWorker = {
    info: { ep: 'wasm', webgpu: { available: false }, crossOriginIsolated: true, wasmThreads: 1, onnxruntimeWeb: '1.30.0' },
    load: async () => {
      if (opts.failLoad) throw opts.failLoad;
      return { ep: 'wasm', inputNames: ['x'], outputNames: ['y'], loadMs: 1, warmupMs: 1 };
    },
    run: () =>
      new Promise<RunResult>((resolve) => {
        log.push('run');
        pending.push(() => resolve({ outputs: {}, runMs: 0, ep: 'wasm' }));
      }),
    release: async () => void log.push('release'),
    crash: async () => {},
    loseGpuDevice: async () => {},
    hang: async () => {},
    terminate: () => {
      alive = false;
      log.push('terminate');
    },
    died: new Promise(() => {}),
    get alive() {
      return alive;
    },
  };
  return { worker, log, finishOne: () => pending.shift()?.() };
}

const feeds: Feeds = {};
const bytes = new Uint8Array(4);
const opts = { init: { executionProviders: ['wasm'] as const } };

describe('a slot', () => {
  it('releases and terminates only after its in-flight requests have drained', async () => {
    const { worker, log, finishOne } = fakeWorker();
    const slot = await loadSlot(sampleRelease('1'), bytes, opts, worker);
    const a = slot.run(feeds);
    const b = slot.run(feeds);
    expect(slot.inFlight).toBe(2);
    const retired = slot.retire();
    await Promise.resolve();
    expect(log).toEqual(['run', 'run']); // nothing released while requests run
    finishOne();
    await a;
    expect(log).not.toContain('release');
    finishOne();
    await b;
    await retired;
    expect(log).toEqual(['run', 'run', 'release', 'terminate']);
    expect(slot.retire()).toBe(retired); // idempotent
  });

  it('retires at once when idle', async () => {
    const { worker, log } = fakeWorker();
    const slot = await loadSlot(sampleRelease('1'), bytes, opts, worker);
    await slot.retire();
    expect(log).toEqual(['release', 'terminate']);
  });

  it("carries the input bounds of its version: its static shapes, or the app's maxInputElements", async () => {
    const release = { ...sampleRelease('1'), inputs: [{ name: 'x', type: 'float32' as const, shape: [1, 512] }] };
    expect((await loadSlot(release, bytes, opts, fakeWorker().worker)).inputLimits.byName.get('x')).toBe(512);
    expect((await loadSlot(release, bytes, { ...opts, maxInputElements: 4096 }, fakeWorker().worker)).inputLimits.byName.get('x')).toBe(4096);
  });

  it('terminates the worker when the version fails to load, and passes the typed error on', async () => {
    const { worker, log } = fakeWorker({ failLoad: new BatonError('warmup-failed', 'boom') });
    await expect(loadSlot(sampleRelease('2'), bytes, opts, worker)).rejects.toMatchObject({ code: 'warmup-failed' });
    expect(log).toEqual(['terminate']);
  });
});
