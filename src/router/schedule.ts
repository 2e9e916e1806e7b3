/**
 * A rolling schedule: the candidate's share of devices grows by stages (1 % → 10 % → 50 % →
 * 100 %), each with a start time and/or a minimum number of healthy runs seen on this device.
 * Computed on the device from the signed policy and its clock, so no server has to push a
 * policy change at every step; the highest stage whose conditions hold is in force.
 */
import type { CandidatePolicy } from '../types.js';

export interface ScheduleInput {
  readonly now: number;
  /** Healthy runs of the candidate observed on this device (shadow or served). */
  readonly healthyRuns?: number;
}

/** The candidate's percentage in force now: `percent` without stages, else the highest open stage's (0 before the first). */
export function currentPercent(candidate: CandidatePolicy, { now, healthyRuns = 0 }: ScheduleInput): number {
  const stages = candidate.stages;
  if (!stages || stages.length === 0) return candidate.percent;
  let percent = 0;
  for (const stage of stages) {
    const started = stage.after === undefined || Date.parse(stage.after) <= now;
    const earned = stage.minHealthyRuns === undefined || healthyRuns >= stage.minHealthyRuns;
    if (started && earned) percent = Math.max(percent, stage.percent);
  }
  return percent;
}

/** When the next time-based stage starts (epoch ms), if one is still ahead of `now`. */
export function nextStageAt(candidate: CandidatePolicy, now: number): number | undefined {
  let next: number | undefined;
  for (const stage of candidate.stages ?? []) {
    const at = stage.after === undefined ? NaN : Date.parse(stage.after);
    if (at > now && (next === undefined || at < next)) next = at;
  }
  return next;
}
