import { describe, expect, it } from 'vitest';
import { BatonError, type BatonErrorCode } from '../errors.js';
import { retryClass, retryDelay, withRetry, type RetryClass } from './retry.js';

const settings = { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 };
const http = (status: number, extra: Record<string, unknown> = {}) => new BatonError('http-error', `HTTP ${status}`, { status, ...extra });
const code = (c: BatonErrorCode) => new BatonError(c, c);

/** Calls `withRetry` on a function failing with `errors` in turn (then succeeding); returns the calls and waits. */
async function attempts(errors: unknown[], s = settings) {
  const delays: number[] = [];
  let calls = 0;
  const outcome = await withRetry(
    async () => {
      const e = errors[calls++];
      if (e !== undefined) throw e;
      return 'ok';
    },
    s,
    { sleep: async (ms) => void delays.push(ms), random: () => 1 },
  ).catch((e: unknown) => e);
  return { calls, delays, outcome };
}

describe('retryClass', () => {
  const table: [string, unknown, RetryClass][] = [
    ['network-error', code('network-error'), 'transient'],
    ['timeout', code('timeout'), 'transient'],
    ['too-slow', code('too-slow'), 'transient'],
    ['HTTP 500', http(500), 'transient'],
    ['HTTP 502', http(502), 'transient'],
    ['HTTP 503', http(503), 'transient'],
    ['HTTP 504', http(504), 'transient'],
    ['HTTP 408', http(408), 'transient'],
    ['HTTP 429', http(429), 'transient'],
    ['hash-mismatch', code('hash-mismatch'), 'once-more'],
    ['size-mismatch', code('size-mismatch'), 'once-more'],
    ['HTTP 403', http(403), 'once-more'],
    ['HTTP 404', http(404), 'once-more'],
    ['HTTP 410', http(410), 'once-more'],
    ['HTTP 400', http(400), 'never'],
    ['HTTP 401', http(401), 'never'],
    ['HTTP 416', http(416), 'never'],
    ['quota-exceeded', code('quota-exceeded'), 'never'],
    ['storage-failed', code('storage-failed'), 'never'],
    ['manifest-invalid', code('manifest-invalid'), 'never'],
    ['a TypeError (a bug)', new TypeError('bug'), 'never'],
  ];
  it.each(table)('%s → %s', (_name, error, expected) => {
    expect(retryClass(error)).toBe(expected);
  });
});

describe('withRetry', () => {
  it('retries transient failures up to the attempts, with capped exponential backoff, then succeeds', async () => {
    const flaky = [code('network-error'), http(503), code('too-slow')];
    expect(await attempts(flaky)).toEqual({ calls: 4, delays: [100, 200, 250], outcome: 'ok' });
  });

  it.each([
    ['network-error', code('network-error')],
    ['timeout', code('timeout')],
    ['too-slow', code('too-slow')],
    ['HTTP 503', http(503)],
    ['HTTP 429', http(429)],
  ])('gives up on %s after exactly `attempts` calls, with the last error', async (_name, error) => {
    const { calls, outcome } = await attempts(Array(10).fill(error));
    expect(calls).toBe(4);
    expect(outcome).toBe(error);
  });

  it.each([
    ['hash-mismatch', code('hash-mismatch')],
    ['size-mismatch', code('size-mismatch')],
    ['HTTP 404', http(404)],
    ['HTTP 403', http(403)],
    ['HTTP 410', http(410)],
  ])('tries %s at most twice, then fails fast', async (_name, error) => {
    const { calls, delays, outcome } = await attempts(Array(10).fill(error));
    expect(calls).toBe(2);
    expect(delays).toEqual([100]);
    expect(outcome).toBe(error);
  });

  it('a hash mismatch that heals on the second request succeeds', async () => {
    expect(await attempts([code('hash-mismatch')])).toMatchObject({ calls: 2, outcome: 'ok' });
  });

  it('counts integrity failures apart from transient ones, within the attempts', async () => {
    expect((await attempts([http(503), code('hash-mismatch'), code('hash-mismatch')])).calls).toBe(3);
    expect((await attempts([code('hash-mismatch'), http(503), http(404)])).calls).toBe(3);
    expect((await attempts([code('hash-mismatch')], { ...settings, attempts: 1 })).calls).toBe(1);
  });

  it.each([
    ['quota-exceeded', code('quota-exceeded')],
    ['storage-failed', code('storage-failed')],
    ['HTTP 400', http(400)],
    ['a TypeError', new TypeError('bug')],
  ])('never retries %s', async (_name, error) => {
    expect(await attempts([error])).toMatchObject({ calls: 1, delays: [], outcome: error });
  });

  it('honours Retry-After (details.retryAfterMs) over the backoff, capped by maxDelayMs', async () => {
    const wide = { attempts: 3, baseDelayMs: 100, maxDelayMs: 5_000 };
    expect((await attempts([http(503, { retryAfterMs: 1_000 })], wide)).delays).toEqual([1_000]);
    expect((await attempts([http(429, { retryAfterMs: 60_000 })], wide)).delays).toEqual([5_000]);
    // Shorter than the backoff, or 0: the backoff stands.
    expect((await attempts([http(503, { retryAfterMs: 0 })], wide)).delays).toEqual([100]);
  });

  it('stops at once when the signal aborts, without another attempt', async () => {
    const controller = new AbortController();
    let calls = 0;
    const result = withRetry(
      () => {
        calls++;
        controller.abort(new Error('stop'));
        return Promise.reject(code('network-error'));
      },
      settings,
      { signal: controller.signal, sleep: async () => {} },
    );
    await expect(result).rejects.toMatchObject({ code: 'network-error' });
    expect(calls).toBe(1);
  });
});

describe('retryDelay', () => {
  it('is full jitter between half the ceiling and the ceiling', () => {
    expect(retryDelay(code('timeout'), 1, settings, () => 0)).toBe(50);
    expect(retryDelay(code('timeout'), 1, settings, () => 1)).toBe(100);
    expect(retryDelay(code('timeout'), 5, settings, () => 0)).toBe(125);
  });
});
