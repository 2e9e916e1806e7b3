import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { createDriftMonitor, DRIFT_SEGMENTS, MIN_DRIFT_VALUES, profileTensor, psi, SEGMENT_VALUES } from './drift.js';
import { EventLog, parseLogEntries } from './event-log.js';
import { LogHistogram, RELATIVE_ACCURACY } from './histogram.js';
import { createLifecycleMapper } from './lifecycle-log.js';
import { createMetricsRecorder } from './metrics.js';
import { uniform } from '../testing/models-reference.js';

const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

describe('LogHistogram', () => {
  it('reports quantiles within its relative accuracy of the exact ones, over a wide range', () => {
    const r = uniform(1);
    const values = Array.from({ length: 20_000 }, () => Math.exp(r() * 12 - 4)); // 0.02 ms … 3 s
    const h = new LogHistogram();
    values.forEach((v) => h.add(v));
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))]!;
      expect(Math.abs(h.quantile(q) - exact) / exact).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
    }
    expect(h.summary()).toMatchObject({ count: 20_000, min: sorted[0], max: sorted.at(-1) });
  });

  it('is empty-safe, ignores garbage, counts zeros, and merges', () => {
    const h = new LogHistogram();
    expect(h.summary()).toEqual({ count: 0, mean: 0, min: 0, max: 0, p50: 0, p95: 0, p99: 0 });
    h.add(NaN);
    h.add(-1);
    h.add(0);
    expect(h.count).toBe(1);
    const other = new LogHistogram();
    for (let i = 1; i <= 99; i++) other.add(i);
    h.merge(other);
    expect(h.count).toBe(100);
    expect(h.quantile(0)).toBe(0);
    expect(h.quantile(1)).toBe(99);
  });
});

describe('metrics recorder', () => {
  it('keeps one row per version × EP × arm with counts, error rate, latency and throughput', () => {
    let now = 1_000_000;
    const m = createMetricsRecorder(() => now);
    for (let i = 0; i < 30; i++) {
      m.request('1', 'wasm', undefined, true, 2);
      now += 100; // 10 requests per second
    }
    m.request('2', 'wasm', 'b', false, 5);
    m.request('2', 'wasm', 'b', true, 4);
    m.request('2', 'webgpu', 'b', true, 1);
    const snap = m.snapshot();
    expect(snap.versions).toHaveLength(3);
    const v1 = snap.versions.find((v) => v.version === '1')!;
    expect(v1).toMatchObject({ requests: 30, errors: 0, errorRate: 0, firstAt: 1_000_000 });
    expect(v1.latencyMs.p50).toBeCloseTo(2, 1);
    expect(v1.throughput).toBeCloseTo(10, 0);
    expect(snap.versions.find((v) => v.version === '2' && v.ep === 'wasm')).toMatchObject({ arm: 'b', requests: 2, errors: 1, errorRate: 0.5 });
  });

  it('follows a download from first progress to its end, and keeps the latest few', () => {
    let now = 0;
    const m = createMetricsRecorder(() => now);
    const p = {
      version: '2',
      phase: 'downloading' as const,
      bytesDone: 0,
      bytesTotal: 100,
      chunksDone: 0,
      chunksTotal: 4,
      chunksReused: 3,
      chunksFetched: 0,
      bytesFetched: 0,
    };
    m.download(p);
    now = 250;
    m.download({ ...p, chunksFetched: 1, bytesFetched: 25, bytesDone: 100, chunksDone: 4 });
    m.downloadEnded('2', { ok: true });
    m.download({ ...p, version: '3' });
    m.downloadEnded('3', { ok: false, code: 'hash-mismatch' });
    expect(m.snapshot().downloads).toEqual([
      { version: '2', state: 'done', bytesTotal: 100, bytesFetched: 25, chunksTotal: 4, chunksFetched: 1, chunksReused: 3, startedAt: 0, durationMs: 250 },
      {
        version: '3',
        state: 'failed',
        bytesTotal: 100,
        bytesFetched: 0,
        chunksTotal: 4,
        chunksFetched: 0,
        chunksReused: 3,
        startedAt: 250,
        durationMs: 0,
        errorCode: 'hash-mismatch',
      },
    ]);
  });

  it('tracks shadow agreement per version', () => {
    const m = createMetricsRecorder(() => 0);
    [true, true, false, true].forEach((ok) => m.shadow('2', ok, 1));
    expect(m.snapshot().shadow).toEqual([expect.objectContaining({ version: '2', runs: 4, agreed: 3, agreement: 0.75 })]);
  });
});

