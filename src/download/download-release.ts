/**
 * Brings one release onto the device: fetches only the chunks storage lacks, a bounded number at
 * a time, verifies and stores each as it arrives (so an interruption loses at most the chunks in
 * flight), then proves the assembled file against the whole-file hash.
 */
import { BatonError } from '../errors.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { ChunkStore } from './chunk-store.js';
import type { ChunkRef, Release } from '../types.js';
import { fetchChunk } from './fetch-chunk.js';
import type { Timers } from './guard.js';
import { withRetry, type Sleep } from './retry.js';
import { chunkLimits, resolveDownloadSettings, type DownloadSettings } from './settings.js';

export interface DownloadProgress {
  readonly version: string;
  readonly phase: 'downloading' | 'verifying';
  /** Bytes of the release present on the device, reused ones included. */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly chunksDone: number;
  readonly chunksTotal: number;
  /** Chunks already on the device before this download (from any version). */
  readonly chunksReused: number;
  /** Chunks fetched over the network so far in this download. */
  readonly chunksFetched: number;
  readonly bytesFetched: number;
}

export interface DownloadDeps {
  readonly fetch: typeof fetch;
  readonly chunks: ChunkStore;
  readonly sleep?: Sleep;
  /** Clock and timers of the per-request deadlines (guard.ts). */
  readonly timers?: Timers;
  /** Wall clock, for a `Retry-After` given as an HTTP date. */
  readonly now?: () => number;
}

export interface DownloadOptions {
  /** URL of the model's registry folder; chunks are `${baseUrl}/chunks/<sha256>`. */
  readonly baseUrl: string;
  /** Fields left out take their defaults. */
  readonly settings: DownloadSettings;
  /** Aborts every request of the download (a check's deadline); it rejects with the reason. */
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: (p: DownloadProgress) => void;
}

export type DownloadSummary = Omit<DownloadProgress, 'phase'> & { readonly durationMs: number };

/** The chunks of `release` not stored yet, and their total size. */
export async function missingChunks(release: Release, store: ChunkStore): Promise<{ chunks: ChunkRef[]; bytes: number }> {
  const unique = uniqueChunks(release);
  const missing = await store.missing(unique.map((c) => c.sha256));
  const chunks = unique.filter((c) => missing.has(c.sha256));
  return { chunks, bytes: chunks.reduce((n, c) => n + c.size, 0) };
}

export async function downloadRelease(release: Release, deps: DownloadDeps, opts: DownloadOptions): Promise<DownloadSummary> {
  opts.signal?.throwIfAborted();
  const settings = resolveDownloadSettings(opts.settings);
  const started = performance.now();
  const unique = uniqueChunks(release);
  const { chunks: todo } = await missingChunks(release, deps.chunks);
  const bytesTotal = unique.reduce((n, c) => n + c.size, 0);
  const state = {
    version: release.version,
    bytesDone: bytesTotal - todo.reduce((n, c) => n + c.size, 0),
    bytesTotal,
    chunksDone: unique.length - todo.length,
    chunksTotal: unique.length,
    chunksReused: unique.length - todo.length,
    chunksFetched: 0,
    bytesFetched: 0,
  };
  opts.onProgress?.({ ...state, phase: 'downloading' });

  // One failure stops the rest: there is no point fetching more of a release that cannot finish.
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (opts.signal?.aborted) stop.abort(opts.signal.reason);
  const queue = [...todo];
  let failure: unknown;
  const worker = async () => {
    for (let chunk = queue.shift(); chunk && !stop.signal.aborted; chunk = queue.shift()) {
      const ref = chunk;
      try {
        const bytes = await withRetry(
          () =>
            fetchChunk(`${opts.baseUrl}/chunks/${ref.sha256}`, ref, {
              fetch: deps.fetch,
              limits: chunkLimits(settings, ref.size),
              signal: stop.signal,
              timers: deps.timers,
              now: deps.now,
            }),
          settings.retry,
          { signal: stop.signal, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
        );
        await deps.chunks.put(ref.sha256, bytes);
      } catch (e) {
        failure ??= e;
        stop.abort(e);
        return;
      }
      state.bytesDone += ref.size;
      state.bytesFetched += ref.size;
      state.chunksDone++;
      state.chunksFetched++;
      opts.onProgress?.({ ...state, phase: 'downloading' });
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(settings.concurrency, todo.length)) }, worker));
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
  // The caller's abort first: a chunk that failed because of it failed with its reason anyway.
  opts.signal?.throwIfAborted();
  if (failure !== undefined) throw failure;

  opts.onProgress?.({ ...state, phase: 'verifying' });
  await verifyAssembled(release, deps.chunks);
  return { ...state, durationMs: performance.now() - started };
}

/**
 * Assembles the stored chunks in order and checks the whole-file hash: the last gate before a
 * version may be marked ready. Every chunk was verified on arrival; this also catches a storage
 * layer that lost or altered one since.
 */
export async function verifyAssembled(release: Release, store: ChunkStore): Promise<Blob> {
  const blob = await assemble(release, store);
  const actual = await sha256Hex(await blob.arrayBuffer());
  if (actual !== release.sha256) {
    throw new BatonError('hash-mismatch', `version ${release.version} assembles to hash ${actual}, not ${release.sha256}`, { version: release.version });
  }
  return blob;
}

/** The release's file as one Blob of its stored chunks (no copy until it is read). */
export async function assemble(release: Release, store: ChunkStore): Promise<Blob> {
  const parts: Blob[] = [];
  for (const chunk of release.chunks) {
    const part = await store.get(chunk.sha256);
    if (!part || part.size !== chunk.size) {
      throw new BatonError('version-unavailable', `version ${release.version} is missing chunk ${chunk.sha256}`, { version: release.version });
    }
    parts.push(part);
  }
  return new Blob(parts, { type: 'application/octet-stream' });
}

function uniqueChunks(release: Release): ChunkRef[] {
  const seen = new Map<string, ChunkRef>();
  for (const c of release.chunks) seen.set(c.sha256, c);
  return [...seen.values()];
}
