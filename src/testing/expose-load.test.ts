import { describe, expect, it } from 'vitest';
import { errorCode, startLoad, type LoadOptions } from './expose-load.js';

/** A clock and a timer queue the test moves by hand. */
function fakeTime() {
  let t = 1_000;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => t,
    setTimeout: (fn: () => void, ms: number) => {
      timers.set(++seq, { at: t + ms, fn });
      return seq;
    },
    clearTimeout: (handle: unknown) => void timers.delete(handle as number),
    /** Moves the clock to `t + ms`, running each timer that falls due (an overdue one at once). */
    async advance(ms: number) {
      await flush();
      const end = t + ms;
      for (;;) {
        const [id, due] = [...timers].sort((a, b) => a[1].at - b[1].at)[0] ?? [];
        if (id === undefined || due!.at > end) break;
        timers.delete(id);
        t = Math.max(t, due!.at);
        due!.fn();
        await flush();
      }
      t = end;
      await flush();
    },
    /** A busy main thread: the clock moves, no timer runs. */
    freeze(ms: number) {
      t += ms;
    },
  };
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

/** A `run` whose answers the test releases by hand. */
function controlledRun() {
  const calls: { i: number; resolve: (version: string) => void; reject: (e: unknown) => void }[] = [];
  const run = (i: number) => new Promise<{ version: string }>((resolve, reject) => calls.push({ i, resolve: (version) => resolve({ version }), reject }));
  return { run, calls };
}

describe('startLoad, open loop', () => {
  it('issues one request per interval whatever is in flight, and catches up after a late timer', async () => {
    const time = fakeTime();
    const { run, calls } = controlledRun();
    const load = startLoad(run, { mode: 'open', intervalMs: 5, ...time });
    await flush();
    expect(calls.map((c) => c.i)).toEqual([0]);
    await time.advance(20);
    // None answered, still one per 5 ms: t = 0, 5, 10, 15, 20.
    expect(load.issued).toBe(5);
    // The main thread is busy for 12 ms: the two requests that fell due meanwhile go out at once.
    time.freeze(12);
    await time.advance(0);
    expect(load.issued).toBe(7);
    expect(load.completed).toBe(0);
    calls.forEach((c, n) => (n === 3 ? c.reject(Object.assign(new Error('x'), { code: 'timeout' })) : c.resolve('1')));
    const records = await load.stop();
    expect(records.map((r) => [r.i, r.ok, r.version ?? r.code])).toEqual([
      [0, true, '1'],
      [1, true, '1'],
      [2, true, '1'],
      [3, false, 'timeout'],
      [4, true, '1'],
      [5, true, '1'],
      [6, true, '1'],
    ]);
    expect(records.map((r) => r.at)).toEqual([1000, 1005, 1010, 1015, 1020, 1032, 1032]);
  });

  it('stops issuing at stop() and waits for what is in flight', async () => {
    const time = fakeTime();
    const { run, calls } = controlledRun();
    const load = startLoad(run, { mode: 'open', intervalMs: 10, ...time });
    await time.advance(10);
    let done = false;
    const stopping = load.stop().then((r) => ((done = true), r));
    await time.advance(100);
    expect(calls).toHaveLength(2);
    expect(done).toBe(false);
    calls.forEach((c) => c.resolve('2'));
    expect((await stopping).map((r) => r.i)).toEqual([0, 1]);
  });
});

describe('startLoad, closed loop', () => {
  it('keeps one request in flight, skipping the ticks that find it running', async () => {
    const time = fakeTime();
    const { run, calls } = controlledRun();
    const seen: number[] = [];
    const load = startLoad(run, { mode: 'closed', intervalMs: 10, onRecord: (r) => seen.push(r.i), ...time });
    await time.advance(35);
    expect(calls).toHaveLength(1);
    expect(load.skipped).toBe(3);
    calls[0]!.resolve('1');
    await flush();
    expect(seen).toEqual([0]);
    await time.advance(5); // the tick at 40 starts the next one
    expect(calls).toHaveLength(2);
    calls[1]!.resolve('1');
    const records = await load.stop();
    expect(records.map((r) => [r.at, r.ms])).toEqual([
      [1000, 35],
      [1040, 0],
    ]);
  });

  it('after a long stall resumes on the clock instead of bursting', async () => {
    const time = fakeTime();
    const issued: number[] = [];
    const load = startLoad(
      (i) => {
        issued.push(time.now());
        return Promise.resolve({ version: String(i) });
      },
      { mode: 'closed', intervalMs: 10, ...time },
    );
    time.freeze(200); // the main thread is busy for 200 ms after the first request
    await time.advance(25);
    await load.stop();
    // One request after the stall, then one per 10 ms again: no catch-up burst.
    expect(issued).toEqual([1000, 1200, 1210, 1220]);
  });
});

describe('startLoad, options', () => {
  it('refuses a bad interval or mode, naming the value', () => {
    const run = () => Promise.resolve({ version: '1' });
    expect(() => startLoad(run, { mode: 'open', intervalMs: 0 })).toThrow(/intervalMs .* got 0/);
    expect(() => startLoad(run, { mode: 'both', intervalMs: 5 } as unknown as LoadOptions<{ version: string }>)).toThrow(/mode .* got both/);
  });

  it('with keep: false hands records to onRecord only', async () => {
    const time = fakeTime();
    const seen: string[] = [];
    const load = startLoad(() => Promise.resolve({ version: '3' }), {
      mode: 'open',
      intervalMs: 10,
      keep: false,
      onRecord: (r, result) => seen.push(`${r.i}:${result?.version}`),
      ...time,
    });
    await time.advance(10);
    expect(await load.stop()).toEqual([]);
    expect(seen).toEqual(['0:3', '1:3']);
    expect(load.completed).toBe(2);
  });
});

describe('startLoad, records', () => {
  it('say when the kept version answered a request the candidate failed', async () => {
    const time = fakeTime();
    const load = startLoad(
      (i) =>
        Promise.resolve(i === 1 ? { version: '1', fallback: { from: '2', error: Object.assign(new Error('x'), { code: 'run-failed' }) } } : { version: '2' }),
      { mode: 'open', intervalMs: 10, ...time },
    );
    await time.advance(10);
    expect((await load.stop()).map(({ i, ok, version, fallback }) => ({ i, ok, version, fallback }))).toEqual([
      { i: 0, ok: true, version: '2', fallback: undefined },
      { i: 1, ok: true, version: '1', fallback: { from: '2', code: 'run-failed' } },
    ]);
  });
});

describe('errorCode', () => {
  it('is the code of a coded error, else the name and message', () => {
    expect(errorCode(Object.assign(new Error('m'), { code: 'run-failed' }))).toBe('run-failed');
    expect(errorCode(new TypeError('bad'))).toBe('TypeError: bad');
    expect(errorCode('plain')).toBe('plain');
  });
});
