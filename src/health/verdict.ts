/**
 * Whether a version on trial should be rolled back, promoted, or watched longer. Every gate is
 * an anytime-valid sequential test (sequential.ts): it may be asked after every request, for
 * the whole trial, and still rolls back a healthy version with probability at most the
 * policy's `alpha` — a quarantine is final on the device, so that rate is what matters — while
 * it stops a broken one as soon as the evidence allows (a release failing every request: after
 * 3 or 4 of them).
 *
 * - error rate: the trial's cumulative failed k of served n against p0 = (an upper bound of the
 *   replaced version's error rate at level α/2) + maxErrorRateIncrease, at level α/2;
 * - latency: paired runs (the same input timed on both versions under the same load), slow
 *   when over maxP95Ratio × and MIN_LATENCY_DELTA_MS slower, against P(slow) ≤ 1/2, at level α;
 * - shadow agreement: disagreements against 1 − minShadowAgreement, at level α.
 */
import type { HealthPolicy } from '../types.js';
import { alphaOf } from './defaults.js';
import { rateUpperBound, sequentialTest, type SequentialTest } from './sequential.js';

/**
 * For sub-millisecond models a ratio of run times is mostly scheduler and JIT noise (1 ms
 * against 0.4 ms says nothing): a slow pair also needs the candidate this much slower in
 * absolute terms.
 */
export const MIN_LATENCY_DELTA_MS = 5;

/** Outcomes, and how many of them were bad (failed, slow, disagreed). */
export interface Counts {
  readonly n: number;
  readonly errors: number;
}

export type Verdict =
  | { readonly kind: 'continue' }
  | { readonly kind: 'promote'; readonly served: number }
  | { readonly kind: 'rollback'; readonly reason: 'error-rate' | 'latency' | 'shadow-agreement'; readonly figures: Record<string, number> };

export type RollbackReason = Extract<Verdict, { kind: 'rollback' }>['reason'];

const rollback = (reason: RollbackReason, test: SequentialTest, figures: Record<string, number>): Verdict => ({
  kind: 'rollback',
  reason,
  figures: { ...figures, logLikelihoodRatio: test.logLikelihoodRatio, logThreshold: test.logThreshold },
});

export interface TrialFigures {
  /** Requests the candidate served in its trial so far (cumulative: they survive a reload). */
  readonly served: number;
  /** Of those, the ones that failed. */
  readonly failed: number;
  /** The replaced version's outcomes (its window), if there is one. */
  readonly baseline?: Counts;
}

/** What the error gate holds the candidate to: p0, and the baseline figures it came from. */
export interface ErrorRateNull {
  readonly p0: number;
  /** The baseline's outcomes that counted (none below `minRequests`: it counts as error-free). */
  readonly baselineRequests: number;
  readonly baselineErrors: number;
  /** Its error rate's upper bound at level α/2 (0 when none counted). */
  readonly baselineUpperBound: number;
}

/** The baseline's outcomes if there are enough of them (`minRequests`) to count. */
const countedBaseline = (baseline: Counts | undefined, policy: HealthPolicy): Counts | undefined =>
  baseline && baseline.n > 0 && baseline.n >= policy.minRequests ? baseline : undefined;

/**
 * p0 of the error gate: the baseline's exact upper bound at level α/2, plus the allowed
 * increase. The bound is a fixed-sample one: the baseline's window does not grow during the
 * trial (it no longer serves), so it is computed on one sample, whichever verdict asks.
 */
export function errorRateNull(baseline: Counts | undefined, policy: HealthPolicy): ErrorRateNull {
  const counted = countedBaseline(baseline, policy);
  const upper = counted ? rateUpperBound(counted.errors, counted.n, alphaOf(policy) / 2) : 0;
  return {
    p0: Math.min(1, upper + policy.maxErrorRateIncrease),
    baselineRequests: counted?.n ?? 0,
    baselineErrors: counted?.errors ?? 0,
    baselineUpperBound: upper,
  };
}

