/** Reads a ready version back out of storage; anything not `ready` is unavailable, never partial. */
import { BatonError } from '../errors.js';
import { assemble } from '../download/download-release.js';
import type { VersionId } from '../types.js';
import { idbChunkStore } from './chunks.js';
import type { BatonDb } from './db.js';
import { getModel, getVersion } from './versions.js';

/** The file of `version` (default: the model's active version) as a Blob of its stored chunks. */
export async function readReadyModel(db: BatonDb, model: string, version?: VersionId): Promise<{ version: VersionId; blob: Blob }> {
  const chosen = version ?? (await getModel(db, model)).active;
  const record = chosen === undefined ? undefined : await getVersion(db, model, chosen);
  if (!record || record.state !== 'ready') {
    throw new BatonError('version-unavailable', `no ready version ${chosen ?? '(active)'} of "${model}" on this device`, {
      model,
      version: chosen,
      state: record?.state,
    });
  }
  return { version: record.version, blob: await assemble(record.release, idbChunkStore(db)) };
}
