/**
 * The OLD gates, kept only to measure the new ones against (src/health/gates.simulation.test.ts,
 * bench/scenarios/gates.ts); the runtime does not use them. Error rate: a fixed-sample one-sided
 * 95 % Wilson bound, re-evaluated at every verdict for the whole trial, so under continuous
 * monitoring its false-rollback rate is far above 5 %. Latency: the candidate's windowed p95
 * against the baseline's from before the switch, so a load that changes at the switch moves it.
 * A verbatim copy of verdict.ts's `judge` before the sequential gates (issue #15).
 */
import type { HealthPolicy } from '../types.js';
import type { Verdict } from './verdict.js';
import type { WindowStats } from './window.js';

/** The old latency gate's floor on the p95's growth (ms), and its fewest samples per side. */
const OLD_MIN_LATENCY_DELTA_MS = 5;
const OLD_MIN_LATENCY_SAMPLES = 100;

/** z for a one-sided 95 % bound. */
const Z = 1.6449;

/** The Wilson score interval of `successes` out of `n` at the one-sided 95 % level. */
export function wilson(successes: number, n: number, z = Z): { low: number; high: number } {
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const margin = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denominator;
  return { low: Math.max(0, centre - margin), high: Math.min(1, centre + margin) };
}

export interface OldTrialFigures {
  readonly candidate: WindowStats;
  /** The version it replaced, if it has enough data. */
  readonly baseline?: WindowStats;
  /** Requests the candidate served since it went live. */
  readonly served: number;
}

/** The old verdict: Wilson error gate (from minRequests on) and windowed p95 latency gate. */
export function oldWilsonJudge({ candidate, baseline, served }: OldTrialFigures, policy: HealthPolicy): Verdict {
  if (candidate.n >= policy.minRequests) {
    const baseRate = baseline && baseline.n >= policy.minRequests ? baseline.errorRate : 0;
    const { low } = wilson(candidate.errors, candidate.n);
    if (low > baseRate + policy.maxErrorRateIncrease) {
      return {
        kind: 'rollback',
        reason: 'error-rate',
        figures: { errors: candidate.errors, requests: candidate.n, errorRate: candidate.errorRate, errorRateLowerBound: low, baselineErrorRate: baseRate },
      };
    }
    if (
      baseline &&
      candidate.n >= OLD_MIN_LATENCY_SAMPLES &&
      baseline.n >= OLD_MIN_LATENCY_SAMPLES &&
      baseline.p95 > 0 &&
      [candidate.p95Older, candidate.p95Newer].every((p95) => p95 > policy.maxP95Ratio * baseline.p95 && p95 - baseline.p95 > OLD_MIN_LATENCY_DELTA_MS)
    ) {
      return {
        kind: 'rollback',
        reason: 'latency',
        figures: {
          p95: candidate.p95,
          p95Older: candidate.p95Older,
          p95Newer: candidate.p95Newer,
          baselineP95: baseline.p95,
          ratio: candidate.p95 / baseline.p95,
          requests: candidate.n,
        },
      };
    }
  }
  return served >= policy.promoteAfterRequests ? { kind: 'promote', served } : { kind: 'continue' };
}
