/**
 * The health gates a publisher writes into a new model's signed policy, and that a device
 * applies while it has no manifest saying otherwise.
 */
import type { HealthPolicy } from '../types.js';

/** The false-rollback rate of each gate when the policy names none (manifests before `alpha`). */
export const DEFAULT_ALPHA = 0.01;

/**
 * Conservative gates. The sequential gates judge from the first request and stop a release that
 * fails every request within 3 or 4 of them; `promoteAfterRequests` bounds the trial.
 */
export const DEFAULT_HEALTH: HealthPolicy = {
  windowRequests: 200,
  windowMs: 60_000,
  minRequests: 30,
  maxErrorRateIncrease: 0.05,
  maxP95Ratio: 2,
  minShadowAgreement: 0.95,
  promoteAfterRequests: 500,
  alpha: DEFAULT_ALPHA,
};

/** The policy's false-rollback rate, or the default for a manifest without one. */
export const alphaOf = (policy: HealthPolicy): number => policy.alpha ?? DEFAULT_ALPHA;
