/**
 * Whether a version on trial should be rolled back, promoted, or watched longer. Error rates use
 * a one-sided Wilson score bound, which stays honest at small counts where the raw rate swings:
 * a candidate is rolled back only when even the *lowest* error rate consistent with what was
 * seen (at 95 % confidence) exceeds the baseline's rate plus the allowed increase.
 */
import type { HealthPolicy } from '../types.js';
import type { WindowStats } from './window.js';

/**
 * For sub-millisecond models a p95 ratio is mostly scheduler and JIT noise (1 ms against 0.4 ms
 * says nothing): a latency rollback also needs the p95 to have grown by this much in absolute terms.
 */
export const MIN_LATENCY_DELTA_MS = 5;

/** A p95 over fewer samples is one of its few largest values, i.e. one scheduler hiccup. */
export const MIN_LATENCY_SAMPLES = 100;

/*
 * A latency rollback also needs the slowdown in *both* chronological halves of the candidate's
 * window. A burst of slow requests (the switch's own transient, a GC pause, another process
 * taking the cores) fills one half and inflates the whole window's p95; a slower model is slow
 * throughout. Measured: without this, about 1 swap in 4 under load on a 2-core machine was
 * rolled back for a transient in its first ~50 requests.
 */

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

export type Verdict =
  | { readonly kind: 'continue' }
  | { readonly kind: 'promote'; readonly served: number }
  | { readonly kind: 'rollback'; readonly reason: 'error-rate' | 'latency' | 'shadow-agreement'; readonly figures: Record<string, number> };

/**
 * A shadowed candidate is rejected when even the highest agreement rate consistent with what was
 * seen (one-sided 95 % Wilson bound) is below the floor. `shadow.errors` counts runs that failed
 * or disagreed with the live output.
 */
export function judgeShadow(shadow: WindowStats, policy: HealthPolicy): Verdict | undefined {
  if (shadow.n < policy.minRequests) return undefined;
  const agreed = shadow.n - shadow.errors;
  const { high } = wilson(agreed, shadow.n);
  if (high >= policy.minShadowAgreement) return undefined;
  return {
    kind: 'rollback',
    reason: 'shadow-agreement',
    figures: { agreement: agreed / shadow.n, agreementUpperBound: high, floor: policy.minShadowAgreement, requests: shadow.n },
  };
}

export interface TrialFigures {
  readonly candidate: WindowStats;
  /** The version it replaced, if it has enough data. */
  readonly baseline?: WindowStats;
  /** Requests the candidate served since it went live. */
  readonly served: number;
}

export function judge({ candidate, baseline, served }: TrialFigures, policy: HealthPolicy): Verdict {
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
      candidate.n >= MIN_LATENCY_SAMPLES &&
      baseline.n >= MIN_LATENCY_SAMPLES &&
      baseline.p95 > 0 &&
      [candidate.p95Older, candidate.p95Newer].every((p95) => p95 > policy.maxP95Ratio * baseline.p95 && p95 - baseline.p95 > MIN_LATENCY_DELTA_MS)
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