describe('event log', () => {
  it('keeps the newest entries up to its capacity, with sequence numbers that continue across a restore', () => {
    const log = new EventLog(3);
    for (let i = 0; i < 5; i++) log.append({ at: i, level: 'info', type: 'switch', message: `#${i}` });
    expect(log.list().map((e) => [e.seq, e.message])).toEqual([
      [3, '#2'],
      [4, '#3'],
      [5, '#4'],
    ]);
    expect(log.list(4).map((e) => e.seq)).toEqual([5]);
    const reloaded = new EventLog(3);
    reloaded.append({ at: 9, level: 'warn', type: 'rollback', message: 'new' });
    reloaded.restore(parseLogEntries(JSON.parse(JSON.stringify(log.list()))));
    expect(reloaded.list().map((e) => [e.seq, e.message])).toEqual([
      [4, '#3'],
      [5, '#4'],
      [6, 'new'],
    ]);
    expect(reloaded.lastSeq).toBe(6);
  });

  it('drops a stored log it did not write', () => {
    expect(parseLogEntries('garbage')).toEqual([]);
    expect(parseLogEntries([{ seq: 0, at: 1, level: 'info', type: 'x', message: 'm' }])).toEqual([]);
  });

  it('maps runtime events to entries: one per step, download progress reduced to its steps', () => {
    const map = createLifecycleMapper();
    const progress = {
      model: 'm',
      version: '2',
      phase: 'downloading' as const,
      bytesDone: 0,
      bytesTotal: 10,
      chunksDone: 0,
      chunksTotal: 4,
      chunksReused: 1,
      chunksFetched: 0,
      bytesFetched: 0,
    };
    expect(map.entryFor('progress', progress)).toMatchObject({ type: 'download-started', version: '2', message: 'downloading 2: 3 of 4 chunks to fetch' });
    expect(map.entryFor('progress', { ...progress, chunksDone: 2 })).toBeUndefined();
    expect(map.entryFor('progress', { ...progress, phase: 'verifying' })).toMatchObject({ type: 'download-verifying' });
    expect(map.entryFor('manifest-accepted', { sequence: 3, unchanged: true })).toBeUndefined();
    const error = new BatonError('unhealthy', 'version 2 rolled back');
    expect(
      map.entryFor('rollback', { from: '3', reason: 'latency', figures: {}, error, final: false, retryAt: Date.parse('2026-06-01T00:30:00Z') }),
    ).toMatchObject({
      message: '3 rolled back: latency; held until 2026-06-01T00:30:00.000Z, then tried again',
      data: { final: false, retryAt: Date.parse('2026-06-01T00:30:00Z') },
    });
    expect(map.entryFor('rollback', { from: '2', reason: 'error-rate', figures: { errors: 9, requests: 30 }, error, final: true })).toEqual({
      level: 'warn',
      type: 'rollback',
      version: '2',
      code: 'unhealthy',
      message: '2 rolled back: error-rate; quarantined',
      data: { reason: 'error-rate', final: true, errors: 9, requests: 30 },
    });
    expect(map.entryFor('update-failed', { version: '3', error: new BatonError('hash-mismatch', 'chunk 2') })).toMatchObject({
      level: 'error',
      code: 'hash-mismatch',
      version: '3',
    });
    expect(map.entryFor('switch', { from: '1', to: '2', ep: 'wasm', loadMs: 1, warmupMs: 1 })).toMatchObject({
      type: 'switch',
      version: '2',
      message: '1 → 2 (wasm)',
    });
  });
});

