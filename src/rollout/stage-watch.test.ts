import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CandidatePolicy } from '../types.js';
import { createStageWatch } from './stage-watch.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const candidate: CandidatePolicy = {
  version: '2',
  percent: 100,
  salt: 's',
  stages: [
    { percent: 1 },
    { percent: 10, after: '2026-12-01T01:00:00Z' },
    { percent: 50, minHealthyRuns: 100 },
    { percent: 100, after: '2026-12-02T00:00:00Z' },
  ],
};

afterEach(() => {
  vi.useRealTimers();
});

describe('createStageWatch', () => {
  it('fires when the next time-based stage starts, and can be re-armed for the one after', () => {
    vi.useFakeTimers({ now: T0 });
    const due = vi.fn<() => void>();
    const watch = createStageWatch(due);
    watch.schedule(candidate);
    vi.advanceTimersByTime(3_600_000 - 1);
    expect(due).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(due).toHaveBeenCalledTimes(1);
    watch.schedule(candidate); // the owner re-routes and re-arms: next is a day later
    vi.advanceTimersByTime(23 * 3_600_000);
    expect(due).toHaveBeenCalledTimes(2);
    watch.schedule(candidate); // nothing left ahead
    vi.advanceTimersByTime(10 * 86_400_000);
    expect(due).toHaveBeenCalledTimes(2);
  });

  it('disarms on schedule(undefined) and on dispose', () => {
    vi.useFakeTimers({ now: T0 });
    const due = vi.fn<() => void>();
    const watch = createStageWatch(due);
    watch.schedule(candidate);
    watch.schedule(undefined);
    vi.advanceTimersByTime(86_400_000);
    watch.schedule(candidate);
    watch.dispose();
    watch.schedule(candidate);
    vi.advanceTimersByTime(86_400_000);
    expect(due).not.toHaveBeenCalled();
  });

  it('says when a healthy-run threshold of the candidate is reached, exactly once per threshold', () => {
    const watch = createStageWatch(() => {});
    expect(watch.earned(candidate, '2', 99)).toBe(false);
    expect(watch.earned(candidate, '2', 100)).toBe(true);
    expect(watch.earned(candidate, '2', 101)).toBe(false);
    expect(watch.earned(candidate, '3', 100)).toBe(false);
    expect(watch.earned(undefined, '2', 100)).toBe(false);
  });
});
