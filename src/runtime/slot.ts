/**
 * One loaded version: a worker with a warmed session, and the count of requests in flight on
 * it. Retiring a slot waits for those requests to finish (they were routed here before the
 * switch and must complete here), then releases the session and terminates the worker.
 */
import type { Release, VersionId } from '../types.js';
import type { Feeds, LoadResult, RunResult, WorkerInit } from '../worker/protocol.js';
import { startInferenceWorker, type CreateWorker, type InferenceWorker, type WorkerTimeouts } from '../worker/worker-client.js';
import { inputLimits, type InputLimits } from './input-bound.js';

export interface Slot {
  readonly version: VersionId;
  readonly release: Release;
  readonly worker: InferenceWorker;
  readonly load: LoadResult;
  /** The largest input tensors this version takes (`maxInputElements`, or its declared shapes). */
  readonly inputLimits: InputLimits;
  readonly inFlight: number;
  run(feeds: Feeds): Promise<RunResult>;
  /** Drains, releases, terminates. Idempotent. */
  retire(): Promise<void>;
}

export interface SlotOptions {
  readonly init: WorkerInit;
  readonly timeouts?: Partial<WorkerTimeouts>;
  readonly createWorker?: CreateWorker;
  /** Warm-up feeds for this release (a fresh object each call: feeds are transferred). */
  readonly warmup?: (release: Release) => Feeds | undefined;
  /** The app's bound on input tensors (elements per tensor); default: see input-bound.ts. */
  readonly maxInputElements?: number;
}

/** Starts a worker (or uses `worker`), loads and warms `release` in it; on failure the worker is terminated. */
export async function loadSlot(
  release: Release,
  bytes: Uint8Array<ArrayBuffer>,
  opts: SlotOptions,
  worker?: InferenceWorker,
  warmupRuns?: number,
): Promise<Slot> {
  const w =
    worker ??
    (await startInferenceWorker(opts.init, {
      ...(opts.timeouts ? { timeouts: opts.timeouts } : {}),
      ...(opts.createWorker ? { create: opts.createWorker } : {}),
    }));
  let load: LoadResult;
  try {
    const warmup = opts.warmup?.(release);
    load = await w.load({
      version: release.version,
      bytes,
      inputs: release.inputs,
      outputs: release.outputs,
      ...(warmup ? { warmup } : {}),
      ...(warmupRuns === undefined ? {} : { warmupRuns }),
    });
  } catch (e) {
    w.terminate();
    throw e;
  }
  let inFlight = 0;
  let retiring: Promise<void> | undefined;
  let drained: (() => void) | undefined;
  return {
    version: release.version,
    release,
    worker: w,
    load,
    inputLimits: inputLimits(release.inputs, opts.maxInputElements),
    get inFlight() {
      return inFlight;
    },
    async run(feeds) {
      inFlight++;
      try {
        return await w.run(feeds);
      } finally {
        if (--inFlight === 0) drained?.();
      }
    },
    retire() {
      retiring ??= (async () => {
        if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
        if (w.alive) await w.release().catch(() => {});
        w.terminate();
      })();
      return retiring;
    },
  };
}
