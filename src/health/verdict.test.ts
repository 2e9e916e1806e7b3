import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH } from './defaults.js';
import { judge, wilson } from './verdict.js';
import { SlidingWindow, type WindowStats } from './window.js';

const stats = (n: number, errors: number, p95 = 1, halves: readonly [number, number] = [p95, p95]): WindowStats => ({
  n,
  errors,
  errorRate: n ? errors / n : 0,
  p50: p95 / 2,
  p95,
  p99: p95,
  p95Older: halves[0],
  p95Newer: halves[1],
});

describe('wilson', () => {
  it('matches reference values and stays inside [0, 1]', () => {
    // 9 of 30 (p = 0.3): the one-sided 95 % bounds are about 0.184 and 0.449.
    const { low, high } = wilson(9, 30);
    expect(low).toBeCloseTo(0.184, 2);
    expect(high).toBeCloseTo(0.449, 2);
    expect(wilson(0, 10).low).toBe(0);
    expect(wilson(10, 10).high).toBe(1);
    expect(wilson(0, 0)).toEqual({ low: 0, high: 1 });
  });

  it('narrows as the count grows', () => {
    const small = wilson(3, 10);
    const large = wilson(300, 1000);
    expect(large.high - large.low).toBeLessThan((small.high - small.low) / 5);
  });
});

describe('judge', () => {
  const policy = { ...DEFAULT_HEALTH, minRequests: 20, maxErrorRateIncrease: 0.05, promoteAfterRequests: 100 };

  it('waits below the minimum sample, whatever it has seen', () => {
    expect(judge({ candidate: stats(19, 19), served: 19 }, policy).kind).toBe('continue');
  });

  it('rolls back a 30 % error rate quickly, but not one bad request out of many', () => {
    expect(judge({ candidate: stats(20, 6), baseline: stats(200, 0), served: 20 }, policy)).toMatchObject({ kind: 'rollback', reason: 'error-rate' });
    expect(judge({ candidate: stats(200, 1), baseline: stats(200, 0), served: 200 }, policy).kind).not.toBe('rollback');
  });

  it('compares with the baseline: a version as flaky as the one before it is not rolled back', () => {
    expect(judge({ candidate: stats(200, 20), baseline: stats(200, 20), served: 50 }, policy).kind).toBe('continue');
    expect(judge({ candidate: stats(200, 60), baseline: stats(200, 20), served: 50 }, policy)).toMatchObject({ kind: 'rollback' });
  });

  it('rolls back on latency only against a baseline with enough data', () => {
    expect(judge({ candidate: stats(120, 0, 10), baseline: stats(120, 0, 2), served: 120 }, policy)).toMatchObject({ kind: 'rollback', reason: 'latency' });
    expect(judge({ candidate: stats(120, 0, 10), baseline: stats(50, 0, 2), served: 50 }, policy).kind).toBe('continue');
    // Nor on a p95 from too few samples: with 50, it is the third-largest value.
    expect(judge({ candidate: stats(50, 0, 10), baseline: stats(120, 0, 2), served: 50 }, policy).kind).toBe('continue');
    // A tiny model's p95 tripling from 0.5 ms to 1.5 ms is noise, not a regression.
    expect(judge({ candidate: stats(120, 0, 1.5), baseline: stats(120, 0, 0.5), served: 50 }, policy).kind).toBe('continue');
  });

  it('does not roll back on a burst of slow requests confined to one half of the window', () => {
    // The switch's own transient: slow first half, normal second half.
    expect(judge({ candidate: stats(120, 0, 11, [11, 2.5]), baseline: stats(200, 0, 2.5), served: 50 }, policy).kind).toBe('continue');
    // A pause late in the trial.
    expect(judge({ candidate: stats(120, 0, 11, [2.5, 11]), baseline: stats(200, 0, 2.5), served: 50 }, policy).kind).toBe('continue');
    // Slow throughout: rolled back, with both halves in the figures.
    expect(judge({ candidate: stats(120, 0, 11, [10, 12]), baseline: stats(200, 0, 2.5), served: 120 }, policy)).toMatchObject({
      kind: 'rollback',
      reason: 'latency',
      figures: { p95Older: 10, p95Newer: 12, baselineP95: 2.5 },
    });
  });

  it('promotes a healthy candidate after enough requests', () => {
    expect(judge({ candidate: stats(100, 0), baseline: stats(100, 0), served: 100 }, policy)).toEqual({ kind: 'promote', served: 100 });
  });
});

describe('SlidingWindow', () => {
  it('keeps the last maxCount outcomes younger than maxAgeMs', () => {
    const w = new SlidingWindow(3, 1000);
    [true, false, true, true].forEach((ok, i) => w.add({ ok, latencyMs: i + 1, at: i }));
    expect(w.stats(10)).toMatchObject({ n: 3, errors: 1 });
    expect(w.stats(1002).n).toBe(2); // the outcome at t=1 aged out
    expect(w.total).toBe(4);
  });

  it('reports latency percentiles of successful requests', () => {
    const w = new SlidingWindow(1000, 1e9);
    for (let i = 1; i <= 100; i++) w.add({ ok: true, latencyMs: i, at: 0 });
    w.add({ ok: false, latencyMs: 5000, at: 0 });
    expect(w.stats(0)).toMatchObject({ p50: 51, p95: 96, p99: 100 });
  });

  it('reports the p95 of the older and the newer half separately', () => {
    const w = new SlidingWindow(1000, 1e9);
    for (let i = 0; i < 100; i++) w.add({ ok: true, latencyMs: i < 50 ? 20 : 1, at: i });
    expect(w.stats(100)).toMatchObject({ p95Older: 20, p95Newer: 1, p95: 20 });
  });
});
