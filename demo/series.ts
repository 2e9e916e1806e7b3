/**
 * What the charts plot, kept as plain data (and exposed as `window.demo.chart()`): requests in
 * one-second buckets — throughput, latency p50/p95, failed or NaN answers, and the version that
 * served most of each — markers for what happened (published, switch, promoted, rollback, …),
 * and the speech probability of one stream per request.
 */
import type { RequestSample } from './load.js';

export const BUCKET_MS = 1_000;
/** How much history the charts keep. */
export const WINDOW_MS = 90_000;
const SPEECH_WINDOW_MS = 15_000;

export type MarkerKind = 'published' | 'switch' | 'promoted' | 'rollback' | 'quarantined' | 'load-failed' | 'drift' | 'reset';

export interface Marker {
  /** Epoch ms. */
  readonly at: number;
  readonly kind: MarkerKind;
  readonly label: string;
  readonly version?: string;
}

export interface ChartData {
  /** Bucket start, epoch seconds (uPlot's x unit). */
  readonly t: number[];
  readonly rps: number[];
  readonly p50: (number | null)[];
  readonly p95: (number | null)[];
  /** Failed or non-finite answers per second. */
  readonly errors: number[];
  /** Requests per second a candidate failed and the kept version answered instead. */
  readonly rescued: number[];
  /** The version that served most of the bucket's requests. */
  readonly version: (string | null)[];
  /** Requests each version served in the bucket (a short-lived version shows here, if not in `version`). */
  readonly served: Record<string, number>[];
  readonly markers: Marker[];
}

interface Bucket {
  readonly start: number;
  readonly latencies: number[];
  errors: number;
  rescued: number;
  readonly byVersion: Map<string, number>;
}

function quantile(sorted: readonly number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function createSeries(now: () => number = Date.now) {
  const buckets: Bucket[] = [];
  const markers: Marker[] = [];
  const speech: { t: number[]; p: (number | null)[]; level: number[] } = { t: [], p: [], level: [] };

  const bucketFor = (at: number): Bucket => {
    const start = Math.floor(at / BUCKET_MS) * BUCKET_MS;
    let last = buckets.at(-1);
    // Empty buckets in between keep the x axis regular (and show a stall as zero throughput).
    while (last && last.start + BUCKET_MS < start) {
      buckets.push((last = { start: last.start + BUCKET_MS, latencies: [], errors: 0, rescued: 0, byVersion: new Map() }));
    }
    if (!last || last.start < start) buckets.push((last = { start, latencies: [], errors: 0, rescued: 0, byVersion: new Map() }));
    return last;
  };

  const trim = () => {
    const oldest = now() - WINDOW_MS;
    while (buckets.length > 0 && buckets[0]!.start < oldest) buckets.shift();
    while (markers.length > 0 && markers[0]!.at < oldest) markers.shift();
    const oldestSpeech = (now() - SPEECH_WINDOW_MS) / 1000;
    while (speech.t.length > 0 && speech.t[0]! < oldestSpeech) {
      speech.t.shift();
      speech.p.shift();
      speech.level.shift();
    }
  };

  return {
    add(s: RequestSample): void {
      const end = s.at + s.ms;
      const b = bucketFor(end);
      if (s.ok) b.latencies.push(s.ms);
      else b.errors++;
      if (s.rescuedFrom !== undefined) b.rescued++;
      if (s.version) b.byVersion.set(s.version, (b.byVersion.get(s.version) ?? 0) + 1);
      const p = s.speech?.[0];
      speech.t.push(end / 1000);
      speech.p.push(p === undefined || !Number.isFinite(p) ? null : p);
      speech.level.push(s.level);
    },
    mark(marker: Marker): void {
      markers.push(marker);
    },
    /** Buckets up to the last complete one (the current one is still filling). */
    data(): ChartData {
      trim();
      const current = Math.floor(now() / BUCKET_MS) * BUCKET_MS;
      // Seconds with no request at all (a stall) are empty buckets up to now, not missing ones.
      if (buckets.length > 0) bucketFor(current);
      const done = buckets.filter((b) => b.start < current);
      const perSecond = 1000 / BUCKET_MS;
      return {
        t: done.map((b) => b.start / 1000),
        rps: done.map((b) => (b.latencies.length + b.errors) * perSecond),
        p50: done.map((b) =>
          b.latencies.length
            ? quantile(
                [...b.latencies].sort((x, y) => x - y),
                0.5,
              )
            : null,
        ),
        p95: done.map((b) =>
          b.latencies.length
            ? quantile(
                [...b.latencies].sort((x, y) => x - y),
                0.95,
              )
            : null,
        ),
        errors: done.map((b) => b.errors * perSecond),
        rescued: done.map((b) => b.rescued * perSecond),
        version: done.map((b) => [...b.byVersion].sort((x, y) => y[1] - x[1])[0]?.[0] ?? null),
        served: done.map((b) => Object.fromEntries(b.byVersion)),
        markers: [...markers],
      };
    },
    speech(): { t: number[]; p: (number | null)[]; level: number[] } {
      trim();
      return { t: [...speech.t], p: [...speech.p], level: [...speech.level] };
    },
  };
}

export type Series = ReturnType<typeof createSeries>;
