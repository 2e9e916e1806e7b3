/**
 * What the runtime measured, for `rt.metrics()` and the telemetry exporters: per version × EP ×
 * A/B arm, request and error counts, throughput and a latency histogram; per shadowed version,
 * agreement; per download, bytes and chunks fetched and reused. Recording a request is O(1) and
 * allocation-free in the steady state (the last row is cached).
 */
import type { DownloadProgress } from '../download/download-release.js';
import type { ExecutionProvider, VersionId } from '../types.js';
import { LogHistogram, type HistogramSummary } from './histogram.js';

export interface VersionMetrics {
  readonly version: VersionId;
  readonly ep: ExecutionProvider;
  /** The A/B arm the requests were served under, if any. */
  readonly arm?: string;
  readonly requests: number;
  /** Requests that threw, timed out, crashed the worker, or returned NaN/±Infinity. */
  readonly errors: number;
  readonly errorRate: number;
  /** Requests per second over the last 10 s. */
  readonly throughput: number;
  /** Latency of successful requests, end to end as the app saw it (1 % relative accuracy). */
  readonly latencyMs: HistogramSummary;
  /** Epoch ms of the first and the latest request. */
  readonly firstAt: number;
  readonly lastAt: number;
}

export interface ShadowMetrics {
  readonly version: VersionId;
  readonly runs: number;
  readonly agreed: number;
  readonly agreement: number;
  readonly latencyMs: HistogramSummary;
}

export interface DownloadMetrics {
  readonly version: VersionId;
  readonly state: 'running' | 'done' | 'failed';
  readonly bytesTotal: number;
  readonly bytesFetched: number;
  readonly chunksTotal: number;
  readonly chunksFetched: number;
  /** Chunks already on the device (shared with another version): not fetched. */
  readonly chunksReused: number;
  readonly startedAt: number;
  readonly durationMs: number;
  readonly errorCode?: string;
}

export interface RecorderMetrics {
  readonly at: number;
  readonly versions: readonly VersionMetrics[];
  readonly shadow: readonly ShadowMetrics[];
  /** The latest downloads, newest last. */
  readonly downloads: readonly DownloadMetrics[];
}

const THROUGHPUT_SECONDS = 10;
const MAX_DOWNLOADS = 8;

class Row {
  requests = 0;
  errors = 0;
  readonly latency = new LogHistogram();
  firstAt = 0;
  lastAt = 0;
  /** Requests per wall-clock second, in a ring of the last THROUGHPUT_SECONDS + 1 seconds. */
  private readonly perSecond = new Int32Array(THROUGHPUT_SECONDS + 1);
  private readonly second = new Float64Array(THROUGHPUT_SECONDS + 1).fill(-1);

  constructor(
    readonly version: VersionId,
    readonly ep: ExecutionProvider,
    readonly arm: string | undefined,
  ) {}

  add(ok: boolean, latencyMs: number, at: number) {
    if (this.requests === 0) this.firstAt = at;
    this.requests++;
    this.lastAt = at;
    if (ok) this.latency.add(latencyMs);
    else this.errors++;
    const s = Math.floor(at / 1000);
    const i = s % this.perSecond.length;
    if (this.second[i] !== s) {
      this.second[i] = s;
      this.perSecond[i] = 0;
    }
    this.perSecond[i]!++;
  }

  throughput(at: number): number {
    const now = Math.floor(at / 1000);
    let n = 0;
    // The THROUGHPUT_SECONDS full seconds before the current one (which is still filling).
    for (let i = 0; i < this.perSecond.length; i++) if (this.second[i]! < now && this.second[i]! >= now - THROUGHPUT_SECONDS) n += this.perSecond[i]!;
    const span = Math.min(THROUGHPUT_SECONDS, Math.max(1, now - Math.floor(this.firstAt / 1000)));
    return n / span;
  }

  snapshot(at: number): VersionMetrics {
    return {
      version: this.version,
      ep: this.ep,
      ...(this.arm === undefined ? {} : { arm: this.arm }),
      requests: this.requests,
      errors: this.errors,
      errorRate: this.requests === 0 ? 0 : this.errors / this.requests,
      throughput: this.throughput(at),
      latencyMs: this.latency.summary(),
      firstAt: this.firstAt,
      lastAt: this.lastAt,
    };
  }
}

export interface MetricsRecorder {
  request(version: VersionId, ep: ExecutionProvider, arm: string | undefined, ok: boolean, latencyMs: number): void;
  shadow(version: VersionId, agreed: boolean, latencyMs: number): void;
  download(progress: DownloadProgress): void;
  downloadEnded(version: VersionId, outcome: { ok: true } | { ok: false; code: string }): void;
  snapshot(): RecorderMetrics;
}

export function createMetricsRecorder(now: () => number = () => performance.timeOrigin + performance.now()): MetricsRecorder {
  const rows = new Map<string, Row>();
  let last: Row | undefined;
  const shadows = new Map<VersionId, { runs: number; agreed: number; latency: LogHistogram }>();
  const downloads: (DownloadMetrics & { t0: number })[] = [];
  const running = (version: VersionId) => downloads.find((d) => d.version === version && d.state === 'running');
  const replace = (d: DownloadMetrics & { t0: number }, next: Partial<DownloadMetrics>) => downloads.splice(downloads.indexOf(d), 1, { ...d, ...next });

  return {
    request(version, ep, arm, ok, latencyMs) {
      let row = last;
      if (!row || row.version !== version || row.ep !== ep || row.arm !== arm) {
        const key = `${version}\u0000${ep}\u0000${arm ?? ''}`;
        row = rows.get(key);
        if (!row) rows.set(key, (row = new Row(version, ep, arm)));
        last = row;
      }
      row.add(ok, latencyMs, now());
    },
    shadow(version, agreed, latencyMs) {
      let s = shadows.get(version);
      if (!s) shadows.set(version, (s = { runs: 0, agreed: 0, latency: new LogHistogram() }));
      s.runs++;
      if (agreed) s.agreed++;
      s.latency.add(latencyMs);
    },
    download(p) {
      const at = now();
      const d = running(p.version);
      const figures = {
        bytesTotal: p.bytesTotal,
        bytesFetched: p.bytesFetched,
        chunksTotal: p.chunksTotal,
        chunksFetched: p.chunksFetched,
        chunksReused: p.chunksReused,
      };
      if (!d) {
        downloads.push({ version: p.version, state: 'running', startedAt: at, t0: at, durationMs: 0, ...figures });
        if (downloads.length > MAX_DOWNLOADS) downloads.shift();
      } else replace(d, { ...figures, durationMs: at - d.t0 });
    },
    downloadEnded(version, outcome) {
      const d = running(version);
      if (!d) return;
      replace(d, { state: outcome.ok ? 'done' : 'failed', durationMs: now() - d.t0, ...(outcome.ok ? {} : { errorCode: outcome.code }) });
    },
    snapshot() {
      const at = now();
      return {
        at,
        versions: [...rows.values()].map((r) => r.snapshot(at)),
        shadow: [...shadows].map(([version, s]) => ({
          version,
          runs: s.runs,
          agreed: s.agreed,
          agreement: s.runs === 0 ? 1 : s.agreed / s.runs,
          latencyMs: s.latency.summary(),
        })),
        downloads: downloads.map(({ t0: _t0, ...d }) => d),
      };
    },
  };
}
