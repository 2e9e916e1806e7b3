/**
 * The runtime's eyes: metrics, the persisted lifecycle log, drift monitors and the telemetry
 * schedule, behind the few calls the runtime makes (an event, a request, a shadow run, a sampled
 * tensor). Nothing here is on the request's critical path except O(1) counters; summaries,
 * persistence and export run on timers.
 */
import { createDriftMonitor, DEFAULT_DRIFT_THRESHOLD, type DriftMonitor, type DriftSignal } from '../observe/drift.js';
import { EventLog, parseLogEntries, type LogEntry } from '../observe/event-log.js';
import { createLifecycleMapper } from '../observe/lifecycle-log.js';
import { createMetricsRecorder } from '../observe/metrics.js';
import type { TelemetryExporter } from '../observe/telemetry.js';
import { createThrottledSave } from '../store/throttled-save.js';
import type { ExecutionProvider, Release, VersionId } from '../types.js';
import type { Feeds } from '../worker/protocol.js';
import type { RuntimeEvents, RuntimeMetrics } from './api.js';

export interface ObservabilityDeps {
  readonly model: string;
  readMeta(key: string): Promise<unknown>;
  writeMeta(key: string, value: unknown): Promise<void>;
  deviceId(): string;
  /** What serves now, for the metrics. */
  serving(): RuntimeMetrics['serving'];
  report(during: string, e: unknown): void;
  onDrift(signal: DriftSignal): void;
  readonly telemetry?: { readonly exporters: readonly TelemetryExporter[]; readonly intervalMs?: number };
  readonly drift?: { readonly sampleRate?: number; readonly threshold?: number };
  readonly random?: () => number;
}

export const logKey = (model: string) => `log:${model}`;
/** Drift is re-evaluated after this many sampled requests of a version. */
const DRIFT_EVERY = 50;

export interface Observability {
  event<K extends keyof RuntimeEvents>(type: K, event: RuntimeEvents[K]): void;
  request(version: VersionId, ep: ExecutionProvider, arm: string | undefined, ok: boolean, latencyMs: number): void;
  shadow(version: VersionId, agreed: boolean, latencyMs: number): void;
  /** Whether this request's tensors are summarised for drift. */
  sampleDrift(): boolean;
  drift(release: Release, side: 'input' | 'output', tensors: Feeds): void;
  metrics(): RuntimeMetrics;
  log(afterSeq?: number): LogEntry[];
  flushTelemetry(final?: boolean): Promise<void>;
  dispose(): Promise<void>;
}

export async function createObservability(deps: ObservabilityDeps): Promise<Observability> {
  const epochNow = () => performance.timeOrigin + performance.now();
  const recorder = createMetricsRecorder(epochNow);
  const log = new EventLog();
  const mapper = createLifecycleMapper();
  const random = deps.random ?? Math.random;
  const sampleRate = deps.drift?.sampleRate ?? 0.1;
  const threshold = deps.drift?.threshold ?? DEFAULT_DRIFT_THRESHOLD;
  const monitors = new Map<VersionId, { monitor: DriftMonitor; observed: number }>();
  const exporters = deps.telemetry?.exporters ?? [];
  let exportedSeq = 0;

  log.restore(parseLogEntries(await deps.readMeta(logKey(deps.model)).catch(() => undefined)));
  // What was logged before this page load was exported by that page (or is lost with it).
  exportedSeq = log.lastSeq;
  const saver = createThrottledSave(() => deps.writeMeta(logKey(deps.model), log.list()), {
    throttleMs: 2000,
    onError: (e) => deps.report('saving the event log', e),
  });

  const metrics = (): RuntimeMetrics => {
    const serving = deps.serving();
    return {
      model: deps.model,
      ...(serving ? { serving } : {}),
      ...recorder.snapshot(),
      drift: [...monitors.values()].flatMap((m) => m.monitor.snapshot()),
      telemetry: exporters.flatMap((e) => (e.stats ? [e.stats()] : [])),
    };
  };

  let exporting: Promise<void> = Promise.resolve();
  const flushTelemetry = (final = false): Promise<void> => {
    if (exporters.length === 0) return Promise.resolve();
    const events = log.list(exportedSeq);
    exportedSeq = log.lastSeq;
    const batch = { model: deps.model, deviceId: deps.deviceId(), at: Date.now(), events, metrics: metrics(), final };
    exporting = exporting.then(() =>
      Promise.all(
        exporters.map(async (e) => {
          try {
            await e.export(batch);
          } catch (err) {
            deps.report('exporting telemetry', err);
          }
        }),
      ).then(() => {}),
    );
    return exporting;
  };
  const interval = exporters.length > 0 ? setInterval(() => void flushTelemetry(), deps.telemetry?.intervalMs ?? 30_000) : undefined;
  const onHidden = () => {
    if (document.visibilityState !== 'hidden') return;
    void flushTelemetry(true);
    void saver.flush();
  };
  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onHidden);

  return {
    event(type, event) {
      if (type === 'progress') recorder.download(event as RuntimeEvents['progress']);
      else if (type === 'version-ready') recorder.downloadEnded((event as RuntimeEvents['version-ready']).version, { ok: true });
      else if (type === 'update-failed') {
        const e = event as RuntimeEvents['update-failed'];
        if (e.version) recorder.downloadEnded(e.version, { ok: false, code: e.error.code });
      }
      const entry = mapper.entryFor(type, event);
      if (!entry) return;
      log.append({ ...entry, at: Date.now() });
      saver.changed(entry.level !== 'info');
      // A rollback or a promotion is news the fleet's owner wants now, not in 30 s.
      if (type === 'rollback' || type === 'promoted' || type === 'quarantined') void flushTelemetry();
    },
    request(version, ep, arm, ok, latencyMs) {
      recorder.request(version, ep, arm, ok, latencyMs);
    },
    shadow(version, agreed, latencyMs) {
      recorder.shadow(version, agreed, latencyMs);
    },
    sampleDrift: () => sampleRate > 0 && random() < sampleRate,
    drift(release, side, tensors) {
      let m = monitors.get(release.version);
      if (!m) monitors.set(release.version, (m = { monitor: createDriftMonitor(release.version, release.profile, threshold), observed: 0 }));
      m.monitor.observe(side, tensors);
      // Outputs close a sampled request: evaluate every DRIFT_EVERY of them.
      if (side === 'output' && ++m.observed % DRIFT_EVERY === 0) for (const signal of m.monitor.evaluate()) deps.onDrift(signal);
    },
    metrics,
    log: (afterSeq) => log.list(afterSeq),
    flushTelemetry,
    async dispose() {
      if (interval) clearInterval(interval);
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onHidden);
      // A last batch, but a collector that hangs must not hold up dispose (the beacon is queued by then).
      await Promise.race([flushTelemetry(true), new Promise((resolve) => setTimeout(resolve, 1000))]);
      await saver.flush();
      saver.dispose();
    },
  };
}
