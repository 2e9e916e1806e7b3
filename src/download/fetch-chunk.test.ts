import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { sha256Hex } from '../crypto/sha256.js';
import { testBytes } from '../testing/memory-registry.js';
import { fetchChunk } from './fetch-chunk.js';
import type { RequestLimits } from './guard.js';
import { manualTimers } from './manual-timers.js';
import { chunkLimits, DEFAULT_DOWNLOAD } from './settings.js';

const BYTES = testBytes(1000);
/** Generous limits with `over` applied: each test names the one it is about. */
const limits = (over: Partial<RequestLimits> = {}): RequestLimits => ({
  deadlineMs: 60_000,
  stallTimeoutMs: 10_000,
  minBytesPerSecond: 0,
  windowMs: 10_000,
  graceMs: 10_000,
  ...over,
});
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
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(BatonError);
  return (e as BatonError).code;
}

describe('fetchChunk', () => {
  it('returns the bytes when size and hash match, whatever the framing', async () => {
    const { fetchFn } = streamFetch([BYTES.subarray(0, 1), BYTES.subarray(1, 600), BYTES.subarray(600)]);
    expect(await fetchChunk('u', await ref(), { fetch: fetchFn, limits: limits() })).toEqual(BYTES);
  });

  it('cuts off a body that sends more than declared, without reading it all (size-mismatch)', async () => {
    const { fetchFn, stats } = streamFetch([], { endless: testBytes(4096, 2) });
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: fetchFn, limits: limits() }))).toBe('size-mismatch');
    expect(stats.pulled).toBeLessThan(64 * 1024);
    expect(stats.cancelled).toBe(true);
  });

  it('refuses a Content-Length over the declared size before reading the body', async () => {
    const { fetchFn, stats } = streamFetch([BYTES], { headers: { 'Content-Length': '5000' } });
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: fetchFn, limits: limits() }))).toBe('size-mismatch');
    expect(stats.pulled).toBe(0);
  });

  it('refuses a truncated body (size-mismatch) and altered bytes (hash-mismatch)', async () => {
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: streamFetch([BYTES.subarray(0, 999)]).fetchFn, limits: limits() }))).toBe('size-mismatch');
    const flipped = BYTES.slice();
    flipped[500] = flipped[500]! ^ 1;
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: streamFetch([flipped]).fetchFn, limits: limits() }))).toBe('hash-mismatch');
  });

  it('reads a byte-stream body (as fetch gives) in place, with the same size rules', async () => {
    /** A byte stream (BYOB-capable, as fetch bodies are) serving `parts`, then `endless` forever. */
    const byteFetch = (parts: Uint8Array[], endless?: Uint8Array) => {
      const stats = { pulled: 0, cancelled: false };
      const fetchFn: typeof fetch = async () => {
        let i = 0;
        const body = new ReadableStream({
          type: 'bytes',
          pull(controller) {
            const part = parts[i++] ?? endless;
            if (part === undefined) {
              controller.close();
              return controller.byobRequest?.respond(0); // a BYOB read pending at the end settles as done
            }
            stats.pulled += part.length;
            controller.enqueue(part.slice());
            return undefined;
          },
          cancel() {
            stats.cancelled = true;
          },
        });
        return new Response(body);
      };
      return { fetchFn, stats };
    };
    const framed = byteFetch([BYTES.subarray(0, 1), BYTES.subarray(1, 600), BYTES.subarray(600)]);
    expect(await fetchChunk('u', await ref(), { fetch: framed.fetchFn, limits: limits() })).toEqual(BYTES);
    const long = byteFetch([BYTES], testBytes(4096, 2));
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: long.fetchFn, limits: limits() }))).toBe('size-mismatch');
    expect(long.stats.pulled).toBeLessThan(64 * 1024);
    expect(long.stats.cancelled).toBe(true);
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: byteFetch([BYTES.subarray(0, 999)]).fetchFn, limits: limits() }))).toBe('size-mismatch');
    const flipped = BYTES.slice();
    flipped[500] = flipped[500]! ^ 1;
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: byteFetch([flipped]).fetchFn, limits: limits() }))).toBe('hash-mismatch');
  });

  it('reports HTTP errors with their status, and network failures as network-error', async () => {
    const e = await fetchChunk('u', await ref(), { fetch: async () => new Response('x', { status: 503 }), limits: limits() }).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'http-error', details: { status: 503 } });
    const offline: typeof fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: offline, limits: limits() }))).toBe('network-error');
    const broken: typeof fetch = async () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(BYTES.subarray(0, 10));
            c.error(new TypeError('network error'));
          },
        }),
      );
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: broken, limits: limits() }))).toBe('network-error');
  });

  it('aborts a body that goes silent (timeout)', async () => {
    const { fetchFn } = streamFetch([BYTES.subarray(0, 10), 'stall']);
    expect(await codeOf(fetchChunk('u', await ref(), { fetch: fetchFn, limits: limits({ stallTimeoutMs: 30 }) }))).toBe('timeout');
  });

  it('rejects with the caller’s reason when the caller aborts', async () => {
    const { fetchFn } = streamFetch(['stall']);
    const controller = new AbortController();
    const pending = fetchChunk('u', await ref(), { fetch: fetchFn, limits: limits(), signal: controller.signal });
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
  });
});

