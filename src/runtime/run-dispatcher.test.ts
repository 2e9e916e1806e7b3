import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import type { Feeds, RunResult } from '../worker/protocol.js';
import { createHangDetector, DEFAULT_HANG_POLICY } from './hang-detector.js';
import { createRunDispatcher, LATE_TIMER_GRACE_MS, type Served, type Timers } from './run-dispatcher.js';

/** A clock and timers that move only when the test says so. */
function fakeTimers() {
  let now = 0;
  let nextId = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      due.set(++nextId, { at: now + ms, fn });
      return nextId;
    },
    clearTimeout: (id) => void due.delete(id as number),
  };
  /** Moves the clock to `now + ms`, firing what falls due on the way, in order. */
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...due.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      due.delete(next[0]);
      now = Math.max(now, next[1].at);
      next[1].fn();
    }
    now = end;
  };
  /** The page was blocked for `ms`: the clock jumps, and nothing fires until `advance`. */
  const jump = (ms: number) => void (now += ms);
  return { timers, advance, jump, pending: () => due.size };
}

/** A slot whose runs finish when the test says so; it records every request it was sent. */
function fakeSlot(version: string) {
  const sent: { n: number; done: boolean; resolve: (r: RunResult) => void; reject: (e: unknown) => void }[] = [];
  let alive = true;
  const oldest = () => {
    const s = sent.find((x) => !x.done)!;
    s.done = true;
    return s;
  };
  return {
    version,
    worker: {
      get alive() {
        return alive;
      },
    },
    run: (feeds: Feeds) =>
      new Promise<RunResult>((resolve, reject) => sent.push({ n: Number((feeds['x']!.data as Float32Array)[0]), done: false, resolve, reject })),
    sent,
    /** Answers the oldest unanswered request this slot was sent. */
    answer: (runMs = 0.2) => oldest().resolve({ outputs: {}, runMs, ep: 'wasm' }),
    failNext: (error: unknown) => oldest().reject(error),
    die: () => void (alive = false),
  };
}
type FakeSlot = ReturnType<typeof fakeSlot>;

const feeds = (n: number): Feeds => ({ x: { type: 'float32', data: Float32Array.of(n), dims: [1] } });
const settle = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function setup(capMs = 30_000) {
  const clock = fakeTimers();
  const hangs = createHangDetector({ ...DEFAULT_HANG_POLICY, capMs });
  const hung: { slot: FakeSlot; error: BatonError }[] = [];
  const allocation: FakeSlot[] = [];
  const dispatcher = createRunDispatcher<FakeSlot>({
    hangs,
    timers: clock.timers,
    onHang: (slot, error) => void hung.push({ slot, error }),
    onAllocationFailure: (slot) => void allocation.push(slot),
  });
  /** Issues request `n` and records the order in which answers reach the callers. */
  const settledOrder: number[] = [];
  const outcomes = new Map<number, Served<FakeSlot> | { rejected: unknown }>();
  const issue = (n: number) =>
    dispatcher.run(feeds(n)).then(
      (served) => {
        settledOrder.push(n);
        outcomes.set(n, served);
      },
      (e: unknown) => {
        settledOrder.push(n);
        outcomes.set(n, { rejected: e });
      },
    );
  return { clock, hangs, hung, allocation, dispatcher, issue, settledOrder, outcomes };
}

/** Teaches the detector a version's run time, through the dispatcher as the runtime does. */
async function serveSteadily(t: ReturnType<typeof setup>, slot: FakeSlot, count: number, runMs: number, from = 1000) {
  for (let i = 0; i < count; i++) {
    const p = t.issue(from + i);
    await settle();
    slot.answer(runMs);
    await p;
  }
}

