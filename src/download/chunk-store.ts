/**
 * Where a download keeps the chunks it verified: the port the download code writes through, and
 * that store/chunks.ts implements on IndexedDB (a fake one in unit tests). Defined here, with its
 * user, so the download code depends on nothing above it.
 */
export interface ChunkStore {
  /** The subset of `sha256s` not stored yet. */
  missing(sha256s: Iterable<string>): Promise<Set<string>>;
  put(sha256: string, bytes: Uint8Array<ArrayBuffer>): Promise<void>;
  get(sha256: string): Promise<Blob | undefined>;
  /** Deletes every chunk not in `keep`; returns what it freed. */
  retainOnly(keep: ReadonlySet<string>): Promise<{ chunks: number; bytes: number }>;
}
