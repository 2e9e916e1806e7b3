/** Reads a ready version back out of storage; anything not `ready` is unavailable, never partial. */
import { BatonError } from '../errors';
import { assemble } from '../download/download-release';
import type { VersionId } from '../types';
import { idbChunkStore } from './chunks';
import type { BatonDb } from './db';
import { getModel, getVersion } from './versions';

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
