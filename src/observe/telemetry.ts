/**
 * The telemetry hook: the runtime hands each registered exporter a batch — the log entries since
 * the last batch and a metrics snapshot — every `intervalMs`, at once after a rollback or a
 * promotion, and when the page is hidden. Exporters run off the inference path (timers, after
 * the request), and a throwing or slow exporter never reaches the app's requests.
 *
 * `otlpExporter` is the one Baton ships: OTLP/HTTP JSON to `<endpoint>/v1/logs` and
 * `<endpoint>/v1/metrics` (what an OpenTelemetry collector accepts), sent with
 * `fetch(…, { keepalive: true })` — or `navigator.sendBeacon` while the page is going away — and
 * a bounded queue: what cannot be sent is retried with the next batch, and what overflows the
 * queue is dropped and counted.
 */
import type { RuntimeMetrics } from './events.js';
import type { LogEntry } from './event-log.js';
import type { HistogramSummary } from './histogram.js';
import type { VersionMetrics } from './metrics.js';

export interface TelemetryBatch {
  readonly model: string;
  readonly deviceId: string;
  /** Epoch ms. */
  readonly at: number;
  readonly events: readonly LogEntry[];
  readonly metrics: RuntimeMetrics;
  /** The page is going away: send now, with what survives an unload (sendBeacon). */
  readonly final: boolean;
}

export interface TelemetryExporter {
  export(batch: TelemetryBatch): void | Promise<void>;
  /** Counters, shown in `rt.metrics().telemetry`. */
  stats?(): TelemetryStats;
}

export interface TelemetryStats {
  /** Requests sent and acknowledged (2xx). */
  readonly sent: number;
  /** Attempts that failed (network error or non-2xx); their payload stays queued. */
  readonly failed: number;
  /** Payloads dropped because the queue was full. */
  readonly dropped: number;
  /** Payloads waiting for the next attempt. */
  readonly queued: number;
}

export interface OtlpExporterOptions {
  /** Collector base URL; payloads go to `<endpoint>/v1/logs` and `<endpoint>/v1/metrics`. */
  readonly endpoint: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Payloads kept for retry; beyond this the oldest are dropped (and counted). Default 20. */
  readonly maxQueue?: number;
  /** A request that takes longer is abandoned (and retried with the next batch). Default 10 s. */
  readonly timeoutMs?: number;
  /** Extra resource attributes (app version, …). */
  readonly resource?: Readonly<Record<string, string>>;
  readonly fetch?: typeof fetch;
  readonly sendBeacon?: (url: string, data: Blob) => boolean;
}

/** keepalive requests share a 64 KiB budget per page; bigger payloads go without it. */
const KEEPALIVE_LIMIT = 60 * 1024;
const SCOPE = { name: 'baton', version: '1' };

export function otlpExporter(opts: OtlpExporterOptions): TelemetryExporter {
  const maxQueue = opts.maxQueue ?? 20;
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const beacon =
    opts.sendBeacon ?? (typeof navigator !== 'undefined' && navigator.sendBeacon ? (url: string, data: Blob) => navigator.sendBeacon(url, data) : undefined);
  const base = opts.endpoint.replace(/\/$/, '');
  const queue: { url: string; body: string }[] = [];
  let sent = 0;
  let failed = 0;
  let dropped = 0;
  let sending: Promise<void> = Promise.resolve();

  const enqueue = (url: string, body: string) => {
    queue.push({ url, body });
    while (queue.length > maxQueue) {
      queue.shift();
      dropped++;
    }
  };

  async function drain(final: boolean) {
    while (queue.length > 0) {
      const item = queue[0]!;
      if (final && beacon) {
        // The page is going away: a beacon is queued by the browser, whatever happens to us.
        if (beacon(item.url, new Blob([item.body], { type: 'application/json' }))) {
          queue.shift();
          sent++;
          continue;
        }
      }
      try {
        const response = await doFetch(item.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...opts.headers },
          body: item.body,
          keepalive: item.body.length <= KEEPALIVE_LIMIT,
          // A collector that hangs must not hold the queue (and every later batch) with it.
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
        });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        queue.shift();
        sent++;
      } catch {
        failed++;
        return; // keep it queued; try again with the next batch
      }
    }
  }

  return {
    export(batch) {
      const resource = resourceOf(batch, opts.resource);
      if (batch.events.length > 0) enqueue(`${base}/v1/logs`, JSON.stringify(otlpLogs(batch, resource)));
      if (batch.metrics.versions.length > 0) enqueue(`${base}/v1/metrics`, JSON.stringify(otlpMetrics(batch, resource)));
      sending = sending.then(() => drain(batch.final));
      return sending;
    },
    stats: () => ({ sent, failed, dropped, queued: queue.length }),
  };
}

