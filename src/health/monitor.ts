/**
 * Watches the version on trial (one that replaced the stable version on this device) against the
 * version it replaced, request by request, and says when to roll it back or promote it.
 * Cheap on the hot path: recording is O(1); a verdict is computed on every error and every
 * JUDGE_EVERY successes, not on every request.
 */
import type { HealthPolicy, VersionId } from '../types';
import type { Feeds } from '../worker/protocol';
import { judge, judgeShadow, type Verdict } from './verdict';
import { SlidingWindow, type WindowStats } from './window';

const JUDGE_EVERY = 8;

export interface Trial {
  readonly version: VersionId;
  readonly baseline?: VersionId;
}

export interface HealthMonitor {
  /** Starts watching `trial.version`; ends any earlier trial. */
  startTrial(trial: Trial | undefined): void;
  readonly trial: Trial | undefined;
  /** Records one request; returns a verdict when one is due and is not 'continue'. */
  record(version: VersionId, ok: boolean, latencyMs: number, policy: HealthPolicy): Verdict | undefined;
  stats(version: VersionId, policy: HealthPolicy): WindowStats | undefined;
  /** Records one shadow run (`agreed` false when it failed or disagreed); returns a rejection when due. */
  recordShadow(version: VersionId, agreed: boolean, latencyMs: number, policy: HealthPolicy): Verdict | undefined;
  shadowStats(version: VersionId, policy: HealthPolicy): WindowStats | undefined;
}

export function createHealthMonitor(now: () => number = () => performance.now()): HealthMonitor {
  const windows = new Map<VersionId, SlidingWindow>();
  const shadows = new Map<VersionId, SlidingWindow>();
  let trial: Trial | undefined;
  let served = 0;
  const windowOf = (version: VersionId, policy: HealthPolicy) => {
    let w = windows.get(version);
    if (!w) windows.set(version, (w = new SlidingWindow(policy.windowRequests, policy.windowMs)));
    return w;
  };
  return {
    startTrial(next) {
      trial = next;
      served = 0;
      if (next) windows.delete(next.version); // a fresh start: nothing from an earlier stint counts
    },
    get trial() {
      return trial;
    },
    record(version, ok, latencyMs, policy) {
      windowOf(version, policy).add({ ok, latencyMs, at: now() });
      if (trial?.version !== version) return undefined;
      served++;
      if (ok && served % JUDGE_EVERY !== 0) return undefined;
      const candidate = windowOf(version, policy).stats(now());
      const baseline = trial.baseline === undefined ? undefined : windows.get(trial.baseline)?.stats(now());
      const verdict = judge({ candidate, ...(baseline ? { baseline } : {}), served }, policy);
      return verdict.kind === 'continue' ? undefined : verdict;
    },
    stats(version, policy) {
      return windows.has(version) ? windowOf(version, policy).stats(now()) : undefined;
    },
    recordShadow(version, agreed, latencyMs, policy) {
      let w = shadows.get(version);
      if (!w) shadows.set(version, (w = new SlidingWindow(policy.windowRequests, policy.windowMs)));
      w.add({ ok: agreed, latencyMs, at: now() });
      return judgeShadow(w.stats(now()), policy);
    },
    shadowStats(version) {
      return shadows.get(version)?.stats(now());
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
