/**
 * One timer for every pending call of a worker, instead of a timer per call: it is armed for the
 * earliest deadline, re-armed from the calls still pending when it fires, and cleared when none
 * is left. A call costs a Set insert and delete; a timer is set only when the first call of a
 * busy spell arrives, or one with an earlier deadline than any pending.
 *
 * Invariants: a call whose deadline passes is handed to `onOverdue` once, after it left the set;
 * a call deleted in time never is; no timer is pending while no call is.
 */

/** The clock and timers, injected so tests can fake them (query-core's reason: STYLE.md §7). */
export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The page's own clock and timers, looked up at each call (so fakes installed later apply). */
export const GLOBAL_TIMERS: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface Watchdog<C extends { readonly deadline: number }> {
  add(call: C): void;
  /** The call settled (answered, or rejected): it no longer times out. */
  delete(call: C): void;
  /** Removes and returns every pending call, and stops the timer. */
  drain(): C[];
  readonly size: number;
}

export function createWatchdog<C extends { readonly deadline: number }>(timers: Timers, onOverdue: (call: C) => void): Watchdog<C> {
  const calls = new Set<C>();
  let timer: unknown;
  /** The deadline the timer is set for (Infinity: no timer). */
  let armedFor = Infinity;

  const disarm = () => {
    if (armedFor === Infinity) return;
    timers.clearTimeout(timer);
    timer = undefined;
    armedFor = Infinity;
  };
  const arm = (deadline: number) => {
    disarm();
    armedFor = deadline;
    timer = timers.setTimeout(fire, Math.max(0, deadline - timers.now()));
  };

  function fire(): void {
    timer = undefined;
    armedFor = Infinity;
    const now = timers.now();
    for (const call of calls) {
      if (call.deadline > now) continue;
      calls.delete(call);
      // May drain the set (a worker killed for it takes every other call with it).
      onOverdue(call);
    }
    let next = Infinity;
    for (const call of calls) next = Math.min(next, call.deadline);
    // A timer that fired a hair early, or for a call since answered: wait for what is left.
    if (next < Infinity && armedFor === Infinity) arm(next);
  }

  return {
    add(call) {
      calls.add(call);
      if (call.deadline < armedFor) arm(call.deadline);
    },
    delete(call) {
      // The timer stays armed while other calls are pending: when it fires it re-arms for them.
      if (calls.delete(call) && calls.size === 0) disarm();
    },
    drain() {
      const all = [...calls];
      calls.clear();
      disarm();
      return all;
    },
    get size() {
      return calls.size;
    },
  };
}
