/**
 * Fetches one chunk and proves it is the chunk the manifest names: the size cap is enforced
 * while streaming (a server sending more than declared is cut off at the first extra byte), a
 * body that goes silent is aborted, and the SHA-256 is checked before anyone sees the bytes.
 */
import { BatonError } from '../errors.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { ChunkRef } from '../types.js';

export interface FetchChunkOptions {
  readonly fetch: typeof fetch;
  /** Abort when no bytes arrive for this long (headers included). */
  readonly stallTimeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Resolves with exactly `expected.size` verified bytes, or rejects with a BatonError. */
export async function fetchChunk(url: string, expected: ChunkRef, opts: FetchChunkOptions): Promise<Uint8Array<ArrayBuffer>> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let stalled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      controller.abort();
    }, opts.stallTimeoutMs);
  };
  const fail = (e: unknown): never => {
    if (e instanceof BatonError) throw e;
    if (stalled) throw new BatonError('timeout', `chunk ${expected.sha256} stalled for ${opts.stallTimeoutMs} ms`, { url });
    if (opts.signal?.aborted) throw opts.signal.reason ?? e;
    throw new BatonError('network-error', `chunk ${expected.sha256} failed: ${(e as Error)?.message ?? String(e)}`, { url }, { cause: e });
  };
  try {
    arm();
    // no-store: the chunk is kept in Baton's own storage; a second copy in the HTTP cache would
    // waste quota, and a corrupt copy there would be served again to every retry.
    const response = await opts.fetch(url, { signal: controller.signal, cache: 'no-store' }).catch(fail);
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new BatonError('http-error', `chunk ${expected.sha256}: HTTP ${response.status}`, { url, status: response.status });
    }
    const declared = Number(response.headers.get('Content-Length') ?? NaN);
    if (declared > expected.size) {
      await response.body?.cancel().catch(() => {});
      throw sizeError(expected, declared, url);
    }
    if (!response.body) throw sizeError(expected, 0, url);
    const bytes = new Uint8Array(expected.size);
    let received = 0;
    const reader = response.body.getReader();
    for (;;) {
      arm();
      const { done, value } = await reader.read().catch(fail);
      if (done) break;
      if (received + value.length > expected.size) {
        await reader.cancel().catch(() => {});
        throw sizeError(expected, received + value.length, url, true);
      }
      bytes.set(value, received);
      received += value.length;
    }
    if (received !== expected.size) throw sizeError(expected, received, url);
    clearTimeout(timer);
    const actual = await sha256Hex(bytes);
    if (actual !== expected.sha256) {
      throw new BatonError('hash-mismatch', `chunk ${expected.sha256} arrived with hash ${actual}`, { url, actual });
    }
    return bytes;
  } catch (e) {
    return fail(e);
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
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