/**
 * A fetch whose body sends `bytes` `piece` bytes at a time, one piece every `everyMs` of the
 * manual clock; aborting the request errors the body with the signal's reason, as browsers do.
 */
function pacedFetch(timers: ReturnType<typeof manualTimers>, bytes: Uint8Array<ArrayBuffer>, everyMs: number, piece = 1): typeof fetch {
  return async (_url, init) => {
    let sent = 0;
    let gone = false;
    let ctl: ReadableStreamDefaultController<Uint8Array> | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        start(c) {
          ctl = c;
        },
        pull(c) {
          return new Promise<void>((resolve) => {
            timers.setTimeout(() => {
              if (gone) return resolve();
              if (sent < bytes.length) c.enqueue(bytes.slice(sent, (sent += piece)));
              else c.close();
              resolve();
            }, everyMs);
          });
        },
      },
      { highWaterMark: 0 },
    );
    init?.signal?.addEventListener('abort', () => {
      gone = true;
      ctl?.error(init.signal?.reason);
    });
    return new Response(body);
  };
}

/** Settles `p` as data, so a test can advance the clock and then look. */
function track<T>(p: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  void p.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

describe('fetchChunk deadlines (issue #13)', () => {
  it('abandons a chunk trickled at 1 byte/s with too-slow once the grace period is over, not after ~10 minutes', async () => {
    const timers = manualTimers();
    const bytes = testBytes(516);
    const expected = { sha256: await sha256Hex(bytes), size: bytes.length };
    const limits = chunkLimits(DEFAULT_DOWNLOAD, expected.size); // 1 KiB/s over 10 s after 10 s
    const result = track(fetchChunk('u', expected, { fetch: pacedFetch(timers, bytes, 1000), limits, timers }));
    await timers.advance(9_900);
    expect(result.done).toBe(false); // inside the grace period; every byte re-armed the stall timer
    await timers.advance(2_100);
    expect(result.done).toBe(true);
    expect(result.error).toMatchObject({ code: 'too-slow', details: { minBytesPerSecond: 1024, url: 'u' } });
    const details = (result.error as BatonError).details!;
    expect(details['bytesPerSecond']).toBeLessThanOrEqual(2);
    expect(timers.pending()).toBe(0); // every timer of the request cleared
  });

  it('an honest slow link (12.5 KB/s, slow 3G shared by four chunks) fetches a 4 MiB chunk under the defaults', async () => {
    const timers = manualTimers();
    const bytes = testBytes(4 * 2 ** 20);
    const expected = { sha256: await sha256Hex(bytes), size: bytes.length };
    // 50 KB every 4 s: bursty, silent in between, 12.5 KB/s on average.
    const pending = fetchChunk('u', expected, {
      fetch: pacedFetch(timers, bytes, 4_000, 50_000),
      limits: chunkLimits(DEFAULT_DOWNLOAD, expected.size),
      timers,
    });
    await timers.advance(4_000 * Math.ceil(bytes.length / 50_000) + 4_000); // the last piece, then the end
    const value = await pending; // hashing 4 MiB takes real time
    expect(value.byteLength).toBe(bytes.length); // (verified: fetchChunk checked the hash)
  });

  it('times out a body that keeps above the minimum rate but misses its overall deadline (details.deadline)', async () => {
    const timers = manualTimers();
    const bytes = testBytes(10_000);
    const expected = { sha256: await sha256Hex(bytes), size: bytes.length };
    const strict = limits({ deadlineMs: 5_000, minBytesPerSecond: 100, windowMs: 1_000, graceMs: 1_000 });
    const result = track(fetchChunk('u', expected, { fetch: pacedFetch(timers, bytes, 100, 20), limits: strict, timers })); // 200 B/s
    await timers.advance(4_950);
    expect(result.done).toBe(false);
    await timers.advance(100);
    expect(result.error).toMatchObject({ code: 'timeout', details: { deadline: 5_000 } });
  });

  it('times out a server that never sends its headers (details.stallMs)', async () => {
    const timers = manualTimers();
    const never: typeof fetch = (_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const result = track(fetchChunk('u', await ref(), { fetch: never, limits: limits({ stallTimeoutMs: 15_000 }), timers }));
    await timers.advance(15_000);
    expect(result.error).toMatchObject({ code: 'timeout', details: { stallMs: 15_000 } });
  });
});

describe('fetchChunk sizes after decoding', () => {
  /** A gzip-served chunk as fetch hands it over: the compressed length in the headers, decoded bytes in the body. */
  async function gzipResponse(bytes: Uint8Array<ArrayBuffer>, type?: string): Promise<Response> {
    const compressed = new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
    const decoded = new Blob([compressed]).stream().pipeThrough(new DecompressionStream('gzip'));
    const response = new Response(decoded, { headers: { 'Content-Encoding': 'gzip', 'Content-Length': String(compressed.length) } });
    if (type) Object.defineProperty(response, 'type', { value: type });
    return response;
  }

  it('accepts a gzip-encoded chunk whose compressed Content-Length exceeds the declared size', async () => {
    const bytes = testBytes(516); // pseudo-random: gzip makes it longer
    const response = await gzipResponse(bytes);
    expect(Number(response.headers.get('Content-Length'))).toBeGreaterThan(bytes.length);
    const expected = { sha256: await sha256Hex(bytes), size: bytes.length };
    expect(await fetchChunk('u', expected, { fetch: async () => response, limits: limits() })).toEqual(bytes);
  });

  it('still cuts off a gzip-encoded chunk whose decoded bytes run past the declared size', async () => {
    const bytes = testBytes(516);
    const expected = { sha256: await sha256Hex(bytes.subarray(0, 500)), size: 500 };
    const e = await fetchChunk('u', expected, { fetch: async () => gzipResponse(bytes), limits: limits() }).catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'size-mismatch' });
  });

  it('treats Content-Length as a hint on a cross-origin response, which may hide Content-Encoding', async () => {
    const bytes = testBytes(516);
    const response = await gzipResponse(bytes, 'cors');
    response.headers.delete('Content-Encoding'); // not CORS-safelisted: what the page sees unless exposed
    const expected = { sha256: await sha256Hex(bytes), size: bytes.length };
    expect(await fetchChunk('u', expected, { fetch: async () => response, limits: limits() })).toEqual(bytes);
  });

  it('reports Retry-After as details.retryAfterMs, in seconds or as an HTTP date', async () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const answer = (value: string) => async () => new Response('busy', { status: 503, headers: { 'Retry-After': value } });
    expect(await fetchChunk('u', await ref(), { fetch: answer('3'), limits: limits(), now: () => now }).catch((e: unknown) => e)).toMatchObject({
      details: { status: 503, retryAfterMs: 3000 },
    });
    const date = new Date(now + 7_000).toUTCString();
    expect(await fetchChunk('u', await ref(), { fetch: answer(date), limits: limits(), now: () => now }).catch((e: unknown) => e)).toMatchObject({
      details: { retryAfterMs: 7000 },
    });
  });
});
