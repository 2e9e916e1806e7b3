/**
 * How hard the network path tries and how long it waits: retries, deadlines and the minimum
 * throughput, with defaults sized for an honest slow link (slow 3G, ~50 KB/s shared by four 4 MiB
 * chunks) rather than for the fast one. Plain data: it crosses from the page to the service worker.
 */
import type { RequestLimits } from './guard.js';

export interface RetrySettings {
  /**
   * Attempts per request, the first included, for failures that can heal: network errors, HTTP
   * 5xx, 408 and 429, `timeout` and `too-slow`. A hash or size mismatch, 403, 404 or 410 is tried
   * at most twice; quota and storage errors, and other 4xx, once.
   */
  readonly attempts: number;
  /** First backoff delay; doubles each attempt, with full jitter. */
  readonly baseDelayMs: number;
  /** Cap of every delay, a server's `Retry-After` included. */
  readonly maxDelayMs: number;
}

export interface DownloadSettings {
  /** Chunks fetched at once. */
  readonly concurrency: number;
  /** A request that receives no bytes for this long (headers included) is aborted: `timeout`. */
  readonly stallTimeoutMs: number;
  readonly retry: RetrySettings;
  /**
   * A body arriving slower than this, measured over `throughputWindowMs` once
   * `throughputGraceMs` of body have passed, is abandoned: `too-slow`. 0 turns the rule off, and
   * with it a chunk's deadline (the stall timer and the check deadline remain).
   * Default 1 KiB/s: a fiftieth of slow 3G, so only a trickling server or a dead link trips it.
   */
  readonly minBytesPerSecond?: number;
  /** The sliding window the throughput is measured over. Default 10 s. */
  readonly throughputWindowMs?: number;
  /** Time from a response's headers before the throughput rule applies. Default 10 s. */
  readonly throughputGraceMs?: number;
  /** The manifest's headers and body must arrive within this. Default 30 s. */
  readonly manifestDeadlineMs?: number;
  /**
   * A chunk's headers and body must arrive within `size ÷ minBytesPerSecond` plus this. Default
   * 30 s (a 4 MiB chunk: ~69 min, which only a body kept just above the minimum rate gets near).
   */
  readonly chunkDeadlineSlackMs?: number;
  /**
   * One check (manifest, every download it starts, bookkeeping) must finish within this plus the
   * time its missing bytes take at `checkBytesPerSecond`; past it, the check is aborted with
   * `timeout` and the next check starts afresh, keeping every chunk already verified. Default 10 min.
   */
  readonly checkDeadlineMs?: number;
  /**
   * The slowest average rate a check plans for: the check deadline grows by a release's missing
   * bytes ÷ this. Default 16 KiB/s (a 4 MiB release adds ~4 min, a 100 MB one ~1.7 h).
   */
  readonly checkBytesPerSecond?: number;
}

/** Every setting given: what the download code runs with. */
export type ResolvedDownloadSettings = Required<DownloadSettings>;

export const DEFAULT_DOWNLOAD: ResolvedDownloadSettings = {
  concurrency: 4,
  stallTimeoutMs: 15_000,
  retry: { attempts: 5, baseDelayMs: 500, maxDelayMs: 15_000 },
  minBytesPerSecond: 1024,
  throughputWindowMs: 10_000,
  throughputGraceMs: 10_000,
  manifestDeadlineMs: 30_000,
  chunkDeadlineSlackMs: 30_000,
  checkDeadlineMs: 600_000,
  checkBytesPerSecond: 16 * 1024,
};

/**
 * The defaults with what the app gave over them. Throws a RangeError naming a field that is not a
 * number in its range: a setting that silently disabled a deadline would hide the very attack it
 * is there for.
 */
export function resolveDownloadSettings(given: Partial<DownloadSettings> = {}): ResolvedDownloadSettings {
  const s: ResolvedDownloadSettings = { ...DEFAULT_DOWNLOAD, ...given, retry: { ...DEFAULT_DOWNLOAD.retry, ...given.retry } };
  atLeast('concurrency', s.concurrency, 1);
  atLeast('retry.attempts', s.retry.attempts, 1);
  atLeast('retry.baseDelayMs', s.retry.baseDelayMs, 0);
  atLeast('retry.maxDelayMs', s.retry.maxDelayMs, 0);
  atLeast('minBytesPerSecond', s.minBytesPerSecond, 0);
  for (const field of ['stallTimeoutMs', 'throughputWindowMs', 'throughputGraceMs', 'manifestDeadlineMs', 'chunkDeadlineSlackMs', 'checkDeadlineMs', 'checkBytesPerSecond'] as const) {
    if (!(s[field] > 0)) throw new RangeError(`download.${field} must be a number > 0, got ${String(s[field])}`);
  }
  return s;
}

function atLeast(field: string, value: number, min: number): void {
  if (!(value >= min)) throw new RangeError(`download.${field} must be a number >= ${min}, got ${String(value)}`);
}

/** Limits of the manifest request. */
export function manifestLimits(s: ResolvedDownloadSettings): RequestLimits {
  return { ...throughput(s), deadlineMs: s.manifestDeadlineMs };
}

/** Limits of a chunk request: its deadline grows with its size (none without a minimum rate). */
export function chunkLimits(s: ResolvedDownloadSettings, size: number): RequestLimits {
  const transfer = s.minBytesPerSecond > 0 ? (size * 1000) / s.minBytesPerSecond : Infinity;
  return { ...throughput(s), deadlineMs: s.chunkDeadlineSlackMs + transfer };
}

/** How much longer a check may take to fetch `bytes` more, in whole ms. */
export function checkAllowanceMs(s: ResolvedDownloadSettings, bytes: number): number {
  return Math.ceil((bytes * 1000) / s.checkBytesPerSecond);
}

function throughput(s: ResolvedDownloadSettings): Omit<RequestLimits, 'deadlineMs'> {
  return { stallTimeoutMs: s.stallTimeoutMs, minBytesPerSecond: s.minBytesPerSecond, windowMs: s.throughputWindowMs, graceMs: s.throughputGraceMs };
}