/**
 * The error-rate gate on the trial's cumulative counts. `nullOf` computes p0 (a bisection,
 * ~30 µs); a caller that judges often against the same baseline may pass a memoised one.
 */
export function judgeErrorRate(
  { served, failed, baseline }: TrialFigures,
  policy: HealthPolicy,
  nullOf: (baseline: Counts | undefined, policy: HealthPolicy) => ErrorRateNull = errorRateNull,
): Verdict | undefined {
  // p0 is at least the baseline's observed rate plus the increase (its upper bound is above its
  // estimate), and Λ < 1 while k/n ≤ p0: below that floor, no bound is needed to know the answer.
  const counted = countedBaseline(baseline, policy);
  const floor = (counted ? counted.errors / counted.n : 0) + policy.maxErrorRateIncrease;
  if (failed <= served * floor) return undefined;
  const h0 = nullOf(baseline, policy);
  const alpha = alphaOf(policy);
  const test = sequentialTest(failed, served, h0.p0, alpha / 2);
  if (!test.reject) return undefined;
  return rollback('error-rate', test, {
    errors: failed,
    requests: served,
    errorRate: failed / served,
    p0: h0.p0,
    baselineErrors: h0.baselineErrors,
    baselineRequests: h0.baselineRequests,
    baselineErrorRate: h0.baselineRequests === 0 ? 0 : h0.baselineErrors / h0.baselineRequests,
    baselineUpperBound: h0.baselineUpperBound,
    alpha,
  });
}

/** The error gate, then promotion once the trial served `promoteAfterRequests`. */
export function judge(figures: TrialFigures, policy: HealthPolicy, nullOf?: (baseline: Counts | undefined, policy: HealthPolicy) => ErrorRateNull): Verdict {
  const verdict = judgeErrorRate(figures, policy, nullOf);
  if (verdict) return verdict;
  return figures.served >= policy.promoteAfterRequests ? { kind: 'promote', served: figures.served } : { kind: 'continue' };
}

/**
 * Whether one paired run (the same input on the candidate and on the kept version, under the
 * same load) counts as slow: over `maxP95Ratio` × the kept version's time, and over
 * MIN_LATENCY_DELTA_MS more.
 */
export function isSlowPair(candidateMs: number, baselineMs: number, policy: HealthPolicy): boolean {
  return candidateMs > policy.maxP95Ratio * baselineMs && candidateMs - baselineMs > MIN_LATENCY_DELTA_MS;
}

/**
 * The latency gate on `slow` of `pairs` paired runs of the trial: H0, the candidate is within
 * `maxP95Ratio` on at least half the inputs (P(slow) ≤ 1/2), rejected at level α. Both versions
 * run under the same load, so contention that starts or stops during the trial moves both.
 *
 * @example
 * judgePaired(9, 9, DEFAULT_HEALTH)?.reason; // 'latency': slow on 9 inputs of 9
 */
export function judgePaired(slow: number, pairs: number, policy: HealthPolicy): Verdict | undefined {
  const test = sequentialTest(slow, pairs, 0.5, alphaOf(policy));
  if (!test.reject) return undefined;
  return rollback('latency', test, { slowPairs: slow, pairs, slowShare: slow / pairs, p0: 0.5, maxRatio: policy.maxP95Ratio });
}

/**
 * The shadow gate on a candidate's shadow runs so far (`errors`: runs that failed or disagreed
 * with the live output): H0, it agrees at least `minShadowAgreement` of the time (disagreement
 * ≤ 1 − minShadowAgreement), rejected at level α.
 */
export function judgeShadow(shadow: Counts, policy: HealthPolicy): Verdict | undefined {
  const p0 = Math.max(0, 1 - policy.minShadowAgreement);
  const test = sequentialTest(shadow.errors, shadow.n, p0, alphaOf(policy));
  if (!test.reject) return undefined;
  const agreed = shadow.n - shadow.errors;
  return rollback('shadow-agreement', test, {
    agreement: agreed / shadow.n,
    floor: policy.minShadowAgreement,
    disagreements: shadow.errors,
    requests: shadow.n,
    p0,
  });
}
