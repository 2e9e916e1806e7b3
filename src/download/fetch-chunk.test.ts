import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { sha256Hex } from '../crypto/sha256.js';
import { testBytes } from '../testing/memory-registry.js';
import { fetchChunk } from './fetch-chunk.js';
import { withRetry } from './retry.js';

const BYTES = testBytes(1000);
const ref = async (bytes = BYTES) => ({ sha256: await sha256Hex(bytes), size: bytes.length });

/** A fetch answering with a stream built from `parts`; `pulled` counts what the client consumed. */
function streamFetch(parts: (Uint8Array | 'stall')[], opts: { endless?: Uint8Array; headers?: Record<string, string> } = {}) {
  const stats = { pulled: 0, cancelled: false };
  const fetchFn: typeof fetch = async (_url, init) => {
    let i = 0;
    let ctl: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          ctl = controller;
        },
        pull(controller) {
          const part = opts.endless ?? parts[i++];
          if (part === undefined) return controller.close();
          if (part === 'stall') return new Promise<void>(() => {}); // never delivers
          stats.pulled += part.length;
          controller.enqueue(part);
          return undefined;
        },
        cancel() {
          stats.cancelled = true;
        },
      },
      { highWaterMark: 0 }, // pull only when the client reads, so `pulled` is what it consumed
    );
    // As in browsers, aborting the request errors its body.
    init?.signal?.addEventListener('abort', () => ctl?.error(new DOMException('aborted', 'AbortError')));
    return new Response(body, opts.headers ? { headers: opts.headers } : {});
  };
  return { fetchFn, stats };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e, 'expected a rejection').toBeInstanceOf(BatonError);
  return (e as BatonError).code;
}

describe('fetchChunk', () => {
  it('returns the bytes when size and hash match, whatever the framing', async () => {
    const { fetchFn } = streamFetch([BYTES.subarray(0, 1), BYTES.subarray(1, 600), BYTES.subarray(600)]);
    expect(await fetchChunk('u', await ref(), { fetch: fetchFn, stallTimeoutMs: 1000 })).toEqual(BYTES);
  });

  it('cuts off a body that sends more than declared, without reading it all (size-mismatch)', async () => {
    const { fetchFn, stats } = streamFetch([], { endless: testBytes(4096, 2) });
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: fetchFn, stallTimeoutMs: 1000 }))).toBe('size-mismatch');
    expect(stats.pulled).toBeLessThan(64 * 1024);
    expect(stats.cancelled).toBe(true);
  });

  it('refuses a Content-Length over the declared size before reading the body', async () => {
    const { fetchFn, stats } = streamFetch([BYTES], { headers: { 'Content-Length': '5000' } });
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: fetchFn, stallTimeoutMs: 1000 }))).toBe('size-mismatch');
    expect(stats.pulled).toBe(0);
  });

  it('refuses a truncated body (size-mismatch) and altered bytes (hash-mismatch)', async () => {
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: streamFetch([BYTES.subarray(0, 999)]).fetchFn, stallTimeoutMs: 1000 }))).toBe('size-mismatch');
    const flipped = BYTES.slice();
    flipped[500] = flipped[500]! ^ 1;
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: streamFetch([flipped]).fetchFn, stallTimeoutMs: 1000 }))).toBe('hash-mismatch');
  });

  it('reports HTTP errors with their status, and network failures as network-error', async () => {
    const e = await fetchChunk('u', await ref(), { fetch: async () => new Response('x', { status: 503 }), stallTimeoutMs: 1000 }).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'http-error', details: { status: 503 } });
    const offline: typeof fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: offline, stallTimeoutMs: 1000 }))).toBe('network-error');
    const broken: typeof fetch = async () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(BYTES.subarray(0, 10));
            c.error(new TypeError('network error'));
          },
        }),
      );
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: broken, stallTimeoutMs: 1000 }))).toBe('network-error');
  });

  it('aborts a body that goes silent (timeout)', async () => {
    const { fetchFn } = streamFetch([BYTES.subarray(0, 10), 'stall']);
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: fetchFn, stallTimeoutMs: 30 }))).toBe('timeout');
  });

  it('rejects with the caller’s reason when the caller aborts', async () => {
    const { fetchFn } = streamFetch(['stall']);
    const controller = new AbortController();
    const pending = fetchChunk('u', await ref(), { fetch: fetchFn, stallTimeoutMs: 10_000, signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});

describe('withRetry', () => {
  const settings = { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 };

  it('retries transient failures with capped exponential backoff, then succeeds', async () => {
    const delays: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 4) throw new BatonError('network-error', 'flaky');
        return 'ok';
      },
      settings,
      { sleep: async (ms) => void delays.push(ms), random: () => 1 },
    );
    expect(value).toBe('ok');
    expect(delays).toEqual([100, 200, 250]);
  });

  it('gives up after the attempts, with the last error, and never retries quota or programmer errors', async () => {
    let calls = 0;
    const fail = () => {
      calls++;
      return Promise.reject(new BatonError('hash-mismatch', 'bad'));
    };
    await expect(withRetry(fail, settings, { sleep: async () => {} })).rejects.toMatchObject({ code: 'hash-mismatch' });
    expect(calls).toBe(4);
    calls = 0;
    await expect(withRetry(() => (calls++, Promise.reject(new BatonError('quota-exceeded', 'full'))), settings, { sleep: async () => {} })).rejects.toMatchObject({ code: 'quota-exceeded' });
    expect(calls).toBe(1);
    calls = 0;
    await expect(withRetry(() => (calls++, Promise.reject(new TypeError('bug'))), settings, { sleep: async () => {} })).rejects.toThrow(TypeError);
    expect(calls).toBe(1);
  });
});
