/**
 * This device's rollout, as a pure state machine: every transition is in the one `switch` of
 * {@link reduce}. The runtime dispatches what happened (a switch, a served request, a verdict);
 * the state says which version is on trial against which baseline, how far its trial got, what
 * this device promoted, and how many healthy runs it has seen of each candidate (schedule stages
 * that require them open on that count). The state is persisted, so a reload resumes the trial
 * where it stood instead of starting it over without its baseline.
 *
 *   steady ──switched to a version that is not stable, pinned or promoted──▶ trial
 *   trial  ──promoted──▶ steady (the version joins `promoted`: it serves from now on without trial)
 *   trial  ──rolled-back──▶ steady (the runtime switches back; for good — it quarantines the
 *          version — unless the rollback was for latency alone the first time: then the version
 *          is held until `retryAt` and tried once more, a new trial)
 *   trial  ──switched to another version──▶ steady or a new trial (killed, pinned, superseded)
 */
import type { VersionId } from '../types.js';

export interface TrialState {
  readonly version: VersionId;
  /** The version it replaced, whose figures it is compared with. */
  readonly baseline?: VersionId;
  /** Epoch ms the trial began (a resumed trial keeps its start). */
  readonly startedAt: number;
  /** Requests it served so far (a promotion counts these). */
  readonly served: number;
  readonly failed: number;
  /** Requests also timed on the baseline (paired runs), and how many of them were slow: the latency gate's evidence. */
  readonly pairs?: number;
  readonly slowPairs?: number;
}

export interface RolloutDecision {
  readonly kind: 'promoted' | 'rolled-back' | 'shadow-rejected';
  readonly version: VersionId;
  readonly at: number;
  readonly reason?: string;
}

export interface RolloutState {
  readonly phase: 'steady' | 'trial';
  /** The version serving on this device (undefined before the first switch). */
  readonly serving?: VersionId;
  readonly trial?: TrialState | undefined;
  /** Versions that passed a trial here, newest last: they serve again without a new trial. */
  readonly promoted: readonly VersionId[];
  /** Healthy runs of each candidate seen on this device, served or shadowed. */
  readonly healthyRuns: Readonly<Record<VersionId, number>>;
  /** A version the app pinned here (`rt.pin`): it wins over the rollout, across reloads. */
  readonly localPin?: VersionId | undefined;
  /**
   * Versions rolled back for latency alone, and how often: each is held (not served) until
   * `until`, then tried again in a new trial. A second latency rollback is final (quarantine).
   */
  readonly held?: Readonly<Record<VersionId, { readonly until: number; readonly strikes: number }>>;
  /** The latest decisions, newest last (bounded). */
  readonly decisions: readonly RolloutDecision[];
}

export type RolloutEvent =
  /** `to` now serves. `stable` is the manifest's stable version, which never runs on trial. */
  | { readonly type: 'switched'; readonly to: VersionId; readonly from?: VersionId; readonly stable: VersionId; readonly at: number }
  /** One request of `version` finished (`ok` false: it threw, timed out or returned NaN/Inf). */
  | { readonly type: 'served'; readonly version: VersionId; readonly ok: boolean }
  /** One request of `version` was also run on the baseline; `slow`: too slow beside it. */
  | { readonly type: 'paired'; readonly version: VersionId; readonly slow: boolean }
  /** One shadow run of `version` finished; `agreed` false when it failed or disagreed. */
  | { readonly type: 'shadowed'; readonly version: VersionId; readonly agreed: boolean }
  | { readonly type: 'promoted'; readonly version: VersionId; readonly at: number }
  /** `retryAt`: not final — the version is held until then and tried again. */
  | { readonly type: 'rolled-back'; readonly version: VersionId; readonly reason: string; readonly at: number; readonly retryAt?: number }
  | { readonly type: 'shadow-rejected'; readonly version: VersionId; readonly reason: string; readonly at: number }
  | { readonly type: 'pinned'; readonly version: VersionId }
  | { readonly type: 'unpinned' }
  /** The manifest lists only `versions`: forget what is kept about any other. */
  | { readonly type: 'manifest-changed'; readonly versions: readonly VersionId[] };

export const INITIAL_ROLLOUT: RolloutState = { phase: 'steady', promoted: [], healthyRuns: {}, decisions: [] };

