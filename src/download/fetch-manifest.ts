/**
 * Fetches a model's manifest past every HTTP cache, conditionally on the stored ETag, size-capped,
 * under its deadline, stall timer and minimum throughput. One attempt: the check is its retry.
 */
import { MAX_ENVELOPE_BYTES } from '../manifest/envelope.js';
import { guardRequest, type RequestGuard, type RequestLimits, type Timers } from './guard.js';
import { httpError } from './http.js';

export type FetchedManifest =
  { readonly notModified: true } | { readonly notModified: false; readonly bytes: Uint8Array<ArrayBuffer>; readonly etag: string | null };

export interface FetchManifestOptions {
  readonly fetch: typeof fetch;
  /** Sent as `If-None-Match`: a 304 then resolves `{ notModified: true }`. */
  readonly etag?: string | undefined;
  /** `manifestLimits(settings)`. */
  readonly limits: RequestLimits;
  readonly signal?: AbortSignal | undefined;
  readonly timers?: Timers | undefined;
  /** Wall clock, for a `Retry-After` given as an HTTP date. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

export async function fetchManifest(url: string, opts: FetchManifestOptions): Promise<FetchedManifest> {
  const guard = guardRequest(opts.limits, { what: `manifest ${url}`, url, signal: opts.signal, timers: opts.timers });
  try {
    // no-store: the HTTP cache must never answer for the manifest. The conditional header is
    // ours, so a 304 reaches us and saves the download when nothing changed.
    const response = await opts
      .fetch(url, { cache: 'no-store', signal: guard.signal, ...(opts.etag ? { headers: { 'If-None-Match': opts.etag } } : {}) })
      .catch(guard.fail);
    guard.headers();
    if (response.status === 304 && opts.etag) {
      await response.body?.cancel().catch(() => {});
      return { notModified: true };
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw httpError(response, `manifest ${url}`, url, (opts.now ?? Date.now)());
    }
    return { notModified: false, bytes: await readCapped(response, MAX_ENVELOPE_BYTES + 1, guard), etag: response.headers.get('ETag') };
  } catch (e) {
    return guard.fail(e);
  } finally {
    guard.dispose();
  }
}

/** Reads at most `max` bytes: an endless manifest must not exhaust memory before parsing refuses it. */
async function readCapped(response: Response, max: number, guard: RequestGuard): Promise<Uint8Array<ArrayBuffer>> {
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (!reader) return new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read().catch(guard.fail);
    if (done) break;
    guard.bytes(value.length);
    parts.push(value);
    total += value.length;
    if (total >= max) {
      await reader.cancel().catch(() => {});
      break;
    }
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
