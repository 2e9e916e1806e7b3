/**
 * Pure edits of a manifest's releases and rollout policy: what `baton publish`, `rollout`,
 * `promote`, `rollback`, `kill` and `pin` mean, separated from files and signing so every
 * rule is unit-testable. Each returns a new manifest; {@link resign} then bumps the sequence.
 */
import { DEFAULT_HEALTH } from '../health/defaults.js';
import { FORMAT_VERSION, LIMITS } from '../manifest/schema.js';
import type { AbArm, HealthPolicy, Manifest, Release, RolloutPolicy, RolloutStage, ShadowPolicy, TensorElementType, VersionId } from '../types.js';
import { interfaceOf } from '../update/compat.js';

/** An edit the policy does not allow; the CLI reports it as a usage error. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

export { DEFAULT_HEALTH };

export const DEFAULT_EXPIRES_MS = 30 * 24 * 3600 * 1000;

export interface AddReleaseOptions {
  readonly name: string;
  /** Share of devices that adopt the new version (0–100). Default 100. Not allowed on a first release. */
  readonly rolloutPercent?: number;
  readonly salt: string;
  /** Devices outside the rollout also run the candidate, unseen, on this share of requests. */
  readonly shadow?: ShadowPolicy;
}

/**
 * Adds a release. The first release of a model becomes stable; a later one becomes the candidate
 * (replacing any earlier candidate, which stays listed so devices on it can still be served).
 */
export function addRelease(current: Manifest | undefined, release: Release, opts: AddReleaseOptions): Manifest {
  if (!current) {
    if (opts.rolloutPercent !== undefined && opts.rolloutPercent !== 100) {
      throw new PolicyError('the first release of a model becomes the stable version; --rollout needs an earlier release to roll out against');
    }
    return {
      formatVersion: FORMAT_VERSION,
      name: opts.name,
      sequence: 0,
      issuedAt: release.publishedAt,
      expires: release.publishedAt,
      versions: [release],
      policy: { stable: release.version, killed: [], health: DEFAULT_HEALTH },
    };
  }
  if (current.name !== opts.name) throw new PolicyError(`registry holds model "${current.name}", not "${opts.name}"`);
  if (current.versions.some((r) => r.version === release.version)) {
    throw new PolicyError(`version ${release.version} is already published; versions are immutable, publish a new one`);
  }
  const percent = checkPercent(opts.rolloutPercent ?? 100);
  const policy: RolloutPolicy = {
    ...current.policy,
    candidate: { version: release.version, percent, salt: opts.salt, ...(opts.shadow ? { shadow: opts.shadow } : {}) },
  };
  return { ...current, versions: prune([...current.versions, release], policy), policy };
}

/** One way a release's inputs or outputs differ from another's, as a device compares them. */
export interface InterfaceChange {
  readonly side: 'inputs' | 'outputs';
  readonly name: string;
  /** `from` is the old element type (removed, type), `to` the new one (added, type). */
  readonly change: 'added' | 'removed' | 'type';
  readonly from?: TensorElementType;
  readonly to?: TensorElementType;
}

/**
 * How `next`'s interface differs from `base`'s: tensors added, removed or retyped, by name. Uses
 * the device's own {@link interfaceOf} (names and element types, not shapes), so the publisher
 * warns about exactly what a device refuses with `incompatible-model`. Empty when compatible.
 */
export function interfaceChanges(base: Release, next: Release): InterfaceChange[] {
  const [was, now] = [interfaceOf(base), interfaceOf(next)];
  const changes: InterfaceChange[] = [];
  for (const side of ['inputs', 'outputs'] as const) {
    const before = new Map(was[side].map((t) => [t.name, t.type]));
    const after = new Map(now[side].map((t) => [t.name, t.type]));
    for (const [name, from] of before) {
      const to = after.get(name);
      if (to === undefined) changes.push({ side, name, change: 'removed', from });
      else if (to !== from) changes.push({ side, name, change: 'type', from, to });
    }
    for (const [name, to] of after) if (!before.has(name)) changes.push({ side, name, change: 'added', to });
  }
  return changes;
}

