/**
 * The runtime's parts, built and connected: who talks to whom (runtime.ts owns the lifecycle).
 * Each part is a module with its own unit tests; this file holds no logic of its own.
 */
import { BatonError } from '../errors.js';
import { DEFAULT_HEALTH } from '../health/defaults.js';
import type { HealthMonitor } from '../health/monitor.js';
import { isSlowPair, judgePaired } from '../health/verdict.js';
import { INITIAL_ROLLOUT } from '../rollout/reduce.js';
import { createRolloutKeeper } from '../rollout/rollout-keeper.js';
import { parseRolloutRecord, rolloutKey, type RolloutRecord } from '../rollout/rollout-record.js';
import { createStageWatch } from '../rollout/stage-watch.js';
import { routeDevice } from '../router/device-route.js';
import type { VersionId } from '../types.js';
import type { UpdateClient } from '../update/sw-client.js';
import { DEFAULT_TIMEOUTS } from '../worker/worker-client.js';
import { DEFAULT_LATENCY_RETRY_AFTER_MS, type ResolvedConfig } from './config.js';
import { createFreshnessWatch } from './freshness-watch.js';
import { createHangDetector, DEFAULT_HANG_POLICY } from './hang-detector.js';
import type { Observability } from './observability.js';
import { createReconciler } from './reconcile.js';
import { createRunDispatcher } from './run-dispatcher.js';
import { createServing, type Emit } from './serving.js';
import { createShadowRunner } from './shadow.js';
import { loadSlot, type Slot, type SlotOptions } from './slot.js';
import { createTrial } from './trial.js';
import { createTrialShare, trialChannel, webLocks } from './trial-share.js';
import type { WorkerPool } from './worker-pool.js';
import type { RuntimeStatus } from './api.js';
import type { WorkerInit } from '../worker/protocol.js';
import { createRequestPath, DEFAULT_FALLBACK_MAX_EXTRA_MS, DEFAULT_PAIRED_TIMING } from './requests.js';
import { projectStatus } from './status.js';
import { warmUpBeside } from './warm-up.js';
import { sampleFeeds } from '../worker/sample-input.js';

/** After a cold start, the standby worker starts this much later (its wasm compile takes the cores). */
const COLD_START_STANDBY_DELAY_MS = 1000;

export interface PartsContext {
  readonly cfg: ResolvedConfig;
  readonly source: UpdateClient;
  /** How updates reach this page (the service worker, or the page itself). */
  readonly updatesVia: RuntimeStatus['updates'];
  readonly workers: WorkerPool;
  readonly init: WorkerInit;
  readonly health: HealthMonitor;
  readonly obs: Observability;
  /** The rollout record a previous page load left, if any. */
  readonly persisted: RolloutRecord | undefined;
  readonly emit: Emit;
  readonly report: (during: string, e: unknown) => BatonError;
  readonly noteError: (error: BatonError) => void;
  readonly lastError: () => BatonError | undefined;
  /** Settles once createRuntime has resolved: what is said before then waits for it. */
  readonly afterStart: Promise<void>;
  readonly now: () => number;
  readonly perfNow: () => number;
  readonly isDisposed: () => boolean;
}

