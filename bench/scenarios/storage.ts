/**
 * storage.*: should Baton keep chunks in the Origin Private File System instead of IndexedDB
 * Blobs (issue #16)? The same chunks (4 MiB, the download size in all) written where each API
 * can run — IndexedDB and OPFS `createWritable` from the service worker (where Baton downloads),
 * `FileSystemSyncAccessHandle` and IndexedDB from a dedicated worker — and read back into one
 * buffer as a session start does. Also measured there: the whole-file SHA-256 in JavaScript
 * against `crypto.subtle.digest`, and the copies a fetched chunk goes through.
 */
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { buildStorageBench } from '../storage/build.js';
import type { FetchReads, HashSpeeds } from '../storage/measure.js';
import type { StorageOp } from '../storage/ops.js';
import { openPage, releaseOnDisk, uniqueName, type BenchEnv } from '../env.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { withTimeout } from '../wait.js';

type Where = 'page' | 'worker' | 'sw';

export async function storageScenario(env: BenchEnv): Promise<ScenarioOutput> {
  const mb = env.settings.downloadMegabytes;
  const count = Math.max(1, Math.round(mb / 4));
  env.progress.section('storage', `${count} × 4 MiB: IndexedDB Blobs vs OPFS (async from the SW, sync in a worker); JS SHA-256 vs WebCrypto`);
  await buildStorageBench(join(env.registry.dir, 'storage-bench'));
  const name = uniqueName('storage');
  await env.registry.publish(env.models.large, { name, version: '1' });
  const chunkUrls = (await releaseOnDisk(env.registry, name, '1')).chunks.map((c) => `${env.registry.url}/${name}/chunks/${c.sha256}`);

  const samples = await repeat(env, async (rep) => {
    const { context, page } = await openPage(env, 'registry/storage-bench/index.html');
    try {
      await page.waitForFunction(() => document.body.dataset['ready'] === 'true');
      await page.evaluate(() => window.storageBench.ready());
      const run = <T>(where: Where, o: StorageOp) =>
        withTimeout(page.evaluate((a) => window.storageBench[a.where](a.o), { where, o }) as Promise<T>, 180_000, `${o.op} in the ${where}`);
      const ms = (where: Where, o: StorageOp) => run<number>(where, o);
      const read = (where: Where, o: StorageOp) => run<{ ms: number; bytes: number }>(where, o).then((r) => r.ms);
      const db = `storage-bench-${rep}`;
      const dbWorker = `storage-bench-w-${rep}`;
      const async = `async-${rep}`;
      const sync = `sync-${rep}`;

      // Alternate which store goes first: the first writer may pay for a cold disk cache.
      const writes = {
        idb: () => ms('sw', { op: 'idbWrite', db, count }),
        idbWorker: () => ms('worker', { op: 'idbWrite', db: dbWorker, count }),
        opfsAsync: () => ms('sw', { op: 'opfsAsyncWrite', dir: async, count }),
        opfsSync: () => ms('worker', { op: 'opfsSyncWrite', dir: sync, count }),
      };
      const w: Record<string, number> = {};
      for (const key of ordered(Object.keys(writes), rep)) w[key] = await writes[key as keyof typeof writes]();
      const reads = {
        idb: () => read('page', { op: 'idbRead', db, count }),
        idbWorker: () => read('worker', { op: 'idbRead', db: dbWorker, count }),
        opfsAsync: () => read('page', { op: 'opfsAsyncRead', dir: async, count }),
        opfsSync: () => read('worker', { op: 'opfsSyncRead', dir: sync, count }),
      };
      const r: Record<string, number> = {};
      for (const key of ordered(Object.keys(reads), rep)) r[key] = await reads[key as keyof typeof reads]();
      const hash = await run<HashSpeeds>('sw', { op: 'hash', count });
      if (!hash.agree) throw new Error('the JS SHA-256 and crypto.subtle.digest disagree');
      const copies = await run<FetchReads>('sw', { op: 'fetchReads', urls: chunkUrls.slice(0, count) });
      await cleanUp(page, [db, dbWorker], [async, sync]);

      const sizeMB = (count * 4 * 1024 * 1024) / 1e6;
      const opfsWrite = Math.min(w['opfsAsync']!, w['opfsSync']!);
      const opfsRead = Math.min(r['opfsAsync']!, r['opfsSync']!);
      env.progress.log(
        `${rep}/${env.settings.reps}: write ms IDB ${fmt(w['idb']!, 0)} (worker ${fmt(w['idbWorker']!, 0)}), OPFS async ${fmt(w['opfsAsync']!, 0)}, sync ${fmt(w['opfsSync']!, 0)}; ` +
          `read ms IDB ${fmt(r['idb']!, 0)} (worker ${fmt(r['idbWorker']!, 0)}), OPFS async ${fmt(r['opfsAsync']!, 0)}, sync ${fmt(r['opfsSync']!, 0)}; ` +
          `SHA-256 MB/s JS ${fmt(hash.jsMBps, 0)}, digest per chunk ${fmt(hash.digestChunksMBps, 0)}, whole ${fmt(hash.digestWholeMBps, 0)}; ` +
          `fetch ms arrayBuffer ${fmt(copies.arrayBufferMs, 0)}, reader+copy ${fmt(copies.copyMs, 0)}, BYOB ${fmt(copies.byobMs, 0)}; new Blob ${fmt(copies.blobMs, 0)} ms`,
      );
      return {
        'storage.idbWriteMs': w['idb']!,
        'storage.idbWorkerWriteMs': w['idbWorker']!,
        'storage.opfsAsyncWriteMs': w['opfsAsync']!,
        'storage.opfsSyncWriteMs': w['opfsSync']!,
        'storage.idbReadMs': r['idb']!,
        'storage.idbWorkerReadMs': r['idbWorker']!,
        'storage.opfsAsyncReadMs': r['opfsAsync']!,
        'storage.opfsSyncReadMs': r['opfsSync']!,
        'storage.opfsWriteRatio': opfsWrite / w['idb']!,
        'storage.opfsReadRatio': opfsRead / r['idb']!,
        'storage.idbWriteMBps': sizeMB / (w['idb']! / 1000),
        'storage.idbReadMBps': sizeMB / (r['idb']! / 1000),
        'storage.hashJsMBps': hash.jsMBps,
        'storage.digestChunksMBps': hash.digestChunksMBps,
        'storage.digestWholeMBps': hash.digestWholeMBps,
        'storage.fetchArrayBufferMs': copies.arrayBufferMs,
        'storage.fetchCopyMs': copies.copyMs,
        'storage.fetchByobMs': copies.byobMs,
        'storage.blobCopyMs': copies.blobMs,
      };
    } finally {
      await context.close();
    }
  });
  return {
    samples,
    notes: [
      `storage: ${count} × 4 MiB chunks, one record / one file per chunk, 4 writes at a time from the service worker (IndexedDB Blobs as idbChunkStore puts them; OPFS createWritable + close), one at a time with FileSystemSyncAccessHandle (+ flush) in a dedicated worker; reads gather every chunk into one ArrayBuffer (page: Blob parts → arrayBuffer(); worker, sync: read() into one buffer). opfsWriteRatio / opfsReadRatio = the faster OPFS way ÷ IndexedDB from the SW / page (< 0.8 on both would argue for a switch).`,
      'storage hashing, in the service worker: hashJsMBps = the in-order JS SHA-256 fed 4 MiB chunks in 256 KiB slices; digestChunksMBps = crypto.subtle.digest per 4 MiB chunk, one after another; digestWholeMBps = one digest of the whole file in one buffer. fetch*Ms = the same chunks fetched one after another in the SW and read three ways; blobCopyMs = new Blob([bytes]) of every chunk (the copy IndexedDB needs).',
    ],
  };
}

/** `keys` rotated by the repetition number, so no way always goes first. */
function ordered(keys: string[], rep: number): string[] {
  const k = rep % keys.length;
  return [...keys.slice(k), ...keys.slice(0, k)];
}

async function cleanUp(page: Page, dbs: string[], dirs: string[]): Promise<void> {
  for (const db of dbs) await page.evaluate((d) => window.storageBench.page({ op: 'idbDelete', db: d }), db);
  for (const dir of dirs) await page.evaluate((d) => window.storageBench.page({ op: 'opfsDelete', dir: d }), dir);
}
