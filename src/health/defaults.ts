/**
 * The health gates a publisher writes into a new model's signed policy, and that a device
 * applies while it has no manifest saying otherwise.
 */
import type { HealthPolicy } from '../types.js';

/** Conservative gates: enough samples to judge, quick enough to stop a bad release within a minute. */
export const DEFAULT_HEALTH: HealthPolicy = {
  windowRequests: 200,
  windowMs: 60_000,
  minRequests: 30,
  maxErrorRateIncrease: 0.05,
  maxP95Ratio: 2,
  minShadowAgreement: 0.95,
  promoteAfterRequests: 500,
};
