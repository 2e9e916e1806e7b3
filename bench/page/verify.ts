/**
 * SHA-256 verification throughput: the work Baton does to trust a release (each chunk hashed as
 * it arrives, `fetchChunk`; then the assembled file against the whole-file hash,
 * `verifyAssembled`), next to one `crypto.subtle.digest` over the same bytes in one buffer.
 */
import { sha256Hex } from '../../src/crypto/sha256.js';
import { verifyAssembled } from '../../src/download/download-release.js';
import type { ChunkStore } from '../../src/store/chunks.js';
import type { Release } from '../../src/types.js';

export interface VerifyTiming {
  readonly bytes: number;
  /** Every chunk hashed, as fetchChunk does on arrival. */
  readonly chunksMs: number;
  /** The assembled file read back from its chunk Blobs and hashed, as verifyAssembled does. */
  readonly assembledMs: number;
  /** One digest of the whole buffer: the practical ceiling. */
  readonly digestMs: number;
}

/** Deterministic, incompressible-looking bytes (xorshift32). */
function noise(bytes: number): Uint8Array<ArrayBuffer> {
  const words = new Uint32Array(bytes / 4);
  let s = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words[i] = s;
  }
  return new Uint8Array(words.buffer);
}

const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

export async function measureVerify(opts: { megabytes: number; chunkBytes: number; digestFirst: boolean }): Promise<VerifyTiming> {
  const data = noise(Math.round((opts.megabytes * 2 ** 20) / 4) * 4);
  const views: Uint8Array<ArrayBuffer>[] = [];
  for (let o = 0; o < data.length; o += opts.chunkBytes) views.push(data.subarray(o, Math.min(o + opts.chunkBytes, data.length)));

  const digest = async () => {
    const t = performance.now();
    const sha = hex(await crypto.subtle.digest('SHA-256', data));
    return { sha, ms: performance.now() - t };
  };
  const hashChunks = async () => {
    const t = performance.now();
    const hashes: string[] = [];
    for (const view of views) hashes.push(await sha256Hex(view));
    return { hashes, ms: performance.now() - t };
  };
  // Alternated between repetitions: whichever runs first touches the buffer first.
  const [whole, chunked] = opts.digestFirst ? [await digest(), await hashChunks()] : await hashChunks().then(async (c) => [await digest(), c] as const);
  const { hashes } = chunked;

  // Storing is not verifying: the chunk Blobs exist before the clock starts (IndexedDB hands
  // verifyAssembled Blobs too; reading them back is part of its cost, and of this one).
  const blobs = new Map(hashes.map((h, i) => [h, new Blob([views[i]!])]));
  const store: ChunkStore = {
    missing: async () => new Set(),
    put: async () => {},
    get: async (sha) => blobs.get(sha),
    retainOnly: async () => ({ chunks: 0, bytes: 0 }),
  };
  // verifyAssembled reads only the version, the whole-file hash and the chunk list.
  const release = {
    version: 'bench',
    sha256: whole.sha,
    size: data.length,
    chunks: hashes.map((sha256, i) => ({ sha256, size: views[i]!.length })),
  } as unknown as Release;
  const t = performance.now();
  await verifyAssembled(release, store);
  const assembledMs = performance.now() - t;
  return { bytes: data.length, chunksMs: chunked.ms, assembledMs, digestMs: whole.ms };
}
