/**
 * Brings one release onto the device: fetches only the chunks storage lacks, a bounded number at
 * a time, verifies and stores each as it arrives (so an interruption loses at most the chunks in
 * flight), and proves the file against the whole-file hash computed in order on the way.
 */
import { BatonError } from '../errors.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { ChunkStore } from './chunk-store.js';
import type { ChunkRef, Release } from '../types.js';
import { Busy } from './busy.js';
import { fetchChunk } from './fetch-chunk.js';
import type { Timers } from './guard.js';
import { createBufferedHash } from './buffered-hash.js';
import { createInOrderHash, type InOrderHashTuning } from './in-order-hash.js';
import { BUFFER_MAX_BYTES, type WholeFileHash, type WholeFileHashOptions } from './whole-file-hash.js';
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
  /** On the last event only, once the whole file verified: where the download's time went. */
  readonly timings?: DownloadTimings;
}

/**
 * Where a download's time went, in milliseconds. The kinds overlap (requests run while earlier
 * chunks are hashed and stored), so they may sum to more than `totalMs`; `tailMs` is what the
 * download took after its last chunk was stored, the part nothing overlapped.
 */
export interface DownloadTimings {
  readonly totalMs: number;
  /** Wall time with at least one chunk request open (sent → last body byte). */
  readonly networkMs: number;
  /** Wall time with at least one per-chunk SHA-256 (WebCrypto) running. */
  readonly chunkHashMs: number;
  /** Thread time in the whole-file SHA-256 (in order, in JavaScript). */
  readonly hashMs: number;
  /** Wall time with at least one chunk being written to storage. */
  readonly storeMs: number;
  /** Wall time the whole-file hash waited for chunks read back from storage (reused ones). */
  readonly readBackMs: number;
  readonly readBackBytes: number;
  /** From the last chunk stored to the whole-file hash checked and every chunk found in storage. */
  readonly tailMs: number;
  /** Most bytes of fetched chunks held at once, waiting for the whole-file hash to reach them. */
  readonly heldPeakBytes: number;
}

export interface DownloadDeps {
  readonly fetch: typeof fetch;
  readonly chunks: ChunkStore;
  readonly sleep?: Sleep;
  /** Clock and timers of the per-request deadlines (guard.ts); its clock also times the download. */
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
  /**
   * A chunk is not requested while it starts more than this many bytes past what the whole-file
   * hash has reached: it bounds the memory held for the hash (default {@link HASH_WINDOW_BYTES}).
   */
  readonly hashWindowBytes?: number;
  /**
   * How the whole-file hash runs (whole-file-hash.ts), for tests and the bench: files up to
   * `bufferMaxBytes` (default {@link BUFFER_MAX_BYTES}) are held and hashed by WebCrypto, larger
   * ones hashed in order in JavaScript.
   */
  readonly hash?: InOrderHashTuning & { readonly bufferMaxBytes?: number };
}

/**
 * Default of {@link DownloadOptions.hashWindowBytes} (for files hashed in order in JavaScript):
 * with 4 MiB chunks, the cursor's chunk and up to 7 more may be fetched or held — ~32 MiB at
 * most. Measured at 100 MiB: 16, 32 and 128 MiB gave the same time (the hash, not the window,
 * was the limit) and held 13–17 MB at peak.
 */
export const HASH_WINDOW_BYTES = 32 * 1024 * 1024;

export type DownloadSummary = Omit<DownloadProgress, 'phase' | 'timings'> & { readonly durationMs: number; readonly timings: DownloadTimings };

/** The chunks of `release` not stored yet, and their total size. */
export async function missingChunks(release: Release, store: ChunkStore): Promise<{ chunks: ChunkRef[]; bytes: number }> {
  const unique = uniqueChunks(release);
  const missing = await store.missing(unique.map((c) => c.sha256));
  const chunks = unique.filter((c) => missing.has(c.sha256));
  return { chunks, bytes: chunks.reduce((n, c) => n + c.size, 0) };
}

/**
 * Fetches what is missing, `concurrency` chunks at a time in file order, each verified and stored
 * as it arrives, while the whole-file hash takes them in (whole-file-hash.ts); then gates on it.
 *
 * Why `ready` may follow without reading the file back (verifyAssembled stays for audits):
 * - every byte is covered by a signed chunk hash (checked in fetchChunk before the bytes are
 *   stored or hashed here), AND the whole-file hash over those very bytes, in order — chunks
 *   already on the device as read back from storage — must equal the signed `release.sha256`;
 * - a chunk that storage lost is caught here (every chunk is looked up once more after the hash)
 *   and again whenever the version is assembled (`assemble` checks presence and sizes);
 * - no hash at read time: bytes only enter storage verified, and whoever can rewrite the
 *   origin's IndexedDB in place can also rewrite the service worker that would check them. A
 *   read-time hash would cost every session start ~0.1–0.5 s per 100 MiB (PLATFORM.md) to guard
 *   against disk corruption, which the browser's storage does not report either way.
 */
