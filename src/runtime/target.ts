/**
 * What this device should serve now, from what storage holds and where the router puts it: a
 * pure function, so every case is a unit test. The router (src/router) says what the policy
 * wants; this decides what can be done about it with the versions that are ready here.
 */
import { inRollout } from '../router/bucket.js';
import type { DeviceRoute } from '../router/device-route.js';
import type { CandidatePolicy, Release, VersionId } from '../types.js';
import type { ModelStatus } from '../update/messages.js';

/** Where the router put this device (`status().route`). */
export interface RouteInfo {
  readonly candidate?: { readonly version: VersionId; readonly bucket: number; readonly percent: number; readonly inside: boolean };
  readonly ab?: { readonly bucket: number; readonly arm?: string };
}

export interface TargetInput {
  readonly status: Pick<ModelStatus, 'versions' | 'active' | 'previous'>;
  readonly candidate: CandidatePolicy | undefined;
  readonly killed: readonly VersionId[];
  readonly route: DeviceRoute;
  /** The version serving now, if any. */
  readonly live: VersionId | undefined;
  readonly localPin: VersionId | undefined;
  readonly autoSwitch: boolean;
}

export interface Target {
  /** The release to switch to; absent when what serves should go on serving. */
  readonly switchTo?: Release;
  /** The candidate to run unseen beside the live version, when the policy asks and it is ready. */
  readonly shadow?: Release;
  /** The A/B arm this device is in, when an A/B test decides what it serves. */
  readonly arm?: { readonly name: string; readonly version: VersionId };
  readonly route: RouteInfo;
}

export function chooseTarget(input: TargetInput): Target {
  const { status, route: r, live } = input;
  const ready = new Map(status.versions.filter((v) => v.state === 'ready').map((v) => [v.version, v.release]));
  const quarantined = new Set(status.versions.filter((v) => v.state === 'quarantined').map((v) => v.version));
  const servable = (v: VersionId | undefined): v is VersionId => v !== undefined && ready.has(v) && !quarantined.has(v) && !input.killed.includes(v);
  const route: RouteInfo = {
    ...(r.candidate && input.candidate
      ? { candidate: { version: input.candidate.version, ...r.candidate, inside: inRollout(r.candidate.bucket, r.candidate.percent) } }
      : {}),
    ...(r.abBucket === undefined ? {} : { ab: { bucket: r.abBucket, ...(r.arm === undefined ? {} : { arm: r.arm }) } }),
  };
  const base = {
    route,
    ...(r.arm === undefined ? {} : { arm: { name: r.arm, version: r.serve } }),
    ...(servable(r.shadow) ? { shadow: ready.get(r.shadow)! } : {}),
  };
  let target: VersionId | undefined = r.serve;
  if (!servable(target)) {
    // Not downloaded yet: keep serving what serves, unless it may no longer be served (killed,
    // quarantined); then fall back to the best version already on the device.
    if (servable(live)) return base;
    target = [...r.hold, status.active, status.previous].find(servable);
  }
  if (target === undefined || target === live) return base;
  // With autoSwitch off, only the app's own pin moves a device that serves.
  if (!input.autoSwitch && live !== undefined && target !== input.localPin) return base;
  return { ...base, switchTo: ready.get(target)! };
}
