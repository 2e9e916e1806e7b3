/**
 * The composition root: decides who talks to whom, and the runtime's lifecycle (start-up and
 * dispose). The work is in the parts, each unit-tested: serving.ts (the loaded versions and the
 * switch), trial.ts (health gates, rollback, promotion), reconcile.ts with target.ts (what should
 * serve), requests.ts (the request path), status.ts (`rt.status()`), plus the request queue,
 * the worker pool, the shadow, observability and the update client.
 */
import { BatonError } from '../errors.js';
import { DEFAULT_HEALTH } from '../health/defaults.js';
import { createHealthMonitor } from '../health/monitor.js';
import { parseRolloutRecord, rolloutKey } from '../rollout/rollout-record.js';
import { connectUpdates, type ConnectedUpdates } from '../update/connect.js';
import type { UpdateEvent } from '../update/messages.js';
import type { WorkerInit } from '../worker/protocol.js';
import { startInferenceWorker } from '../worker/worker-client.js';
import type { Runtime, RuntimeEvents } from './api.js';
import { assembleParts } from './assemble.js';
import { startCheckSchedule } from './check-schedule.js';
import { modelConfigOf, resolveConfig, type ResolvedConfig, type RuntimeConfig } from './config.js';
import { createEmitter } from './emitter.js';
import { createObservability, type Observability } from './observability.js';
import { checkPinnable } from './pin.js';
import { servingMetrics } from './status.js';
import { fileTestHooks } from './test-hooks.js';
import { relayUpdateEvent } from './update-events.js';
import { createWorkerPool, prestartWorker, type PrestartedWorker } from './worker-pool.js';

/** The clocks the parts read: injected, so each part's tests own their time. */
export interface Clocks {
  /** Wall time (epoch ms): trial and stage times, routing schedules. */
  readonly now: () => number;
  /** Monotonic time: latencies, hang detection. */
  readonly perfNow: () => number;
}

const REAL_CLOCKS: Clocks = { now: () => Date.now(), perfNow: () => performance.now() };

/**
 * Starts Baton for one model and resolves once a verified version is loaded, warmed and
 * serving (on a first install, after it is downloaded).
 *
 * @example
 * const rt = await createRuntime({ model: 'vad' }); // keys, registry and service worker from baton-ml/vite
 * const { outputs, version } = await rt.run({ input: { type: 'float32', data: samples, dims: [1, 512] } });
 */
export async function createRuntime(config: RuntimeConfig): Promise<Runtime> {
  const cfg = resolveConfig(config);
  const init: WorkerInit = { executionProviders: cfg.executionProviders, ...(cfg.wasmThreads === undefined ? {} : { wasmThreads: cfg.wasmThreads }) };
  const workerOptions = { ...(cfg.timeouts ? { timeouts: cfg.timeouts } : {}), ...(cfg.createWorker ? { create: cfg.createWorker } : {}) };
  // The first worker starts while the service worker is connected and storage is read.
  const spawning = prestartWorker(() => startInferenceWorker(init, workerOptions));
  let updates: ConnectedUpdates | undefined;
  try {
    updates = await connectUpdates(cfg.serviceWorker);
    return await start(cfg, updates, REAL_CLOCKS, init, spawning);
  } catch (e) {
    updates?.client.close();
    spawning.drop();
    throw e;
  }
}

