/**
 * The limits one request runs under, enforced while it streams: an overall deadline (headers and
 * body), a stall timer (no byte for `stallTimeoutMs`, headers included), and a minimum throughput
 * over a sliding window once a grace period of body has passed — so a server that trickles a byte
 * a second, which keeps any stall timer alive, is still cut off (issue #13).
 *
 * Invariants:
 * - Every verdict aborts the request through the guard's signal, and {@link RequestGuard.fail}
 *   then throws that verdict whatever error the aborted fetch or read surfaced.
 * - The caller's abort (a check's deadline) aborts the request with the caller's reason, which
 *   `fail` rethrows as is.
 * - `dispose()` clears every timer; a disposed guard never fires.
 */
import { BatonError } from '../errors.js';

/** The clock and timers the guard runs on; injected so tests drive time by hand. */
export interface Timers {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface RequestLimits {
  /** Headers and the whole body within this. */
  readonly deadlineMs: number;
  /** Never silent for this long, headers included. */
  readonly stallTimeoutMs: number;
  /** Minimum body throughput over `windowMs`; 0 turns the rule off. */
  readonly minBytesPerSecond: number;
  readonly windowMs: number;
  /** From the headers, time before the throughput rule applies (slow start, a cold CDN edge). */
  readonly graceMs: number;
}

export interface RequestGuard {
  /** Pass to `fetch`: aborted on a verdict, or with the caller's reason when the caller aborts. */
  readonly signal: AbortSignal;
  /** The response headers arrived: the body's grace period starts. */
  headers(): void;
  /** `n` body bytes arrived. */
  bytes(n: number): void;
  /** Throws what a failure `e` of the fetch or of a body read means: a BatonError as is, the guard's verdict, the caller's reason, or `network-error`. */
  readonly fail: (e: unknown) => never;
  dispose(): void;
}

export interface GuardOptions {
  /** For messages: 'manifest', 'chunk <sha256>'. */
  readonly what: string;
  readonly url: string;
  readonly signal?: AbortSignal | undefined;
  readonly timers?: Timers | undefined;
}

/** Throughput samples are summed in buckets of this fraction of the window, so memory stays flat. */
const BUCKETS = 20;

export function guardRequest(limits: RequestLimits, opts: GuardOptions): RequestGuard {
  const timers = opts.timers ?? realTimers;
  const controller = new AbortController();
  const started = timers.now();
  let verdict: BatonError | undefined;
  let received = 0;
  let bodyStart: number | undefined;
  let stallTimer: unknown;
  let deadlineTimer: unknown;
  let rateTimer: unknown;
  let disposed = false;
  /** [bucket start, bytes] pairs, oldest first. */
  const samples: [number, number][] = [];
  const bucketMs = Math.max(1, limits.windowMs / BUCKETS);
  const tickMs = Math.max(bucketMs, limits.windowMs / 5);

  const decide = (error: BatonError) => {
    if (disposed || verdict || controller.signal.aborted) return;
    verdict = error;
    clearTimers();
    controller.abort(error);
  };
  const details = (extra: Record<string, unknown>) => ({ url: opts.url, bytes: received, elapsedMs: Math.round(timers.now() - started), ...extra });

  const armStall = () => {
    timers.clearTimeout(stallTimer);
    stallTimer = timers.setTimeout(
      () => decide(new BatonError('timeout', `${opts.what} received nothing for ${limits.stallTimeoutMs} ms`, details({ stallMs: limits.stallTimeoutMs }))),
      limits.stallTimeoutMs,
    );
  };

  /** Bytes per second over the window (clipped to the body's age), or undefined inside the grace period. */
  const rate = (now: number): number | undefined => {
    if (bodyStart === undefined || now - bodyStart < limits.graceMs) return undefined;
    const span = Math.min(limits.windowMs, now - bodyStart);
    const from = now - span;
    while (samples.length > 0 && samples[0]![0] + bucketMs <= from) samples.shift();
    // A bucket straddling the window's start counts whole: the rule errs towards the honest side.
    const bytes = samples.reduce((sum, [, n]) => sum + n, 0);
    return (bytes * 1000) / Math.max(span, 1);
  };

  const scheduleRate = (delay: number) => {
    const due = timers.now() + delay;
    rateTimer = timers.setTimeout(() => {
      const now = timers.now();
      // A timer far past its time means this context was frozen or starved (a busy main thread, a
      // suspended worker): bytes may be waiting unread in the stream, so judge on the next tick.
      const late = now - due > tickMs;
      const measured = late ? undefined : rate(now);
      // Nothing at all in the window is a stall, not a trickle: the stall timer's to call.
      if (measured !== undefined && measured > 0 && measured < limits.minBytesPerSecond) {
        const bytesPerSecond = Math.round(measured * 10) / 10;
        decide(
          new BatonError(
            'too-slow',
            `${opts.what} arrived at ${bytesPerSecond} B/s over ${Math.min(limits.windowMs, now - bodyStart!)} ms, below the minimum of ${limits.minBytesPerSecond} B/s`,
            details({ bytesPerSecond, minBytesPerSecond: limits.minBytesPerSecond, windowMs: limits.windowMs }),
          ),
        );
        return;
      }
      scheduleRate(tickMs);
    }, delay);
  };

  const clearTimers = () => {
    timers.clearTimeout(stallTimer);
    timers.clearTimeout(deadlineTimer);
    timers.clearTimeout(rateTimer);
  };

  const onOuterAbort = () => {
    clearTimers();
    controller.abort(opts.signal?.reason);
  };

  if (opts.signal?.aborted) {
    controller.abort(opts.signal.reason);
  } else {
    opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
    armStall();
    if (Number.isFinite(limits.deadlineMs)) {
      deadlineTimer = timers.setTimeout(
        () =>
          decide(
            new BatonError(
              'timeout',
              `${opts.what} missed its ${Math.round(limits.deadlineMs)} ms deadline`,
              details({ deadline: Math.round(limits.deadlineMs) }),
            ),
          ),
        limits.deadlineMs,
      );
    }
  }

  return {
    signal: controller.signal,
    headers() {
      if (disposed || controller.signal.aborted || bodyStart !== undefined) return;
      bodyStart = timers.now();
      armStall();
      if (limits.minBytesPerSecond > 0) scheduleRate(limits.graceMs);
    },
    bytes(n) {
      if (disposed || controller.signal.aborted || n <= 0) return;
      received += n;
      const bucket = Math.floor(timers.now() / bucketMs) * bucketMs;
      const last = samples.at(-1);
      if (last && last[0] === bucket) last[1] += n;
      else samples.push([bucket, n]);
      armStall();
    },
    fail: (e) => {
      if (e instanceof BatonError) throw e;
      if (verdict) throw verdict;
      if (opts.signal?.aborted) throw opts.signal.reason ?? e;
      throw new BatonError('network-error', `${opts.what} failed: ${(e as Error)?.message ?? String(e)}`, { url: opts.url }, { cause: e });
    },
    dispose() {
      disposed = true;
      clearTimers();
      opts.signal?.removeEventListener('abort', onOuterAbort);
    },
  };
}