/** Enough to see the recent story; the full log is the event log's job. */
export const MAX_DECISIONS = 16;
const MAX_PROMOTED = 16;

export function reduce(state: RolloutState, event: RolloutEvent): RolloutState {
  switch (event.type) {
    case 'switched': {
      const onTrial = event.to !== event.stable && event.to !== state.localPin && !state.promoted.includes(event.to);
      if (!onTrial) return { ...state, phase: 'steady', serving: event.to, trial: undefined };
      // The same version again (a reload, a restarted worker): the trial goes on where it stood.
      if (state.trial?.version === event.to) return { ...state, phase: 'trial', serving: event.to };
      const baseline = event.from ?? state.serving;
      const trial: TrialState = {
        version: event.to,
        startedAt: event.at,
        served: 0,
        failed: 0,
        ...(baseline !== undefined && baseline !== event.to ? { baseline } : {}),
      };
      return { ...state, phase: 'trial', serving: event.to, trial };
    }
    case 'served': {
      const trial = state.trial;
      if (trial?.version !== event.version) return state;
      return {
        ...state,
        trial: { ...trial, served: trial.served + 1, failed: trial.failed + (event.ok ? 0 : 1) },
        healthyRuns: event.ok ? addRun(state.healthyRuns, event.version) : state.healthyRuns,
      };
    }
    case 'paired': {
      const trial = state.trial;
      if (trial?.version !== event.version) return state;
      return { ...state, trial: { ...trial, pairs: (trial.pairs ?? 0) + 1, slowPairs: (trial.slowPairs ?? 0) + (event.slow ? 1 : 0) } };
    }
    case 'shadowed':
      return event.agreed ? { ...state, healthyRuns: addRun(state.healthyRuns, event.version) } : state;
    case 'promoted':
      if (state.trial?.version !== event.version) return state;
      return {
        ...state,
        phase: 'steady',
        trial: undefined,
        promoted: [...state.promoted.filter((v) => v !== event.version), event.version].slice(-MAX_PROMOTED),
        decisions: decide(state, { kind: 'promoted', version: event.version, at: event.at }),
      };
    case 'rolled-back':
    case 'shadow-rejected': {
      const endsTrial = state.trial?.version === event.version;
      const { [event.version]: _dropped, ...healthyRuns } = state.healthyRuns;
      return {
        ...state,
        ...(endsTrial ? { phase: 'steady' as const, trial: undefined } : {}),
        promoted: state.promoted.filter((v) => v !== event.version),
        healthyRuns,
        ...(state.localPin === event.version ? { localPin: undefined } : {}),
        ...(event.type === 'rolled-back' && event.retryAt !== undefined
          ? { held: { ...state.held, [event.version]: { until: event.retryAt, strikes: (state.held?.[event.version]?.strikes ?? 0) + 1 } } }
          : {}),
        decisions: decide(state, { kind: event.type, version: event.version, at: event.at, reason: event.reason }),
      };
    }
    case 'pinned':
      return { ...state, localPin: event.version };
    case 'unpinned':
      return { ...state, localPin: undefined };
    case 'manifest-changed': {
      const listed = new Set(event.versions);
      const healthyRuns = Object.fromEntries(Object.entries(state.healthyRuns).filter(([v]) => listed.has(v)));
      const promoted = state.promoted.filter((v) => listed.has(v));
      const pinGone = state.localPin !== undefined && !listed.has(state.localPin);
      const held = state.held && Object.fromEntries(Object.entries(state.held).filter(([v]) => listed.has(v)));
      const heldGone = held !== undefined && Object.keys(held).length !== Object.keys(state.held!).length;
      if (Object.keys(healthyRuns).length === Object.keys(state.healthyRuns).length && promoted.length === state.promoted.length && !pinGone && !heldGone)
        return state;
      return { ...state, healthyRuns, promoted, ...(pinGone ? { localPin: undefined } : {}), ...(heldGone ? { held } : {}) };
    }
  }
}

function addRun(runs: Readonly<Record<VersionId, number>>, version: VersionId): Readonly<Record<VersionId, number>> {
  return { ...runs, [version]: (runs[version] ?? 0) + 1 };
}

function decide(state: RolloutState, decision: RolloutDecision): readonly RolloutDecision[] {
  return [...state.decisions, decision].slice(-MAX_DECISIONS);
}