/** `inputs: removed h (float32); added state (float32); outputs: changed type y float32 → float16`. */
export function describeInterfaceChanges(changes: readonly InterfaceChange[]): string {
  const parts: string[] = [];
  for (const side of ['inputs', 'outputs'] as const) {
    const of = (kind: InterfaceChange['change']) => changes.filter((c) => c.side === side && c.change === kind);
    const words = [
      ...(of('removed').length
        ? [
            `removed ${of('removed')
              .map((c) => `${c.name} (${c.from})`)
              .join(', ')}`,
          ]
        : []),
      ...(of('added').length
        ? [
            `added ${of('added')
              .map((c) => `${c.name} (${c.to})`)
              .join(', ')}`,
          ]
        : []),
      ...(of('type').length
        ? [
            `changed type ${of('type')
              .map((c) => `${c.name} ${c.from} → ${c.to}`)
              .join(', ')}`,
          ]
        : []),
    ];
    if (words.length) parts.push(`${side}: ${words.join('; ')}`);
  }
  return parts.join('; ');
}

/** Changes the candidate's share of devices. */
export function setRolloutPercent(m: Manifest, percent: number): Manifest {
  const candidate = m.policy.candidate;
  if (!candidate) throw new PolicyError('there is no candidate version to roll out; publish one first');
  return withPolicy(m, { ...m.policy, candidate: { ...candidate, percent: checkPercent(percent) } });
}

/**
 * Gives the candidate a rolling schedule (empty: back to its plain percentage). Stages must not
 * shrink: a device that adopted the candidate at one stage is never dropped by a later one.
 */
export function setStages(m: Manifest, stages: readonly RolloutStage[]): Manifest {
  const candidate = m.policy.candidate;
  if (!candidate) throw new PolicyError('there is no candidate version to schedule; publish one first');
  if (stages.length > LIMITS.stages) throw new PolicyError(`at most ${LIMITS.stages} stages`);
  stages.forEach((stage, i) => {
    checkPercent(stage.percent);
    if (stage.after !== undefined && Number.isNaN(Date.parse(stage.after))) throw new PolicyError(`stage ${i + 1}: "${stage.after}" is not a time`);
    if (stage.minHealthyRuns !== undefined && !(Number.isSafeInteger(stage.minHealthyRuns) && stage.minHealthyRuns >= 0))
      throw new PolicyError(`stage ${i + 1}: healthy runs must be a whole number ≥ 0`);
    if (i > 0 && stage.percent < stages[i - 1]!.percent)
      throw new PolicyError(`stage ${i + 1} (${stage.percent} %) is below stage ${i} (${stages[i - 1]!.percent} %): stages only grow`);
  });
  const { stages: _dropped, ...rest } = candidate;
  return withPolicy(m, { ...m.policy, candidate: stages.length === 0 ? rest : { ...rest, stages: [...stages] } });
}

/** Changes the health gates devices apply to a version on trial (unnamed gates keep their values). */
export function setHealth(m: Manifest, health: Partial<HealthPolicy>): Manifest {
  const next = { ...m.policy.health, ...health };
  const whole = (n: number) => Number.isSafeInteger(n) && n >= 1;
  if (!whole(next.windowRequests) || !whole(next.minRequests) || !whole(next.promoteAfterRequests))
    throw new PolicyError('window, minimum and promotion request counts must be whole numbers ≥ 1');
  if (next.windowRequests > 1_000_000) throw new PolicyError('the window holds at most 1 000 000 requests');
  if (!whole(next.windowMs)) throw new PolicyError('the window must last a whole number of ms ≥ 1');
  if (!(next.maxErrorRateIncrease >= 0 && next.maxErrorRateIncrease <= 1) || !(next.minShadowAgreement >= 0 && next.minShadowAgreement <= 1))
    throw new PolicyError('rates are fractions between 0 and 1');
  if (!(next.maxP95Ratio >= 1)) throw new PolicyError('the p95 ratio must be ≥ 1');
  if (next.minRequests > next.windowRequests)
    throw new PolicyError(`the minimum sample (${next.minRequests}) cannot exceed the window (${next.windowRequests})`);
  return withPolicy(m, { ...m.policy, health: next });
}

/** Makes the candidate the stable version for every device. */
export function promote(m: Manifest): Manifest {
  const candidate = m.policy.candidate;
  if (!candidate) throw new PolicyError('there is no candidate version to promote');
  const { candidate: _dropped, ...rest } = m.policy;
  return withPolicy(m, { ...rest, stable: candidate.version });
}

