/**
 * The trial: a version that is not the stable, pinned or promoted one serves on trial against
 * the one it replaced. Every request's outcome feeds its health window; every error and every
 * JUDGE_EVERY-th success, the verdict decides: roll back (the fallback serves again, the version
 * is quarantined) or promote (the fallback is let go). A rollback for latency alone is final only
 * the second time: a machine busy with something else for the length of a trial must not rule
 * out a good version for good, so the first one holds the version back and tries it again later. Shadow runs and healthy runs count towards
 * the rollout's stages here too. The state (phase, counts, windows) is the rollout keeper's, so a
 * reload resumes the same trial.
 */
import { BatonError } from '../errors.js';
import { JUDGE_EVERY, type HealthMonitor } from '../health/monitor.js';
import type { Verdict } from '../health/verdict.js';
import type { RolloutKeeper } from '../rollout/rollout-keeper.js';
import type { CandidatePolicy, HealthPolicy, VersionId } from '../types.js';
import type { Emit } from './serving.js';

export type RollbackVerdict = Extract<Verdict, { kind: 'rollback' }>;

export interface TrialDeps {
  readonly rollout: RolloutKeeper;
  readonly health: HealthMonitor;
  /** The health gates in force (the signed policy's, or the defaults). */
  policy(): HealthPolicy;
  /** The rollout's candidate, whose stages may open on healthy runs. */
  candidate(): CandidatePolicy | undefined;
  /** Whether `runs` healthy runs of `version` open the candidate's next stage. */
  stageEarned(candidate: CandidatePolicy | undefined, version: VersionId, runs: number | undefined): boolean;
  openStage(): void;
  /**
   * A version on trial failed its gates (the rollback event is already out). `final`: quarantine
   * it; otherwise it is held until the retry time and tried once more.
   */
  onRollback(version: VersionId, error: BatonError, final: boolean): void;
  /** How long a version rolled back for latency alone is held before its second trial. */
  readonly latencyRetryAfterMs: number;
  /** A version on trial passed. */
  onPromote(version: VersionId): void;
  /** The latency verdict on `slow` of `pairs` paired runs (candidate slower than the policy allows). */
  judgePaired(slow: number, pairs: number, policy: HealthPolicy): Verdict | undefined;
  /** Whether one paired run counts as slow under `policy`. */
  isSlowPair(candidateMs: number, baselineMs: number, policy: HealthPolicy): boolean;
  readonly emit: Emit;
  readonly now: () => number;
}

export interface Trial {
  /** A switch to `to` (from `from`, the manifest's stable being `stable`): whether `to` is now on trial. */
  switched(to: VersionId, from: VersionId | undefined, stable: VersionId): boolean;
  /** One request's outcome on `version` (`runMs`: the model's own time in the worker). */
  observe(version: VersionId, ok: boolean, runMs: number): void;
  /** One shadow run of `version`: an agreeing one counts as a healthy run. */
  shadowed(version: VersionId, agreed: boolean): void;
  /** The same input timed on the candidate and on the kept version, under the same load. */
  paired(version: VersionId, candidateMs: number, baselineMs: number): void;
  /**
   * Records that `version` failed a gate (on trial, or in the shadow), says so, and returns the
   * error. `retryAt`: not final, the version is held until then.
   */
  failGate(kind: 'rolled-back' | 'shadow-rejected', version: VersionId, verdict: RollbackVerdict, retryAt?: number): BatonError;
  /** Whether `version` is on trial now. */
  isOnTrial(version: VersionId): boolean;
}

export function createTrial(deps: TrialDeps): Trial {
  const { rollout, health } = deps;
  const rollBack = (version: VersionId, verdict: RollbackVerdict) => {
    const strikes = rollout.state.held?.[version]?.strikes ?? 0;
    const retryAt = verdict.reason === 'latency' && strikes === 0 ? deps.now() + deps.latencyRetryAfterMs : undefined;
    deps.onRollback(version, trial.failGate('rolled-back', version, verdict, retryAt), retryAt === undefined);
  };
  const openStageIfEarned = (version: VersionId, runs: number | undefined) => {
    if (deps.stageEarned(deps.candidate(), version, runs)) deps.openStage();
  };

  const trial: Trial = {
    switched(to, from, stable) {
      // The same trial resumes after a reload (with its persisted figures).
      const resumes = rollout.state.trial?.version === to;
      const state = rollout.dispatch({ type: 'switched', to, ...(from === undefined ? {} : { from }), stable, at: deps.now() });
      const onTrial = state.trial?.version === to;
      if (onTrial && !resumes) health.reset(to);
      return onTrial;
    },

    observe(version, ok, runMs) {
      const policy = deps.policy();
      health.record(version, ok, runMs, policy);
      if (rollout.state.trial?.version !== version) return;
      const state = rollout.dispatch({ type: 'served', version, ok });
      const current = state.trial!;
      if (ok) openStageIfEarned(version, state.healthyRuns[version]);
      if (ok && current.served % JUDGE_EVERY !== 0) return;
      const verdict = health.judge(current, policy);
      if (verdict?.kind === 'rollback') rollBack(version, verdict);
      else if (verdict?.kind === 'promote') {
        rollout.dispatch({ type: 'promoted', version, at: deps.now() });
        deps.emit('promoted', { version, served: verdict.served });
        deps.onPromote(version);
      }
    },

    paired(version, candidateMs, baselineMs) {
      if (rollout.state.trial?.version !== version) return;
      const policy = deps.policy();
      // Counted in the trial's persisted state: the sequential test's guarantee holds per trial, across reloads.
      const { pairs = 0, slowPairs = 0 } = rollout.dispatch({ type: 'paired', version, slow: deps.isSlowPair(candidateMs, baselineMs, policy) }).trial!;
      const verdict = deps.judgePaired(slowPairs, pairs, policy);
      if (verdict?.kind === 'rollback') rollBack(version, verdict);
    },

    shadowed(version, agreed) {
      const runs = rollout.dispatch({ type: 'shadowed', version, agreed }).healthyRuns[version];
      if (agreed) openStageIfEarned(version, runs);
    },

    failGate(kind, version, verdict, retryAt) {
      rollout.dispatch({ type: kind, version, reason: verdict.reason, at: deps.now(), ...(retryAt === undefined ? {} : { retryAt }) });
      const what = kind === 'rolled-back' ? 'rolled back' : 'rejected in shadow';
      const final = retryAt === undefined;
      const error = new BatonError(
        'unhealthy',
        `version ${version} ${what} on this device: ${verdict.reason}${final ? '' : `; tried again after ${new Date(retryAt).toISOString()}`}`,
        {
          reason: verdict.reason,
          final,
          ...(final ? {} : { retryAt }),
          ...verdict.figures,
        },
      );
      deps.emit('rollback', { from: version, reason: verdict.reason, figures: verdict.figures, error, final, ...(final ? {} : { retryAt }) });
      return error;
    },

    isOnTrial: (version) => rollout.state.trial?.version === version,
  };
  return trial;
}