export async function downloadRelease(release: Release, deps: DownloadDeps, opts: DownloadOptions): Promise<DownloadSummary> {
  opts.signal?.throwIfAborted();
  const settings = resolveDownloadSettings(opts.settings);
  const clock = deps.timers ? () => deps.timers!.now() : () => performance.now();
  const started = clock();
  const unique = uniqueChunks(release);
  const missing = await deps.chunks.missing(unique.map((c) => c.sha256));
  const todo = unique.filter((c) => missing.has(c.sha256)); // in order of first position
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

  const busy = { network: new Busy(clock), digest: new Busy(clock), store: new Busy(clock) };
  const firstOffset = new Map<string, number>();
  for (let i = 0, offset = 0; i < release.chunks.length; offset += release.chunks[i]!.size, i++) {
    if (!firstOffset.has(release.chunks[i]!.sha256)) firstOffset.set(release.chunks[i]!.sha256, offset);
  }
  const windowBytes = opts.hashWindowBytes ?? HASH_WINDOW_BYTES;
  if (!(windowBytes > 0)) throw new RangeError(`hashWindowBytes must be > 0, got ${windowBytes}`);
  const hashOptions: WholeFileHashOptions = {
    version: release.version,
    chunks: release.chunks,
    stored: unique.filter((c) => !missing.has(c.sha256)).map((c) => c.sha256),
    read: async (sha) => {
      const blob = await deps.chunks.get(sha);
      return blob && new Uint8Array(await blob.arrayBuffer());
    },
    now: clock,
  };
  const { bufferMaxBytes = BUFFER_MAX_BYTES, ...tuning } = opts.hash ?? {};
  const fileSize = release.chunks.reduce((n, c) => n + c.size, 0);
  const hash: WholeFileHash = fileSize <= bufferMaxBytes ? createBufferedHash(hashOptions) : createInOrderHash({ ...hashOptions, ...tuning });

  // One failure stops the rest (the hash too): there is no point fetching more of a release that
  // cannot finish.
  const stop = new AbortController();
  stop.signal.addEventListener('abort', () => hash.stop(stop.signal.reason), { once: true });
  const onOuterAbort = () => stop.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (opts.signal?.aborted) stop.abort(opts.signal.reason);
  let failure: unknown;
  const fail = (e: unknown) => {
    failure ??= e;
    stop.abort(e);
  };
  hash.done.catch(fail); // storage lost a chunk the hash had to read back

  // A verified chunk is written while its worker fetches the next one: a request never waits
  // for IndexedDB. At most `concurrency` writes are pending; a chunk counts (progress, resume)
  // once its write has completed.
  const writes = new Set<Promise<void>>();
  const write = (ref: ChunkRef, bytes: Uint8Array<ArrayBuffer>) => {
    const w: Promise<void> = busy.store
      .time(() => deps.chunks.put(ref.sha256, bytes))
      .then(() => {
        hash.stored(ref.sha256);
        state.bytesDone += ref.size;
        state.bytesFetched += ref.size;
        state.chunksDone++;
        state.chunksFetched++;
        opts.onProgress?.({ ...state, phase: 'downloading' });
      })
      .catch(fail)
      .finally(() => writes.delete(w));
    writes.add(w);
  };
  const queue = [...todo];
  const worker = async () => {
    for (let chunk = queue.shift(); chunk && !stop.signal.aborted; chunk = queue.shift()) {
      const ref = chunk;
      try {
        while (writes.size >= settings.concurrency) await Promise.race(writes);
        // Never more than the window ahead of the hash: the chunk at the cursor is always first
        // in the queue or in flight, so this wait always ends.
        await hash.whenHashed(firstOffset.get(ref.sha256)! - windowBytes + 1);
        const bytes = await withRetry(
          () =>
            fetchChunk(`${opts.baseUrl}/chunks/${ref.sha256}`, ref, {
              fetch: deps.fetch,
              limits: chunkLimits(settings, ref.size),
              signal: stop.signal,
              timers: deps.timers,
              now: deps.now,
              busy,
            }),
          settings.retry,
          { signal: stop.signal, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
        );
        // Verified: stored even if the download stops meanwhile (a resumed one will not fetch it).
        hash.deliver(ref.sha256, bytes);
        write(ref, bytes);
      } catch (e) {
        fail(e);
        return;
      }
    }
  };
  let storedAt = started;
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(settings.concurrency, todo.length)) }, worker));
    // Every write settles before the download does, failed or not: nothing is written after.
    while (writes.size > 0) await Promise.all(writes);
    storedAt = clock();
    // The caller's abort first: a chunk that failed because of it failed with its reason anyway.
    opts.signal?.throwIfAborted();
    if (failure !== undefined) throw failure;

    opts.onProgress?.({ ...state, phase: 'verifying' });
    const actual = await hash.done;
    if (actual !== release.sha256) {
      throw new BatonError('hash-mismatch', `version ${release.version} assembles to hash ${actual}, not ${release.sha256}`, { version: release.version });
    }
    const lost = await deps.chunks.missing(unique.map((c) => c.sha256));
    if (lost.size > 0) {
      throw new BatonError('version-unavailable', `version ${release.version} is missing chunk ${[...lost][0]}`, { version: release.version });
    }
  } catch (e) {
    hash.stop(e);
    // A stop during the final hash (the caller's deadline) rejects with the caller's reason.
    opts.signal?.throwIfAborted();
    throw e;
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
  const end = clock();
  const h = hash.stats();
  const timings: DownloadTimings = {
    totalMs: end - started,
    networkMs: busy.network.wallMs,
    chunkHashMs: busy.digest.wallMs,
    hashMs: h.hashMs,
    storeMs: busy.store.wallMs,
    readBackMs: h.readBackMs,
    readBackBytes: h.readBackBytes,
    tailMs: end - storedAt,
    heldPeakBytes: h.heldPeakBytes,
  };
  opts.onProgress?.({ ...state, phase: 'verifying', timings });
  return { ...state, durationMs: end - started, timings };
}

/**
 * Assembles the stored chunks in order and checks the whole-file hash, reading every byte back:
 * an audit of what storage holds (the download itself gates on the hash it computes on the way).
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