/** Makes `version` stable again and stops any rollout. */
export function rollbackTo(m: Manifest, version: VersionId): Manifest {
  requireListed(m, version);
  if (m.policy.killed.includes(version)) throw new PolicyError(`version ${version} is killed and cannot be served`);
  const { candidate: _dropped, ...rest } = m.policy;
  return withPolicy(m, { ...rest, stable: version });
}

/** Never serve `version` again. The stable version cannot be killed: roll back first. */
export function kill(m: Manifest, version: VersionId): Manifest {
  requireListed(m, version);
  const p = m.policy;
  if (p.stable === version) throw new PolicyError(`version ${version} is the stable version; run "baton rollback --to <version>" first`);
  if (p.ab?.arms.some((a) => a.version === version)) throw new PolicyError(`version ${version} is an arm of the A/B test; end the test first`);
  if (p.killed.includes(version)) return m;
  const { candidate, pinned, ...rest } = p;
  return withPolicy(m, {
    ...rest,
    ...(candidate && candidate.version !== version ? { candidate } : {}),
    ...(pinned !== undefined && pinned !== version ? { pinned } : {}),
    killed: [...p.killed, version],
  });
}

/** Every device serves `version`, whatever the rollout says. */
export function pin(m: Manifest, version: VersionId): Manifest {
  requireListed(m, version);
  if (m.policy.killed.includes(version)) throw new PolicyError(`version ${version} is killed and cannot be pinned`);
  return withPolicy(m, { ...m.policy, pinned: version });
}

export function unpin(m: Manifest): Manifest {
  const { pinned: _dropped, ...rest } = m.policy;
  return withPolicy(m, rest);
}

/** Starts an A/B test: each device is assigned one arm, sticky, by weight. */
export function startAb(m: Manifest, arms: readonly AbArm[], salt: string): Manifest {
  if (arms.length < 2) throw new PolicyError('an A/B test needs at least two arms');
  for (const arm of arms) {
    requireListed(m, arm.version);
    if (m.policy.killed.includes(arm.version)) throw new PolicyError(`version ${arm.version} is killed and cannot be an arm`);
    if (!(arm.weight > 0)) throw new PolicyError(`arm ${arm.name} needs a positive weight`);
  }
  if (new Set(arms.map((a) => a.name)).size !== arms.length) throw new PolicyError('arm names must be distinct');
  return withPolicy(m, { ...m.policy, ab: { salt, arms: [...arms] } });
}

export function endAb(m: Manifest): Manifest {
  const { ab: _dropped, ...rest } = m.policy;
  return withPolicy(m, rest);
}

/** Prepares `m` for signing: sequence + 1, fresh issue and expiry times. */
export function resign(m: Manifest, now: number, expiresInMs = DEFAULT_EXPIRES_MS): Manifest {
  if (!(expiresInMs > 0)) throw new PolicyError('expiry must be in the future');
  return {
    ...m,
    sequence: m.sequence + 1,
    issuedAt: new Date(now).toISOString(),
    expires: new Date(now + expiresInMs).toISOString(),
  };
}

/** Versions the policy refers to, in the order of interest. */
export function referencedVersions(p: RolloutPolicy): Set<VersionId> {
  return new Set([p.stable, ...(p.candidate ? [p.candidate.version] : []), ...(p.pinned ? [p.pinned] : []), ...(p.ab?.arms.map((a) => a.version) ?? [])]);
}

function withPolicy(m: Manifest, policy: RolloutPolicy): Manifest {
  return { ...m, policy };
}

function checkPercent(percent: number): number {
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new PolicyError(`rollout percent must be between 0 and 100, got ${percent}`);
  return percent;
}

function requireListed(m: Manifest, version: VersionId): void {
  if (!m.versions.some((r) => r.version === version)) {
    throw new PolicyError(`version ${version} is not published (known: ${m.versions.map((r) => r.version).join(', ')})`);
  }
}

/** Keeps the manifest bounded: drops the oldest versions the policy no longer names. */
function prune(versions: Release[], policy: RolloutPolicy): Release[] {
  const keep = referencedVersions(policy);
  const out = [...versions];
  for (let i = 0; out.length > LIMITS.versions && i < out.length;) {
    if (keep.has(out[i]!.version)) i++;
    else out.splice(i, 1);
  }
  return out;
}
