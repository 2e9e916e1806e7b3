/**
 * The storage bench's measurements, runnable in the page, a dedicated worker and the service
 * worker alike: 4 MiB chunks written to and read back from IndexedDB (as Baton stores them,
 * through `idbChunkStore`) and from the Origin Private File System, the whole-file SHA-256 in
 * JavaScript against WebCrypto's `digest`, and the copies a chunk goes through on its way in.
 *
 * Typed against the DOM library (tsconfig.node.json checks bench/): the OPFS sync access handle
 * and the worker globals are declared locally.
 */
import { Sha256 } from '../../src/crypto/sha256-stream.js';
import { idbChunkStore } from '../../src/store/chunks.js';
import { openBatonDb } from '../../src/store/db.js';

export const CHUNK = 4 * 1024 * 1024;

/** `count` distinct chunks of pseudo-random bytes (incompressible; made before any clock starts). */
export function makeChunks(count: number, size = CHUNK): Uint8Array<ArrayBuffer>[] {
  return Array.from({ length: count }, (_, k) => {
    const out = new Uint8Array(size);
    const words = new Uint32Array(out.buffer);
    let s = (k + 1) * 0x9e3779b9;
    for (let i = 0; i < words.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      words[i] = s;
    }
    return out;
  });
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `chunk-${i}`);

/** Runs `fn` over `items`, `concurrency` at a time, as Baton's downloader does. */
async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i]!, i);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

// --- IndexedDB, as Baton stores chunks (one Blob per chunk) --------------------------------------

export async function idbWrite(dbName: string, chunks: readonly Uint8Array<ArrayBuffer>[], concurrency = 4): Promise<number> {
  const db = await openBatonDb(dbName);
  const store = idbChunkStore(db);
  const keys = names(chunks.length);
  const t = performance.now();
  await pool(chunks, concurrency, (bytes, i) => store.put(keys[i]!, bytes));
  const ms = performance.now() - t;
  db.close();
  return ms;
}

/** What a session start does: every chunk's Blob, then one ArrayBuffer of the whole file. */
export async function idbRead(dbName: string, count: number): Promise<{ ms: number; bytes: number }> {
  const db = await openBatonDb(dbName);
  const store = idbChunkStore(db);
  const t = performance.now();
  const parts: Blob[] = [];
  for (const key of names(count)) parts.push((await store.get(key))!);
  const buffer = await new Blob(parts).arrayBuffer();
  const ms = performance.now() - t;
  db.close();
  return { ms, bytes: buffer.byteLength };
}

export async function idbDelete(dbName: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const req = indexedDB.deleteDatabase(dbName);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error ?? new Error(`deleting ${dbName} failed`));
    req.onblocked = () => resolve();
  });
}

// --- OPFS: one file per chunk (chunks are content-addressed and shared across versions) ---------

async function opfsDir(dir: string): Promise<FileSystemDirectoryHandle> {
  return (await navigator.storage.getDirectory()).getDirectoryHandle(dir, { create: true });
}

/** The async API (`createWritable`): all a service worker may use. */
export async function opfsAsyncWrite(dir: string, chunks: readonly Uint8Array<ArrayBuffer>[], concurrency = 4): Promise<number> {
  const root = await opfsDir(dir);
  const keys = names(chunks.length);
  const t = performance.now();
  await pool(chunks, concurrency, async (bytes, i) => {
    const file = await root.getFileHandle(keys[i]!, { create: true });
    const writable = await file.createWritable();
    await writable.write(bytes);
    await writable.close(); // commits: the file is swapped in atomically
  });
  return performance.now() - t;
}

export async function opfsAsyncRead(dir: string, count: number): Promise<{ ms: number; bytes: number }> {
  const root = await opfsDir(dir);
  const t = performance.now();
  const parts: Blob[] = [];
  for (const key of names(count)) parts.push(await (await root.getFileHandle(key)).getFile());
  const buffer = await new Blob(parts).arrayBuffer();
  return { ms: performance.now() - t, bytes: buffer.byteLength };
}

/** The parts of FileSystemSyncAccessHandle used here (worker-only; not in the DOM library). */
interface SyncAccessHandle {
  write(buffer: BufferSource, options?: { at?: number }): number;
  read(buffer: BufferSource, options?: { at?: number }): number;
  getSize(): number;
  flush(): void;
  close(): void;
}
type SyncFileHandle = FileSystemFileHandle & { createSyncAccessHandle(): Promise<SyncAccessHandle> };

/** `FileSystemSyncAccessHandle`, in a dedicated worker only; flushed before it counts as written. */
export async function opfsSyncWrite(dir: string, chunks: readonly Uint8Array<ArrayBuffer>[]): Promise<number> {
  const root = await opfsDir(dir);
  const keys = names(chunks.length);
  const t = performance.now();
  for (let i = 0; i < chunks.length; i++) {
    const handle = await ((await root.getFileHandle(keys[i]!, { create: true })) as SyncFileHandle).createSyncAccessHandle();
    handle.write(chunks[i]!, { at: 0 });
    handle.flush();
    handle.close();
  }
  return performance.now() - t;
}

