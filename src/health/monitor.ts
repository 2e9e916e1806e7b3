/**
 * Per-version health windows, and the verdict on a version on trial against the version it
 * replaced. Which version is on trial, and how many requests it served, is the rollout state's
 * (src/rollout/reduce.ts); this module only keeps the figures. Recording is O(1); the windows
 * can be snapshotted and restored, so a reload resumes a trial with its figures.
 */
import type { OutcomeTuple } from './window.js';
import type { Feeds, HealthPolicy, VersionId } from '../types.js';
import { judge, judgeShadow, type Verdict } from './verdict.js';
import { SlidingWindow, type WindowStats } from './window.js';

/** A verdict is computed on every error and on every JUDGE_EVERY-th success of a trial. */
export const JUDGE_EVERY = 8;

export interface TrialRef {
  readonly version: VersionId;
  readonly baseline?: VersionId;
  /** Requests the version served in its trial so far. */
  readonly served: number;
}

export interface HealthMonitor {
  /** Records one request of `version`. */
  record(version: VersionId, ok: boolean, latencyMs: number, policy: HealthPolicy): void;
  /** Rollback or promotion of `trial`, or undefined to keep watching. */
  judge(trial: TrialRef, policy: HealthPolicy): Verdict | undefined;
  /** Forgets `version`'s figures: a new trial starts from nothing an earlier stint left. */
  reset(version: VersionId): void;
  stats(version: VersionId): WindowStats | undefined;
  /** Records one shadow run (`agreed` false when it failed or disagreed); returns a rejection when due. */
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
      const candidate = windowOf(windows, trial.version, policy).stats(now());
      const baseline = trial.baseline === undefined ? undefined : windows.get(trial.baseline)?.stats(now());
      const verdict = judge({ candidate, ...(baseline ? { baseline } : {}), served: trial.served }, policy);
      return verdict.kind === 'continue' ? undefined : verdict;
    },
    reset(version) {
      windows.delete(version);
    },
    stats(version) {
      return windows.get(version)?.stats(now());
    },
    recordShadow(version, agreed, latencyMs, policy) {
      const w = windowOf(shadows, version, policy);
      w.add({ ok: agreed, latencyMs, at: now() });
      return judgeShadow(w.stats(now()), policy);
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
