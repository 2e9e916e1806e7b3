/**
 * Fetches one chunk and proves it is the chunk the manifest names: the declared size is enforced
 * on the decoded bytes while streaming (a server sending more is cut off at the first extra byte),
 * the request runs under its deadline, stall timer and minimum throughput (guard.ts), and the
 * SHA-256 is checked before anyone sees the bytes.
 */
import { BatonError } from '../errors.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { ChunkRef } from '../types.js';
import type { Busy } from './busy.js';
import { guardRequest, type RequestGuard, type RequestLimits, type Timers } from './guard.js';
import { httpError, lengthIsDecoded } from './http.js';

export interface FetchChunkOptions {
  readonly fetch: typeof fetch;
  /** Deadline, stall timeout and minimum throughput of this request (`chunkLimits`). */
  readonly limits: RequestLimits;
  readonly signal?: AbortSignal | undefined;
  readonly timers?: Timers | undefined;
  /** Wall clock, for a `Retry-After` given as an HTTP date. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
  /** Where the time goes: the request (sent → last body byte) and the chunk's SHA-256. */
  readonly busy?: { readonly network?: Busy; readonly digest?: Busy } | undefined;
}

/** Resolves with exactly `expected.size` verified bytes, or rejects with a BatonError. */
export async function fetchChunk(url: string, expected: ChunkRef, opts: FetchChunkOptions): Promise<Uint8Array<ArrayBuffer>> {
  const what = `chunk ${expected.sha256}`;
  const guard = guardRequest(opts.limits, { what, url, signal: opts.signal, timers: opts.timers });
  let endNetwork: (() => void) | undefined;
  try {
    // no-store: the chunk is kept in Baton's own storage; a second copy in the HTTP cache would
    // waste quota, and a corrupt copy there would be served again to every retry. It also sends
    // `Cache-Control: no-cache` and `Pragma: no-cache` upstream (Fetch standard, HTTP-network-or-
    // cache fetch), exactly what `cache: 'reload'` sends (measured in Chromium 156), minus the write.
    endNetwork = opts.busy?.network?.begin();
    const response = await opts.fetch(url, { signal: guard.signal, cache: 'no-store' }).catch(guard.fail);
    guard.headers();
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw httpError(response, what, url, (opts.now ?? Date.now)());
    }
    // Content-Length is only a hint unless it counts decoded bytes (see lengthIsDecoded); the
    // declared size is enforced below on what the stream yields either way.
    const declared = Number(response.headers.get('Content-Length') ?? NaN);
    if (lengthIsDecoded(response) && declared > expected.size) {
      await response.body?.cancel().catch(() => {});
      throw sizeError(expected, declared, url);
    }
    if (!response.body) throw sizeError(expected, 0, url);
    const bytes = await readExactly(response.body, expected, url, guard);
    guard.dispose();
    endNetwork?.();
    const digest = () => sha256Hex(bytes);
    const actual = await (opts.busy?.digest?.time(digest) ?? digest());
    if (actual !== expected.sha256) {
      throw new BatonError('hash-mismatch', `chunk ${expected.sha256} arrived with hash ${actual}`, { url, actual });
    }
    return bytes;
  } catch (e) {
    return guard.fail(e);
  } finally {
    guard.dispose();
    endNetwork?.();
  }
}

/**
 * The body's bytes, exactly `expected.size` of them, the size enforced as they stream (a server
 * sending more is cut off at the first extra byte). Where the body is a byte stream — fetch
 * bodies are, in Chromium and in Node — a BYOB reader has the stream fill one buffer in place;
 * otherwise each read is copied into it.
 */
async function readExactly(
  body: ReadableStream<Uint8Array<ArrayBuffer>>,
  expected: ChunkRef,
  url: string,
  guard: RequestGuard,
): Promise<Uint8Array<ArrayBuffer>> {
  const size = expected.size;
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    // Not a byte stream (a Response built from a plain ReadableStream): the default reader below.
  }
  if (byob) {
    // Each read transfers the buffer into the stream and back; `buffer` follows it.
    let buffer = new ArrayBuffer(size);
    let received = 0;
    while (received < size) {
      const { done, value } = await byob.read(new Uint8Array(buffer, received, size - received)).catch(guard.fail);
      if (done || !value) throw sizeError(expected, received, url);
      guard.bytes(value.length);
      buffer = value.buffer;
      received += value.length;
    }
    // One more read tells a body that ends here from one that goes on.
    const { done, value } = await byob.read(new Uint8Array(1)).catch(guard.fail);
    if (!done) {
      await byob.cancel().catch(() => {});
      throw sizeError(expected, received + (value?.length ?? 1), url, true);
    }
    return new Uint8Array(buffer);
  }
  const bytes = new Uint8Array(size);
  let received = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read().catch(guard.fail);
    if (done) break;
    guard.bytes(value.length);
    if (received + value.length > size) {
      await reader.cancel().catch(() => {});
      throw sizeError(expected, received + value.length, url, true);
    }
    bytes.set(value, received);
    received += value.length;
  }
  if (received !== size) throw sizeError(expected, received, url);
  return bytes;
}

function sizeError(expected: ChunkRef, got: number, url: string, cutOff = false): BatonError {
  return new BatonError(
    'size-mismatch',
    cutOff
      ? `chunk ${expected.sha256} sent more than its ${expected.size} bytes; cut off`
      : `chunk ${expected.sha256} is ${got} bytes, expected ${expected.size}`,
    { url, expected: expected.size, received: got },
  );
}
