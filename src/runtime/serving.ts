/**
 * The loaded versions: the one that serves, the one a trial replaced (kept loaded, so a
 * rollback is one assignment, as blue-green keeps blue until green is healthy), and the one being
 * prepared. A switch is one assignment between two requests: the request queue sends the next
 * request to the new slot, and the old one drains, releases and terminates its worker (WASM
 * memory only returns that way, onnxruntime issue #21673). A worker that crashes, hangs or
 * fails to allocate is replaced here too.
 */
import type { BatonError } from '../errors.js';
import type { Release, VersionId } from '../types.js';
import type { InferenceWorker } from '../worker/worker-client.js';
import type { RuntimeEvents } from '../observe/events.js';
import type { Slot } from './slot.js';
import type { RuntimeTestHooks } from './test-hooks.js';

export type Emit = <K extends keyof RuntimeEvents>(type: K, event: RuntimeEvents[K]) => void;

export interface ServingDeps {
  /** The version's verified bytes, from storage. */
  readBytes(version: VersionId): Promise<Uint8Array<ArrayBuffer>>;
  /** Loads and warms `release` in `worker` (a new one when undefined); `warmupRuns` fixes their count. */
  load(release: Release, bytes: Uint8Array<ArrayBuffer>, worker: InferenceWorker | undefined, warmupRuns?: number): Promise<Slot>;
  /**
   * Finishes warming a version loaded beside the live one, between the live version's requests
   * (warm-up.ts); rejects with `warmup-failed`.
   */
  warmBeside(slot: Slot): Promise<void>;
  /** The standby worker (onnxruntime-web initialised), if there is one. */
  takeWorker(): Promise<InferenceWorker | undefined>;
  /** Starts a new standby after `delayMs` (default: the configured delay). */
  replenishLater(delayMs?: number): void;
  /** Records the serving version in storage (the service worker's active version). */
  recordActive(version: VersionId): Promise<unknown>;
  /** Where the request queue sends the next request (undefined: hold it). */
  setTarget(slot: Slot | undefined): void;
  /** Nothing will serve: the queued requests fail with `error`. */
  failQueue(error: BatonError): void;
  /** Whether `version` is on trial (a crash then falls back to the kept version). */
  onTrial(version: VersionId): boolean;
  /** The router should decide again (after a fallback took over). */
  reroute(): void;
  readonly emit: Emit;
  /** Reports a failure nothing else handles; returns it as a BatonError. */
  report(during: string, e: unknown): BatonError;
  readonly perfNow: () => number;
  readonly disposed: () => boolean;
  /** After a cold start, the standby starts this much later (its wasm compile takes the cores). */
  readonly coldStartStandbyDelayMs: number;
}

export interface Serving {
  readonly live: Slot | undefined;
  /** The last slot that served: its version's input bounds apply while a worker is replaced. */
  readonly lastLive: Slot | undefined;
  /** The version a trial replaced, still loaded. */
  readonly fallback: Slot | undefined;
  /** A version being loaded and warmed beside the live one. */
  readonly preparing: VersionId | undefined;
  /** `perfNow()` when the live slot took over. */
  readonly since: number;
  /** A slot for `release`: the kept fallback when it is that version, else loaded and warmed (in the standby). */
  prepare(release: Release): Promise<Slot>;
  /**
   * Makes `slot` live between two requests. `keepFallback`: the replaced slot stays loaded as
   * the fallback (a trial); every other slot that no longer serves is retired. Resolves once the
   * switch is recorded in storage.
   */
  commit(slot: Slot, opts: { readonly keepFallback: boolean }): Promise<void>;
  /** `version` failed its trial: the kept fallback serves again at once, if `version` serves. */
  flipBack(version: VersionId): void;
  /** The trial is over (promoted): the fallback is retired. */
  dropFallback(): void;
  /** The live worker crashed or hung: only its running request failed; someone takes over the queue. */
  recover(lost: Slot, reason: BatonError, cause: 'crashed' | 'hung'): Promise<void>;
  /** A run failed to allocate: the same version in a fresh worker takes over, the old worker goes. */
  recycle(old: Slot, reason: BatonError): Promise<void>;
  readonly testHooks: RuntimeTestHooks;
  /** Terminates every worker. */
  dispose(): void;
}

