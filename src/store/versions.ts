/**
 * Version records and the model's active/previous pointers. Every transition that must be seen
 * together (a version becoming ready and, on a first install, active) happens in one IndexedDB
 * transaction with no network or hashing awaited inside it, so it cannot auto-commit half-way.
 */
import { BatonError, type BatonErrorWire } from '../errors.js';
import type { Release, VersionId } from '../types.js';
import type { BatonDb, ModelRecord, VersionRecord, VersionState } from './db.js';
import { storageOp } from './storage-errors.js';

export async function getModel(db: BatonDb, model: string): Promise<ModelRecord> {
  return (await db.get('models', model)) ?? { model };
}

/** Read-modify-write of a model record in one transaction. */
export function updateModel(db: BatonDb, model: string, edit: (m: ModelRecord) => ModelRecord): Promise<ModelRecord> {
  return storageOp('updating the model record', async () => {
    const tx = db.transaction('models', 'readwrite');
    const next = edit((await tx.store.get(model)) ?? { model });
    await tx.store.put(next);
    await tx.done;
    return next;
  });
}

export function getVersion(db: BatonDb, model: string, version: VersionId): Promise<VersionRecord | undefined> {
  return db.get('versions', [model, version]);
}

export function listVersions(db: BatonDb, model: string): Promise<VersionRecord[]> {
  return db.getAllFromIndex('versions', 'byModel', model);
}

/** Records a state; a quarantined version stays quarantined whatever a download later says. */
export function setVersionState(
  db: BatonDb,
  release: Release,
  model: string,
  state: Exclude<VersionState, 'ready' | 'quarantined'>,
  now: number,
  error?: BatonErrorWire,
): Promise<void> {
  return storageOp(`recording version ${release.version} as ${state}`, async () => {
    const tx = db.transaction('versions', 'readwrite');
    const current = await tx.store.get([model, release.version]);
    if (current?.state !== 'quarantined') {
      await tx.store.put({ model, version: release.version, state, release, updatedAt: now, ...(error ? { error } : {}) });
    }
    await tx.done;
  });
}

/**
 * Marks a verified version ready, and active if the model has none yet (first install), in one
 * transaction. Returns whether it became active.
 */
export function markReady(db: BatonDb, model: string, release: Release, now: number): Promise<boolean> {
  return storageOp(`marking version ${release.version} ready`, async () => {
    const tx = db.transaction(['versions', 'models'], 'readwrite');
    const versions = tx.objectStore('versions');
    const models = tx.objectStore('models');
    const current = await versions.get([model, release.version]);
    if (current?.state === 'quarantined') {
      await tx.done;
      return false;
    }
    await versions.put({ model, version: release.version, state: 'ready', release, updatedAt: now });
    const record = (await models.get(model)) ?? { model };
    const becomesActive = record.active === undefined;
    if (becomesActive) await models.put({ ...record, active: release.version });
    await tx.done;
    return becomesActive;
  });
}

/** Makes a ready version the active one; the old active becomes previous (kept for rollback). */
export function activate(db: BatonDb, model: string, version: VersionId): Promise<ModelRecord> {
  return storageOp(`activating version ${version}`, async () => {
    const tx = db.transaction(['versions', 'models'], 'readwrite');
    const record = await tx.objectStore('versions').get([model, version]);
    if (record?.state !== 'ready') {
      await tx.done; // nothing written: let it commit empty rather than abort into an unhandled rejection
      throw new BatonError('version-unavailable', `version ${version} of ${model} is ${record?.state ?? 'not stored'}, not ready`, {
        version,
        state: record?.state,
      });
    }
    const models = tx.objectStore('models');
    const current = (await models.get(model)) ?? { model };
    const next: ModelRecord = current.active === version ? current : { ...current, active: version, ...(current.active ? { previous: current.active } : {}) };
    await models.put(next);
    await tx.done;
    return next;
  });
}

/**
 * Quarantines a version on this device (a health rollback found it bad): it is never adopted
 * again, whatever later manifests say, and its bytes become garbage. If it was active, the
 * previous version becomes active again in the same transaction.
 */
export function quarantine(db: BatonDb, model: string, version: VersionId, reason: BatonErrorWire, now: number): Promise<ModelRecord> {
  return storageOp(`quarantining version ${version}`, async () => {
    const tx = db.transaction(['versions', 'models'], 'readwrite');
    const versions = tx.objectStore('versions');
    const record = await versions.get([model, version]);
    if (!record) {
      await tx.done;
      throw new BatonError('version-unavailable', `version ${version} of ${model} is not known on this device`, { version });
    }
    await versions.put({ ...record, state: 'quarantined', error: reason, updatedAt: now });
    const models = tx.objectStore('models');
    const current = (await models.get(model)) ?? { model };
    let next = current;
    if (current.active === version) {
      const { previous, active: _bad, ...rest } = current;
      next = previous ? { ...rest, active: previous } : rest;
    } else if (current.previous === version) {
      const { previous: _bad, ...rest } = current;
      next = rest;
    }
    await models.put(next);
    await tx.done;
    return next;
  });
}
