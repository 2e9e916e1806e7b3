/** Retries with exponential backoff and full jitter (so many devices do not retry in lockstep). */
import { BatonError } from '../errors.js';
import type { RetrySettings } from '../update/config.js';

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

/** Every failure of a chunk fetch may be transient (a CDN edge, a flaky link), except quota and storage ones. */
export function isRetryable(e: unknown): boolean {
  return e instanceof BatonError && e.code !== 'quota-exceeded' && e.code !== 'storage-failed';
}

export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  settings: RetrySettings,
  opts: { sleep?: Sleep; random?: () => number; signal?: AbortSignal; onRetry?: (error: unknown, attempt: number) => void } = {},
): Promise<T> {
  const wait = opts.sleep ?? sleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= settings.attempts || !isRetryable(e) || opts.signal?.aborted) throw e;
      opts.onRetry?.(e, attempt);
      const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
      await wait(ceiling / 2 + (random() * ceiling) / 2, opts.signal);
    }
  }
}
