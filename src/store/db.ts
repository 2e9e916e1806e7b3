/**
 * The one IndexedDB database Baton keeps per origin, typed once (idb's DBSchema). The service
 * worker, the page and the inference worker all open it through {@link openBatonDb}, so they
 * share one schema and one upgrade path.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { BatonErrorWire } from '../errors.js';
import type { AcceptedManifest } from '../manifest/verify.js';
import type { ModelConfig, Release, VersionId } from '../types.js';

/**
 * downloading → verified → ready; failed (with the error) can be retried by the next check;
 * quarantined is final for that version on this device (a health rollback put it there).
 */
export type VersionState = 'downloading' | 'verified' | 'ready' | 'failed' | 'quarantined';

export interface VersionRecord {
  readonly model: string;
  readonly version: VersionId;
  readonly state: VersionState;
  readonly release: Release;
  readonly error?: BatonErrorWire;
  readonly updatedAt: number;
}

export interface ModelRecord {
  readonly model: string;
  /** What the app asked for (manifest URL, pinned keys, runtime), kept for background checks. */
  readonly config?: ModelConfig;
  /** The newest manifest accepted: anti-rollback state. */
  readonly accepted?: AcceptedManifest;
  /** Its exact bytes, re-verified (expiry) when the server answers 304. */
  readonly manifestBytes?: Uint8Array<ArrayBuffer>;
  readonly etag?: string;
  /** The version this device serves, and the one before it (kept for rollback). */
  readonly active?: VersionId;
  readonly previous?: VersionId;
  readonly lastCheckAt?: number;
  /** When a check last verified a manifest: the device's freshness. */
  readonly verifiedAt?: number;
  readonly lastError?: BatonErrorWire;
}

export interface ChunkRecord {
  readonly sha256: string;
  readonly size: number;
  /** A Blob: IndexedDB stores it out of line, and reading one back copies nothing until needed. */
  readonly data: Blob;
  readonly storedAt: number;
}

export interface BatonDbSchema extends DBSchema {
  models: { key: string; value: ModelRecord };
  versions: { key: [string, string]; value: VersionRecord; indexes: { byModel: string } };
  chunks: { key: string; value: ChunkRecord };
  meta: { key: string; value: unknown };
}

export type BatonDb = IDBPDatabase<BatonDbSchema>;

export const DB_NAME = 'baton';
export const DB_VERSION = 1;

/** The schema's upgrade path; exported so tests open the very same schema. */
export function upgrade(db: IDBPDatabase<BatonDbSchema>, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore('models', { keyPath: 'model' });
    db.createObjectStore('versions', { keyPath: ['model', 'version'] }).createIndex('byModel', 'model');
    db.createObjectStore('chunks', { keyPath: 'sha256' });
    db.createObjectStore('meta');
  }
}

/**
 * Opens (creating or upgrading) Baton's database. An open connection blocks a later upgrade in
 * another context; `versionchange` closes ours so a new service worker or tab is never stuck.
 */
export async function openBatonDb(name = DB_NAME): Promise<BatonDb> {
  const db = await openDB<BatonDbSchema>(name, DB_VERSION, {
    upgrade: (database, oldVersion) => upgrade(database, oldVersion),
  });
  db.addEventListener('versionchange', () => db.close());
  return db;
}
