/**
 * The page's handle on one inference worker, and the only page module that imports comlink.
 * Every call has a timeout; a ready handshake precedes the first call; a worker that errors or
 * stops answering is terminated and every pending call rejected with a typed error, so no
 * promise is ever left unsettled (the most reported comlink failure).
 */
import * as Comlink from 'comlink';
import { BatonError } from '../errors.js';
import type { Feeds, InferenceWorkerApi, LoadRequest, LoadResult, RunResult, WorkerInfo, WorkerInit } from './protocol.js';
import { isWireError, transferablesOf } from './protocol.js';

export interface WorkerTimeouts {
  /** Worker start-up until it answers a ping, including fetching and compiling its script. */
  readonly handshakeMs: number;
  /** Initialising onnxruntime-web (wasm compile) and creating plus warming a session. */
  readonly loadMs: number;
  /**
   * One run, at most: a run over this is treated as a hung worker. The runtime calls a worker
   * hung much sooner, from the version's own run times (src/runtime/hang-detector.ts); this is
   * the cap on that, and what applies until a version has answered enough runs to judge by.
   */
  readonly runMs: number;
}

export const DEFAULT_TIMEOUTS: WorkerTimeouts = { handshakeMs: 15_000, loadMs: 120_000, runMs: 30_000 };

export interface InferenceWorker {
  readonly info: WorkerInfo;
  /** Transfers `request.bytes` to the worker. */
  load(request: LoadRequest): Promise<LoadResult>;
  /** Transfers the feeds' buffers to the worker (the caller's arrays are detached). */
  run(feeds: Feeds): Promise<RunResult>;
  release(): Promise<void>;
  /** Test hook: crash the worker as an out-of-memory error would. */
  crash(): Promise<void>;
  /** Test hook: destroy the worker's WebGPU device. */
  loseGpuDevice(): Promise<void>;
  /** Test hook: the worker's next run never returns (its thread stays busy until terminated). */
  hang(): Promise<void>;
  terminate(): void;
  /** Settles when the worker dies unexpectedly, with the reason. Never rejects. */
  readonly died: Promise<BatonError>;
  readonly alive: boolean;
}

export type CreateWorker = () => Worker;

const defaultCreate: CreateWorker = () => new Worker(new URL('./inference-worker.js', import.meta.url), { type: 'module', name: 'baton-inference' });

export async function startInferenceWorker(
  init: WorkerInit,
  opts: { timeouts?: Partial<WorkerTimeouts>; create?: CreateWorker } = {},
): Promise<InferenceWorker> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const worker = (opts.create ?? defaultCreate)();
  const remote = Comlink.wrap<InferenceWorkerApi>(worker);
  const pending = new Set<(e: BatonError) => void>();
  let alive = true;
  let markDead!: (e: BatonError) => void;
  const died = new Promise<BatonError>((resolve) => (markDead = resolve));

  const kill = (reason: BatonError, expected = false) => {
    if (!alive) return;
    alive = false;
    for (const reject of pending) reject(reason);
    pending.clear();
    remote[Comlink.releaseProxy]();
    worker.terminate();
    if (!expected) markDead(reason);
  };
  worker.addEventListener('error', (event) => {
    event.preventDefault();
    kill(new BatonError('worker-crashed', `inference worker crashed: ${event.message || 'script error'}`));
  });
  worker.addEventListener('messageerror', () => kill(new BatonError('worker-crashed', 'inference worker sent a message that could not be read')));

  function call<T>(what: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    if (!alive) return Promise.reject(new BatonError('worker-crashed', `inference worker is gone (${what})`));
    return new Promise<T>((resolve, reject) => {
      const settle = (e: BatonError) => reject(e);
      pending.add(settle);
      const timer = setTimeout(() => {
        pending.delete(settle);
        const error = new BatonError('timeout', `inference worker did not finish ${what} within ${timeoutMs} ms`);
        reject(error);
        // A worker that timed out may be stuck behind a hung run: replace it.
        kill(new BatonError('worker-crashed', `inference worker hung during ${what}`));
      }, timeoutMs);
      fn().then(
        (value) => {
          clearTimeout(timer);
          pending.delete(settle);
          resolve(value);
        },
        (e: unknown) => {
          clearTimeout(timer);
          pending.delete(settle);
          reject(
            isWireError(e)
              ? BatonError.fromWire(e)
              : new BatonError('worker-crashed', `inference worker failed during ${what}: ${(e as Error)?.message ?? String(e)}`),
          );
        },
      );
    });
  }

  await call('the start-up handshake', () => remote.ping(), timeouts.handshakeMs).catch((e: unknown) => {
    kill(e as BatonError, true);
    throw e;
  });
  const info = await call('initialising onnxruntime-web', () => remote.init(init), timeouts.loadMs).catch((e: unknown) => {
    kill(e as BatonError, true);
    throw e;
  });

  return {
    info,
    load: (request) => call(`loading version ${request.version}`, () => remote.load(Comlink.transfer(request, [request.bytes.buffer])), timeouts.loadMs),
    run: (feeds) => call('a run', () => remote.run(Comlink.transfer(feeds, transferablesOf(feeds))), timeouts.runMs),
    release: () => call('releasing the session', () => remote.release(), timeouts.loadMs),
    crash: () => call('crashing on request', () => remote.crash(), timeouts.handshakeMs),
    loseGpuDevice: () => call('losing the GPU device on request', () => remote.loseGpuDevice(), timeouts.handshakeMs),
    hang: () => call('arming a hang on request', () => remote.hang(), timeouts.handshakeMs),
    terminate: () => kill(new BatonError('disposed', 'inference worker terminated'), true),
    died,
    get alive() {
      return alive;
    },
  };
}
