/**
 * A typed change to a model's signed rollout policy, for `registry.setPolicy`: one object says
 * what a test wants (a percentage, stages, a pin, a kill, an A/B test, shadowing, health gates),
 * and the publisher's own edits (src/publish/policy-edit.ts, what the `baton` policy commands
 * run) make it. Pure: the registry signs and writes the result.
 */
import { endAb, kill, pin, promote, rollbackTo, setHealth, setRolloutPercent, setStages, startAb, unpin, PolicyError } from '../publish/policy-edit.js';
import type { HealthPolicy, Manifest, RolloutStage, ShadowPolicy, VersionId } from '../types.js';

/** An A/B arm for {@link PolicyChange.ab}; `weight` defaults to 1. */
export interface ArmChange {
  readonly name: string;
  readonly version: VersionId;
  readonly weight?: number;
}

/**
 * What to change; everything left out stays as it is. Applied in this order, all in one signed
 * manifest: `rollbackTo` / `promote`, `kill`, `pin`, `percent`, `stages`, `shadow`, `ab`, `health`.
 *
 * @example
 * await registry.setPolicy({ percent: 50 });
 * await registry.setPolicy({ stages: [{ percent: 10 }, { percent: 100, minHealthyRuns: 20 }] });
 * await registry.setPolicy({ kill: '2' });
 * await registry.setPolicy({ ab: { arms: [{ name: 'a', version: '1' }, { name: 'b', version: '2' }], salt: 'exp-1' } });
 * await registry.setPolicy({ health: { minRequests: 10, windowRequests: 50 } });
 */
export interface PolicyChange {
  /** Make the candidate the stable version everywhere (`baton promote`). */
  readonly promote?: true;
  /** Make `version` stable again and end the rollout (`baton rollback --to`). */
  readonly rollbackTo?: VersionId;
  /** Never serve these versions again (`baton kill`). */
  readonly kill?: VersionId | readonly VersionId[];
  /** Every device serves this version (`baton pin`); `null` unpins (`baton unpin`). */
  readonly pin?: VersionId | null;
  /** The candidate's share of devices, 0–100 (`baton rollout --percent`). */
  readonly percent?: number;
  /**
   * The candidate's rolling schedule (`baton rollout --stage`); the candidate's percentage becomes
   * the last stage's unless `percent` is given too. `null` or `[]` removes the schedule.
   */
  readonly stages?: readonly RolloutStage[] | null;
  /**
   * Devices outside the rollout run the candidate unseen on `sampleRate` of requests (`baton
   * publish --shadow`); `compare` defaults to `max-abs-diff`, `tolerance` to 0.001. `null` stops it.
   */
  readonly shadow?: (Pick<ShadowPolicy, 'sampleRate'> & Partial<ShadowPolicy>) | null;
  /** Start an A/B test (`baton ab --arm …`; a random salt unless given); `null` ends it. */
  readonly ab?: { readonly arms: readonly ArmChange[]; readonly salt?: string } | null;
  /** Health gates for a version on trial (`baton health`); gates left out keep their values. */
  readonly health?: Partial<HealthPolicy>;
}

const KEYS: readonly (keyof PolicyChange)[] = ['promote', 'rollbackTo', 'kill', 'pin', 'percent', 'stages', 'shadow', 'ab', 'health'];

/**
 * Applies `change` to `m` with the publisher's edits. Throws a `TypeError` for a change that is
 * empty, has unknown keys or contradicts itself, and the publisher's `PolicyError` for one the
 * policy does not allow (e.g. killing the stable version).
 */
export function applyPolicyChange(m: Manifest, change: PolicyChange, randomSalt: () => string = () => `ab:${crypto.randomUUID()}`): Manifest {
  if (typeof change !== 'object' || change === null) throw new TypeError(`a policy change must be an object, got ${String(change)}`);
  const unknown = Object.keys(change).filter((k) => !(KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) throw new TypeError(`unknown policy change ${unknown.join(', ')}; known: ${KEYS.join(', ')}`);
  if (KEYS.every((k) => change[k] === undefined)) throw new TypeError('the policy change is empty');
  if (change.promote !== undefined && change.rollbackTo !== undefined) throw new TypeError('promote and rollbackTo contradict each other');
  const endsCandidate = change.promote !== undefined || change.rollbackTo !== undefined;
  if (endsCandidate && (change.percent !== undefined || change.stages || change.shadow)) {
    throw new TypeError('promote and rollbackTo end the rollout: percent, stages and shadow have no candidate left to apply to');
  }

  let next = m;
  if (change.rollbackTo !== undefined) next = rollbackTo(next, change.rollbackTo);
  if (change.promote) next = promote(next);
  for (const version of change.kill === undefined ? [] : typeof change.kill === 'string' ? [change.kill] : change.kill) next = kill(next, version);
  if (change.pin !== undefined) next = change.pin === null ? unpin(next) : pin(next, change.pin);
  if (change.percent !== undefined) next = setRolloutPercent(next, change.percent);
  if (change.stages !== undefined) {
    const stages = change.stages ?? [];
    next = setStages(next, stages);
    // As `baton rollout --stage` does: the plain percentage (what a device without a clock
    // reads) follows the schedule's last stage.
    if (stages.length > 0 && change.percent === undefined) next = setRolloutPercent(next, stages.at(-1)!.percent);
  }
  if (change.shadow !== undefined) next = setShadow(next, change.shadow);
  if (change.ab !== undefined) {
    next =
      change.ab === null
        ? endAb(next)
        : startAb(
            next,
            change.ab.arms.map((a) => ({ name: a.name, version: a.version, weight: a.weight ?? 1 })),
            change.ab.salt ?? randomSalt(),
          );
  }
  if (change.health !== undefined) next = setHealth(next, change.health);
  return next;
}

/** Shadows the candidate on devices outside its rollout, or stops shadowing (`null`). */
function setShadow(m: Manifest, shadow: PolicyChange['shadow']): Manifest {
  const candidate = m.policy.candidate;
  if (!candidate) throw new PolicyError('there is no candidate version to shadow; publish one first');
  const { shadow: _dropped, ...rest } = candidate;
  if (shadow === null || shadow === undefined) return { ...m, policy: { ...m.policy, candidate: rest } };
  const { sampleRate, compare = 'max-abs-diff', tolerance = 0.001 } = shadow;
  if (!(sampleRate > 0 && sampleRate <= 1)) throw new PolicyError(`shadow sampleRate must be in (0, 1], got ${sampleRate}`);
  if (compare !== 'max-abs-diff' && compare !== 'argmax') throw new PolicyError(`shadow compare must be max-abs-diff or argmax, got ${String(compare)}`);
  if (!(tolerance >= 0)) throw new PolicyError(`shadow tolerance must be ≥ 0, got ${tolerance}`);
  return { ...m, policy: { ...m.policy, candidate: { ...rest, shadow: { sampleRate, compare, tolerance } } } };
}
