import { describe, expect, it } from 'vitest';
import { MAX_ENVELOPE_BYTES } from '../manifest/envelope.js';
import { fetchManifest } from './fetch-manifest.js';
import { manualTimers } from './manual-timers.js';
import { DEFAULT_DOWNLOAD, manifestLimits } from './settings.js';

const LIMITS = manifestLimits(DEFAULT_DOWNLOAD); // 30 s deadline, stall 15 s, 1 KiB/s over 10 s after 10 s
const BODY = new TextEncoder().encode('{"payloadType":"application/vnd.baton.manifest+json"}'.padEnd(3000, ' '));

/** A manifest server whose body sends one byte every `everyMs` (or nothing at all), on the manual clock. */
function slowManifest(timers: ReturnType<typeof manualTimers>, everyMs: number | 'never'): typeof fetch {
  return async (_url, init) => {
    let sent = 0;
    let gone = false;
    let ctl: ReadableStreamDefaultController<Uint8Array> | undefined;
    init?.signal?.addEventListener('abort', () => {
      gone = true;
      ctl?.error(init.signal?.reason);
    });
    const body = new ReadableStream<Uint8Array>(
      {
        start(c) {
          ctl = c;
        },
        pull(c) {
          if (everyMs === 'never') return new Promise<void>(() => {});
          return new Promise<void>((resolve) =>
            timers.setTimeout(() => {
              if (!gone) c.enqueue(BODY.slice(sent, ++sent));
              resolve();
            }, everyMs),
          );
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { headers: { ETag: '"m1"' } });
  };
}

function track<T>(p: Promise<T>) {
  const state: { done: boolean; error?: unknown } = { done: false };
  void p.then(
    () => (state.done = true),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

describe('fetchManifest', () => {
  it('returns the bytes and the ETag; a 304 to our If-None-Match is notModified', async () => {
    const seen: (string | null)[] = [];
    const fetchFn: typeof fetch = async (_url, init) => {
      const tag = new Headers(init?.headers).get('If-None-Match');
      seen.push(tag);
      return tag === '"m1"' ? new Response(null, { status: 304 }) : new Response(BODY, { headers: { ETag: '"m1"' } });
    };
    expect(await fetchManifest('u', { fetch: fetchFn, limits: LIMITS })).toEqual({ notModified: false, bytes: BODY, etag: '"m1"' });
    expect(await fetchManifest('u', { fetch: fetchFn, etag: '"m1"', limits: LIMITS })).toEqual({ notModified: true });
    expect(seen).toEqual([null, '"m1"']);
  });

  it('stops reading past the envelope limit', async () => {
    const endless: typeof fetch = async () =>
      new Response(
        new ReadableStream({
          pull(c) {
            c.enqueue(new Uint8Array(64 * 1024));
          },
        }),
      );
    const got = await fetchManifest('u', { fetch: endless, limits: LIMITS });
    expect(got.notModified === false && got.bytes.length).toBeGreaterThan(MAX_ENVELOPE_BYTES);
    expect(got.notModified === false && got.bytes.length).toBeLessThan(MAX_ENVELOPE_BYTES + 128 * 1024);
  });

  it('reports an HTTP error with its status and Retry-After', async () => {
    const busy: typeof fetch = async () => new Response('busy', { status: 429, headers: { 'Retry-After': '5' } });
    expect(await fetchManifest('u', { fetch: busy, limits: LIMITS }).catch((e: unknown) => e)).toMatchObject({
      code: 'http-error',
      details: { status: 429, retryAfterMs: 5_000 },
    });
  });

  it('abandons a manifest trickled at 1 byte/s with too-slow after the grace period (issue #13)', async () => {
    const timers = manualTimers();
    const result = track(fetchManifest('u', { fetch: slowManifest(timers, 1_000), limits: LIMITS, timers }));
    await timers.advance(9_000);
    expect(result.done).toBe(false);
    await timers.advance(3_000);
    expect(result.error).toMatchObject({ code: 'too-slow', details: { minBytesPerSecond: 1024 } });
  });

  it('times out a body that stops after its headers: the stall timer, and the deadline when stalls are allowed longer (issue #13)', async () => {
    const timers = manualTimers();
    const stalled = track(fetchManifest('u', { fetch: slowManifest(timers, 'never'), limits: LIMITS, timers }));
    await timers.advance(15_000);
    expect(stalled.error).toMatchObject({ code: 'timeout', details: { stallMs: 15_000 } });

    const patient = { ...LIMITS, stallTimeoutMs: 3_600_000, minBytesPerSecond: 0 };
    const late = track(fetchManifest('u', { fetch: slowManifest(timers, 'never'), limits: patient, timers }));
    await timers.advance(29_999);
    expect(late.done).toBe(false);
    await timers.advance(1);
    expect(late.error).toMatchObject({ code: 'timeout', details: { deadline: 30_000 } });
    expect(timers.pending()).toBe(0);
  });
});
