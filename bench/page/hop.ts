/**
 * What the worker hop costs: Baton's `rt.run` against a direct onnxruntime-web `session.run` of
 * the same model in the page; Baton's worker client alone (`InferenceWorker.run`, without the
 * runtime's request path); and the floors any off-main-thread design pays: a bare postMessage
 * round trip to a worker (and over a MessageChannel port, which Baton's run path uses), a bare
 * SharedArrayBuffer + Atomics round trip (cross-origin isolated pages only), and the same echo
 * through comlink. Interleaved in blocks, so drift and neighbours hit every path alike.
 */
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web/wasm';
import { whenChanged } from '../../src/worker/shared-ring.js';
import { startInferenceWorker, type InferenceWorker } from '../../src/worker/worker-client.js';
import type { AtomicsEchoInit } from './atomics-echo-worker.js';
import type { EchoApi } from './comlink-echo-worker.js';
import { feedsFor, TINY_FLOATS } from './feeds.js';

export interface HopSamples {
  readonly directMs: number[];
  readonly batonMs: number[];
  /** Baton's worker client alone: `InferenceWorker.run` on a worker of its own, on the MessageChannel (as `rt.run`). */
  readonly workerMs: number[];
  /** `session.run` inside that worker, as it reports it (`runMs`). */
  readonly workerSessionMs: number[];
  /** Baton's worker client with its internal `sharedRing` option on (off by default, and in `rt.run`). Empty when not isolated. */
  readonly workerRingMs: number[];
  readonly postMessageMs: number[];
  /** The same round trip over a MessageChannel port transferred to the worker. */
  readonly portMs: number[];
  /** SharedArrayBuffer + Atomics: the page awaits `Atomics.waitAsync`, the worker blocks in `Atomics.wait`. Empty when not isolated. */
  readonly atomicsMs: number[];
  /** The same with the worker waiting by `Atomics.waitAsync` too (a worker that must also take messages). */
  readonly atomicsAsyncMs: number[];
  /** The same round trip through comlink. */
  readonly comlinkMs: number[];
  readonly crossOriginIsolated: boolean;
}

type Echo = (data: Float32Array) => Promise<unknown>;

function postMessageEcho(): { echo: Echo; close(): void } {
  const worker = new Worker(new URL('./echo-worker.ts', import.meta.url), { type: 'module' });
  let resolve = () => {};
  worker.onmessage = () => resolve();
  return {
    echo: (data) =>
      new Promise<void>((r) => {
        resolve = r;
        worker.postMessage(data, [data.buffer]);
      }),
    close: () => worker.terminate(),
  };
}

/** The echo worker again, spoken to over a port of a MessageChannel of the page's. */
function portEcho(): { echo: Echo; close(): void } {
  const worker = new Worker(new URL('./echo-worker.ts', import.meta.url), { type: 'module' });
  const { port1, port2 } = new MessageChannel();
  worker.postMessage({ port: port2 }, [port2]);
  let resolve = () => {};
  port1.onmessage = () => resolve();
  return {
    echo: (data) =>
      new Promise<void>((r) => {
        resolve = r;
        port1.postMessage(data, [data.buffer]);
      }),
    close: () => {
      port1.close();
      worker.terminate();
    },
  };
}

function atomicsEcho(mode: AtomicsEchoInit['mode']): { echo: Echo; close(): void } {
  const worker = new Worker(new URL('./atomics-echo-worker.ts', import.meta.url), { type: 'module' });
  const sab = new SharedArrayBuffer(16 + 64 * 1024);
  worker.postMessage({ sab, mode } satisfies AtomicsEchoInit);
  const ctrl = new Int32Array(sab, 0, 4);
  const bytes = new Uint8Array(sab, 16);
  let seq = 0;
  return {
    async echo(data) {
      // In: copy the request into shared memory; out: copy the reply into a buffer the caller owns.
      const input = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      bytes.set(input);
      Atomics.store(ctrl, 2, input.length);
      const sent = ++seq;
      Atomics.store(ctrl, 0, sent);
      Atomics.notify(ctrl, 0);
      await new Promise<void>((resolve) => {
        const check = () => {
          const replied = Atomics.load(ctrl, 1);
          if (replied === sent) resolve();
          else whenChanged(ctrl, 1, replied, check);
        };
        check();
      });
      return new Float32Array(bytes.slice(0, input.length).buffer);
    },
    close: () => worker.terminate(),
  };
}