type Attribute = { key: string; value: { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean } };

function attr(key: string, value: string | number | boolean): Attribute {
  if (typeof value === 'string') return { key, value: { stringValue: value } };
  if (typeof value === 'boolean') return { key, value: { boolValue: value } };
  return Number.isInteger(value) ? { key, value: { intValue: String(value) } } : { key, value: { doubleValue: value } };
}

function resourceOf(batch: TelemetryBatch, extra: Readonly<Record<string, string>> = {}) {
  return {
    attributes: [
      attr('service.name', 'baton'),
      attr('baton.model', batch.model),
      attr('baton.device_id', batch.deviceId),
      ...Object.entries(extra).map(([k, v]) => attr(k, v)),
    ],
  };
}

const nanos = (ms: number) => `${BigInt(Math.round(ms * 1000)) * 1000n}`;
const SEVERITY = { info: 9, warn: 13, error: 17 } as const;

export function otlpLogs(batch: TelemetryBatch, resource = resourceOf(batch)) {
  return {
    resourceLogs: [
      {
        resource,
        scopeLogs: [
          {
            scope: SCOPE,
            logRecords: batch.events.map((e) => ({
              timeUnixNano: nanos(e.at),
              severityNumber: SEVERITY[e.level],
              severityText: e.level.toUpperCase(),
              body: { stringValue: e.message },
              attributes: [
                attr('event.name', `baton.${e.type}`),
                attr('baton.seq', e.seq),
                ...(e.version === undefined ? [] : [attr('baton.version', e.version)]),
                ...(e.code === undefined ? [] : [attr('baton.error_code', e.code)]),
                ...Object.entries(e.data ?? {}).map(([k, v]) => attr(`baton.${k}`, v)),
              ],
            })),
          },
        ],
      },
    ],
  };
}

export function otlpMetrics(batch: TelemetryBatch, resource = resourceOf(batch)) {
  const time = nanos(batch.at);
  const point = (v: VersionMetrics) => ({
    startTimeUnixNano: nanos(v.firstAt),
    timeUnixNano: time,
    attributes: [attr('baton.version', v.version), attr('baton.ep', v.ep), ...(v.arm === undefined ? [] : [attr('baton.arm', v.arm)])],
  });
  const counter = (name: string, unit: string, value: (v: VersionMetrics) => number) => ({
    name,
    unit,
    sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: batch.metrics.versions.map((v) => ({ ...point(v), asInt: String(value(v)) })) },
  });
  const summary = (h: HistogramSummary) => ({
    count: String(h.count),
    sum: h.mean * h.count,
    quantileValues: [
      { quantile: 0, value: h.min },
      { quantile: 0.5, value: h.p50 },
      { quantile: 0.95, value: h.p95 },
      { quantile: 0.99, value: h.p99 },
      { quantile: 1, value: h.max },
    ],
  });
  return {
    resourceMetrics: [
      {
        resource,
        scopeMetrics: [
          {
            scope: SCOPE,
            metrics: [
              counter('baton.requests', '{request}', (v) => v.requests),
              counter('baton.errors', '{request}', (v) => v.errors),
              { name: 'baton.latency', unit: 'ms', summary: { dataPoints: batch.metrics.versions.map((v) => ({ ...point(v), ...summary(v.latencyMs) })) } },
            ],
          },
        ],
      },
    ],
  };
}
