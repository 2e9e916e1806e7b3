/**
 * An AbortController that aborts itself at a deadline, which can be pushed back: a check's
 * deadline grows once it knows how many bytes it has to fetch.
 */
import type { Timers } from './guard.js';

export interface Deadline {
  readonly signal: AbortSignal;
  /** The allowance so far, from the start. */
  readonly ms: number;
  /** Pushes the deadline back by `ms` (no effect once aborted). */
  extend(ms: number): void;
  /** Aborts now with `reason`. */
  abort(reason: unknown): void;
  /** Stops the timer; the signal is left as it is. */
  clear(): void;
}

// setTimeout fires at once for a delay above 2^31 - 1 ms (~24.8 days): longer waits are re-armed.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Starts a deadline `ms` from now; at it the signal aborts with `reason(allowanceMs)`. */
export function createDeadline(ms: number, timers: Timers, reason: (allowanceMs: number) => unknown): Deadline {
  const controller = new AbortController();
  const start = timers.now();
  let allowance = ms;
  let timer: unknown;
  const arm = () => {
    timers.clearTimeout(timer);
    const left = start + allowance - timers.now();
    if (left <= 0) return controller.abort(reason(allowance));
    timer = timers.setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  arm();
  return {
    signal: controller.signal,
    get ms() {
      return allowance;
    },
    extend(more) {
      if (controller.signal.aborted || !(more > 0)) return;
      allowance += more;
      arm();
    },
    abort(why) {
      timers.clearTimeout(timer);
      controller.abort(why);
    },
    clear() {
      timers.clearTimeout(timer);
    },
  };
}
