/**
 * The composition root: wires the update client (service worker or page), the inference
 * workers and the router into the runtime an app uses. Every request goes through `run` and the
 * request queue (run-dispatcher.ts), which hands requests one at a time, in order, to the live
 * slot: a switch is one assignment between two requests, so a request already running finishes
 * on the old session and the next one starts on the new.
 */
import { Tensor } from 'onnxruntime-common';
import { BatonError, isBatonError } from '../errors.js';
import { createHealthMonitor, JUDGE_EVERY, outputsFinite } from '../health/monitor.js';
import type { Verdict } from '../health/verdict.js';
import { DEFAULT_HEALTH } from '../health/defaults.js';
import { INITIAL_ROLLOUT } from '../rollout/reduce.js';
import { createRolloutKeeper } from '../rollout/rollout-keeper.js';
import { parseRolloutRecord, rolloutKey } from '../rollout/rollout-record.js';
import { inRollout } from '../router/bucket.js';
import { routeDevice } from '../router/device-route.js';
import { createStageWatch } from '../rollout/stage-watch.js';
import type { Release, VersionId } from '../types.js';
import type { CheckResult, ModelStatus, UpdateEvent } from '../update/messages.js';
import { connectUpdates, type ConnectedUpdates } from '../update/connect.js';
import type { Feeds, WorkerInit } from '../worker/protocol.js';
import { DEFAULT_TIMEOUTS, startInferenceWorker } from '../worker/worker-client.js';
import { resolveConfig, type RuntimeConfig, type ResolvedConfig } from './config.js';
import type { RunOutput, Runtime, RuntimeEvents, RuntimeStatus } from './api.js';
import { loadSlot, type Slot } from './slot.js';
import { createHangDetector, DEFAULT_HANG_POLICY } from './hang-detector.js';
import { checkInputSize } from './input-bound.js';
import { createRunDispatcher } from './run-dispatcher.js';
import { createShadowRunner } from './shadow.js';
import { createObservability, type Observability } from './observability.js';
import { relayUpdateEvent } from './update-events.js';
import { createWorkerPool } from './worker-pool.js';
import { createEmitter } from './emitter.js';
import { startCheckSchedule } from './check-schedule.js';
import { createFreshnessWatch } from './freshness-watch.js';
import { fileTestHooks } from './test-hooks.js';

/** After a cold start, the standby worker starts this much later (its wasm compile takes the cores). */
const COLD_START_STANDBY_DELAY_MS = 1000;

/**
 * Starts Baton for one model and resolves once a verified version is loaded, warmed and
 * serving (on a first install, after it is downloaded).
 *
 * @example
 * const rt = await createRuntime({ model: 'vad', manifestUrl: '/registry/vad/manifest.json', publicKeys: [key],
 *   serviceWorker: { scriptUrl: '/sw.js' } });
 * const { outputs, version } = await rt.run({ input: { type: 'float32', data: samples, dims: [1, 512] } });
 */
export async function createRuntime(config: RuntimeConfig): Promise<Runtime> {
  const cfg = resolveConfig(config);
  const updates = await connectUpdates(cfg.serviceWorker);
  try {
    return await start(cfg, updates);
  } catch (e) {
    updates.client.close();
    throw e;
  }
}

