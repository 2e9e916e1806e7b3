/**
 * The port between the downloader and the release's whole-file SHA-256, which is computed while
 * the chunks arrive — so that nothing just fetched is read back from storage to be verified — and
 * which gates `ready` (download-release.ts). Two implementations, picked by file size:
 * - buffered-hash.ts: the file, up to {@link BUFFER_MAX_BYTES}, is gathered in one buffer and
 *   hashed once by WebCrypto (native, ~650–900 MB/s here): the fastest end to end when the CPU
 *   is the bottleneck (bench `download`), at the cost of holding the file — as the read-back
 *   verification before it did at its end;
 * - in-order-hash.ts: a JavaScript SHA-256 (~200 MB/s here) fed in file order, holding only a
 *   window of chunks: bounded memory for files too large to hold.
 *
 * Why a version may be marked ready on either:
 * - every byte of the file is covered by a signed chunk hash: a fetched chunk is delivered only
 *   after fetchChunk checked it against the manifest, and stored only then;
 * - the whole-file hash covers the file exactly as the device will assemble it — chunk 0, 1, …
 *   n−1, each position once — fetched chunks from the very bytes that are stored, chunks already
 *   on the device (another version's, an interrupted run's) as read back from storage. A chunk
 *   storage lost fails here, at the final presence check, or when the version is assembled.
 */
import { BatonError } from '../errors.js';
import type { ChunkRef } from '../types.js';

/**
 * Files up to this size are hashed by {@link BufferedHash}: measured on a 2-core machine, 100 MiB
 * over loopback took 1.13–1.32 s that way against 1.43–1.58 s with the JavaScript hash (and
 * 1.26–1.33 s for the read-back verification before either).
 */
export const BUFFER_MAX_BYTES = 128 * 1024 * 1024;

export interface WholeFileHashOptions {
  readonly version: string;
  /** The file's chunks in order; a chunk may occur at several positions. */
  readonly chunks: readonly ChunkRef[];
  /** Chunks in storage already when the download starts (reused or resumed). */
  readonly stored: Iterable<string>;
  /** A stored chunk's bytes, or undefined if storage does not have it. */
  readonly read: (sha256: string) => Promise<Uint8Array | undefined>;
  readonly now?: () => number;
}

export interface WholeFileHashStats {
  /** Time spent hashing the whole file (thread time in JavaScript; the digest call in WebCrypto). */
  readonly hashMs: number;
  /** Wall time spent reading chunks already on the device back from storage. */
  readonly readBackMs: number;
  readonly readBackBytes: number;
  /** Most bytes of the file held at once. */
  readonly heldPeakBytes: number;
}

export interface WholeFileHash {
  /**
   * Resolves once the hash has taken in the file up to `offset` (at once where the whole file is
   * held anyway): the downloader's memory bound. Rejects with the reason the hash stopped.
   */
  whenHashed(offset: number): Promise<void>;
  /** A fetched chunk's bytes, verified against its signed hash. */
  deliver(sha256: string, bytes: Uint8Array): void;
  /** The chunk is in storage now: a later position that needs it may read it back. */
  stored(sha256: string): void;
  /** The hex digest of the whole file, once every position is in; rejects with the reason it stopped. */
  readonly done: Promise<string>;
  /** Stops at once: `done` and every waiter reject with `reason`. */
  stop(reason: unknown): void;
  stats(): WholeFileHashStats;
}

/** A chunk already on the device, read back; `version-unavailable` if storage lost it. */
export async function readBack(opts: WholeFileHashOptions, chunk: ChunkRef): Promise<Uint8Array> {
  const bytes = await opts.read(chunk.sha256);
  if (!bytes || bytes.length !== chunk.size) {
    throw new BatonError('version-unavailable', `version ${opts.version} is missing chunk ${chunk.sha256}`, { version: opts.version });
  }
  return bytes;
}
