/**
 * How hard the network path tries and how long it waits: retries, deadlines and the minimum
 * throughput, with defaults sized for an honest slow link (slow 3G, ~50 KB/s shared by four 4 MiB
 * chunks) rather than for the fast one. Plain data: it crosses from the page to the service worker.
 */
import type { RequestLimits } from './guard.js';

export type { DownloadSettings, RetrySettings } from '../types.js';
import type { DownloadSettings } from '../types.js';

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
  for (const field of [
    'stallTimeoutMs',
    'throughputWindowMs',
    'throughputGraceMs',
    'manifestDeadlineMs',
    'chunkDeadlineSlackMs',
    'checkDeadlineMs',
    'checkBytesPerSecond',
  ] as const) {
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
