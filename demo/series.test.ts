// The chart's data: one-second buckets of requests (throughput, latency, failures, the serving
// version), gaps kept as empty buckets, markers and history trimmed to the window.
import { describe, expect, it } from 'vitest';
import type { RequestSample } from './load.js';
import { BUCKET_MS, WINDOW_MS, createSeries } from './series.js';

const T0 = 1_700_000_000_000;
const sample = (at: number, ms: number, version: string | undefined, ok = true): RequestSample => ({
  at,
  ms,
  ok,
  ...(version ? { version } : {}),
  level: 0.1,
  ...(ok ? { speech: Float32Array.of(0.9) } : {}),
});

describe('createSeries', () => {
  it('buckets requests by the second they finished in, up to the last complete bucket', () => {
    let now = T0;
    const series = createSeries(() => now);
    for (let i = 0; i < 30; i++) series.add(sample(T0 + i * 32, 2 + (i % 10), '1.0.0'));
    series.add(sample(T0 + 1_010, 3, '2.0.0'));
    series.add(sample(T0 + 1_040, 4, '2.0.0'));
    series.add(sample(T0 + 1_070, 5, '1.0.0', false));
    now = T0 + 1_500;
    const first = series.data();
    // The second bucket is still filling: only the first is shown.
    expect(first.t).toEqual([T0 / 1000]);
    expect(first.rps).toEqual([30 * (1000 / BUCKET_MS)]);
    expect(first.p50[0]).toBe(6);
    expect(first.p95[0]).toBe(11);
    expect(first.version).toEqual(['1.0.0']);

    now = T0 + 3_200;
    const data = series.data();
    expect(data.t).toEqual([T0 / 1000, T0 / 1000 + 1, T0 / 1000 + 2]);
    expect(data.version).toEqual(['1.0.0', '2.0.0', null]);
    expect(data.served).toEqual([{ '1.0.0': 30 }, { '2.0.0': 2, '1.0.0': 1 }, {}]);
    expect(data.errors).toEqual([0, 1, 0]);
    expect(data.rescued).toEqual([0, 0, 0]);
    // A second with no request is an empty bucket (zero throughput), not a missing one.
    expect(data.rps[2]).toBe(0);
    expect(data.p50[2]).toBeNull();
  });

  it('counts the requests a candidate failed and the kept version answered, apart from failures', () => {
    let now = T0;
    const series = createSeries(() => now);
    series.add(sample(T0, 2, '2.0.0'));
    series.add({ ...sample(T0 + 32, 3, '2.0.0'), rescuedFrom: '3.0.0' });
    series.add({ ...sample(T0 + 64, 3, '2.0.0'), rescuedFrom: '3.0.0' });
    now = T0 + 1_500;
    const data = series.data();
    expect(data.rescued).toEqual([2 * (1000 / BUCKET_MS)]);
    expect(data.errors).toEqual([0]);
    expect(data.served).toEqual([{ '2.0.0': 3 }]);
  });

  it('keeps markers and buckets for the window only, and NaN answers as gaps in the speech series', () => {
    let now = T0;
    const series = createSeries(() => now);
    series.mark({ at: T0, kind: 'switch', label: 'switch → v2', version: '2.0.0' });
    series.add(sample(T0, 1, '2.0.0'));
    series.add({ at: T0 + 40, ms: 1, ok: false, version: '3.0.0', speech: Float32Array.of(Number.NaN), level: 0.1 });
    expect(series.speech().p).toEqual([expect.closeTo(0.9, 5), null]);
    now = T0 + WINDOW_MS + 2 * BUCKET_MS;
    series.mark({ at: now, kind: 'rollback', label: 'rollback v3', version: '3.0.0' });
    const data = series.data();
    expect(data.markers.map((m) => m.kind)).toEqual(['rollback']);
    expect(data.t).toEqual([]);
    expect(series.speech().t).toEqual([]);
  });
});
