/**
 * The watchdog on a hand-driven clock: one timer for every pending call, armed for the
 * earliest deadline; a call is overdue once, only when its deadline has passed; no timer is
 * left when no call is pending.
 */
import { describe, expect, it } from 'vitest';
import { createWatchdog, type Timers } from './watchdog.js';

/** A clock and timer table the test moves by hand. */
function manualTimers() {
  let now = 0;
  let nextHandle = 1;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      pending.set(nextHandle, { at: now + ms, fn });
      return nextHandle++;
    },
    clearTimeout: (handle) => void pending.delete(handle as number),
  };
  return {
    timers,
    pending,
    /** Moves the clock to `to`, firing due timers in order. */
    advance(to: number) {
      for (;;) {
        const due = [...pending].filter(([, t]) => t.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = to;
    },
    /** Fires every pending timer now, whatever its time (a timer that fires early). */
    fireAll() {
      // Only the timers pending now: one set while firing waits for its own time.
      const due = Array.from(pending.values());
      pending.clear();
      for (const t of due) t.fn();
    },
  };
}

const callAt = (deadline: number, name = `${deadline}`) => ({ deadline, name });

describe('createWatchdog', () => {
  it('sets one timer for many calls, hands each overdue call over once, and re-arms for the rest', () => {
    const m = manualTimers();
    const overdue: string[] = [];
    const dog = createWatchdog<{ deadline: number; name: string }>(m.timers, (c) => overdue.push(c.name));
    for (const d of [100, 110, 120]) dog.add(callAt(d));
    expect(m.pending.size).toBe(1);
    m.advance(99);
    expect(overdue).toEqual([]);
    m.advance(115);
    expect(overdue).toEqual(['100', '110']);
    expect(dog.size).toBe(1);
    expect(m.pending.size).toBe(1);
    m.advance(120);
    expect(overdue).toEqual(['100', '110', '120']);
    expect(m.pending.size).toBe(0);
  });

  it('a call due sooner than the armed timer re-arms it; later ones do not', () => {
    const m = manualTimers();
    const overdue: string[] = [];
    const dog = createWatchdog<{ deadline: number; name: string }>(m.timers, (c) => overdue.push(c.name));
    dog.add(callAt(1000, 'slow'));
    dog.add(callAt(50, 'fast'));
    dog.add(callAt(2000, 'slower'));
    expect(m.pending.size).toBe(1);
    expect([...m.pending.values()][0]!.at).toBe(50);
    m.advance(50);
    expect(overdue).toEqual(['fast']);
    expect([...m.pending.values()][0]!.at).toBe(1000);
  });

  it('a call settled in time is never overdue; the last one settled takes the timer with it', () => {
    const m = manualTimers();
    const overdue: string[] = [];
    const dog = createWatchdog<{ deadline: number; name: string }>(m.timers, (c) => overdue.push(c.name));
    const a = callAt(100, 'a');
    const b = callAt(200, 'b');
    dog.add(a);
    dog.add(b);
    dog.delete(a);
    expect(m.pending.size).toBe(1); // still armed for a's deadline: b is pending
    m.advance(150);
    expect(overdue).toEqual([]);
    expect(m.pending.size).toBe(1); // re-armed for b
    dog.delete(b);
    expect(m.pending.size).toBe(0);
    m.advance(1000);
    expect(overdue).toEqual([]);
  });

  it('a timer that fires before the deadline waits for what is left of it', () => {
    const m = manualTimers();
    const overdue: string[] = [];
    const dog = createWatchdog<{ deadline: number; name: string }>(m.timers, (c) => overdue.push(c.name));
    dog.add(callAt(100));
    m.advance(60);
    m.fireAll();
    expect(overdue).toEqual([]);
    expect([...m.pending.values()][0]!.at).toBe(100);
    m.advance(100);
    expect(overdue).toEqual(['100']);
  });

  it('drain hands back every pending call and stops the timer; an overdue handler may drain the rest', () => {
    const m = manualTimers();
    const seen: string[] = [];
    const dog = createWatchdog<{ deadline: number; name: string }>(m.timers, (c) => {
      seen.push(`overdue ${c.name}`);
      for (const other of dog.drain()) seen.push(`drained ${other.name}`);
    });
    for (const d of [10, 20, 30]) dog.add(callAt(d));
    m.advance(10);
    expect(seen).toEqual(['overdue 10', 'drained 20', 'drained 30']);
    expect(dog.size).toBe(0);
    expect(m.pending.size).toBe(0);
  });
});
