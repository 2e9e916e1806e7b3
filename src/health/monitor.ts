/**
 * Per-version health windows, and the verdict on a version on trial against the version it
 * replaced. Which version is on trial, and how many requests it served and failed, is the
 * rollout state's (src/rollout/reduce.ts): the error gate tests those cumulative counts, so a
 * reload resumes its test where it stood. This module keeps the figures beside them: the
 * windows (the baseline's outcomes, the status's percentiles) and the shadow runs' counts.
 * Recording is O(1); the windows can be snapshotted and restored.
 */
import type { OutcomeTuple } from './window.js';
import type { Feeds, HealthPolicy, VersionId } from '../types.js';
import { errorRateNull, judgeErrorRate, judgeShadow, type Counts, type ErrorRateNull, type Verdict } from './verdict.js';
import { SlidingWindow, type WindowStats } from './window.js';

/** A verdict is computed on every error and on every JUDGE_EVERY-th success of a trial. */
export const JUDGE_EVERY = 8;

export interface TrialRef {
  readonly version: VersionId;
  readonly baseline?: VersionId;
  /** Requests the version served in its trial so far. */
  readonly served: number;
  /**
   * Of those, the ones that failed (the rollout state's count, persisted with `served`). Without
   * it, the error gate counts the version's window instead.
   */
  readonly failed?: number;
}

export interface HealthMonitor {
  /** Records one request of `version`. */
  record(version: VersionId, ok: boolean, latencyMs: number, policy: HealthPolicy): void;
  /** Rollback or promotion of `trial`, or undefined to keep watching. */
  judge(trial: TrialRef, policy: HealthPolicy): Verdict | undefined;
  /** Forgets `version`'s figures: a new trial starts from nothing an earlier stint left. */
  reset(version: VersionId): void;
  stats(version: VersionId): WindowStats | undefined;
  /**
   * Records one shadow run (`agreed` false when it failed or disagreed); returns a rejection when
   * due. The gate counts every shadow run of the version this page saw, not only its window.
   */
  recordShadow(version: VersionId, agreed: boolean, latencyMs: number, policy: HealthPolicy): Verdict | undefined;
  shadowStats(version: VersionId): WindowStats | undefined;
  /** The served-request windows of `versions`, to persist. */
  snapshot(versions: readonly VersionId[]): Record<VersionId, OutcomeTuple[]>;
  /** Refills windows from a snapshot (outcomes older than the policy's window drop out by age). */
  restore(windows: Readonly<Record<VersionId, readonly OutcomeTuple[]>>, policy: HealthPolicy): void;
}

/** Epoch milliseconds on a monotonic clock (Date.now can jump), so persisted windows age correctly. */
const epochNow = () => performance.timeOrigin + performance.now();

export function createHealthMonitor(now: () => number = epochNow): HealthMonitor {
  const windows = new Map<VersionId, SlidingWindow>();
  const shadows = new Map<VersionId, SlidingWindow>();
  const shadowCounts = new Map<VersionId, Counts>();
  // The error gate's p0 costs a bisection; the baseline's window is the same at every verdict
  // of a trial (it no longer serves), so the last one is kept.
  let lastNull: { readonly key: string; readonly h0: ErrorRateNull } | undefined;
  const nullOf = (baseline: Counts | undefined, policy: HealthPolicy): ErrorRateNull => {
    const key = `${baseline?.n}/${baseline?.errors}/${policy.minRequests}/${policy.maxErrorRateIncrease}/${policy.alpha}`;
    if (lastNull?.key !== key) lastNull = { key, h0: errorRateNull(baseline, policy) };
    return lastNull.h0;
  };
  const windowOf = (map: Map<VersionId, SlidingWindow>, version: VersionId, policy: HealthPolicy) => {
    let w = map.get(version);
    if (!w) map.set(version, (w = new SlidingWindow(policy.windowRequests, policy.windowMs)));
    return w;
  };
  return {
    record(version, ok, latencyMs, policy) {
      windowOf(windows, version, policy).add({ ok, latencyMs, at: now() });
    },
    judge(trial, policy) {
      const counts = trial.failed === undefined ? windowOf(windows, trial.version, policy).stats(now()) : { n: trial.served, errors: trial.failed };
      // The replaced version's last outcomes, however old: it stopped serving when the trial
      // began, so what it did then is its recent behaviour (a time filter would empty it a
      // window's span into the trial, and hold the candidate to a perfect baseline).
      const baseline = trial.baseline === undefined ? undefined : windows.get(trial.baseline)?.counts();
      const rollback = judgeErrorRate({ served: counts.n, failed: counts.errors, ...(baseline ? { baseline } : {}) }, policy, nullOf);
      if (rollback) return rollback;
      return trial.served >= policy.promoteAfterRequests ? { kind: 'promote', served: trial.served } : undefined;
    },
    reset(version) {
      windows.delete(version);
    },
    stats(version) {
      return windows.get(version)?.stats(now());
    },
    recordShadow(version, agreed, latencyMs, policy) {
      windowOf(shadows, version, policy).add({ ok: agreed, latencyMs, at: now() });
      const before = shadowCounts.get(version) ?? { n: 0, errors: 0 };
      const counts = { n: before.n + 1, errors: before.errors + (agreed ? 0 : 1) };
      shadowCounts.set(version, counts);
      return judgeShadow(counts, policy);
    },
    shadowStats(version) {
      return shadows.get(version)?.stats(now());
    },
    snapshot(versions) {
      const out: Record<VersionId, OutcomeTuple[]> = {};
      for (const v of versions) {
        const w = windows.get(v);
        if (w) out[v] = w.entries().map((o) => [o.ok ? 1 : 0, o.latencyMs, o.at] as const);
      }
      return out;
    },
    restore(snapshot, policy) {
      for (const [version, outcomes] of Object.entries(snapshot)) {
        const w = new SlidingWindow(policy.windowRequests, policy.windowMs);
        for (const [ok, latencyMs, at] of outcomes) w.add({ ok: ok === 1, latencyMs, at });
        windows.set(version, w);
      }
    },
  };
}

/** Output sanity: NaN or ±Infinity anywhere in a floating-point output counts as an error. */
export function outputsFinite(outputs: Feeds): boolean {
  for (const t of Object.values(outputs)) {
    if (t.data instanceof Float32Array || t.data instanceof Float64Array) {
      for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i]!)) return false;
    }
  }
  return true;
}
