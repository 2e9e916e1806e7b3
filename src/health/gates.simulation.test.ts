/**
 * Monte-Carlo: trials driven as the runtime drives them (a verdict on every failure and every
 * JUDGE_EVERY-th success, through HealthMonitor.judge, until promoteAfterRequests), seeded. The
 * new sequential gates against the old Wilson gate (wilson-gate.ts) on the very same outcomes.
 * bench/scenarios/gates.ts runs the same simulation larger and records the figures.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH } from './defaults.js';
import { mulberry32, simulateErrorTrial, simulateLatencyTrial, type GateOutcomes } from './simulate.js';

const policy = DEFAULT_HEALTH; // alpha 0.01, promote after 500, baseline window 200
const ALPHA = 0.01;

/** The smallest c with P(Binomial(n, p) ≤ c) ≥ q (log-factorials by summation). */
function binomialQuantile(n: number, p: number, q: number): number {
  const lf = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) lf[i] = lf[i - 1]! + Math.log(i);
  let cdf = 0;
  for (let c = 0; c <= n; c++) {
    cdf += Math.exp(lf[n]! - lf[c]! - lf[n - c]! + c * Math.log(p) + (n - c) * Math.log1p(-p));
    if (cdf >= q) return c;
  }
  return n;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function trials(runs: number, candidateRate: number, seed: number, baselineRate = 0.01): GateOutcomes[] {
  const random = mulberry32(seed);
  return Array.from({ length: runs }, () => simulateErrorTrial({ candidateRate, baselineRate, baselineRequests: policy.windowRequests, policy }, random));
}

const rolledBack = (outcomes: readonly GateOutcomes[], gate: keyof GateOutcomes) => outcomes.map((o) => o[gate]).filter((r): r is number => r !== undefined);

describe('the error gates, simulated', () => {
  it('rolls back at most alpha of 10 000 healthy trials (candidate = baseline = 1 %)', () => {
    const runs = 10_000;
    const outcomes = trials(runs, 0.01, 1);
    const sequential = rolledBack(outcomes, 'sequential').length;
    const wilson = rolledBack(outcomes, 'wilson').length;
    console.info(`healthy: false rollbacks in ${runs} trials: sequential ${sequential}, old Wilson ${wilson}`);
    expect(sequential).toBeLessThanOrEqual(binomialQuantile(runs, ALPHA, 0.999));
  });

  it('keeps the guarantee where it binds, at the edge of healthy (candidate = baseline + maxErrorRateIncrease); the old gate does not', () => {
    const runs = 4000;
    const outcomes = trials(runs, 0.01 + policy.maxErrorRateIncrease, 2);
    const sequential = rolledBack(outcomes, 'sequential').length;
    const wilson = rolledBack(outcomes, 'wilson').length;
    console.info(`edge of healthy (6 % against 1 %): false rollbacks in ${runs} trials: sequential ${sequential}, old Wilson ${wilson}`);
    expect(sequential).toBeLessThanOrEqual(binomialQuantile(runs, ALPHA, 0.999));
    // The old gate re-checks a fixed-sample 95 % bound every few requests: far above 5 %.
    expect(wilson / runs).toBeGreaterThan(0.2);
  });

  it('rolls back a candidate failing every request within 8 requests (the old gate: 30)', () => {
    const outcomes = trials(500, 1, 3);
    const sequential = rolledBack(outcomes, 'sequential');
    expect(sequential).toHaveLength(500);
    expect(Math.max(...sequential)).toBeLessThanOrEqual(8);
    expect(median(rolledBack(outcomes, 'wilson'))).toBe(policy.minRequests);
  });

  it('rolls back a candidate failing 30 % of requests, median within 45 requests', () => {
    const outcomes = trials(1000, 0.3, 4);
    const sequential = rolledBack(outcomes, 'sequential');
    const wilson = rolledBack(outcomes, 'wilson');
    console.info(`30 % failing: median requests to rollback: sequential ${median(sequential)}, old Wilson ${median(wilson)}`);
    expect(sequential).toHaveLength(1000);
    expect(median(sequential)).toBeLessThanOrEqual(45);
  });
});

describe('the paired latency gate, simulated', () => {
  // Both runs of a pair share the load (a neighbour on the cores slows both); each run has its own jitter.
  const load = (random: () => number) => (random() < 0.7 ? 1 : 1 + 3 * random());
  const spec = { baseMs: 20, jitter: 0.15, load, pairedShare: 0.1, policy };

  it('rolls back at most alpha of trials at the edge: a candidate exactly maxP95Ratio × slower', () => {
    const runs = 2000;
    const random = mulberry32(5);
    const rolled = Array.from({ length: runs }, () => simulateLatencyTrial({ ...spec, slowdown: policy.maxP95Ratio }, random)).filter((o) => o.paired).length;
    expect(rolled).toBeLessThanOrEqual(binomialQuantile(runs, ALPHA, 0.999));
  });

  it('rolls back a 3× slower candidate within about 10 pairs', () => {
    const random = mulberry32(6);
    const outcomes = Array.from({ length: 500 }, () => simulateLatencyTrial({ ...spec, slowdown: 3 }, random));
    const pairs = outcomes.map((o) => o.paired?.pairs ?? Infinity);
    expect(pairs.filter(Number.isFinite)).toHaveLength(500);
    expect(median(pairs)).toBeLessThanOrEqual(11);
  });
});
