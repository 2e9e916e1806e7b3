import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { idbChunkStore, type ChunkStore } from '../store/chunks.js';
import { openBatonDb, type BatonDb } from '../store/db.js';
import { BASE, createMemoryRegistry, testBytes, type MemoryRegistry } from '../testing/memory-registry.js';
import type { DownloadSettings } from './settings.js';
import { downloadRelease, verifyAssembled, type DownloadProgress } from './download-release.js';

const SETTINGS: DownloadSettings = { concurrency: 3, stallTimeoutMs: 1000, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 } };
const noSleep = async () => {};
let db: BatonDb;
let store: ChunkStore;
let registry: MemoryRegistry;
let n = 0;

beforeEach(async () => {
  db = await openBatonDb(`download-test-${++n}`);
  store = idbChunkStore(db);
  registry = await createMemoryRegistry();
});
afterEach(() => db.close());

describe('downloadRelease', () => {
  it('fetches each chunk once, stores it, reports monotone progress and verifies the whole file', async () => {
    const release = await registry.release('1', testBytes(1000), 64);
    const progress: DownloadProgress[] = [];
    const summary = await downloadRelease(
      release,
      { fetch: registry.fetch, chunks: store, sleep: noSleep },
      { baseUrl: BASE, settings: SETTINGS, onProgress: (p) => progress.push(p) },
    );
    expect(registry.chunkRequests()).toHaveLength(16);
    expect(new Set(registry.chunkRequests()).size).toBe(16);
    expect(summary).toMatchObject({ bytesDone: 1000, bytesTotal: 1000, chunksFetched: 16, chunksReused: 0 });
    const done = progress.map((p) => p.bytesDone);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(progress.at(-1)?.phase).toBe('verifying');
    const blob = await verifyAssembled(release, store);
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(testBytes(1000));
  });

  it('fetches only what storage lacks: an update sharing chunks fetches the changed ones', async () => {
    const v1 = testBytes(1024);
    const v2 = v1.slice();
    v2[700] = v2[700]! ^ 0xff; // one byte in chunk 10 of 16
    await downloadRelease(await registry.release('1', v1, 64), { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, settings: SETTINGS });
    registry.requests.length = 0;
    const summary = await downloadRelease(await registry.release('2', v2, 64), { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, settings: SETTINGS });
    expect(registry.chunkRequests()).toHaveLength(1);
    expect(summary).toMatchObject({ chunksFetched: 1, chunksReused: 15, bytesFetched: 64 });
  });

  it('never has more than `concurrency` requests in flight', async () => {
    const release = await registry.release('1', testBytes(2000), 64);
    let inFlight = 0;
    let peak = 0;
    const slowFetch: typeof fetch = async (input, init) => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      try {
        return await registry.fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    await downloadRelease(release, { fetch: slowFetch, chunks: store }, { baseUrl: BASE, settings: SETTINGS });
    expect(peak).toBe(3);
  });

  it('stops at a fatal chunk, keeps what was verified, and a second run resumes with the rest only', async () => {
    const release = await registry.release('1', testBytes(1024), 64);
    const bad = `/models/mlp/chunks/${release.chunks[8]!.sha256}`;
    const good = registry.files.get(bad)!;
    registry.files.set(bad, testBytes(64, 99)); // persistent corruption of chunk 8
    const settings = { ...SETTINGS, concurrency: 1 };
    const error = await downloadRelease(release, { fetch: registry.fetch, chunks: store, sleep: noSleep }, { baseUrl: BASE, settings }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe('hash-mismatch');
    expect(registry.requests.filter((p) => p === bad)).toHaveLength(2); // once more, then fail fast
    const firstRun = new Set(registry.chunkRequests());
    expect(firstRun.size).toBe(9); // chunks 0..8: one worker stops at the failure

    registry.files.set(bad, good);
    registry.requests.length = 0;
    await downloadRelease(release, { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, settings });
    const secondRun = registry.chunkRequests();
    expect(secondRun).toContain(bad);
    expect(secondRun.filter((p) => p !== bad && firstRun.has(p))).toEqual([]); // nothing verified is fetched twice
    expect(secondRun).toHaveLength(16 - 8);
  });

  it('recovers from transient failures by retrying', async () => {
    const release = await registry.release('1', testBytes(256), 64);
    const path = `/models/mlp/chunks/${release.chunks[1]!.sha256}`;
    let failures = 2;
    registry.overrides.set(path, () => (failures-- > 0 ? new Response('busy', { status: 503 }) : new Response(registry.files.get(path)!.slice())));
    await downloadRelease(release, { fetch: registry.fetch, chunks: store, sleep: noSleep }, { baseUrl: BASE, settings: SETTINGS });
    expect(registry.requests.filter((p) => p === path)).toHaveLength(3); // 503, 503, then the chunk
  });

  it('refuses a release whose chunks are each valid but do not assemble into its file hash', async () => {
    const release = { ...(await registry.release('1', testBytes(256), 64)), sha256: '0'.repeat(64) };
    const error = await downloadRelease(release, { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, settings: SETTINGS }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'hash-mismatch' });
  });

  it('rejects at once with the caller’s reason when its signal is already aborted, fetching nothing', async () => {
    const release = await registry.release('1', testBytes(256), 64);
    const reason = new BatonError('timeout', 'the check missed its deadline');
    const error = await downloadRelease(
      release,
      { fetch: registry.fetch, chunks: store },
      { baseUrl: BASE, settings: SETTINGS, signal: AbortSignal.abort(reason) },
    ).catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(registry.chunkRequests()).toEqual([]);
  });

  it('stops every request when the caller aborts mid-download, and rejects with its reason, not a retry’s', async () => {
    const release = await registry.release('1', testBytes(256), 64);
    const controller = new AbortController();
    const hung = (init?: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    for (const c of release.chunks) registry.overrides.set(`/models/mlp/chunks/${c.sha256}`, hung);
    const pending = downloadRelease(release, { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, settings: SETTINGS, signal: controller.signal });
    while (registry.chunkRequests().length < 3) await new Promise((r) => setTimeout(r, 1));
    const reason = new BatonError('timeout', 'the check missed its deadline');
    controller.abort(reason);
    expect(await pending.catch((e: unknown) => e)).toBe(reason);
    expect(registry.chunkRequests()).toHaveLength(3); // the first `concurrency`, none retried
  });

  it('retries a 503 after the Retry-After it names', async () => {
    const release = await registry.release('1', testBytes(128), 64);
    const path = `/models/mlp/chunks/${release.chunks[0]!.sha256}`;
    let busy = true;
    registry.overrides.set(path, () => {
      if (!busy) return new Response(registry.files.get(path)!.slice());
      busy = false;
      return new Response('busy', { status: 503, headers: { 'Retry-After': '2' } });
    });
    const waits: number[] = [];
    const settings = { ...SETTINGS, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 10_000 } };
    await downloadRelease(release, { fetch: registry.fetch, chunks: store, sleep: async (ms) => void waits.push(ms) }, { baseUrl: BASE, settings });
    expect(waits).toEqual([2_000]);
    expect(registry.requests.filter((p) => p === path)).toHaveLength(2);
  });
});

/** The IndexedDB store, with every read (`get`) recorded: what the whole-file hash read back. */
function readCountingStore(inner: ChunkStore, reads: string[], lose?: (sha: string) => boolean): ChunkStore {
  return { ...inner, get: async (sha) => (reads.push(sha), lose?.(sha) ? undefined : inner.get(sha)) };
}

const chunkPath = (sha: string) => `/models/mlp/chunks/${sha}`;

// Both ways of hashing the whole file (whole-file-hash.ts), forced by the size threshold.
describe.each([
  { way: 'held in one buffer, hashed by WebCrypto', bufferMaxBytes: Infinity, inOrder: false },
  { way: 'in order, in JavaScript', bufferMaxBytes: 0, inOrder: true },
])('downloadRelease: the whole-file hash as chunks arrive, $way', ({ bufferMaxBytes, inOrder }) => {
  const hash = { bufferMaxBytes };

  it('reads nothing back from storage when every chunk is fetched, even as they complete out of order', async () => {
    const release = await registry.release('1', testBytes(1024), 64);
    const completed: number[] = [];
    // The first chunks of each round answer last.
    const shuffled: typeof fetch = async (input, init) => {
      const i = release.chunks.findIndex((c) => (input as string).endsWith(c.sha256));
      await new Promise((r) => setTimeout(r, (3 - (i % 3)) * 3));
      const response = await registry.fetch(input, init);
      completed.push(i);
      return response;
    };
    const reads: string[] = [];
    const summary = await downloadRelease(release, { fetch: shuffled, chunks: readCountingStore(store, reads) }, { baseUrl: BASE, hash, settings: SETTINGS });
    expect(completed).not.toEqual([...completed].sort((a, b) => a - b));
    expect(reads).toEqual([]);
    expect(summary.timings).toMatchObject({ readBackBytes: 0 });
    expect(new Uint8Array(await (await verifyAssembled(release, store)).arrayBuffer())).toEqual(testBytes(1024));
  });

  it('reads back only the chunk an update reuses, in the middle of the file', async () => {
    const v1 = testBytes(1024, 1);
    const v2 = testBytes(1024, 2);
    v2.set(v1.subarray(320, 384), 320); // chunk 5 of 16 is shared
    await downloadRelease(await registry.release('1', v1, 64), { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, hash, settings: SETTINGS });
    const release2 = await registry.release('2', v2, 64);
    registry.requests.length = 0;
    const reads: string[] = [];
    const summary = await downloadRelease(
      release2,
      { fetch: registry.fetch, chunks: readCountingStore(store, reads) },
      { baseUrl: BASE, hash, settings: SETTINGS },
    );
    expect(reads).toEqual([release2.chunks[5]!.sha256]);
    expect(registry.chunkRequests()).toHaveLength(15);
    expect(summary).toMatchObject({ chunksReused: 1, timings: { readBackBytes: 64 } });
  });

  it('a resumed download reads back what the interrupted one stored, and only that', async () => {
    const release = await registry.release('1', testBytes(1024), 64);
    const bad = chunkPath(release.chunks[8]!.sha256);
    const good = registry.files.get(bad)!;
    registry.files.set(bad, testBytes(64, 99));
    const settings = { ...SETTINGS, concurrency: 1 };
    await expect(downloadRelease(release, { fetch: registry.fetch, chunks: store, sleep: noSleep }, { baseUrl: BASE, hash, settings })).rejects.toMatchObject({
      code: 'hash-mismatch',
    });
    registry.files.set(bad, good);
    registry.requests.length = 0;
    const reads: string[] = [];
    await downloadRelease(release, { fetch: registry.fetch, chunks: readCountingStore(store, reads) }, { baseUrl: BASE, hash, settings });
    expect(reads).toEqual(release.chunks.slice(0, 8).map((c) => c.sha256));
    expect(registry.chunkRequests()).toEqual(release.chunks.slice(8).map((c) => chunkPath(c.sha256)));
  });

  it('fetches a chunk that recurs in the file once (in order: read back for its later position)', async () => {
    const a = testBytes(64, 1);
    const file = new Uint8Array(256);
    file.set(a, 0);
    file.set(testBytes(64, 2), 64);
    file.set(a, 128);
    file.set(testBytes(64, 3), 192);
    const release = await registry.release('1', file, 64);
    const reads: string[] = [];
    await downloadRelease(release, { fetch: registry.fetch, chunks: readCountingStore(store, reads) }, { baseUrl: BASE, hash, settings: SETTINGS });
    expect(registry.chunkRequests()).toHaveLength(3);
    expect(reads).toEqual(inOrder ? [release.chunks[0]!.sha256] : []);
  });

  it('refuses a file whose chunks are each valid but do not assemble into its signed hash, after storing them', async () => {
    const release = { ...(await registry.release('1', testBytes(1024), 64)), sha256: (await registry.release('x', testBytes(1024, 7), 64)).sha256 };
    const error = await downloadRelease(release, { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, hash, settings: SETTINGS }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BatonError);
    expect(error).toMatchObject({ code: 'hash-mismatch', details: { version: '1' } });
    expect(await store.missing(release.chunks.map((c) => c.sha256))).toEqual(new Set()); // valid chunks are kept for the next version
  });

  it('fails with version-unavailable when storage lost a chunk the hash must read back', async () => {
    const v1 = testBytes(1024, 1);
    await downloadRelease(await registry.release('1', v1, 64), { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, hash, settings: SETTINGS });
    const v2 = v1.slice();
    v2[700] = v2[700]! ^ 0xff;
    const release2 = await registry.release('2', v2, 64);
    const lost = release2.chunks[3]!.sha256;
    const error = await downloadRelease(
      release2,
      { fetch: registry.fetch, chunks: readCountingStore(store, [], (sha) => sha === lost) },
      { baseUrl: BASE, hash, settings: SETTINGS },
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'version-unavailable' });
  });

  it('rejects with the caller’s reason when aborted while the hash waits on storage', async () => {
    const release = await registry.release('1', testBytes(256), 64);
    await downloadRelease(release, { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, hash, settings: SETTINGS });
    const controller = new AbortController();
    let reading!: () => void;
    const readStarted = new Promise<void>((r) => (reading = r));
    const stuck: ChunkStore = { ...store, get: () => (reading(), new Promise<never>(() => {})) };
    const pending = downloadRelease(release, { fetch: registry.fetch, chunks: stuck }, { baseUrl: BASE, hash, settings: SETTINGS, signal: controller.signal });
    await readStarted;
    const reason = new BatonError('timeout', 'the check missed its deadline');
    controller.abort(reason);
    expect(await pending.catch((e: unknown) => e)).toBe(reason);
  });

  it('reports where the time went on its last progress event, after the hash passed', async () => {
    const release = await registry.release('1', testBytes(512), 64);
    const progress: DownloadProgress[] = [];
    await downloadRelease(release, { fetch: registry.fetch, chunks: store }, { baseUrl: BASE, hash, settings: SETTINGS, onProgress: (p) => progress.push(p) });
    expect(progress.filter((p) => p.timings)).toHaveLength(1);
    const last = progress.at(-1)!;
    expect(last.phase).toBe('verifying');
    expect(last.timings).toMatchObject({ readBackBytes: 0, heldPeakBytes: expect.any(Number) });
    for (const key of ['totalMs', 'networkMs', 'chunkHashMs', 'hashMs', 'storeMs', 'tailMs'] as const) {
      expect(last.timings![key], key).toBeGreaterThanOrEqual(0);
      expect(last.timings![key], key).toBeLessThanOrEqual(last.timings!.totalMs);
    }
  });
});

