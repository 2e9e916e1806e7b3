/**
 * The one load generator: a stream of requests to a runtime, each recorded as it settles. The
 * kit's recorded load (expose.ts), Baton's e2e harness, the benchmark page and the demo all run
 * on it, so a figure in the bench and a claim in a test count the same requests the same way.
 * Browser code with no imports: part of the kit's browser half (`baton-ml/testing/app`, which
 * expose.ts heads), hence its name.
 *
 * Two ways to pace it:
 * - `open`: request n is issued at `start + n × intervalMs`, whatever is still in flight — the
 *   load of an app fed by the outside world (users, a sensor). A timer that fires late issues
 *   the requests that fell due meanwhile at once, so the rate asked for is the rate issued.
 * - `closed`: one request in flight at a time, started on the next tick of an `intervalMs`
 *   clock; a tick that finds the previous request still running is skipped (and counted) — an
 *   audio pipeline that drops a frame rather than queue it. After a long stall it resumes on the
 *   clock instead of catching up in a burst.
 */

/** What one request saw. */
export interface LoadRecord {
  /** Issue order, from 0. */
  readonly i: number;
  /** When the request was issued: epoch milliseconds (fractional), see {@link pageNow}. */
  readonly at: number;
  /** How long it took to settle, in milliseconds. */
  readonly ms: number;
  readonly ok: boolean;
  /** The version that answered (a request that failed has none: the runtime does not say). */
  readonly version?: string;
  /** A failed request's BatonError code; for any other error, its name and message. */
  readonly code?: string;
  /**
   * The version on trial failed this request and the version it replaced answered instead
   * (`RunOutput.fallback`): which version failed, and its error's code. `version` is the one
   * that answered.
   */
  readonly fallback?: { readonly from: string; readonly code: string };
}

/** What a request resolves with, as far as the record goes: `rt.run`'s answer has it. */
export interface Answer {
  readonly version: string;
  readonly fallback?: { readonly from: string; readonly error: unknown };
}

export type LoadMode = 'open' | 'closed';

export interface LoadOptions<R> {
  readonly mode: LoadMode;
  /** The schedule's period: one request per `intervalMs` (open), at most one (closed). */
  readonly intervalMs: number;
  /** Called as each request settles, with its record and, when it succeeded, its result. */
  readonly onRecord?: (record: LoadRecord, result: R | undefined) => void;
  /** Keep the records (default true); a load that runs for hours (the demo) passes false. */
  readonly keep?: boolean;
  /** The clock and timers (tests inject fakes); default {@link pageNow} and the global timers. */
  readonly now?: () => number;
  readonly setTimeout?: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout?: (handle: unknown) => void;
}

export interface Load {
  /** Requests issued so far. */
  readonly issued: number;
  /** Requests settled so far. */
  readonly completed: number;
  /** Closed loop: ticks skipped because the previous request was still running. */
  readonly skipped: number;
  /** The records kept so far, in issue order (the load keeps running). */
  records(): LoadRecord[];
  /** Stops issuing, waits for the requests in flight, and returns every record in issue order. */
  stop(): Promise<LoadRecord[]>;
}

/**
 * Wall-clock milliseconds with the page's high-resolution timer: `performance.timeOrigin +
 * performance.now()`. Comparable with `Date.now()` elsewhere (the test server's request log),
 * and fine enough (5 µs when cross-origin isolated) to order a request against an event.
 */
export const pageNow = (): number => performance.timeOrigin + performance.now();

/** A failure as the record's `code`: the BatonError code, or the error's name and message. */
export function errorCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/**
 * Starts issuing `run(i)` and recording each outcome until `stop()`.
 *
 * @example
 * const load = startLoad((i) => rt.run(feeds(i)), { mode: 'open', intervalMs: 5 }); // 200 requests/s
 * // … publish, switch …
 * const records = await load.stop();
 */
export function startLoad<R extends Answer>(run: (i: number) => Promise<R>, opts: LoadOptions<R>): Load {
  if (!(opts.intervalMs > 0)) throw new RangeError(`startLoad: intervalMs must be a positive number, got ${opts.intervalMs}`);
  if (opts.mode !== 'open' && opts.mode !== 'closed') throw new TypeError(`startLoad: mode must be 'open' or 'closed', got ${String(opts.mode)}`);
  const now = opts.now ?? pageNow;
  const schedule = opts.setTimeout ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const cancel = opts.clearTimeout ?? ((handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>));
  const { intervalMs } = opts;
  const keep = opts.keep ?? true;
  const kept: LoadRecord[] = [];
  const inflight = new Set<Promise<void>>();
  let issued = 0;
  let completed = 0;
  let skipped = 0;
  let stopped = false;
  let timer: unknown;

  const settle = (record: LoadRecord, result: R | undefined) => {
    completed++;
    if (keep) kept.push(record);
    opts.onRecord?.(record, result);
  };
  const fire = () => {
    const i = issued++;
    const at = now();
    let answer: Promise<R>;
    try {
      answer = run(i);
    } catch (e) {
      answer = Promise.reject(e);
    }
    const p = answer
      .then(
        (r) =>
          settle(
            {
              i,
              at,
              ms: now() - at,
              ok: true,
              version: r.version,
              ...(r.fallback ? { fallback: { from: r.fallback.from, code: errorCode(r.fallback.error) } } : {}),
            },
            r,
          ),
        (e: unknown) => settle({ i, at, ms: now() - at, ok: false, code: errorCode(e) }, undefined),
      )
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };

  const start = now();
  // Open: every request that has fallen due by now is issued, then the timer aims at the next.
  const openTick = () => {
    if (stopped) return;
    const due = Math.floor((now() - start) / intervalMs) + 1;
    while (issued < due) fire();
    timer = schedule(openTick, Math.max(0, start + issued * intervalMs - now()));
  };
  // Closed: one request at a time, on the clock; a stall skips ticks rather than queueing them.
  let next = start;
  const closedTick = () => {
    if (stopped) return;
    if (inflight.size > 0) skipped++;
    else fire();
    next += intervalMs;
    // A whole period behind (a stalled main thread, a throttled tab): drop the missed ticks.
    if (next <= now()) next = now() + intervalMs;
    timer = schedule(closedTick, Math.max(0, next - now()));
  };
  (opts.mode === 'open' ? openTick : closedTick)();

  const inOrder = () => [...kept].sort((a, b) => a.i - b.i);
  return {
    get issued() {
      return issued;
    },
    get completed() {
      return completed;
    },
    get skipped() {
      return skipped;
    },
    records: inOrder,
    async stop() {
      stopped = true;
      cancel(timer);
      await Promise.all(inflight);
      return inOrder();
    },
  };
}
