/**
 * Timers that move only when a test says so, for the deadlines of the network path (guard.ts,
 * deadline.ts): a test drives minutes of a trickling server in milliseconds. Test code only.
 */
import type { Timers } from './guard.js';

export interface ManualTimers extends Timers {
  /** Moves the clock forward by `ms`, firing due timers in time order (and the ones they set). */
  advance(ms: number): Promise<void>;
  /** Timers set and not yet fired or cleared. */
  pending(): number;
}

/** Lets promise reactions and stream pulls run (one real macrotask). */
export const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export function manualTimers(start = 0): ManualTimers {
  let now = start;
  let ids = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout(fn, ms) {
      due.set(++ids, { at: now + Math.max(0, ms), fn });
      return ids;
    },
    clearTimeout(handle) {
      due.delete(handle as number);
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined;
        for (const entry of due) if (entry[1].at <= target && (!next || entry[1].at < next[1].at)) next = entry;
        if (!next) break;
        due.delete(next[0]);
        now = next[1].at;
        next[1].fn();
        await settle();
      }
      now = target;
      await settle();
    },
    pending: () => due.size,
  };
}
