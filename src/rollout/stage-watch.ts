/**
 * When the rollout's stage in force may change on this device without any new manifest: a
 * time-based stage starts (a timer to the next one), or a stage's healthy-run count is reached.
 * Either way the owner re-checks and re-routes; the router then computes the stage again.
 */
import { nextStageAt } from '../router/schedule.js';
import type { CandidatePolicy, VersionId } from '../types.js';

export interface StageWatch {
  /** Re-arms the timer for the next time-based stage of `candidate` (none: disarms). */
  schedule(candidate: CandidatePolicy | undefined): void;
  /** After a healthy run: true when `runs` of `version` just reached a stage's threshold. */
  earned(candidate: CandidatePolicy | undefined, version: VersionId, runs: number | undefined): boolean;
  dispose(): void;
}

/** setTimeout's delay is a 32-bit int; a later stage is re-scheduled when this timer fires. */
const MAX_DELAY = 2 ** 31 - 1;

export function createStageWatch(onStageDue: () => void, now: () => number = Date.now): StageWatch {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  const clear = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return {
    schedule(candidate) {
      clear();
      const at = candidate ? nextStageAt(candidate, now()) : undefined;
      if (at === undefined || disposed) return;
      timer = setTimeout(
        () => {
          timer = undefined;
          onStageDue();
        },
        Math.min(at - now() + 50, MAX_DELAY),
      );
    },
    earned(candidate, version, runs) {
      return candidate?.version === version && runs !== undefined && (candidate.stages?.some((s) => s.minHealthyRuns === runs) ?? false);
    },
    dispose() {
      disposed = true;
      clear();
    },
  };
}
