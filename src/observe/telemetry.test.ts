import { describe, expect, it } from 'vitest';
import type { RuntimeMetrics } from './events.js';
import { LogHistogram } from './histogram.js';
import { otlpExporter, type TelemetryBatch } from './telemetry.js';

const latency = (() => {
  const h = new LogHistogram();
  [1, 2, 3, 4].forEach((v) => h.add(v));
  return h.summary();
})();

const metrics: RuntimeMetrics = {
  model: 'vad',
  at: 2_000,
  versions: [
    { version: '2', ep: 'wasm', arm: 'b', requests: 40, errors: 3, errorRate: 0.075, throughput: 20, latencyMs: latency, firstAt: 1_000, lastAt: 2_000 },
  ],
  shadow: [],
  downloads: [],
  drift: [],
  telemetry: [],
};

const batch = (over: Partial<TelemetryBatch> = {}): TelemetryBatch => ({
  model: 'vad',
  deviceId: 'device-1',
  at: 2_000,
  events: [{ seq: 7, at: 1_500, level: 'warn', type: 'rollback', version: '2', code: 'unhealthy', message: '2 rolled back: error-rate', data: { errors: 9 } }],
  metrics,
  final: false,
  ...over,
});

type Sent = { url: string; body: unknown; keepalive: boolean | undefined };

function collector(status = () => 200) {
  const sent: Sent[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    sent.push({ url, body: JSON.parse(init.body as string), keepalive: init.keepalive });
    return new Response(null, { status: status() });
  }) as unknown as typeof globalThis.fetch;
  return { sent, fetch };
}

describe('otlpExporter', () => {
  it('posts OTLP/HTTP JSON logs and metrics with the resource, the events and the per-version figures', async () => {
    const c = collector();
    const exporter = otlpExporter({ endpoint: 'http://collector/otlp/', fetch: c.fetch, resource: { 'app.version': '3.1' } });
    await exporter.export(batch());
    expect(c.sent.map((s) => s.url)).toEqual(['http://collector/otlp/v1/logs', 'http://collector/otlp/v1/metrics']);
    expect(c.sent.every((s) => s.keepalive === true)).toBe(true);
    const logs = c.sent[0]!.body as { resourceLogs: { resource: { attributes: unknown[] }; scopeLogs: { logRecords: Record<string, unknown>[] }[] }[] };
    expect(logs.resourceLogs[0]!.resource.attributes).toEqual(
      expect.arrayContaining([
        { key: 'baton.model', value: { stringValue: 'vad' } },
        { key: 'baton.device_id', value: { stringValue: 'device-1' } },
        { key: 'app.version', value: { stringValue: '3.1' } },
      ]),
    );
    const record = logs.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(record).toMatchObject({ timeUnixNano: '1500000000', severityText: 'WARN', severityNumber: 13, body: { stringValue: '2 rolled back: error-rate' } });
    expect(record['attributes']).toEqual(
      expect.arrayContaining([
        { key: 'event.name', value: { stringValue: 'baton.rollback' } },
        { key: 'baton.error_code', value: { stringValue: 'unhealthy' } },
        { key: 'baton.errors', value: { intValue: '9' } },
      ]),
    );
    const m = c.sent[1]!.body as {
      resourceMetrics: {
        scopeMetrics: { metrics: { name: string; sum?: { dataPoints: Record<string, unknown>[] }; summary?: { dataPoints: Record<string, unknown>[] } }[] }[];
      }[];
    };
    const byName = Object.fromEntries(m.resourceMetrics[0]!.scopeMetrics[0]!.metrics.map((x) => [x.name, x]));
    expect(byName['baton.requests']!.sum!.dataPoints[0]).toMatchObject({ asInt: '40', startTimeUnixNano: '1000000000', timeUnixNano: '2000000000' });
    expect(byName['baton.errors']!.sum!.dataPoints[0]).toMatchObject({ asInt: '3' });
    expect(byName['baton.latency']!.summary!.dataPoints[0]).toMatchObject({ count: '4', quantileValues: expect.arrayContaining([{ quantile: 1, value: 4 }]) });
    expect(byName['baton.requests']!.sum!.dataPoints[0]!['attributes']).toEqual(expect.arrayContaining([{ key: 'baton.arm', value: { stringValue: 'b' } }]));
    expect(exporter.stats!()).toEqual({ sent: 2, failed: 0, dropped: 0, queued: 0 });
  });

  it('keeps what it could not send for the next batch, and drops (counting) beyond its queue', async () => {
    let up = false;
    const c = collector(() => (up ? 200 : 503));
    const exporter = otlpExporter({ endpoint: 'http://collector', fetch: c.fetch, maxQueue: 3 });
    await exporter.export(batch()); // 2 payloads, the first attempt fails: both stay queued
    expect(exporter.stats!()).toEqual({ sent: 0, failed: 1, dropped: 0, queued: 2 });
    await exporter.export(batch()); // 4 payloads for a queue of 3: the oldest is dropped
    expect(exporter.stats!()).toMatchObject({ dropped: 1, queued: 3 });
    up = true;
    await exporter.export(batch({ events: [] })); // + metrics only, then everything drains
    expect(exporter.stats!()).toEqual({ sent: 3, failed: 2, dropped: 2, queued: 0 });
  });

  it('never rejects when the collector is unreachable', async () => {
    const exporter = otlpExporter({
      endpoint: 'http://nowhere',
      fetch: (async () => {
        throw new TypeError('Failed to fetch');
      }) as typeof fetch,
    });
    await expect(exporter.export(batch())).resolves.toBeUndefined();
    expect(exporter.stats!()).toMatchObject({ failed: 1, queued: 2 });
  });

  it('uses sendBeacon for the last batch of a page that is going away', async () => {
    const beacons: string[] = [];
    const c = collector();
    const exporter = otlpExporter({ endpoint: 'http://collector', fetch: c.fetch, sendBeacon: (url) => (beacons.push(url), true) });
    await exporter.export(batch({ final: true }));
    expect(beacons).toEqual(['http://collector/v1/logs', 'http://collector/v1/metrics']);
    expect(c.sent).toEqual([]);
  });
});