describe('drift', () => {
  const reference = (seed: number, shift = 0, n = 5_000): Float32Array<ArrayBuffer> => {
    const r = uniform(seed);
    return Float32Array.from({ length: n }, () => normal(r) + shift);
  };

  it('profiles a tensor with equal-frequency bins', () => {
    const p = profileTensor('x', reference(1));
    expect(p.edges).toHaveLength(9);
    expect(p.freq).toHaveLength(10);
    p.freq.forEach((f) => expect(f).toBeCloseTo(0.1, 1));
    expect(p.mean).toBeCloseTo(0, 1);
    expect(p.std).toBeCloseTo(1, 1);
    expect(() => profileTensor('x', [NaN])).toThrow(RangeError);
  });

  it('computes PSI: zero for the same distribution, large for a shifted one', () => {
    expect(psi([10, 10, 10], [1 / 3, 1 / 3, 1 / 3])).toBeCloseTo(0, 6);
    expect(psi([28, 1, 1], [1 / 3, 1 / 3, 1 / 3])).toBeGreaterThan(0.5);
  });

  it('signals a shifted input once, not a matching one, and only with enough values', () => {
    const profile = { samples: 5000, inputs: [profileTensor('x', reference(1))], outputs: [] };
    const same = createDriftMonitor('1', profile);
    const shifted = createDriftMonitor('1', profile);
    const feed = (data: Float32Array<ArrayBuffer>) => ({ x: { type: 'float32' as const, data, dims: [data.length] } });
    const batches = Math.ceil(MIN_DRIFT_VALUES / 256) + 1;
    for (let i = 0; i < batches; i++) {
      same.observe('input', feed(reference(100 + i, 0, 256)));
      shifted.observe('input', feed(reference(200 + i, 0.8, 256)));
      if (i === 0) expect(shifted.evaluate()).toEqual([]); // too few values yet
    }
    expect(same.evaluate()).toEqual([]);
    const signals = shifted.evaluate();
    expect(signals).toEqual([expect.objectContaining({ version: '1', side: 'input', tensor: 'x', threshold: 0.2 })]);
    expect(signals[0]!.psi).toBeGreaterThan(0.2);
    expect(shifted.evaluate()).toEqual([]); // once, until it recovers
    expect(shifted.snapshot()[0]).toMatchObject({ tensor: 'x', drifted: true, reference: { mean: expect.any(Number) } });
    expect(same.snapshot()[0]!.psi).toBeLessThan(0.05);
  });

  it('judges the newest values only: a shift after a long normal stretch shows within a window, and recovery re-arms it', () => {
    const profile = { samples: 5000, inputs: [profileTensor('x', reference(1))], outputs: [] };
    const m = createDriftMonitor('1', profile);
    const feed = (data: Float32Array<ArrayBuffer>) => ({ x: { type: 'float32' as const, data, dims: [data.length] } });
    const window = SEGMENT_VALUES * DRIFT_SEGMENTS;
    let seed = 1000;
    const stream = (values: number, shift: number) => {
      for (let sent = 0; sent < values; sent += 256) m.observe('input', feed(reference(seed++, shift, 256)));
    };
    stream(10 * window, 0); // a long healthy life: ten windows
    expect(m.evaluate()).toEqual([]);
    stream(window, 1); // one window of shifted inputs is enough, however long the past
    expect(m.evaluate()).toMatchObject([{ tensor: 'x' }]);
    expect(m.snapshot()[0]).toMatchObject({ n: window, total: 11 * window, drifted: true });
    stream(window, 0); // back to normal: it recovers, and a new shift is signalled again
    expect(m.evaluate()).toEqual([]);
    expect(m.snapshot()[0]!.drifted).toBe(false);
    stream(window, -1);
    expect(m.evaluate()).toHaveLength(1);
  });

  it('without a profile keeps the running statistics and never signals', () => {
    const m = createDriftMonitor('1', undefined);
    m.observe('output', { y: { type: 'float32', data: Float32Array.from([1, 2, 3, 4]), dims: [4] } });
    expect(m.evaluate()).toEqual([]);
    const [snap] = m.snapshot();
    expect(snap).toMatchObject({ version: '1', side: 'output', tensor: 'y', n: 4, total: 4, mean: 2.5, drifted: false });
    expect(snap!.std).toBeCloseTo(Math.sqrt(1.25), 9);
    expect(snap).not.toHaveProperty('psi');
  });
});