async function start(cfg: ResolvedConfig, updates: ConnectedUpdates, clocks: Clocks, init: WorkerInit, spawning: PrestartedWorker): Promise<Runtime> {
  const source = updates.client;
  const { now, perfNow } = clocks;
  let disposed = false;
  const isDisposed = () => disposed;
  const emitter = createEmitter<RuntimeEvents>();
  // Awaited once storage has been read (below): the first worker's start-up overlaps it.
  const pool = createWorkerPool({ first: spawning.first, spawn: spawning.spawn, standby: cfg.standbyWorker, respawnDelayMs: cfg.standbyRespawnDelayMs });
  pool.catch(() => {});

  let lastError: BatonError | undefined;
  const health = createHealthMonitor();
  /** Where every event is logged (and exported) before the app hears it; set once it is open. */
  let logged: Observability | undefined;
  const emit = <K extends keyof RuntimeEvents>(type: K, event: RuntimeEvents[K]) => {
    logged?.event(type, event);
    emitter.emit(type, event);
  };
  const report = (during: string, e: unknown): BatonError => {
    const error = BatonError.from(e, 'internal', during);
    lastError = error;
    emit('error', { error, during });
    return error;
  };
  const obs: Observability = (logged = await createObservability({
    model: cfg.model,
    readMeta: (key) => source.readMeta(key),
    writeMeta: (key, value) => source.writeMeta(key, value),
    deviceId: () => reconciler.lastStatus?.deviceId ?? '',
    serving: () => servingMetrics(serving.live, serving.since, reconciler.lastTarget, perfNow()),
    report: (during, e) => void report(during, e),
    onDrift: (signal) => emit('drift', signal),
    ...(cfg.telemetry ? { telemetry: cfg.telemetry } : {}),
    ...(cfg.drift ? { drift: cfg.drift } : {}),
  }));
  /** Settles a macrotask after createRuntime has resolved: what is said before then waits for it, so the app has subscribed. */
  let started!: () => void;
  const afterStart = new Promise<void>((resolve) => (started = resolve));

  const persisted = parseRolloutRecord(await source.readMeta(rolloutKey(cfg.model)).catch((e: unknown) => void report('reading the rollout state', e)));
  const workers = await pool;
  const {
    rollout,
    serving,
    pinHere,
    reconciler,
    run,
    status,
    dispose: disposeParts,
  } = assembleParts({
    cfg,
    source,
    updatesVia: updates.via,
    workers,
    init,
    health,
    obs,
    persisted,
    emit,
    report,
    noteError: (e) => (lastError = e),
    lastError: () => lastError,
    afterStart,
    now,
    perfNow,
    isDisposed,
  });
  const flushRollout = () => void rollout.flush();
  const reconcile = () => reconciler.reconcile();

  // Start-up: tell the update client about the model, resume the trial's figures, serve.
  await source.configure(modelConfigOf(cfg, workers.info));
  const unsubscribe = source.on((e: UpdateEvent) => {
    if (e.model === cfg.model && !disposed) relayUpdateEvent(e, emit, () => void reconcile());
  });
  const initial = await source.status(cfg.model);
  // The trial's figures from before the reload (they drop out by age like any others).
  if (persisted) health.restore(persisted.windows, initial.manifest?.policy.health ?? DEFAULT_HEALTH);
  const hasReady = initial.versions.some((v) => v.state === 'ready');
  // First install: nothing to serve until the first download finishes (and its errors are ours).
  if (!hasReady) await source.check(cfg.model);
  await reconcile();
  if (!serving.live) {
    unsubscribe();
    workers.dispose();
    throw lastError ?? new BatonError('version-unavailable', `no version of "${cfg.model}" could be loaded`);
  }
  // After createRuntime has resolved (a macrotask later), so the app has subscribed to what they
  // say (an offline start reports update-failed at once); a failed check re-evaluates freshness.
  if (hasReady && cfg.checkOnStart) void afterStart.then(() => source.check(cfg.model).then(reconcile, () => reconcile()));
  if (updates.fallback) void afterStart.then(() => !disposed && emit('service-worker-unavailable', { error: updates.fallback! }));
  setTimeout(started, 0);
  // The counters are written at most once a second; a closing page writes what is pending.
  addEventListener('pagehide', flushRollout);
  const schedule =
    cfg.checkIntervalMs > 0
      ? startCheckSchedule({ intervalMs: cfg.checkIntervalMs, check: () => source.check(cfg.model).finally(() => void reconcile()) })
      : undefined;

  const runtime: Runtime = {
    run,
    metrics: () => obs.metrics(),
    log: (afterSeq) => obs.log(afterSeq),
    flushTelemetry: () => obs.flushTelemetry(),
    status,
    on: (type, handler) => emitter.on(type, handler),
    async checkForUpdate() {
      schedule?.noteCheck();
      try {
        return await source.check(cfg.model);
      } finally {
        // Also after a failed check: a manifest that expired meanwhile makes the device stale.
        await reconcile();
      }
    },
    async pin(version) {
      checkPinnable(await source.status(cfg.model), version);
      await pinHere(version);
    },
    unpin: () => pinHere(undefined),
    async dispose() {
      if (disposed) return;
      disposed = true;
      schedule?.dispose();
      removeEventListener('pagehide', flushRollout);
      unsubscribe();
      await disposeParts();
      workers.dispose();
      await obs.dispose();
      source.close();
      emitter.clear();
    },
  };
  fileTestHooks(runtime, serving.testHooks);
  return runtime;
}