async function start(cfg: ResolvedConfig, updates: ConnectedUpdates): Promise<Runtime> {
  const source = updates.client;
  const emitter = createEmitter<RuntimeEvents>();
  /** Every event is logged (and exported) as well as emitted, once the log is open. */
  let obs: Observability | undefined;
  const emit = <K extends keyof RuntimeEvents>(type: K, event: RuntimeEvents[K]) => {
    obs?.event(type, event);
    emitter.emit(type, event);
  };
  /** Settles a macrotask after createRuntime has resolved: what is said before then waits for it, so the app has subscribed. */
  let started!: () => void;
  const afterStart = new Promise<void>((resolve) => (started = resolve));
  const freshness = createFreshnessWatch({
    ...(cfg.maxManifestAgeMs === undefined ? {} : { maxAgeMs: cfg.maxManifestAgeMs }),
    onStale: (f) => !disposed && emit('manifest-stale', f),
    defer: (fn) => void afterStart.then(fn),
  });
  const init: WorkerInit = { executionProviders: cfg.executionProviders, ...(cfg.wasmThreads === undefined ? {} : { wasmThreads: cfg.wasmThreads }) };
  const slotOptions = {
    init,
    timeouts: cfg.timeouts,
    ...(cfg.createWorker ? { createWorker: cfg.createWorker } : {}),
    ...(cfg.warmup ? { warmup: cfg.warmup } : {}),
    ...(cfg.maxInputElements === undefined ? {} : { maxInputElements: cfg.maxInputElements }),
  };
  const workers = await createWorkerPool({
    spawn: () => startInferenceWorker(init, { timeouts: cfg.timeouts, ...(cfg.createWorker ? { create: cfg.createWorker } : {}) }),
    standby: cfg.standbyWorker,
    respawnDelayMs: cfg.standbyRespawnDelayMs,
  });
  const workerInfo = workers.info;

  let live: Slot | undefined;
  /** The last slot that served: its version's input bounds apply while a worker is replaced. */
  let lastLive: Slot | undefined;
  let since = 0;
  let preparing: VersionId | undefined;
  /** The A/B arm this device is in, when an A/B test decides what it serves. */
  let arm: { readonly name: string; readonly version: VersionId } | undefined;
  let routeInfo: RuntimeStatus['route'];
  let lastStatus: ModelStatus | undefined;
  let lastError: BatonError | undefined;
  let disposed = false;
  /**
   * Every request queues here and goes to the live slot one at a time, so the ones behind a
   * hung or crashed run can go to the worker that takes over (run-dispatcher.ts).
   */
  const dispatcher = createRunDispatcher<Slot>({
    hangs: createHangDetector({ ...DEFAULT_HANG_POLICY, capMs: cfg.timeouts.runMs ?? DEFAULT_TIMEOUTS.runMs }),
    timers: { now: () => performance.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
    onHang: (slot, error) => void recover(slot, error, 'hung'),
    onAllocationFailure: (slot, error) => void recycle(slot, error),
  });
  const health = createHealthMonitor();
  const healthPolicy = () => lastStatus?.manifest?.policy.health ?? DEFAULT_HEALTH;

  /**
   * The version a trial replaced, kept loaded until the verdict (as a blue-green deployment keeps
   * blue until green is healthy): a rollback is then one assignment, like the switch itself.
   */
  let fallback: Slot | undefined;
  const retire = (slot: Slot) =>
    void slot.retire().then(() => {
      emit('released', { version: slot.version });
      workers.replenishLater();
    });

  /** Makes `slot` live between two requests and records it as the active version. */
  const flipTo = (slot: Slot, from: Slot | undefined) => {
    setLive(slot);
    emit('switch', { ...(from ? { from: from.version } : {}), to: slot.version, ep: slot.load.ep, loadMs: slot.load.loadMs, warmupMs: slot.load.warmupMs });
    return source.activate(cfg.model, slot.version).catch((e: unknown) => report('recording the active version', e));
  };

  /** Never serve or fetch `version` again on this device; the router then chooses without it. */
  const quarantine = (version: VersionId, error: BatonError) =>
    source.quarantine(cfg.model, version, error).catch((e: unknown) => report(`quarantining version ${version}`, e));

  /** A version failed a health gate (on trial, or in the shadow): record it and say so with the figures. */
  const failGate = (kind: 'rolled-back' | 'shadow-rejected', version: VersionId, verdict: Extract<Verdict, { kind: 'rollback' }>): BatonError => {
    rollout.dispatch({ type: kind, version, reason: verdict.reason, at: Date.now() });
    const what = kind === 'rolled-back' ? 'rolled back' : 'rejected in shadow';
    const error = new BatonError('unhealthy', `version ${version} ${what} on this device: ${verdict.reason}`, { reason: verdict.reason, ...verdict.figures });
    emit('rollback', { from: version, reason: verdict.reason, figures: verdict.figures, error });
    return error;
  };

  /** A version on trial failed its gates: switch back at once, quarantine it, let the router confirm. */
  async function rollBack(version: VersionId, verdict: Extract<Verdict, { kind: 'rollback' }>) {
    const error = failGate('rolled-back', version, verdict);
    if (fallback?.worker.alive && live?.version === version) {
      const bad = live;
      const back = fallback;
      fallback = undefined;
      void flipTo(back, bad);
      retire(bad);
    }
    await quarantine(version, error);
    await reconcile();
  }

  const shadow = createShadowRunner({
    load: async (release) => {
      const { bytes } = await source.readModel(cfg.model, release.version);
      const slot = await loadSlot(release, bytes, slotOptions, await workers.take());
      workers.replenishLater();
      return slot;
    },
    retire,
    health,
    healthPolicy,
    report: (during, e) => report(during, e),
    onRun(version, agreed, latencyMs) {
      obs!.shadow(version, agreed, latencyMs);
      const runs = rollout.dispatch({ type: 'shadowed', version, agreed }).healthyRuns[version];
      if (agreed) openStageIfEarned(version, runs);
    },
    async onReject(version, verdict) {
      await quarantine(version, failGate('shadow-rejected', version, verdict));
    },
  });

  /** Feeds one request's outcome to the health windows and, for a version on trial, judges it. */
  const observe = (version: VersionId, ok: boolean, runMs: number) => {
    const policy = healthPolicy();
    health.record(version, ok, runMs, policy);
    if (rollout.state.trial?.version !== version) return;
    const state = rollout.dispatch({ type: 'served', version, ok });
    const trial = state.trial!;
    if (ok) openStageIfEarned(version, state.healthyRuns[version]);
    if (ok && trial.served % JUDGE_EVERY !== 0) return;
    const verdict = health.judge(trial, policy);
    if (verdict?.kind === 'rollback') void rollBack(version, verdict);
    else if (verdict?.kind === 'promote') {
      rollout.dispatch({ type: 'promoted', version, at: Date.now() });
      emit('promoted', { version, served: verdict.served });
      if (fallback) retire(fallback);
      fallback = undefined;
    }
  };

  /**
   * A stage that opens by time or by healthy runs changes what this device should serve with no
   * new manifest: persist the count (the updater reads it), check, and re-route.
   */
  const openStage = () =>
    void rollout
      .flush()
      .then(() => source.check(cfg.model))
      // A failed check is already reported (update-failed); re-route with what is stored.
      .catch(() => {})
      .then(() => reconcile());
  const stages = createStageWatch(openStage);
  const openStageIfEarned = (version: VersionId, runs: number | undefined) => {
    if (stages.earned(lastStatus?.manifest?.policy.candidate, version, runs)) openStage();
  };

  const setLive = (slot: Slot) => {
    live = lastLive = slot;
    since = performance.now();
    dispatcher.setTarget(slot);
    void slot.worker.died.then((reason) => {
      if (live === slot && !disposed) void recover(slot, reason, 'crashed');
    });
  };
  const report = (during: string, e: unknown) => {
    const error = isBatonError(e) ? e : new BatonError('storage-failed', `${during}: ${(e as Error)?.message ?? String(e)}`);
    lastError = error;
    emit('error', { error, during });
  };
  const persisted = parseRolloutRecord(
    await source.readMeta(rolloutKey(cfg.model)).catch((e: unknown) => {
      report('reading the rollout state', e);
      return undefined;
    }),
  );
  /** Trial, promotions, healthy runs and local pin: persisted, so a reload resumes in the same phase. */
  const rollout = createRolloutKeeper({
    initial: persisted?.state ?? INITIAL_ROLLOUT,
    save: (record) => source.writeMeta(rolloutKey(cfg.model), record),
    windows: (state) => health.snapshot([state.trial?.version, state.trial?.baseline].filter((v): v is VersionId => v !== undefined)),
    onSaveError: (e) => report('saving the rollout state', e),
  });
  const flushRollout = () => void rollout.flush();
  obs = await createObservability({
    model: cfg.model,
    readMeta: (key) => source.readMeta(key),
    writeMeta: (key, value) => source.writeMeta(key, value),
    deviceId: () => lastStatus?.deviceId ?? '',
    serving: () => (live ? { version: live.version, ep: live.load.ep, ...(arm && arm.version === live.version ? { arm: arm.name } : {}), activeForMs: performance.now() - since } : undefined),
    report: (during, e) => report(during, e),
    onDrift: (signal) => emit('drift', signal),
    ...(cfg.telemetry ? { telemetry: cfg.telemetry } : {}),
    ...(cfg.drift ? { drift: cfg.drift } : {}),
  });

  /**
   * The live worker crashed or hung. Only the request it was running failed; the ones queued
   * behind it wait for whoever takes over. During a trial that is the kept version, at once (the
   * router then decides what serves: usually the candidate again, in a fresh worker); otherwise
   * the same version in a fresh worker — the standby, whose onnxruntime-web is initialised — with
   * one warm-up run, since requests are waiting.
   */
  async function recover(lost: Slot, reason: BatonError, cause: 'crashed' | 'hung') {
    lost.worker.terminate();
    if (lost !== live || disposed) return;
    emit('error', { error: reason, during: `serving version ${lost.version}` });
    if (fallback?.worker.alive && rollout.state.trial?.version === lost.version) {
      const back = fallback;
      fallback = undefined;
      void flipTo(back, lost);
      emit('worker-restarted', { version: lost.version, reason, cause, serving: back.version });
      void reconcile();
      return;
    }
    live = undefined;
    dispatcher.setTarget(undefined);
    try {
      const { bytes } = await source.readModel(cfg.model, lost.version);
      const slot = await loadSlot(lost.release, bytes, slotOptions, await workers.take(), 1);
      workers.replenishLater();
      // Disposed, or another version took over meanwhile (a switch): this one is not needed.
      if (disposed || live) return void slot.retire();
      setLive(slot);
      emit('worker-restarted', { version: slot.version, reason, cause, serving: slot.version });
    } catch (e) {
      report(`restarting the worker for version ${lost.version}`, e);
      if (!live) dispatcher.fail(lastError);
    }
  }

  /**
   * A run failed to allocate: its worker's WASM heap keeps what it grew to until the worker is
   * terminated (onnxruntime issue #21673). The same version is loaded and warmed in a fresh
   * worker beside it, takes over between two requests, and the old worker is terminated.
   */
  const recycling = new Set<Slot>();
  async function recycle(old: Slot, reason: BatonError) {
    if (old !== live || recycling.has(old) || disposed) return;
    recycling.add(old);
    try {
      const { bytes } = await source.readModel(cfg.model, old.version);
      const slot = await loadSlot(old.release, bytes, slotOptions, await workers.take());
      workers.replenishLater();
      if (disposed || live !== old) return void slot.retire();
      setLive(slot);
      void old.retire();
      emit('worker-restarted', { version: slot.version, reason, cause: 'allocation-failure', serving: slot.version });
    } catch (e) {
      report(`recycling the worker for version ${old.version}`, e);
    } finally {
      recycling.delete(old);
    }
  }

  /** Decides what should serve and switches to it if it is ready; one at a time. */
  let reconciling: Promise<void> = Promise.resolve();
  const reconcile = () => {
    reconciling = reconciling.then(doReconcile).catch((e: unknown) => report('switching versions', e));
    return reconciling;
  };

  async function doReconcile(): Promise<void> {
    if (disposed) return;
    const st = (lastStatus = await source.status(cfg.model));
    freshness.observe(st);
    if (!st.manifest) return;
    const policy = st.manifest.policy;
    rollout.dispatch({ type: 'manifest-changed', versions: st.manifest.versions.map((r) => r.version) });
    stages.schedule(policy.candidate);
    const { localPin } = rollout.state;
    const candidateRuns = policy.candidate ? rollout.state.healthyRuns[policy.candidate.version] : undefined;
    const ready = new Map(st.versions.filter((v) => v.state === 'ready').map((v) => [v.version, v.release]));
    const quarantined = new Set(st.versions.filter((v) => v.state === 'quarantined').map((v) => v.version));
    const r = await routeDevice(policy, st.deviceId, {
      quarantined,
      now: Date.now(),
      ...(localPin === undefined ? {} : { localPin }),
      ...(candidateRuns === undefined ? {} : { healthyRuns: candidateRuns }),
    });
    arm = r.arm === undefined ? undefined : { name: r.arm, version: r.serve };
    routeInfo = {
      ...(r.candidate && policy.candidate ? { candidate: { version: policy.candidate.version, ...r.candidate, inside: inRollout(r.candidate.bucket, r.candidate.percent) } } : {}),
      ...(r.abBucket === undefined ? {} : { ab: { bucket: r.abBucket, ...(r.arm === undefined ? {} : { arm: r.arm }) } }),
    };
    const servable = (v: VersionId) => ready.has(v) && !quarantined.has(v) && !policy.killed.includes(v);
    await shadow.sync(r.shadow !== undefined && servable(r.shadow) ? ready.get(r.shadow) : undefined, policy.candidate?.shadow);
    let target: VersionId | undefined = r.serve;
    if (!servable(target)) {
      // Not downloaded yet: keep serving what serves, unless it may no longer be served
      // (killed, quarantined); then fall back to the best version already on the device.
      if (live && servable(live.version)) return;
      target = [...r.hold, st.active, st.previous].find((v): v is VersionId => v !== undefined && servable(v));
    }
    if (target === undefined || target === live?.version) return;
    if (!cfg.autoSwitch && live && target !== rollout.state.localPin) return;
    await switchTo(ready.get(target)!);
  }

  async function switchTo(release: Release): Promise<void> {
    preparing = release.version;
    try {
      let slot: Slot;
      if (fallback?.version === release.version && fallback.worker.alive) {
        // Back to the version a trial replaced: it is still loaded and warm.
        slot = fallback;
        fallback = undefined;
      } else {
        try {
          const { bytes } = await source.readModel(cfg.model, release.version);
          // Nothing serves yet (a cold start): one warm-up run validates the model; answer sooner.
          slot = await loadSlot(release, bytes, slotOptions, await workers.take(), live ? undefined : 1);
          emit('warmed', { version: slot.version, ep: slot.load.ep, loadMs: slot.load.loadMs, warmupMs: slot.load.warmupMs });
        } catch (e) {
          if (live) workers.replenishLater();
          if (isBatonError(e) && (e.code === 'model-load-failed' || e.code === 'warmup-failed')) {
            // The bytes are verified and immutable: this version will never load here. Never try again.
            await source.quarantine(cfg.model, release.version, e).catch(() => {});
            emit('load-failed', { version: release.version, error: e });
            lastError = e;
            void reconcile();
            return;
          }
          throw e;
        }
      }
      if (disposed) return void slot.retire();
      const old = live;
      // Anything but the stable, pinned or promoted version is on trial against what it replaced;
      // the same trial resumes after a reload (with its persisted figures).
      const resumes = rollout.state.trial?.version === slot.version;
      const state = rollout.dispatch({ type: 'switched', to: slot.version, ...(old ? { from: old.version } : {}), stable: lastStatus?.manifest?.policy.stable ?? slot.version, at: Date.now() });
      const onTrial = state.trial?.version === slot.version;
      if (onTrial && !resumes) health.reset(slot.version);
      // The fallback is in place in the same turn as the switch: a candidate can fail its gate
      // while the active version is still being recorded (a service-worker round trip, slow on a
      // busy device), and its rollback must find the version it replaced.
      const previousFallback = fallback;
      fallback = onTrial ? old : undefined;
      const recorded = flipTo(slot, old);
      for (const s of new Set([previousFallback, old])) if (s && s !== fallback && s !== slot) retire(s);
      // The standby (if this switch used it) is replaced once the swap is well over; after a cold
      // start, a moment after the first answers rather than competing with them for the cores.
      workers.replenishLater(old ? undefined : Math.min(COLD_START_STANDBY_DELAY_MS, cfg.standbyRespawnDelayMs));
      await recorded;
    } finally {
      preparing = undefined;
    }
  }

  const onUpdate = (e: UpdateEvent) => {
    if (e.model === cfg.model && !disposed) relayUpdateEvent(e, emit, () => void reconcile());
  };

  await source.configure({
    name: cfg.model,
    manifestUrl: cfg.manifestUrl,
    publicKeys: cfg.publicKeys,
    runtime: { onnxruntimeWeb: workerInfo.onnxruntimeWeb, executionProviders: workerInfo.ep === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'] },
    ...(cfg.threshold === undefined ? {} : { threshold: cfg.threshold }),
    ...(cfg.expect ? { expect: cfg.expect } : {}),
    ...(cfg.deviceId === undefined ? {} : { deviceId: cfg.deviceId }),
    ...(cfg.download ? { download: cfg.download } : {}),
  });
  const unsubscribe = source.on(onUpdate);
  const initial = await source.status(cfg.model);
  // The trial's figures from before the reload (they drop out by age like any others).
  if (persisted) health.restore(persisted.windows, initial.manifest?.policy.health ?? DEFAULT_HEALTH);
  const hasReady = initial.versions.some((v) => v.state === 'ready');
  // First install: nothing to serve until the first download finishes (and its errors are ours).
  if (!hasReady) await source.check(cfg.model);
  await reconcile();
  if (!live) {
    unsubscribe();
    workers.dispose();
    throw lastError ?? new BatonError('version-unavailable', `no version of "${cfg.model}" could be loaded`);
  }
  // After createRuntime has resolved (a macrotask later), so the app has subscribed to the
  // events this check emits (an offline start reports update-failed at once).
  // Reconciled afterwards whatever the outcome: a failed check can leave the device stale.
  if (hasReady && cfg.checkOnStart) setTimeout(() => void source.check(cfg.model).catch(() => {}).then(() => reconcile()), 0);
  // Said once, after createRuntime has resolved, for the same reason.
  if (updates.fallback) void afterStart.then(() => !disposed && emit('service-worker-unavailable', { error: updates.fallback! }));
  setTimeout(started, 0);
  // The counters are written at most once a second; a closing page writes what is pending.
  addEventListener('pagehide', flushRollout);
  const schedule = cfg.checkIntervalMs > 0 ? startCheckSchedule({ intervalMs: cfg.checkIntervalMs, check: () => source.check(cfg.model).finally(() => void reconcile()) }) : undefined;

  const runtime: Runtime = {
    async run(feeds: Feeds): Promise<RunOutput> {
      if (disposed) throw new BatonError('disposed', 'the runtime was disposed');
      // Refused here, before any buffer is transferred: no worker's heap grows for it.
      const current = live ?? lastLive;
      if (current) checkInputSize(feeds, current.inputLimits);
      const sampled = shadow.sample(feeds);
      // Summarised before the run: the run transfers (detaches) the input buffers.
      const drift = obs!.sampleDrift();
      if (drift && current) obs!.drift(current.release, 'input', feeds);
      const started = performance.now();
      // Queued behind earlier requests; whichever slot serves when its turn comes runs it (a
      // worker being replaced is waited for, bounded by its start-up and load timeouts).
      const served = await dispatcher.run(feeds);
      const slot = served.slot;
      const armName = arm && slot.version === arm.version ? arm.name : undefined;
      if (!served.ok) {
        const latency = performance.now() - started;
        observe(slot.version, false, latency);
        obs!.request(slot.version, slot.load.ep, armName, false, latency);
        throw served.error;
      }
      const result = served.result;
      const latency = performance.now() - started;
      const ok = outputsFinite(result.outputs);
      // The gate judges the model's own time (session.run in the worker), not the end-to-end
      // latency: on a busy device queueing multiplies every hiccup into the tail, whichever
      // version serves. The app-visible latency is what rt.metrics() reports.
      observe(slot.version, ok, result.runMs);
      obs!.request(slot.version, result.ep, armName, ok, latency);
      if (!ok && cfg.rejectNonFinite) throw new BatonError('run-failed', `version ${slot.version} returned NaN or Infinity`, { version: slot.version, nonFinite: true });
      if (drift && ok) obs!.drift(slot.release, 'output', result.outputs);
      if (sampled) shadow.after(sampled, result.outputs);
      const outputs: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(result.outputs)) outputs[name] = new Tensor(t.type as never, t.data as never, t.dims as number[]);
      return { outputs, version: slot.version, ep: result.ep, ...(armName === undefined ? {} : { arm: armName }) };
    },
    metrics: () => obs!.metrics(),
    log: (afterSeq) => obs!.log(afterSeq),
    flushTelemetry: () => obs!.flushTelemetry(),
    status(): RuntimeStatus {
      return {
        model: cfg.model,
        ...(live ? { serving: { version: live.version, ep: live.load.ep, sinceMs: performance.now() - since, loadMs: live.load.loadMs, warmupMs: live.load.warmupMs } } : {}),
        ...(preparing ? { preparing } : {}),
        ...(fallback ? { fallback: fallback.version } : {}),
        ...(arm ? { arm: arm.name } : {}),
        ...(shadow.status() ? { shadow: shadow.status()! } : {}),
        ...(rollout.state.trial ? { trial: { ...rollout.state.trial, ...health.stats(rollout.state.trial.version) } } : {}),
        rollout: rollout.state,
        ...(rollout.state.localPin ? { pinned: rollout.state.localPin } : {}),
        ...(routeInfo ? { route: routeInfo } : {}),
        updates: updates.via,
        freshness: freshness.current,
        standby: workers.standby,
        worker: workerInfo,
        ...(lastStatus ? { device: lastStatus } : {}),
        ...(lastError ? { lastError } : {}),
      };
    },
    on: (type, handler) => emitter.on(type, handler),
    async checkForUpdate(): Promise<CheckResult> {
      schedule?.noteCheck();
      try {
        return await source.check(cfg.model);
      } finally {
        // Also after a failed check: a manifest that expired meanwhile makes the device stale.
        await reconcile();
      }
    },
    async pin(version) {
      const st = await source.status(cfg.model);
      if (!st.versions.some((v) => v.version === version && v.state === 'ready')) {
        throw new BatonError('version-unavailable', `version ${version} is not ready on this device`, { version });
      }
      if (st.manifest?.policy.killed.includes(version)) {
        throw new BatonError('version-unavailable', `version ${version} is killed in the manifest and cannot be served`, { version, killed: true });
      }
      rollout.dispatch({ type: 'pinned', version });
      await rollout.flush();
      await reconcile();
    },
    async unpin() {
      rollout.dispatch({ type: 'unpinned' });
      await rollout.flush();
      await reconcile();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      schedule?.dispose();
      stages.dispose();
      removeEventListener('pagehide', flushRollout);
      unsubscribe();
      dispatcher.dispose(new BatonError('disposed', 'the runtime was disposed'));
      await reconciling.catch(() => {});
      await rollout.flush();
      rollout.dispose();
      live?.worker.terminate();
      fallback?.worker.terminate();
      shadow.dispose();
      workers.dispose();
      await obs!.dispose();
      source.close();
      emitter.clear();
    },
  };
  fileTestHooks(runtime, {
    crashWorker: () => live?.worker.crash() ?? Promise.resolve(),
    hangWorker: () => live?.worker.hang() ?? Promise.resolve(),
    loseGpuDevice: () => live?.worker.loseGpuDevice() ?? Promise.resolve(),
  });
  return runtime;
}
