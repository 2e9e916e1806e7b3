// Warming a new version beside the live one: one run at a time, each only when the live version
// is idle, until the run time settles.
import { describe, expect, it } from 'vitest';
import { warmUpBeside } from './warm-up.js';

function fakeRuns(times: number[]) {
  const log: string[] = [];
  let k = 0;
  return {
    log,
    deps: {
      run: async () => {
        log.push('run');
        return times[k++] ?? times.at(-1)!;
      },
      idle: async () => void log.push('idle'),
    },
  };
}

describe('warmUpBeside', () => {
  it('waits for the live version to be idle before every run', async () => {
    const f = fakeRuns([10, 10]);
    await warmUpBeside(f.deps);
    expect(f.log).toEqual(['idle', 'run', 'idle', 'run']);
  });

  it('stops once a run is within 1.25x of the fastest so far either way, after two runs at least', async () => {
    // 40 ms, 20, 12 (still tiering up: each much faster), 11: within 1.25x of the fastest before it (12).
    expect((await warmUpBeside(fakeRuns([40, 20, 12, 11]).deps)).runMs).toEqual([40, 20, 12, 11]);
    // Settled at once: the second run is as fast as the first.
    expect((await warmUpBeside(fakeRuns([5, 5, 1]).deps)).runs).toBe(2);
  });

  it('stops after the most runs the policy allows when the time never settles', async () => {
    let t = 1000;
    const deps = { run: async () => (t /= 2), idle: async () => {} };
    expect((await warmUpBeside(deps, { minRuns: 2, settled: 1.25, maxRuns: 5 })).runs).toBe(5);
  });

  it('does not run once cancelled, and a failed run rejects', async () => {
    const f = fakeRuns([1]);
    expect((await warmUpBeside({ ...f.deps, cancelled: () => true })).runs).toBe(0);
    await expect(warmUpBeside({ run: async () => Promise.reject(new Error('NaN')), idle: async () => {} })).rejects.toThrow('NaN');
  });

  it('a run waits while the live version is busy', async () => {
    let release!: () => void;
    const busy = new Promise<void>((r) => (release = r));
    const log: string[] = [];
    const warming = warmUpBeside({ run: async () => (log.push('run'), 1), idle: () => busy }, { minRuns: 1, settled: 1.25, maxRuns: 1 });
    await new Promise((r) => setTimeout(r, 0));
    expect(log).toEqual([]);
    release();
    await warming;
    expect(log).toEqual(['run']);
  });
});
