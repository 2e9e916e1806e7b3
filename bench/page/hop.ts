/**
 * What the worker hop costs: Baton's `rt.run` against a direct onnxruntime-web `session.run` of
 * the same model in the page, a bare postMessage round trip to a worker (the floor any
 * off-main-thread design pays) and the same round trip through comlink. Interleaved in blocks,
 * so drift and neighbours hit all four alike.
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import type { EchoApi } from './comlink-echo-worker.js';
import { TINY_FLOATS } from './feeds.js';

export interface HopSamples {
  readonly directMs: number[];
  readonly batonMs: number[];
  readonly postMessageMs: number[];
  /** The same round trip through comlink (what Baton's worker client is built on). */
  readonly comlinkMs: number[];
}

export async function measureHop(opts: { modelUrl: string; blocks: number; perBlock: number }, batonRun: () => Promise<unknown>): Promise<HopSamples> {
  const bytes = new Uint8Array(await (await fetch(opts.modelUrl)).arrayBuffer());
  // The options Baton's worker uses, so the two sessions are alike.
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const echo = new Worker(new URL('./echo-worker.ts', import.meta.url), { type: 'module' });
  const roundTrip = (data: Float32Array) =>
    new Promise<void>((resolve) => {
      echo.onmessage = () => resolve();
      echo.postMessage(data, [data.buffer]);
    });
  const comlinkWorker = new Worker(new URL('./comlink-echo-worker.ts', import.meta.url), { type: 'module' });
  const comlink = Comlink.wrap<EchoApi>(comlinkWorker);
  const input = () => new Float32Array(TINY_FLOATS).fill(0.5);
  const samples: HopSamples = { directMs: [], batonMs: [], postMessageMs: [], comlinkMs: [] };
  const time = async (into: number[] | undefined, fn: () => Promise<unknown>) => {
    for (let i = 0; i < opts.perBlock; i++) {
      const t = performance.now();
      await fn();
      into?.push(performance.now() - t);
    }
  };
  try {
    // Block 0 warms all three paths (JIT tier-up) and is not recorded.
    for (let b = 0; b <= opts.blocks; b++) {
      const keep = b > 0;
      await time(keep ? samples.directMs : undefined, () => session.run({ x: new ort.Tensor('float32', input(), [1, TINY_FLOATS]) }));
      await time(keep ? samples.batonMs : undefined, batonRun);
      await time(keep ? samples.postMessageMs : undefined, () => roundTrip(input()));
      await time(keep ? samples.comlinkMs : undefined, () => {
        const data = input();
        return comlink.echo(Comlink.transfer(data, [data.buffer]));
      });
    }
  } finally {
    echo.terminate();
    comlinkWorker.terminate();
    await session.release();
  }
  return samples;
}
