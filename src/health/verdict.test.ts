import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH } from './defaults.js';
import { createHealthMonitor } from './monitor.js';
import { logMixtureLikelihoodRatio, rateUpperBound } from './sequential.js';
import { errorRateNull, isSlowPair, judge, judgePaired, MIN_LATENCY_DELTA_MS } from './verdict.js';
import { SlidingWindow } from './window.js';

const policy = { ...DEFAULT_HEALTH, minRequests: 20, maxErrorRateIncrease: 0.05, promoteAfterRequests: 100 };
const clean = { n: 200, errors: 0 };

describe('judge: the error-rate gate', () => {
  it('judges from the first request: 3 failures of 3 against a clean baseline, not 2 of 2', () => {
    expect(judge({ served: 2, failed: 2, baseline: clean }, policy).kind).toBe('continue');
    expect(judge({ served: 3, failed: 3, baseline: clean }, policy)).toMatchObject({ kind: 'rollback', reason: 'error-rate' });
  });

  it('says why, in plain numbers: the log-likelihood ratio beside its threshold, k, n and p0', () => {
    const verdict = judge({ served: 40, failed: 14, baseline: { n: 200, errors: 2 } }, policy);
    const upper = rateUpperBound(2, 200, 0.005);
    expect(verdict).toEqual({
      kind: 'rollback',
      reason: 'error-rate',
      figures: {
        errors: 14,
        requests: 40,
        errorRate: 0.35,
        p0: upper + 0.05,
        logLikelihoodRatio: logMixtureLikelihoodRatio(14, 40, upper + 0.05),
        logThreshold: -Math.log(0.01 / 2),
        baselineErrors: 2,
        baselineRequests: 200,
        baselineErrorRate: 0.01,
        baselineUpperBound: upper,
        alpha: 0.01,
      },
    });
    if (verdict.kind === 'rollback') {
      for (const value of Object.values(verdict.figures)) expect(Number.isFinite(value)).toBe(true);
      expect(verdict.figures['logLikelihoodRatio']!).toBeGreaterThanOrEqual(verdict.figures['logThreshold']!);
    }
  });

  it('rolls back 30 % errors, not 1 bad request in many', () => {
    expect(judge({ served: 40, failed: 12, baseline: clean }, policy)).toMatchObject({ kind: 'rollback' });
    expect(judge({ served: 99, failed: 1, baseline: clean }, policy).kind).toBe('continue');
    expect(judge({ served: 99, failed: 5, baseline: clean }, policy).kind).toBe('continue');
  });

  it('compares with the baseline: a version as flaky as the one before it is not rolled back', () => {
    const flaky = { n: 200, errors: 20 };
    expect(judge({ served: 99, failed: 20, baseline: flaky }, policy).kind).toBe('continue');
    expect(judge({ served: 99, failed: 20, baseline: clean }, policy)).toMatchObject({ kind: 'rollback' });
    expect(judge({ served: 99, failed: 40, baseline: flaky }, policy)).toMatchObject({ kind: 'rollback' });
  });

  it('holds p0 to the upper bound of the baseline rate at α/2, plus the allowed increase', () => {
    expect(errorRateNull({ n: 200, errors: 2 }, policy)).toEqual({
      p0: rateUpperBound(2, 200, 0.005) + 0.05,
      baselineRequests: 200,
      baselineErrors: 2,
      baselineUpperBound: rateUpperBound(2, 200, 0.005),
    });
    expect(errorRateNull({ n: 200, errors: 2 }, { ...policy, alpha: 0.1 }).baselineUpperBound).toBeCloseTo(rateUpperBound(2, 200, 0.05), 12);
    // Under minRequests outcomes (or none), the baseline counts as error-free: p0 is the increase alone.
    expect(errorRateNull({ n: 19, errors: 10 }, policy)).toEqual({ p0: 0.05, baselineRequests: 0, baselineErrors: 0, baselineUpperBound: 0 });
    expect(errorRateNull(undefined, policy).p0).toBe(0.05);
    expect(errorRateNull({ n: 200, errors: 200 }, policy).p0).toBe(1);
  });

  it('takes alpha from the policy, 0.01 when a manifest predates it', () => {
    const { alpha: _alpha, ...older } = policy;
    const figures = { served: 3, failed: 3, baseline: clean };
    expect(judge(figures, older)).toMatchObject({ figures: { alpha: 0.01, logThreshold: -Math.log(0.005) } });
    // A stricter alpha needs more evidence.
    expect(judge(figures, { ...policy, alpha: 1e-6 }).kind).toBe('continue');
  });

  it('never rolls back a version that cannot fail more than allowed (p0 = 1)', () => {
    expect(judge({ served: 100, failed: 100, baseline: { n: 200, errors: 200 } }, policy)).toEqual({ kind: 'promote', served: 100 });
  });

  it('promotes a healthy candidate after promoteAfterRequests', () => {
    expect(judge({ served: 99, failed: 0, baseline: clean }, policy)).toEqual({ kind: 'continue' });
    expect(judge({ served: 100, failed: 0, baseline: clean }, policy)).toEqual({ kind: 'promote', served: 100 });
  });
});