function comlinkEcho(): { echo: Echo; close(): void } {
  const worker = new Worker(new URL('./comlink-echo-worker.ts', import.meta.url), { type: 'module' });
  const remote = Comlink.wrap<EchoApi>(worker);
  return { echo: (data) => remote.echo(Comlink.transfer(data, [data.buffer])), close: () => worker.terminate() };
}

/** Baton's worker client on a worker of its own, with the hop model loaded and warmed. */
async function batonWorker(bytes: Uint8Array<ArrayBuffer>, sharedRing: boolean): Promise<InferenceWorker> {
  const worker = await startInferenceWorker({ executionProviders: ['wasm'] }, { sharedRing });
  const spec = (name: string) => ({ name, type: 'float32' as const, shape: [1, TINY_FLOATS] });
  await worker.load({ version: 'hop', bytes: bytes.slice(), inputs: [spec('x')], outputs: [spec('y')], warmup: feedsFor('tiny') });
  return worker;
}

export async function measureHop(opts: { modelUrl: string; blocks: number; perBlock: number }, batonRun: () => Promise<unknown>): Promise<HopSamples> {
  const bytes = new Uint8Array(await (await fetch(opts.modelUrl)).arrayBuffer());
  // The options Baton's worker uses, so the two sessions are alike.
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const isolated = self.crossOriginIsolated;
  const worker = await batonWorker(bytes, false);
  const ringWorker = isolated ? await batonWorker(bytes, true) : undefined;
  const echoes = {
    postMessageMs: postMessageEcho(),
    portMs: portEcho(),
    ...(isolated ? { atomicsMs: atomicsEcho('blocking'), atomicsAsyncMs: atomicsEcho('async') } : {}),
    comlinkMs: comlinkEcho(),
  };
  const input = () => new Float32Array(TINY_FLOATS).fill(0.5);
  const samples: HopSamples = {
    directMs: [],
    batonMs: [],
    workerMs: [],
    workerSessionMs: [],
    workerRingMs: [],
    postMessageMs: [],
    portMs: [],
    atomicsMs: [],
    atomicsAsyncMs: [],
    comlinkMs: [],
    crossOriginIsolated: isolated,
  };
  const time = async (into: number[] | undefined, fn: () => Promise<unknown>) => {
    for (let i = 0; i < opts.perBlock; i++) {
      const t = performance.now();
      await fn();
      into?.push(performance.now() - t);
    }
  };
  try {
    // Block 0 warms every path (JIT tier-up) and is not recorded.
    for (let b = 0; b <= opts.blocks; b++) {
      const keep = b > 0;
      await time(keep ? samples.directMs : undefined, () => session.run({ x: new ort.Tensor('float32', input(), [1, TINY_FLOATS]) }));
      await time(keep ? samples.batonMs : undefined, batonRun);
      await time(keep ? samples.workerMs : undefined, async () => {
        const { runMs } = await worker.run(feedsFor('tiny'));
        if (keep) samples.workerSessionMs.push(runMs);
      });
      if (ringWorker) await time(keep ? samples.workerRingMs : undefined, () => ringWorker.run(feedsFor('tiny')));
      for (const [key, e] of Object.entries(echoes)) await time(keep ? samples[key as keyof typeof echoes] : undefined, () => e.echo(input()));
    }
  } finally {
    for (const e of Object.values(echoes)) e.close();
    worker.terminate();
    ringWorker?.terminate();
    await session.release();
  }
  return samples;
}
