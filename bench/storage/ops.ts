/** The storage bench's operations as messages, so the page, a worker and the service worker run the same code. */
import {
  fetchReads,
  hashSpeeds,
  idbDelete,
  idbRead,
  idbWrite,
  makeChunks,
  opfsAsyncRead,
  opfsAsyncWrite,
  opfsDelete,
  opfsSyncRead,
  opfsSyncWrite,
} from './measure.js';

export type StorageOp =
  | { readonly op: 'idbWrite'; readonly db: string; readonly count: number }
  | { readonly op: 'idbRead'; readonly db: string; readonly count: number }
  | { readonly op: 'idbDelete'; readonly db: string }
  | { readonly op: 'opfsAsyncWrite'; readonly dir: string; readonly count: number }
  | { readonly op: 'opfsAsyncRead'; readonly dir: string; readonly count: number }
  | { readonly op: 'opfsSyncWrite'; readonly dir: string; readonly count: number }
  | { readonly op: 'opfsSyncRead'; readonly dir: string; readonly count: number }
  | { readonly op: 'opfsDelete'; readonly dir: string }
  | { readonly op: 'hash'; readonly count: number }
  | { readonly op: 'fetchReads'; readonly urls: readonly string[] };

export type OpReply = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

export async function runOp(o: StorageOp): Promise<unknown> {
  switch (o.op) {
    case 'idbWrite':
      return idbWrite(o.db, makeChunks(o.count));
    case 'idbRead':
      return idbRead(o.db, o.count);
    case 'idbDelete':
      return idbDelete(o.db);
    case 'opfsAsyncWrite':
      return opfsAsyncWrite(o.dir, makeChunks(o.count));
    case 'opfsAsyncRead':
      return opfsAsyncRead(o.dir, o.count);
    case 'opfsSyncWrite':
      return opfsSyncWrite(o.dir, makeChunks(o.count));
    case 'opfsSyncRead':
      return opfsSyncRead(o.dir, o.count);
    case 'opfsDelete':
      return opfsDelete(o.dir);
    case 'hash':
      return hashSpeeds(makeChunks(o.count));
    case 'fetchReads':
      return fetchReads(o.urls, makeChunks(o.urls.length));
    default:
      throw new TypeError(`unknown storage op ${(o as { op: string }).op}`);
  }
}

/** Answers `{ op }` messages on `port` (a worker's global scope, or a MessagePort from the page). */
export async function answer(o: StorageOp): Promise<OpReply> {
  try {
    return { ok: true, value: await runOp(o) };
  } catch (e) {
    return { ok: false, error: (e as Error)?.stack ?? String(e) };
  }
}