export function assembleParts(ctx: PartsContext) {
  const { cfg, source, workers, init, health, obs, persisted, emit, report, noteError, afterStart, now, perfNow, isDisposed } = ctx;
  const slotOptions: SlotOptions = {
    init,
    ...(cfg.timeouts ? { timeouts: cfg.timeouts } : {}),
    ...(cfg.createWorker ? { createWorker: cfg.createWorker } : {}),
    ...(cfg.warmup ? { warmup: cfg.warmup } : {}),
    ...(cfg.maxInputElements === undefined ? {} : { maxInputElements: cfg.maxInputElements }),
  };
  /** Trial, promotions, healthy runs and local pin: persisted, so a reload resumes in the same phase. */
  const rollout = createRolloutKeeper({
    initial: persisted?.state ?? INITIAL_ROLLOUT,
    // Only the tab that leads the trial keeps the record (trial-share.ts).
    save: (record) => (share.leading ? source.writeMeta(rolloutKey(cfg.model), record) : Promise.resolve()),
    windows: (state) => health.snapshot([state.trial?.version, state.trial?.baseline].filter((v): v is VersionId => v !== undefined)),
    onSaveError: (e) => void report('saving the rollout state', e),
  });
  const healthPolicy = () => reconciler.lastStatus?.manifest?.policy.health ?? DEFAULT_HEALTH;
  const quarantine = (version: VersionId, error: BatonError) =>
    source.quarantine(cfg.model, version, error).catch((e: unknown) => report(`quarantining version ${version}`, e));
  /** A stage that opens by time or by healthy runs changes what this device should serve with no new manifest. */
  const openStage = () =>
    void rollout
      .flush()
      .then(() => source.check(cfg.model))
      // A failed check is already reported (update-failed); re-route with what is stored.
      .catch(() => {})
      .then(() => reconciler.reconcile());
  const stages = createStageWatch(openStage, now);

  const dispatcher = createRunDispatcher<Slot>({
    hangs: createHangDetector({ ...DEFAULT_HANG_POLICY, capMs: cfg.timeouts.runMs ?? DEFAULT_TIMEOUTS.runMs }),
    timers: { now: perfNow, setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
    onHang: (slot, error) => void serving.recover(slot, error, 'hung'),
    onAllocationFailure: (slot, error) => void serving.recycle(slot, error),
  });
  const serving = createServing({
    readBytes: async (version) => (await source.readModel(cfg.model, version)).bytes,
    load: (release, bytes, worker, warmupRuns) => loadSlot(release, bytes, slotOptions, worker, warmupRuns),
    warmBeside: async (slot) => {
      await warmUpBeside({
        run: async () => (await slot.worker.run(slotOptions.warmup?.(slot.release) ?? sampleFeeds(slot.release.inputs))).runMs,
        idle: () => dispatcher.whenIdle(),
        cancelled: isDisposed,
      }).catch((e: unknown) => {
        throw new BatonError('warmup-failed', `version ${slot.version} failed a warm-up run: ${BatonError.from(e, 'warmup-failed').message}`, {
          version: slot.version,
        });
      });
    },
    takeWorker: () => workers.take(),
    replenishLater: (delayMs) => workers.replenishLater(delayMs),
    recordActive: (version) => source.activate(cfg.model, version),
    setTarget: (slot) => dispatcher.setTarget(slot),
    failQueue: (error) => dispatcher.fail(error),
    onTrial: (version) => trial.isOnTrial(version),
    reroute: () => void reconciler.reconcile(),
    emit,
    report,
    perfNow,
    disposed: isDisposed,
    coldStartStandbyDelayMs: Math.min(COLD_START_STANDBY_DELAY_MS, cfg.standbyRespawnDelayMs),
  });
  const trial = createTrial({
    rollout,
    health,
    policy: healthPolicy,
    candidate: () => reconciler.lastStatus?.manifest?.policy.candidate,
    stageEarned: (candidate, version, runs) => stages.earned(candidate, version, runs),
    openStage,
    onRollback: (version, error, final) => {
      serving.flipBack(version);
      const { retryAt, reason } = (error.details ?? {}) as { retryAt?: number; reason?: string };
      share.post({ type: 'decided', kind: 'rolled-back', version, reason: reason ?? '', final, ...(retryAt === undefined ? {} : { retryAt }) });
      void (final ? quarantine(version, error) : Promise.resolve()).then(() => reconciler.reconcile());
    },
    latencyRetryAfterMs: cfg.latencyRetryAfterMs ?? DEFAULT_LATENCY_RETRY_AFTER_MS,
    onPromote: (version) => {
      serving.dropFallback();
      share.post({ type: 'decided', kind: 'promoted', version });
    },
    judgePaired,
    isSlowPair,
    emit,
    now,
  });
  /** The record as the tab that led before left it: taken over when this tab leads. */
  let loadedAt = persisted?.savedAt ?? 0;
  const share = createTrialShare({
    model: cfg.model,
    lock: webLocks(),
    channel: trialChannel(cfg.model),
    onLead: () =>
      void source
        .readMeta(rolloutKey(cfg.model))
        .then((value) => {
          const record = parseRolloutRecord(value);
          if (!record || record.savedAt <= loadedAt) return;
          loadedAt = record.savedAt;
          rollout.replace({ ...record.state, ...(rollout.state.serving === undefined ? {} : { serving: rollout.state.serving }) });
          health.restore(record.windows, healthPolicy());
        })
        .catch((e: unknown) => void report('taking over the trial from another tab', e))
        .then(() => reconciler.reconcile()),
    onOutcome: (version, ok, runMs) => trial.observe(version, ok, runMs),
    onPaired: (version, candidateMs, baselineMs) => trial.paired(version, candidateMs, baselineMs),
    onPin: (version) => void pinHere(version),
    onDecided: (d) => {
      if (d.kind === 'promoted') {
        rollout.dispatch({ type: 'promoted', version: d.version, at: now() });
        serving.dropFallback();
        return;
      }
      rollout.dispatch({
        type: 'rolled-back',
        version: d.version,
        reason: d.reason ?? '',
        at: now(),
        ...(d.retryAt === undefined ? {} : { retryAt: d.retryAt }),
      });
      serving.flipBack(d.version);
      // Quarantined here too (the leading tab's write may not have landed): no reconcile may pick it again.
      void (
        d.final ? quarantine(d.version, new BatonError('unhealthy', `version ${d.version} rolled back in another tab: ${d.reason ?? ''}`)) : Promise.resolve()
      ).then(() => reconciler.reconcile());
    },
  });
  /** The app's pin: kept by the leading tab, whichever tab it was made in. */
  const pinHere = async (version: VersionId | undefined) => {
    rollout.dispatch(version === undefined ? { type: 'unpinned' } : { type: 'pinned', version });
    if (!share.leading) share.post({ type: 'pin', version });
    await rollout.flush();
    await reconciler.reconcile();
  };
  /** What the request path tells the trial: here when leading, to the leading tab otherwise. */
  const requestTrial = {
    observe: (version: VersionId, ok: boolean, runMs: number) =>
      share.leading ? trial.observe(version, ok, runMs) : share.post({ type: 'outcome', version, ok, runMs }),
    paired: (version: VersionId, candidateMs: number, baselineMs: number) =>
      share.leading ? trial.paired(version, candidateMs, baselineMs) : share.post({ type: 'paired', version, candidateMs, baselineMs }),
    isOnTrial: (version: VersionId) => trial.isOnTrial(version),
  };
  const shadow = createShadowRunner({
    load: async (release) => {
      const slot = await loadSlot(release, (await source.readModel(cfg.model, release.version)).bytes, slotOptions, await workers.take());
      workers.replenishLater();
      return slot;
    },
    retire: (slot) =>
      void slot.retire().then(() => {
        emit('released', { version: slot.version });
        workers.replenishLater();
      }),
    health,
    healthPolicy,
    report: (during, e) => void report(during, e),
    onRun(version, agreed, latencyMs) {
      obs.shadow(version, agreed, latencyMs);
      trial.shadowed(version, agreed);
    },
    onReject: async (version, verdict) => void (await quarantine(version, trial.failGate('shadow-rejected', version, verdict))),
  });
  const freshness = createFreshnessWatch({
    ...(cfg.maxManifestAgeMs === undefined ? {} : { maxAgeMs: cfg.maxManifestAgeMs }),
    now,
    onStale: (f) => !isDisposed() && emit('manifest-stale', f),
    defer: (fn) => void afterStart.then(fn),
  });
  const reconciler = createReconciler({
    status: () => source.status(cfg.model),
    route: routeDevice,
    quarantine,
    serving,
    trial,
    rollout,
    stages,
    shadow,
    freshness,
    autoSwitch: cfg.autoSwitch,
    emit,
    report,
    noteError,
    now,
    disposed: isDisposed,
  });
  const run = createRequestPath({
    dispatcher,
    serving,
    trial: requestTrial,
    obs,
    shadow,
    arm: () => reconciler.lastTarget?.arm,
    rejectNonFinite: cfg.rejectNonFinite ?? false,
    ...(cfg.validate ? { validate: cfg.validate } : {}),
    fallbackMaxExtraMs: cfg.fallback === false ? undefined : (cfg.fallback?.maxExtraMs ?? DEFAULT_FALLBACK_MAX_EXTRA_MS),
    pairedTiming: cfg.pairedTiming ?? DEFAULT_PAIRED_TIMING,
    perfNow,
    disposed: isDisposed,
  });
  const status = () =>
    projectStatus({
      model: cfg.model,
      live: serving.live,
      since: serving.since,
      preparing: serving.preparing,
      fallback: serving.fallback,
      target: reconciler.lastTarget,
      shadow: shadow.status(),
      rollout: rollout.state,
      leading: share.leading,
      trialStats: rollout.state.trial ? health.stats(rollout.state.trial.version) : undefined,
      updates: ctx.updatesVia,
      freshness: freshness.current,
      standby: workers.standby,
      worker: workers.info,
      device: reconciler.lastStatus,
      lastError: ctx.lastError(),
      perfNow: perfNow(),
    });
  /** Stops every part: nothing queued runs, the state is saved, every worker but the pool's goes. */
  const dispose = async () => {
    stages.dispose();
    dispatcher.dispose(new BatonError('disposed', 'the runtime was disposed'));
    await reconciler.reconcile().catch(() => {});
    reconciler.dispose();
    await rollout.flush();
    share.dispose();
    rollout.dispose();
    serving.dispose();
    shadow.dispose();
  };
  return { rollout, stages, dispatcher, serving, trial, pinHere, share, shadow, reconciler, run, status, dispose };
}

export type Parts = ReturnType<typeof assembleParts>;
