/** Splits a model file into fixed-size, content-addressed chunks (the unit of download and dedup). */
import { sha256Hex } from '../crypto/sha256.js';
import type { ChunkRef } from '../types.js';

/** 4 MiB: big enough that per-request overhead vanishes, small enough to retry cheaply. */
export const DEFAULT_CHUNK_SIZE = 4 * 1024 * 1024;

export interface Chunk extends ChunkRef {
  readonly offset: number;
  readonly bytes: Uint8Array<ArrayBuffer>;
}

export interface ChunkedFile {
  readonly size: number;
  readonly sha256: string;
  readonly chunkSize: number;
  readonly chunks: readonly Chunk[];
}

/** Chunks `bytes` (views, not copies) and hashes each chunk and the whole file. */
export async function chunkBytes(bytes: Uint8Array<ArrayBuffer>, chunkSize = DEFAULT_CHUNK_SIZE): Promise<ChunkedFile> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunk size must be a positive integer, got ${chunkSize}`);
  if (bytes.length === 0) throw new RangeError('cannot chunk an empty file');
  const chunks: Chunk[] = [];
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    const view = bytes.subarray(offset, Math.min(offset + chunkSize, bytes.length));
    chunks.push({ offset, size: view.length, sha256: await sha256Hex(view), bytes: view });
  }
  return { size: bytes.length, sha256: await sha256Hex(bytes), chunkSize, chunks };
}