describe('downloadRelease: the memory bound of the in-order hash', () => {
  it('in order, in JavaScript: never requests a chunk further ahead of the hash than its window, and holds at most the window', async () => {
    const release = await registry.release('1', testBytes(2048), 64); // 32 chunks
    let releaseFirst: () => void = () => {};
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    const first = chunkPath(release.chunks[0]!.sha256);
    const asked: string[] = [];
    const gated: typeof fetch = async (input, init) => {
      const path = new URL(input as string).pathname;
      asked.push(path);
      if (path === first) await firstHeld;
      return registry.fetch(input, init);
    };
    const settings = { ...SETTINGS, concurrency: 8 };
    const pending = downloadRelease(
      release,
      { fetch: gated, chunks: store },
      { baseUrl: BASE, hash: { bufferMaxBytes: 0 }, settings, hashWindowBytes: 4 * 64 },
    );
    await new Promise((r) => setTimeout(r, 30));
    // While chunk 0 is outstanding the hash cannot move: only chunks starting < 256 bytes in.
    expect(asked).toEqual(release.chunks.slice(0, 4).map((c) => chunkPath(c.sha256)));
    releaseFirst();
    const summary = await pending;
    expect(asked).toHaveLength(32);
    expect(summary.timings.heldPeakBytes).toBeLessThanOrEqual(4 * 64);
  });
});