/** Every chunk read straight into its place in one buffer of the whole file. */
export async function opfsSyncRead(dir: string, count: number): Promise<{ ms: number; bytes: number }> {
  const root = await opfsDir(dir);
  const t = performance.now();
  const handles: SyncAccessHandle[] = [];
  for (const key of names(count)) handles.push(await ((await root.getFileHandle(key)) as SyncFileHandle).createSyncAccessHandle());
  const total = handles.reduce((n, h) => n + h.getSize(), 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const h of handles) {
    at += h.read(out.subarray(at, at + h.getSize()), { at: 0 });
    h.close();
  }
  return { ms: performance.now() - t, bytes: at };
}

export async function opfsDelete(dir: string): Promise<void> {
  await (await navigator.storage.getDirectory()).removeEntry(dir, { recursive: true }).catch(() => {});
}

// --- Hashing: the whole file in order, in JavaScript, against WebCrypto --------------------------

export interface HashSpeeds {
  /** The JS Sha256 fed chunk by chunk in 256 KiB slices (as the in-order hash runs). */
  readonly jsMBps: number;
  /** `crypto.subtle.digest` of each chunk, one after another (the per-chunk check). */
  readonly digestChunksMBps: number;
  /** One `crypto.subtle.digest` of the whole file in one buffer (the ceiling; needs it all in memory). */
  readonly digestWholeMBps: number;
  readonly agree: boolean;
}

export async function hashSpeeds(chunks: readonly Uint8Array<ArrayBuffer>[]): Promise<HashSpeeds> {
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const whole = new Uint8Array(bytes);
  chunks.reduce((at, c) => (whole.set(c, at), at + c.length), 0);
  const mbps = (ms: number) => bytes / 1e6 / (ms / 1000);
  // Warm the JIT on a few MB first, as a download's first chunks do.
  new Sha256().update(whole.subarray(0, 8 * 1024 * 1024)).digest();
  let t = performance.now();
  const sha = new Sha256();
  for (const c of chunks) for (let at = 0; at < c.length; at += 256 * 1024) sha.update(c.subarray(at, at + 256 * 1024));
  const js = sha.hexDigest();
  const jsMs = performance.now() - t;
  t = performance.now();
  for (const c of chunks) await crypto.subtle.digest('SHA-256', c);
  const chunksMs = performance.now() - t;
  t = performance.now();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', whole));
  const wholeMs = performance.now() - t;
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return { jsMBps: mbps(jsMs), digestChunksMBps: mbps(chunksMs), digestWholeMBps: mbps(wholeMs), agree: hex === js };
}

// --- The copies on the way in --------------------------------------------------------------------

export interface FetchReads {
  /** `fetch().arrayBuffer()`: the browser's own accumulation. */
  readonly arrayBufferMs: number;
  /** A default reader, each read copied into one preallocated buffer (fetchChunk before). */
  readonly copyMs: number;
  /** A BYOB reader filling one preallocated buffer in place (fetchChunk now). */
  readonly byobMs: number;
  /** `new Blob([bytes])` of every chunk (what IndexedDB is handed): the copy storing costs. */
  readonly blobMs: number;
  readonly bytes: number;
}

/** Each chunk URL fetched once per way of reading, sequentially; then the Blob copies alone. */
export async function fetchReads(urls: readonly string[], chunks: readonly Uint8Array<ArrayBuffer>[]): Promise<FetchReads> {
  let bytes = 0;
  const time = async (read: (r: Response) => Promise<number>) => {
    const t = performance.now();
    bytes = 0;
    for (const url of urls) bytes += await read(await fetch(url, { cache: 'no-store' }));
    return performance.now() - t;
  };
  const arrayBufferMs = await time(async (r) => (await r.arrayBuffer()).byteLength);
  const copyMs = await time(async (r) => {
    const size = Number(r.headers.get('Content-Length'));
    const out = new Uint8Array(size);
    const reader = r.body!.getReader();
    let at = 0;
    for (let x = await reader.read(); !x.done; x = await reader.read()) {
      out.set(x.value, at);
      at += x.value.length;
    }
    return at;
  });
  const byobMs = await time(async (r) => {
    const size = Number(r.headers.get('Content-Length'));
    let buffer = new ArrayBuffer(size);
    let at = 0;
    const reader = r.body!.getReader({ mode: 'byob' });
    while (at < size) {
      const { done, value } = await reader.read(new Uint8Array(buffer, at, size - at));
      if (done || !value) break;
      buffer = value.buffer;
      at += value.length;
    }
    await reader.read(new Uint8Array(1));
    return at;
  });
  const t = performance.now();
  const blobs = chunks.map((c) => new Blob([c]));
  const blobMs = performance.now() - t;
  if (blobs.length !== chunks.length) throw new Error('unreachable');
  return { arrayBufferMs, copyMs, byobMs, blobMs, bytes };
}
