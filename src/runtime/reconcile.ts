/**
 * Decides what should serve and switches to it when it is ready, one decision at a time: read
 * what storage holds, route the device, choose the target (target.ts, pure), keep the shadow in
 * step, then load beside the live version and switch between two requests. Called after every
 * update event, check, pin, stage and rollback.
 */
import { isBatonError, type BatonError } from '../errors.js';
import type { RolloutKeeper } from '../rollout/rollout-keeper.js';
import type { StageWatch } from '../rollout/stage-watch.js';
import type { DeviceRoute } from '../router/device-route.js';
import type { RolloutPolicy, VersionId } from '../types.js';
import type { ModelStatus } from '../update/messages.js';
import type { FreshnessWatch } from './freshness-watch.js';
import type { Serving, Emit } from './serving.js';
import type { ShadowRunner } from './shadow.js';
import { chooseTarget, type Target } from './target.js';
import type { Trial } from './trial.js';

export interface ReconcileDeps {
  status(): Promise<ModelStatus>;
  route(
    policy: RolloutPolicy,
    deviceId: string,
    opts: { quarantined: ReadonlySet<VersionId>; now: number; localPin?: VersionId; healthyRuns?: number },
  ): Promise<DeviceRoute>;
  /** Never serve or fetch `version` again on this device. */
  quarantine(version: VersionId, error: BatonError): Promise<unknown>;
  readonly serving: Serving;
  readonly trial: Trial;
  readonly rollout: RolloutKeeper;
  readonly stages: Pick<StageWatch, 'schedule'>;
  readonly shadow: Pick<ShadowRunner, 'sync'>;
  readonly freshness: Pick<FreshnessWatch, 'observe'>;
  readonly autoSwitch: boolean;
  readonly emit: Emit;
  report(during: string, e: unknown): BatonError;
  /** Keeps `error` as the runtime's last error, without an `error` event (its own event says it). */
  noteError(error: BatonError): void;
  readonly now: () => number;
  readonly disposed: () => boolean;
  readonly setTimeout?: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout?: (handle: unknown) => void;
}

export interface Reconciler {
  /** Queues a decision after the ones pending; resolves when it is made (and any switch done). */
  reconcile(): Promise<void>;
  /** What storage held at the last decision. */
  readonly lastStatus: ModelStatus | undefined;
  /** The last decision's route and A/B arm. */
  readonly lastTarget: Target | undefined;
  dispose(): void;
}

export function createReconciler(deps: ReconcileDeps): Reconciler {
  let pending: Promise<void> = Promise.resolve();
  let lastStatus: ModelStatus | undefined;
  let lastTarget: Target | undefined;
  const setTimer = deps.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  let wake: unknown;
  /** Decides again at `at` (epoch ms): when a version held after a latency rollback may be tried again. */
  const wakeAt = (at: number) => {
    if (wake !== undefined) clearTimer(wake);
    // setTimeout's delay is a 32-bit int: a later time is re-checked when this one fires.
    wake = setTimer(() => void reconciler.reconcile(), Math.min(Math.max(0, at - deps.now()) + 10, 2 ** 31 - 1));
  };

  async function decide(): Promise<void> {
    if (deps.disposed()) return;
    const st = (lastStatus = await deps.status());
    deps.freshness.observe(st);
    if (!st.manifest) return;
    const policy = st.manifest.policy;
    deps.rollout.dispatch({ type: 'manifest-changed', versions: st.manifest.versions.map((r) => r.version) });
    deps.stages.schedule(policy.candidate);
    const { localPin, healthyRuns, held = {} } = deps.rollout.state;
    const candidateRuns = policy.candidate ? healthyRuns[policy.candidate.version] : undefined;
    const now = deps.now();
    // A version held after a first latency rollback is treated as quarantined until its time.
    const holding = Object.entries(held).filter(([, h]) => h.until > now);
    if (holding.length > 0) wakeAt(Math.min(...holding.map(([, h]) => h.until)));
    const route = await deps.route(policy, st.deviceId, {
      quarantined: new Set([...st.versions.filter((v) => v.state === 'quarantined').map((v) => v.version), ...holding.map(([v]) => v)]),
      now,
      ...(localPin === undefined ? {} : { localPin }),
      ...(candidateRuns === undefined ? {} : { healthyRuns: candidateRuns }),
    });
    const target = (lastTarget = chooseTarget({
      status: st,
      candidate: policy.candidate,
      killed: policy.killed,
      route,
      live: deps.serving.live?.version,
      localPin,
      autoSwitch: deps.autoSwitch,
    }));
    await deps.shadow.sync(target.shadow, policy.candidate?.shadow);
    if (!target.switchTo) return;
    const release = target.switchTo;
    let slot;
    try {
      slot = await deps.serving.prepare(release);
    } catch (e) {
      if (!isBatonError(e) || (e.code !== 'model-load-failed' && e.code !== 'warmup-failed')) throw e;
      // The bytes are verified and immutable: this version will never load here. Never try again.
      await deps.quarantine(release.version, e).catch(() => {});
      deps.emit('load-failed', { version: release.version, error: e });
      deps.noteError(e);
      void reconciler.reconcile();
      return;
    }
    if (deps.disposed()) return void slot.retire();
    const onTrial = deps.trial.switched(slot.version, deps.serving.live?.version, policy.stable);
    await deps.serving.commit(slot, { keepFallback: onTrial });
  }

  const reconciler: Reconciler = {
    reconcile() {
      pending = pending.then(decide).catch((e: unknown) => void deps.report('switching versions', e));
      return pending;
    },
    get lastStatus() {
      return lastStatus;
    },
    get lastTarget() {
      return lastTarget;
    },
    dispose() {
      if (wake !== undefined) clearTimer(wake);
    },
  };
  return reconciler;
}
