/**
 * The request queue: every `rt.run` waits here, in order, and one request at a time goes to the
 * slot that serves (its buffers are transferred only then). So a request that has not started
 * can always go to another worker: when the one running hangs, or its worker crashes, only that
 * request fails and the ones queued behind it run on the worker that takes over — in the order
 * they were made, each exactly once. A switch is the same: the next request goes to the new slot.
 *
 * Costs one message hop per request with the worker idle in between (~0.1–0.2 ms, PLATFORM.md);
 * the worker serialised runs anyway ("Session already started" on overlap).
 */
import { BatonError } from '../errors.js';
import type { VersionId } from '../types.js';
import type { Feeds, RunResult } from '../worker/protocol.js';
import { wasAllocationFailure } from '../worker/allocation-failure.js';
import type { HangDetector } from './hang-detector.js';

/** What the dispatcher needs of a slot (src/runtime/slot.ts). */
export interface DispatchSlot {
  readonly version: VersionId;
  readonly worker: { readonly alive: boolean };
  run(feeds: Feeds): Promise<RunResult>;
}

/** The slot that took the request, and how it went. */
export type Served<S> = { readonly slot: S; readonly ok: true; readonly result: RunResult } | { readonly slot: S; readonly ok: false; readonly error: unknown };

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface RunDispatcher<S extends DispatchSlot> {
  /**
   * Queues `feeds` behind every earlier request. Resolves with the slot that ran it and its
   * outcome; rejects only when no slot will run it (`fail`, `dispose`). `onStart` is called with
   * that slot just before the request is sent to it (while `feeds` still holds its buffers).
   */
  run(feeds: Feeds, onStart?: (slot: S) => void): Promise<Served<S>>;
  /**
   * Settles when no request is running or queued (at once if none is): when work beside the
   * live version (a new version's warm-up) competes least with requests. Also on fail/dispose.
   */
  whenIdle(): Promise<void>;
  /** The slot that runs the next request; undefined holds the queue (a worker is being replaced). */
  setTarget(slot: S | undefined): void;
  /** Nothing will serve: rejects every queued request, and later ones until a target is set. */
  fail(error: unknown): void;
  /** Requests waiting (not counting the one running). */
  readonly queued: number;
  /** Rejects what is queued; the request running settles as its worker does. */
  dispose(error: unknown): void;
}

export interface DispatcherOptions<S> {
  readonly hangs: HangDetector;
  readonly timers: Timers;
  /**
   * The run on `slot` went unanswered past its version's threshold: it was failed with `error`
   * (code `timeout`) and the queue is held. Replace the worker and set a new target.
   */
  onHang(slot: S, error: BatonError): void;
  /** A run on `slot` failed to allocate (its worker's heap stays grown): recycle the worker. */
  onAllocationFailure(slot: S, error: BatonError): void;
}

/**
 * A timer that fires this much past its time means the page itself was blocked: the worker's
 * answer may be queued behind it, so look again a moment later before calling the worker hung.
 */
export const LATE_TIMER_GRACE_MS = 50;

interface Request<S> {
  readonly feeds: Feeds;
  readonly onStart: ((slot: S) => void) | undefined;
  resolve(served: Served<S>): void;
  reject(e: unknown): void;
}

export function createRunDispatcher<S extends DispatchSlot>(opts: DispatcherOptions<S>): RunDispatcher<S> {
  const { hangs, timers } = opts;
  const queue: Request<S>[] = [];
  let target: S | undefined;
  let running = false;
  let broken: { error: unknown } | undefined;
  let disposed: { error: unknown } | undefined;
  let idleWaiters: (() => void)[] = [];

  function settleIdle(force = false): void {
    if (!force && (running || queue.length > 0)) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function pump(): void {
    // A dead worker (crashed, or its run timed out) takes nothing more: the runtime replaces it.
    if (running || !target || !target.worker.alive) return;
    const request = queue.shift();
    if (!request) return;
    start(target, request);
  }

  function start(slot: S, request: Request<S>): void {
    request.onStart?.(slot);
    running = true;
    const sentAt = timers.now();
    const hangAfterMs = hangs.thresholdMs(slot.version);
    let done = false;
    let graced = false;
    const finish = (served: Served<S>) => {
      done = true;
      timers.clearTimeout(timer);
      running = false;
      // Settled before the next one starts: callers see their answers in the order they asked.
      request.resolve(served);
    };
    const check = () => {
      if (done) return;
      const late = timers.now() - sentAt - hangAfterMs;
      if (!graced && late > LATE_TIMER_GRACE_MS) {
        graced = true;
        timer = timers.setTimeout(check, LATE_TIMER_GRACE_MS);
        return;
      }
      const p99 = hangs.p99(slot.version);
      const error = new BatonError(
        'timeout',
        `version ${slot.version} did not answer within ${Math.round(hangAfterMs)} ms${p99 === undefined ? '' : ` (its p99 run is ${p99.toFixed(2)} ms)`}: its worker is hung`,
        { version: slot.version, hung: true, hangAfterMs, ...(p99 === undefined ? {} : { p99Ms: p99 }) },
      );
      if (target === slot) target = undefined;
      finish({ slot, ok: false, error });
      opts.onHang(slot, error);
      pump();
      settleIdle();
    };
    let timer = timers.setTimeout(check, hangAfterMs);
    slot.run(request.feeds).then(
      (result) => {
        if (done) return;
        hangs.record(slot.version, result.runMs);
        finish({ slot, ok: true, result });
        pump();
        settleIdle();
      },
      (error: unknown) => {
        if (done) return;
        finish({ slot, ok: false, error });
        if (wasAllocationFailure(error)) opts.onAllocationFailure(slot, error as BatonError);
        pump();
        settleIdle();
      },
    );
  }

  const rejectQueued = (error: unknown) => {
    for (const request of queue.splice(0)) request.reject(error);
  };

  return {
    run(feeds, onStart) {
      if (disposed) return Promise.reject(disposed.error);
      if (!target && broken) return Promise.reject(broken.error);
      return new Promise<Served<S>>((resolve, reject) => {
        queue.push({ feeds, onStart, resolve, reject });
        pump();
      });
    },
    whenIdle() {
      if (disposed || (!running && queue.length === 0)) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    setTarget(slot) {
      target = slot;
      if (slot) broken = undefined;
      pump();
    },
    fail(error) {
      broken = { error };
      if (!target) rejectQueued(error);
      settleIdle();
    },
    get queued() {
      return queue.length;
    },
    dispose(error) {
      disposed = { error };
      target = undefined;
      rejectQueued(error);
      settleIdle(true);
    },
  };
}