describe('the run dispatcher', () => {
  it('sends one request at a time, in order, and callers get their answers in that order', async () => {
    const t = setup();
    const a = fakeSlot('1');
    t.dispatcher.setTarget(a);
    for (let n = 1; n <= 4; n++) void t.issue(n);
    await settle();
    expect(a.sent.map((s) => s.n)).toEqual([1]); // the rest wait in the page, buffers untouched
    expect(t.dispatcher.queued).toBe(3);
    for (let i = 0; i < 4; i++) {
      a.answer();
      await settle();
    }
    expect(a.sent.map((s) => s.n)).toEqual([1, 2, 3, 4]);
    expect(t.settledOrder).toEqual([1, 2, 3, 4]);
    expect(t.outcomes.get(4)).toMatchObject({ ok: true, slot: a });
  });

  it('whenIdle settles at once when nothing runs, else once the last queued request is answered', async () => {
    const t = setup();
    const a = fakeSlot('1');
    t.dispatcher.setTarget(a);
    let idle = 0;
    await t.dispatcher.whenIdle().then(() => idle++);
    expect(idle).toBe(1);
    void t.issue(1);
    void t.issue(2);
    void t.dispatcher.whenIdle().then(() => idle++);
    await settle();
    a.answer();
    await settle();
    expect(idle).toBe(1); // request 2 is running now
    a.answer();
    await settle();
    expect(idle).toBe(2);
    // Disposed: nothing will run again, so nothing waits for idleness.
    void t.issue(3);
    const waiting = t.dispatcher.whenIdle().then(() => idle++);
    t.dispatcher.dispose(new BatonError('disposed', 'gone'));
    await waiting;
    expect(idle).toBe(3);
  });

  it('holds requests while nothing serves, then runs them in order on the slot that takes over', async () => {
    const t = setup();
    void t.issue(1);
    void t.issue(2);
    await settle();
    const a = fakeSlot('1');
    t.dispatcher.setTarget(a);
    a.answer();
    await settle();
    a.answer();
    await settle();
    expect(t.settledOrder).toEqual([1, 2]);
  });

  it('a switch takes effect between two requests: the one running finishes on the old slot, the next starts on the new', async () => {
    const t = setup();
    const old = fakeSlot('1');
    const next = fakeSlot('2');
    t.dispatcher.setTarget(old);
    void t.issue(1);
    void t.issue(2);
    await settle();
    t.dispatcher.setTarget(next);
    await settle();
    expect(next.sent).toEqual([]); // not while 1 runs: answers stay in order
    old.answer();
    await settle();
    expect(next.sent.map((s) => s.n)).toEqual([2]);
    next.answer();
    await settle();
    expect(t.settledOrder).toEqual([1, 2]);
    expect(t.outcomes.get(1)).toMatchObject({ slot: old });
    expect(t.outcomes.get(2)).toMatchObject({ slot: next });
  });

  it('onStart hears the slot that runs a request as it is sent there, its input still whole: after a switch, the new one', async () => {
    const t = setup();
    const old = fakeSlot('1');
    const next = fakeSlot('2');
    const started: [number, string, number][] = [];
    const run = (n: number) => {
      const input = feeds(n);
      return t.dispatcher.run(input, (slot) => void started.push([n, slot.version, (input['x']!.data as Float32Array).length]));
    };
    t.dispatcher.setTarget(old);
    void run(1);
    void run(2);
    await settle();
    expect(started).toEqual([[1, '1', 1]]); // 2 is queued: no slot is chosen for it yet
    t.dispatcher.setTarget(next);
    old.answer();
    await settle();
    expect(started).toEqual([
      [1, '1', 1],
      [2, '2', 1],
    ]);
  });

  describe('a hung worker', () => {
    it('fails only the request running, after 10 × its p99 (floored); the ones queued behind it run once each, in order, on the worker that takes over', async () => {
      const t = setup();
      const a = fakeSlot('1');
      t.dispatcher.setTarget(a);
      await serveSteadily(t, a, 50, 0.3);
      const threshold = t.hangs.thresholdMs('1');
      expect(threshold).toBe(DEFAULT_HANG_POLICY.floorMs);

      for (let n = 1; n <= 5; n++) void t.issue(n); // 1 hangs; 2–5 queue behind it
      await settle();
      t.clock.advance(threshold - 1);
      await settle();
      expect(t.hung).toEqual([]);
      t.clock.advance(1);
      await settle();
      expect(t.hung).toHaveLength(1);
      expect(t.hung[0]!.slot).toBe(a);
      expect(t.outcomes.get(1)).toMatchObject({
        ok: false,
        slot: a,
        error: { code: 'timeout', details: { hung: true, version: '1', hangAfterMs: threshold } },
      });
      // Nothing more goes to the hung worker, even before the runtime says who takes over.
      expect(a.sent.slice(50).map((s) => s.n)).toEqual([1]);
      expect(t.outcomes.size).toBe(51);

      const fresh = fakeSlot('1');
      t.dispatcher.setTarget(fresh);
      for (let i = 0; i < 4; i++) {
        await settle();
        fresh.answer();
      }
      await settle();
      expect(fresh.sent.map((s) => s.n)).toEqual([2, 3, 4, 5]);
      expect(t.settledOrder.slice(50)).toEqual([1, 2, 3, 4, 5]);
      // The hung worker's answer, if it ever came, is ignored: request 1 settled once.
      a.answer();
      await settle();
      expect(t.settledOrder.filter((n) => n === 1)).toHaveLength(1);
    });

    it('when the runtime fails over at once (a trial keeps the previous version), the queue moves on in the same turn', async () => {
      const t = setup();
      const candidate = fakeSlot('2');
      const kept = fakeSlot('1');
      const dispatcher = createRunDispatcher<FakeSlot>({
        hangs: t.hangs,
        timers: t.clock.timers,
        onHang: () => dispatcher.setTarget(kept),
        onAllocationFailure: () => {},
      });
      dispatcher.setTarget(candidate);
      const order: number[] = [];
      const run = (n: number) => dispatcher.run(feeds(n)).then(() => void order.push(n));
      for (let i = 0; i < 10; i++) {
        const p = run(100 + i);
        await settle();
        candidate.answer(0.2);
        await p;
      }
      void run(1);
      void run(2);
      await settle();
      t.clock.advance(DEFAULT_HANG_POLICY.floorMs);
      expect(kept.sent.map((s) => s.n)).toEqual([2]);
      kept.answer();
      await settle();
      expect(order.slice(10)).toEqual([1, 2]);
    });

    it('uses timeouts.runMs until the version has answered enough runs to judge by', async () => {
      const t = setup(30_000);
      const a = fakeSlot('1');
      t.dispatcher.setTarget(a);
      await serveSteadily(t, a, DEFAULT_HANG_POLICY.minSamples - 1, 0.2);
      void t.issue(1);
      await settle();
      t.clock.advance(29_999);
      expect(t.hung).toEqual([]);
      t.clock.advance(1);
      expect(t.hung).toHaveLength(1);
    });

    it('a slower model gets 10 × its own p99', async () => {
      const t = setup();
      const a = fakeSlot('1');
      t.dispatcher.setTarget(a);
      await serveSteadily(t, a, 40, 200);
      void t.issue(1);
      await settle();
      t.clock.advance(1999);
      expect(t.hung).toEqual([]);
      a.answer(1900); // slow, but an answer: not a hang, and it counts
      await settle();
      expect(t.outcomes.get(1)).toMatchObject({ ok: true });
      t.clock.advance(10_000);
      expect(t.hung).toEqual([]);
      expect(t.clock.pending()).toBe(0); // its timer was cleared
    });

    it('a timer that fires late (the page was blocked) looks again after a grace, so an answer queued meanwhile wins', async () => {
      const t = setup();
      const a = fakeSlot('1');
      t.dispatcher.setTarget(a);
      await serveSteadily(t, a, 20, 0.2);
      void t.issue(1);
      await settle();
      t.clock.jump(3000); // blocked for 3 s: the timer is overdue
      t.clock.advance(0);
      expect(t.hung).toEqual([]);
      a.answer(); // the worker had answered; its message is delivered now
      await settle();
      t.clock.advance(LATE_TIMER_GRACE_MS);
      expect(t.hung).toEqual([]);
      expect(t.outcomes.get(1)).toMatchObject({ ok: true });
      // Still hung after the grace: called hung then.
      void t.issue(2);
      await settle();
      t.clock.jump(3000);
      t.clock.advance(0);
      t.clock.advance(LATE_TIMER_GRACE_MS);
      expect(t.hung).toHaveLength(1);
    });
  });

  it('a crashed worker fails the request it was running; the queued ones wait for the replacement', async () => {
    const t = setup();
    const a = fakeSlot('1');
    t.dispatcher.setTarget(a);
    void t.issue(1);
    void t.issue(2);
    void t.issue(3);
    await settle();
    a.die();
    a.failNext(new BatonError('worker-crashed', 'inference worker crashed'));
    await settle();
    expect(t.outcomes.get(1)).toMatchObject({ ok: false, error: { code: 'worker-crashed' } });
    expect(a.sent.map((s) => s.n)).toEqual([1]);
    const fresh = fakeSlot('1');
    t.dispatcher.setTarget(fresh);
    fresh.answer();
    await settle();
    fresh.answer();
    await settle();
    expect(t.settledOrder).toEqual([1, 2, 3]);
    expect(t.hung).toEqual([]);
  });

  it('an allocation failure fails that request with its own error and asks for a recycle; the worker keeps serving meanwhile', async () => {
    const t = setup();
    const a = fakeSlot('1');
    t.dispatcher.setTarget(a);
    void t.issue(1);
    void t.issue(2);
    await settle();
    a.failNext(new BatonError('run-failed', 'std::bad_alloc', { allocationFailure: true }));
    await settle();
    expect(t.outcomes.get(1)).toMatchObject({ ok: false, error: { code: 'run-failed' } });
    expect(t.allocation).toEqual([a]);
    expect(a.sent.map((s) => s.n)).toEqual([1, 2]);
    a.failNext(new BatonError('run-failed', 'indices out of range'));
    await settle();
    expect(t.allocation).toHaveLength(1); // an ordinary failure is not one
  });

  it('fail(): nothing will serve — queued and later requests reject with the reason until a slot is set', async () => {
    const t = setup();
    void t.issue(1);
    await settle();
    const reason = new BatonError('model-load-failed', 'cannot load');
    t.dispatcher.fail(reason);
    await settle();
    expect(t.outcomes.get(1)).toEqual({ rejected: reason });
    await expect(t.dispatcher.run(feeds(2))).rejects.toBe(reason);
    const a = fakeSlot('1');
    t.dispatcher.setTarget(a);
    void t.issue(3);
    await settle();
    expect(a.sent.map((s) => s.n)).toEqual([3]);
  });

  it('dispose() rejects what is queued and anything later', async () => {
    const t = setup();
    const a = fakeSlot('1');
    t.dispatcher.setTarget(a);
    void t.issue(1);
    void t.issue(2);
    await settle();
    const disposed = new BatonError('disposed', 'the runtime was disposed');
    t.dispatcher.dispose(disposed);
    await settle();
    expect(t.outcomes.get(2)).toEqual({ rejected: disposed });
    await expect(t.dispatcher.run(feeds(3))).rejects.toBe(disposed);
    a.failNext(disposed); // the worker's terminate rejects the one it was running
    await settle();
    expect(t.outcomes.get(1)).toMatchObject({ ok: false, error: disposed });
  });
});