export function createServing(deps: ServingDeps): Serving {
  let live: Slot | undefined;
  let lastLive: Slot | undefined;
  let fallback: Slot | undefined;
  let preparing: VersionId | undefined;
  let since = 0;
  const recycling = new Set<Slot>();

  const retire = (slot: Slot) =>
    void slot.retire().then(() => {
      deps.emit('released', { version: slot.version });
      deps.replenishLater();
    });

  const setLive = (slot: Slot) => {
    live = lastLive = slot;
    since = deps.perfNow();
    deps.setTarget(slot);
    void slot.worker.died.then((reason) => {
      if (live === slot && !deps.disposed()) void serving.recover(slot, reason, 'crashed');
    });
  };

  /** Makes `slot` live, says so, and records it (in the same turn: see commit). */
  const flip = (slot: Slot, from: Slot | undefined): Promise<unknown> => {
    setLive(slot);
    deps.emit('switch', {
      ...(from ? { from: from.version } : {}),
      to: slot.version,
      ep: slot.load.ep,
      loadMs: slot.load.loadMs,
      warmupMs: slot.load.warmupMs,
    });
    return deps.recordActive(slot.version).catch((e: unknown) => deps.report('recording the active version', e));
  };

  /** The same version again in a fresh worker (the standby when there is one). */
  const reload = async (release: Release, warmupRuns?: number) => {
    const slot = await deps.load(release, await deps.readBytes(release.version), await deps.takeWorker(), warmupRuns);
    deps.replenishLater();
    return slot;
  };

  const serving: Serving = {
    get live() {
      return live;
    },
    get lastLive() {
      return lastLive;
    },
    get fallback() {
      return fallback;
    },
    get preparing() {
      return preparing;
    },
    get since() {
      return since;
    },

    async prepare(release) {
      if (fallback?.version === release.version && fallback.worker.alive) {
        // Back to the version a trial replaced: it is still loaded and warm.
        const back = fallback;
        fallback = undefined;
        return back;
      }
      preparing = release.version;
      try {
        // The worker's one warm-up run validates the model. At a cold start that is all (answer
        // sooner); beside a live version the rest run between its requests.
        const slot = await deps.load(release, await deps.readBytes(release.version), await deps.takeWorker(), 1);
        const warmStart = deps.perfNow();
        if (live) {
          try {
            await deps.warmBeside(slot);
          } catch (e) {
            slot.worker.terminate();
            throw e;
          }
        }
        const warmupMs = slot.load.warmupMs + (deps.perfNow() - warmStart);
        deps.emit('warmed', { version: slot.version, ep: slot.load.ep, loadMs: slot.load.loadMs, warmupMs });
        return slot;
      } catch (e) {
        if (live) deps.replenishLater();
        throw e;
      } finally {
        preparing = undefined;
      }
    },

    async commit(slot, { keepFallback }) {
      if (deps.disposed()) return void slot.retire();
      const old = live;
      // The fallback is in place in the same turn as the switch: a candidate can fail its gate
      // while the active version is still being recorded (a service-worker round trip, slow on a
      // busy device), and its rollback must find the version it replaced.
      const previousFallback = fallback;
      fallback = keepFallback ? old : undefined;
      const recorded = flip(slot, old);
      for (const s of new Set([previousFallback, old])) if (s && s !== fallback && s !== slot) retire(s);
      // The standby (if this switch used it) is replaced once the swap is well over; after a cold
      // start, a moment after the first answers rather than competing with them for the cores.
      deps.replenishLater(old ? undefined : deps.coldStartStandbyDelayMs);
      await recorded;
    },

    flipBack(version) {
      if (!fallback?.worker.alive || live?.version !== version) return;
      const bad = live;
      const back = fallback;
      fallback = undefined;
      void flip(back, bad);
      retire(bad);
    },

    dropFallback() {
      if (fallback) retire(fallback);
      fallback = undefined;
    },

    /**
     * During a trial the kept version takes over at once (the router then decides what serves:
     * usually the candidate again, in a fresh worker); otherwise the same version in a fresh
     * worker, with one warm-up run, since requests are waiting.
     */
    async recover(lost, reason, cause) {
      lost.worker.terminate();
      if (lost !== live || deps.disposed()) return;
      deps.emit('error', { error: reason, during: `serving version ${lost.version}` });
      if (fallback?.worker.alive && deps.onTrial(lost.version)) {
        const back = fallback;
        fallback = undefined;
        void flip(back, lost);
        deps.emit('worker-restarted', { version: lost.version, reason, cause, serving: back.version });
        deps.reroute();
        return;
      }
      live = undefined;
      deps.setTarget(undefined);
      try {
        const slot = await reload(lost.release, 1);
        // Disposed, or another version took over meanwhile (a switch): this one is not needed.
        if (deps.disposed() || live) return void slot.retire();
        setLive(slot);
        deps.emit('worker-restarted', { version: slot.version, reason, cause, serving: slot.version });
      } catch (e) {
        const error = deps.report(`restarting the worker for version ${lost.version}`, e);
        if (!live) deps.failQueue(error);
      }
    },

    /** Its WASM heap keeps what it grew to until the worker is terminated: load beside it, switch, terminate. */
    async recycle(old, reason) {
      if (old !== live || recycling.has(old) || deps.disposed()) return;
      recycling.add(old);
      try {
        const slot = await reload(old.release);
        if (deps.disposed() || live !== old) return void slot.retire();
        setLive(slot);
        void old.retire();
        deps.emit('worker-restarted', { version: slot.version, reason, cause: 'allocation-failure', serving: slot.version });
      } catch (e) {
        deps.report(`recycling the worker for version ${old.version}`, e);
      } finally {
        recycling.delete(old);
      }
    },

    testHooks: {
      crashWorker: () => live?.worker.crash() ?? Promise.resolve(),
      hangWorker: () => live?.worker.hang() ?? Promise.resolve(),
      loseGpuDevice: () => live?.worker.loseGpuDevice() ?? Promise.resolve(),
    },

    dispose() {
      live?.worker.terminate();
      fallback?.worker.terminate();
    },
  };
  return serving;
}
