/**
 * Frees storage: keeps every chunk that a kept version needs (the active one, the previous one
 * for rollback, and the versions the current policy wants here), and deletes the rest. Records of
 * failed and quarantined versions stay — they are tiny and quarantine must outlive the bytes.
 */
import type { VersionId } from '../types.js';
import type { ChunkStore } from './chunks.js';
import type { BatonDb } from './db.js';
import { storageOp } from './storage-errors.js';

export interface GcResult {
  readonly chunks: number;
  readonly bytes: number;
  readonly versionsEvicted: VersionId[];
}

/** `wanted` maps a model to the versions its latest policy targets on this device. */
export async function collectGarbage(db: BatonDb, store: ChunkStore, wanted: ReadonlyMap<string, ReadonlySet<VersionId>>): Promise<GcResult> {
  const evicted: VersionId[] = [];
  const keepChunks = new Set<string>();
  await storageOp('collecting garbage', async () => {
    const tx = db.transaction(['models', 'versions'], 'readwrite');
    const models = new Map((await tx.objectStore('models').getAll()).map((m) => [m.model, m]));
    const versions = tx.objectStore('versions');
    for (let cursor = await versions.openCursor(); cursor; cursor = await cursor.continue()) {
      const v = cursor.value;
      const m = models.get(v.model);
      const kept = v.version === m?.active || v.version === m?.previous || wanted.get(v.model)?.has(v.version) === true;
      if (kept && v.state !== 'quarantined') {
        for (const c of v.release.chunks) keepChunks.add(c.sha256);
      } else if (v.state === 'ready' || v.state === 'verified' || v.state === 'downloading') {
        evicted.push(v.version);
        await cursor.delete();
      }
    }
    await tx.done;
  });
  const freed = await store.retainOnly(keepChunks);
  return { ...freed, versionsEvicted: evicted };
}
