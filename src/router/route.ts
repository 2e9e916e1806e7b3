/**
 * Which version serves this device, and which versions it should hold: a pure function of the
 * signed policy, the device's bucket and what the device itself decided (quarantine, local pin).
 * The rollout engine extends this; the updater and the runtime both call it, so what is
 * downloaded and what is served can never disagree.
 */
import type { AbArm, AbPolicy, RolloutPolicy, VersionId } from '../types.js';
import { BUCKETS, inRollout } from './bucket.js';
import { currentPercent } from './schedule.js';

export interface RouteInput {
  readonly policy: RolloutPolicy;
  /** This device's bucket for the candidate's salt (0–9999), if there is a candidate. */
  readonly candidateBucket?: number;
  /** This device's bucket for the A/B test's salt, if there is one. */
  readonly abBucket?: number;
  /** Versions this device rolled back from; never served again. */
  readonly quarantined: ReadonlySet<VersionId>;
  /** A version the app pinned on this device (`rt.pin`). */
  readonly localPin?: VersionId;
  /** The device's clock, for a rolling schedule. Default: the plain percentage applies. */
  readonly now?: number;
  /** Healthy runs of the candidate seen on this device, for stages that require some. */
  readonly healthyRuns?: number;
}

export interface Route {
  /** The version that should serve requests. */
  readonly serve: VersionId;
  /** A candidate to run unseen beside `serve` on a share of requests (shadow mode). */
  readonly shadow?: VersionId;
  /** The A/B arm this device is in, when an A/B test decides what it serves. */
  readonly arm?: string;
  /** Versions to keep on the device, `serve` first; the rest are fallbacks for rollback. */
  readonly hold: readonly VersionId[];
}

export function route({ policy, candidateBucket, abBucket, quarantined, localPin, now, healthyRuns }: RouteInput): Route {
  const usable = (v: VersionId | undefined): v is VersionId => v !== undefined && !policy.killed.includes(v) && !quarantined.has(v);
  const candidate = policy.candidate;
  const percent =
    candidate && now !== undefined ? currentPercent(candidate, { now, ...(healthyRuns === undefined ? {} : { healthyRuns }) }) : candidate?.percent;
  const candidateOn = candidate !== undefined && candidateBucket !== undefined && usable(candidate.version) && inRollout(candidateBucket, percent ?? 0);
  const arm = policy.ab && abBucket !== undefined ? armFor(policy.ab, abBucket) : undefined;
  const armVersion = arm && usable(arm.version) ? arm.version : undefined;
  const serve = [localPin, policy.pinned, armVersion, candidateOn ? candidate.version : undefined, policy.stable].find(usable) ?? policy.stable;
  // Devices outside the rollout run a shadowed candidate unseen, to judge it before it serves.
  const shadow = candidate?.shadow && usable(candidate.version) && serve !== candidate.version ? candidate.version : undefined;
  // The stable version is held too: it is where a failing candidate rolls back to, offline.
  const hold = [...new Set([serve, policy.stable, ...(shadow ? [shadow] : [])])].filter(usable);
  return { serve, hold, ...(shadow ? { shadow } : {}), ...(armVersion === serve && arm ? { arm: arm.name } : {}) };
}

/** The arm whose share of the bucket range holds `bucket` (weights are relative). */
export function armFor(ab: AbPolicy, bucket: number): AbArm {
  const total = ab.arms.reduce((n, a) => n + a.weight, 0);
  let edge = 0;
  for (const arm of ab.arms) {
    edge += (arm.weight / total) * BUCKETS;
    if (bucket < edge) return arm;
  }
  return ab.arms[ab.arms.length - 1]!;
}
