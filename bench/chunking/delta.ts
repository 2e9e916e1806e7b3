/**
 * What an update would fetch under a chunking: the chunks of the new version whose content the
 * device does not hold from the old one (dedup by SHA-256, as Baton's downloader does).
 */
import { createHash } from 'node:crypto';
import type { Boundaries } from './chunkers.js';

export interface DeltaFigures {
  /** Bytes of the new version's chunks the device lacks. */
  readonly fetchedBytes: number;
  readonly ratio: number;
  readonly chunks: number;
  readonly fetchedChunks: number;
}

export function hashes(bytes: Uint8Array, ends: Boundaries): { sha: string; size: number }[] {
  let start = 0;
  return ends.map((end) => {
    const sha = createHash('sha256').update(bytes.subarray(start, end)).digest('hex');
    const size = end - start;
    start = end;
    return { sha, size };
  });
}

/** `held`: the SHA-256s of the chunks the device holds (the old version's, under the same chunking). */
export function delta(held: ReadonlySet<string>, newBytes: Uint8Array, chunk: (b: Uint8Array) => Boundaries): DeltaFigures {
  const fresh = hashes(newBytes, chunk(newBytes));
  const seen = new Set<string>();
  let fetchedBytes = 0;
  let fetchedChunks = 0;
  for (const c of fresh) {
    if (held.has(c.sha) || seen.has(c.sha)) continue;
    seen.add(c.sha);
    fetchedBytes += c.size;
    fetchedChunks++;
  }
  return { fetchedBytes, ratio: fetchedBytes / newBytes.length, chunks: fresh.length, fetchedChunks };
}