describe('the paired latency gate', () => {
  it('counts a pair slow over maxP95Ratio × and MIN_LATENCY_DELTA_MS slower: sub-millisecond ratios are noise', () => {
    expect(isSlowPair(30, 10, policy)).toBe(true);
    expect(isSlowPair(20, 10, policy)).toBe(false); // exactly 2×
    expect(isSlowPair(1.5, 0.5, policy)).toBe(false); // 3×, but 1 ms
    expect(isSlowPair(0.4 + MIN_LATENCY_DELTA_MS + 0.1, 0.4, policy)).toBe(true);
  });

  it('rolls back a candidate slow on every input after 9 pairs at α = 1 %, with its figures', () => {
    expect(judgePaired(8, 8, policy)).toBeUndefined();
    expect(judgePaired(9, 9, policy)).toMatchObject({
      kind: 'rollback',
      reason: 'latency',
      figures: { slowPairs: 9, pairs: 9, slowShare: 1, p0: 0.5, maxRatio: 2, logThreshold: -Math.log(0.01) },
    });
  });

  it('never rolls back one slow on half the inputs or fewer, however many pairs', () => {
    for (const pairs of [10, 100, 10_000, 1_000_000]) expect(judgePaired(pairs / 2, pairs, policy)).toBeUndefined();
    expect(judgePaired(0, 0, policy)).toBeUndefined();
    expect(judgePaired(700, 1000, policy)).toMatchObject({ reason: 'latency' });
  });
});

describe('HealthMonitor.judge', () => {
  const trial = (served: number, failed?: number) => ({ version: '2', baseline: '1', served, ...(failed === undefined ? {} : { failed }) });

  it('tests the trial’s cumulative counts, not the window: a reload resumes the test', () => {
    const health = createHealthMonitor(() => 0);
    for (let i = 0; i < 200; i++) health.record('1', true, 1, policy);
    // Nothing recorded for 2 since the reload: the persisted counts decide.
    expect(health.judge(trial(3, 3), policy)).toMatchObject({ kind: 'rollback', figures: { errors: 3, requests: 3 } });
    expect(health.judge(trial(40, 0), policy)).toBeUndefined();
    expect(health.judge(trial(100, 0), policy)).toEqual({ kind: 'promote', served: 100 });
  });

  it('counts the version’s window when the caller has no failed count', () => {
    const health = createHealthMonitor(() => 0);
    for (let i = 0; i < 5; i++) health.record('2', false, 1, policy);
    expect(health.judge(trial(5), policy)).toMatchObject({ kind: 'rollback', figures: { errors: 5, requests: 5 } });
  });

  it('compares with the baseline’s last outcomes however old: it stopped serving at the switch', () => {
    let now = 0;
    const health = createHealthMonitor(() => now);
    for (let i = 0; i < 200; i++) health.record('1', i % 10 !== 0, 1, policy); // 10 % errors
    now += 10 * policy.windowMs;
    expect(health.stats('1')?.n).toBe(0); // aged out of the time window
    // Still the baseline's 10 %: 12 of 100 is within it plus 5 %.
    expect(health.judge(trial(100, 12), { ...policy, promoteAfterRequests: 1000 })).toBeUndefined();
    expect(health.judge(trial(100, 40), policy)).toMatchObject({ kind: 'rollback', figures: { baselineErrorRate: 0.1, baselineRequests: 200 } });
  });

  it('rejects a shadow candidate on all its shadow runs so far, not only its window', () => {
    const health = createHealthMonitor(() => 0);
    const small = { ...policy, windowRequests: 5 };
    const verdicts = Array.from({ length: 12 }, () => health.recordShadow('2', false, 1, small));
    const first = verdicts.findIndex((v) => v !== undefined);
    expect(first).toBeGreaterThan(0);
    expect(verdicts[first]).toMatchObject({ reason: 'shadow-agreement', figures: { requests: first + 1, disagreements: first + 1 } });
    expect(health.shadowStats('2')?.n).toBe(5);
  });
});

describe('SlidingWindow', () => {
  it('keeps the last maxCount outcomes younger than maxAgeMs', () => {
    const w = new SlidingWindow(3, 1000);
    [true, false, true, true].forEach((ok, i) => w.add({ ok, latencyMs: i + 1, at: i }));
    expect(w.stats(10)).toMatchObject({ n: 3, errors: 1 });
    expect(w.stats(1002).n).toBe(2); // the outcome at t=1 aged out
    expect(w.total).toBe(4);
    expect(w.counts()).toEqual({ n: 3, errors: 1 }); // the count window, however old
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
