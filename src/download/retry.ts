/**
 * Retries what can heal, with exponential backoff and full jitter (so many devices do not retry in
 * lockstep), and a server's `Retry-After` honoured up to the maximum delay. What cannot heal by
 * asking again fails fast: the check is the retry of last resort, minutes later.
 */
import { BatonError } from '../errors.js';
import type { RetrySettings } from './settings.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * How often a failure is worth trying:
 * - `transient` (up to `attempts`): the link or the server may do better next time — network
 *   errors, `timeout`, `too-slow` (another attempt may reach a better edge), HTTP 5xx, 408, 429;
 * - `once-more` (at most twice in all): the bytes or their absence are what the server holds —
 *   a hash or size mismatch, 403 (what S3 answers for a missing key), 404, 410. One more request
 *   heals a transfer glitch or an upload caught half-way; a bad copy on a CDN edge is not fixed by
 *   hammering it, so the check fails fast and the next check asks again;
 * - `never`: quota and storage errors, other 4xx, anything that is not a BatonError (a bug).
 */
export type RetryClass = 'transient' | 'once-more' | 'never';

export function retryClass(e: unknown): RetryClass {
  if (!(e instanceof BatonError)) return 'never';
  switch (e.code) {
    case 'network-error':
    case 'timeout':
    case 'too-slow':
      return 'transient';
    case 'hash-mismatch':
    case 'size-mismatch':
      return 'once-more';
    case 'http-error': {
      const status = Number(e.details?.['status']);
      if (status >= 500 || status === 408 || status === 429) return 'transient';
      if (status === 403 || status === 404 || status === 410) return 'once-more';
      return 'never';
    }
    default:
      return 'never';
  }
}

/** Whether `e` may be worth another attempt at all. */
export function isRetryable(e: unknown): boolean {
  return retryClass(e) !== 'never';
}

/** Attempts a `once-more` failure gets, the first included. */
export const ONCE_MORE_ATTEMPTS = 2;

/**
 * The wait before attempt `attempt + 1`: full-jitter backoff, or longer when the server asked for
 * it with `Retry-After` (`details.retryAfterMs`), never above `maxDelayMs`.
 */
export function retryDelay(e: unknown, attempt: number, settings: RetrySettings, random: () => number): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  const backoff = ceiling / 2 + (random() * ceiling) / 2;
  const asked = e instanceof BatonError ? Number(e.details?.['retryAfterMs']) : NaN;
  return Number.isFinite(asked) && asked > 0 ? Math.max(backoff, Math.min(asked, settings.maxDelayMs)) : backoff;
}

/**
 * Runs `fn` until it resolves, or until its failure is not worth another attempt.
 *
 * Must reject with the last error. Must never retry after `signal` aborted. Never more than
 * `settings.attempts` calls in all, nor more than {@link ONCE_MORE_ATTEMPTS} failures of class
 * `once-more`.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  settings: RetrySettings,
  opts: { sleep?: Sleep; random?: () => number; signal?: AbortSignal; onRetry?: (error: unknown, attempt: number) => void } = {},
): Promise<T> {
  const wait = opts.sleep ?? sleep;
  const random = opts.random ?? Math.random;
  let onceMore = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const kind = retryClass(e);
      const worth = kind === 'transient' || (kind === 'once-more' && ++onceMore < ONCE_MORE_ATTEMPTS);
      if (!worth || attempt >= settings.attempts || opts.signal?.aborted) throw e;
      opts.onRetry?.(e, attempt);
      await wait(retryDelay(e, attempt, settings, random), opts.signal);
    }
  }
}
