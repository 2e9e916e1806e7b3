/**
 * Where the next version's worker comes from. The first worker (started at once: it tells the
 * updater what this device can run) hosts the first version; after that, a standby worker whose
 * onnxruntime-web is already initialised (its 14 MB wasm compiled) hosts each new version, so an
 * update only creates and warms a session instead of compiling wasm on the cores the live
 * version serves from. The standby is replaced some time after each switch, away from the swap.
 */
import type { WorkerInfo } from '../worker/protocol.js';
import type { InferenceWorker } from '../worker/worker-client.js';

export interface WorkerPool {
  /** What the first worker found: provider, threads, onnxruntime-web version. */
  readonly info: WorkerInfo;
  /** A ready worker if there is one (the first one, then the standby); undefined: start your own. */
  take(): Promise<InferenceWorker | undefined>;
  /** Starts a standby now, unless one exists or standbys are off. */
  replenish(): void;
  /** Starts a standby after `delayMs` (default: the configured delay), restarting the delay if already waiting. */
  replenishLater(delayMs?: number): void;
  readonly standby: 'ready' | 'starting' | 'none';
  dispose(): void;
}

export async function createWorkerPool(opts: {
  /** The first worker, if already starting (default: spawned now). */
  readonly first?: Promise<InferenceWorker>;
  readonly spawn: () => Promise<InferenceWorker>;
  readonly standby: boolean;
  readonly respawnDelayMs: number;
}): Promise<WorkerPool> {
  let first: InferenceWorker | undefined = await (opts.first ?? opts.spawn());
  const info = first.info;
  let standby: Promise<InferenceWorker | undefined> | undefined;
  let ready = false;
  let disposed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const replenish = () => {
    if (!opts.standby || disposed || standby) return;
    standby = opts.spawn().then(
      (w) => {
        if (disposed) {
          w.terminate();
          return undefined;
        }
        ready = true;
        void w.died.then(() => {
          if (ready) standby = undefined;
          ready = false;
        });
        return w;
      },
      () => (standby = undefined),
    );
  };

  return {
    info,
    async take() {
      if (first) {
        const w = first;
        first = undefined;
        return w;
      }
      const w = await standby;
      standby = undefined;
      ready = false;
      return w?.alive ? w : undefined;
    },
    replenish,
    replenishLater(delayMs = opts.respawnDelayMs) {
      clearTimeout(timer);
      timer = setTimeout(replenish, delayMs);
    },
    get standby() {
      return ready ? 'ready' : standby ? 'starting' : 'none';
    },
    dispose() {
      disposed = true;
      clearTimeout(timer);
      first?.terminate();
      void standby?.then((w) => w?.terminate());
    },
  };
}

export interface PrestartedWorker {
  /** The first worker, starting. */
  readonly first: Promise<InferenceWorker>;
  /** Starts another (the standbys). */
  readonly spawn: () => Promise<InferenceWorker>;
  /** Terminates the first worker (start-up failed before the pool took it). */
  drop(): void;
}

/**
 * Starts the first worker at once: compiling onnxruntime-web's wasm is the longest part of a
 * cold start, and it overlaps whatever start-up does before it needs the worker.
 */
export function prestartWorker(spawn: () => Promise<InferenceWorker>): PrestartedWorker {
  const first = spawn();
  // Its failure is start-up's (through the pool), not an unhandled rejection meanwhile.
  first.catch(() => {});
  return {
    first,
    spawn,
    drop: () =>
      void first.then(
        (w) => w.terminate(),
        () => {},
      ),
  };
}
