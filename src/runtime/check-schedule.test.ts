import { describe, expect, it } from 'vitest';
import { startCheckSchedule, VISIBLE_RECHECK_MS } from './check-schedule.js';

/** A fake clock with timers, a document and a window: everything the schedule touches. */
function world(random = 0.5) {
  let t = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  let nextId = 1;
  const listeners = new Map<string, Set<() => void>>();
  const target = {
    addEventListener: (type: string, fn: () => void) => void (listeners.get(type) ?? listeners.set(type, new Set()).get(type)!).add(fn),
    removeEventListener: (type: string, fn: () => void) => void listeners.get(type)?.delete(fn),
  };
  const doc = { visibilityState: 'visible' as DocumentVisibilityState, ...target };
  const checks: number[] = [];
  let pending: (() => void) | undefined;
  const deps = {
    intervalMs: 100_000,
    now: () => t,
    random: () => random,
    setTimeout: (fn: () => void, ms: number) => {
      const id = nextId++;
      timers.set(id, { at: t + ms, fn });
      return id;
    },
    clearTimeout: (id: unknown) => void timers.delete(id as number),
    document: doc as never,
    window: target as never,
    check: () => {
      checks.push(t);
      return new Promise<void>((resolve) => (pending = resolve));
    },
  };
  const advance = async (ms: number) => {
    const end = t + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      t = due[1].at;
      due[1].fn();
      await Promise.resolve();
    }
    t = end;
  };
  const fire = (type: string) => listeners.get(type)?.forEach((fn) => fn());
  const finish = async () => {
    pending?.();
    pending = undefined;
    await new Promise((r) => setTimeout(r, 0));
  };
  return { deps, doc, checks, advance, fire, finish, timers, listeners };
}

describe('the page check schedule', () => {
  it('checks every interval, jittered ±20 %', async () => {
    const low = world(0);
    const s = startCheckSchedule(low.deps);
    await low.advance(79_999);
    expect(low.checks).toEqual([]);
    await low.advance(1);
    expect(low.checks).toEqual([80_000]);
    await low.finish();
    await low.advance(80_000);
    expect(low.checks).toEqual([80_000, 160_000]);
    s.dispose();

    const high = world(1);
    const h = startCheckSchedule(high.deps);
    await high.advance(119_999);
    expect(high.checks).toEqual([]);
    await high.advance(2);
    expect(high.checks).toHaveLength(1);
    expect(high.checks[0]).toBeCloseTo(120_000, 3);
    h.dispose();
  });

  it('does not check while hidden, and checks at once when visible again after a missed tick', async () => {
    const w = world();
    startCheckSchedule(w.deps);
    w.doc.visibilityState = 'hidden';
    await w.advance(500_000);
    expect(w.checks).toEqual([]);
    w.doc.visibilityState = 'visible';
    w.fire('visibilitychange');
    expect(w.checks).toEqual([500_000]);
  });

  it('on becoming visible checks only if the last check is over a minute old', async () => {
    const w = world();
    startCheckSchedule(w.deps);
    await w.advance(VISIBLE_RECHECK_MS - 1);
    w.fire('visibilitychange');
    expect(w.checks).toEqual([]);
    await w.advance(1);
    w.fire('visibilitychange');
    expect(w.checks).toEqual([VISIBLE_RECHECK_MS]);
  });

  it('checks at once when the network comes back, and the next tick counts from there', async () => {
    const w = world();
    startCheckSchedule(w.deps);
    await w.advance(30_000);
    w.fire('online');
    expect(w.checks).toEqual([30_000]);
    await w.finish();
    await w.advance(99_999);
    expect(w.checks).toEqual([30_000]);
    await w.advance(1);
    expect(w.checks).toEqual([30_000, 130_000]);
  });

  it('never runs two checks at once', async () => {
    const w = world();
    startCheckSchedule(w.deps);
    w.fire('online');
    w.fire('online');
    await w.advance(100_000);
    expect(w.checks).toEqual([0]);
    await w.finish();
    await w.advance(100_000);
    expect(w.checks).toEqual([0, 200_000]);
  });

  it('a failed check is tried again at the next tick', async () => {
    const w = world();
    let n = 0;
    startCheckSchedule({ ...w.deps, check: () => (w.checks.push(++n), Promise.reject(new Error('offline'))) });
    await w.advance(100_000);
    await new Promise((r) => setTimeout(r, 0));
    await w.advance(100_000);
    expect(w.checks).toEqual([1, 2]);
  });

  it('noteCheck (an app-initiated check) restarts the wait; dispose stops everything', async () => {
    const w = world();
    const s = startCheckSchedule(w.deps);
    await w.advance(90_000);
    s.noteCheck();
    await w.advance(90_000);
    expect(w.checks).toEqual([]);
    await w.advance(10_000);
    expect(w.checks).toEqual([190_000]);
    s.dispose();
    expect(w.timers.size).toBe(0);
    expect([...w.listeners.values()].every((set) => set.size === 0)).toBe(true);
    w.fire('online');
    expect(w.checks).toEqual([190_000]);
  });
});
