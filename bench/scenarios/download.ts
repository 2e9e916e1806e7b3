/**
 * download.ratio: a large model (weights that do not compress) brought onto the device by
 * Baton's update pipeline in the service worker — manifest verified, chunks fetched 4 at a time,
 * each hashed and stored in IndexedDB, the whole file hashed in order as they arrive, the version
 * marked ready, with where the time went (`download.*Ms` details) —
 * against one raw `fetch().arrayBuffer()` of the same bytes from the same server. The two
 * alternate which goes first; both bypass the HTTP cache.
 */
import { DEFAULT_DOWNLOAD } from '../../src/update/config.js';
import { openPage, releaseOnDisk, serveRaw, uniqueName, type BenchEnv } from '../env.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { withTimeout } from '../wait.js';

export async function downloadScenario(env: BenchEnv): Promise<ScenarioOutput> {
  const mb = env.settings.downloadMegabytes;
  env.progress.section('download', `${mb} MiB model: Baton (service worker: fetch, hash, store, verify) vs fetch().arrayBuffer()`);
  const rawUrl = await serveRaw(env.registry, env.models.large);
  const name = uniqueName('download');
  await env.registry.publish(env.models.large, { name, version: '1' });
  const chunkUrls = (await releaseOnDisk(env.registry, name, '1')).chunks.map((c) => `${env.registry.url}/${name}/chunks/${c.sha256}`);
  const samples = await repeat(env, async (rep) => {
    // A fresh context each time: nothing stored yet, a new service worker.
    const { context, page } = await openPage(env);
    try {
      await page.evaluate(() => window.bench.updates.connect('sw'));
      await page.evaluate((a) => window.bench.updates.configure(a.name, a.manifestUrl, a.publicKey), {
        name,
        manifestUrl: `${env.registry.url}/${name}/manifest.json`,
        publicKey: env.registry.publicKey,
      });
      const raw = () =>
        withTimeout(
          page.evaluate((u) => window.bench.rawFetch(u), rawUrl),
          120_000,
          'the raw fetch',
        );
      const baton = async () => {
        const r = await withTimeout(
          page.evaluate((n) => window.bench.updates.check(n), name),
          300_000,
          'the Baton download',
        );
        if ('error' in r) throw new Error(`the Baton download failed: ${r.error}`);
        if (!r.ready.includes('1')) throw new Error(`version 1 is not ready after the check: ${JSON.stringify(r)}`);
        return r;
      };
      const chunked = () =>
        withTimeout(
          page.evaluate((a) => window.bench.chunkedFetch(a.urls, a.concurrency), { urls: chunkUrls, concurrency: DEFAULT_DOWNLOAD.concurrency }),
          120_000,
          'the chunked fetch',
        );
      let f: Awaited<ReturnType<typeof raw>>;
      let b: Awaited<ReturnType<typeof baton>>;
      if (rep % 2 === 1) {
        f = await raw();
        b = await baton();
      } else {
        b = await baton();
        f = await raw();
      }
      const c = await chunked();
      const bytesMB = f.bytes / 1e6;
      const d = b.download;
      const split = d
        ? `; in the SW ${fmt(d.totalMs, 0)} ms: network ${fmt(d.networkMs, 0)}, chunk digests ${fmt(d.chunkHashMs, 0)}, whole-file hash ${fmt(d.hashMs, 0)} (${fmt(bytesMB / (d.hashMs / 1000), 0)} MB/s), store ${fmt(d.storeMs, 0)}, tail ${fmt(d.tailMs, 0)}; commit ${fmt(b.commitMs ?? Number.NaN, 0)} ms`
        : '';
      env.progress.log(
        `${rep}/${env.settings.reps}: Baton ${fmt(b.ms, 0)} ms (${fmt(bytesMB / (b.ms / 1000), 0)} MB/s; last ${fmt(b.verifyMs ?? Number.NaN, 0)} ms after the last chunk stored), fetch ${fmt(f.ms, 0)} ms (${fmt(bytesMB / (f.ms / 1000), 0)} MB/s) → ×${fmt(b.ms / f.ms)}; the same chunks fetched alone ${fmt(c.ms, 0)} ms${split}`,
      );
      return {
        'download.ratio': b.ms / f.ms,
        'download.batonMs': b.ms,
        'download.fetchMs': f.ms,
        'download.batonMBps': bytesMB / (b.ms / 1000),
        'download.fetchMBps': bytesMB / (f.ms / 1000),
        'download.verifyPhaseMs': b.verifyMs ?? Number.NaN,
        'download.chunkedFetchMs': c.ms,
        // Where the time went, measured in the service worker (DownloadTimings); NaN if not reported.
        'download.swTotalMs': d?.totalMs ?? Number.NaN,
        'download.networkMs': d?.networkMs ?? Number.NaN,
        'download.chunkHashMs': d?.chunkHashMs ?? Number.NaN,
        'download.hashMs': d?.hashMs ?? Number.NaN,
        'download.hashMBps': d ? bytesMB / (d.hashMs / 1000) : Number.NaN,
        'download.storeMs': d?.storeMs ?? Number.NaN,
        'download.readBackMs': d?.readBackMs ?? Number.NaN,
        'download.tailMs': d?.tailMs ?? Number.NaN,
        'download.heldPeakMB': d ? d.heldPeakBytes / 1e6 : Number.NaN,
        'download.commitMs': b.commitMs ?? Number.NaN,
      };
    } finally {
      await page.evaluate(() => window.bench.updates.close()).catch(() => {});
      await context.close();
    }
  });
  return {
    samples,
    notes: [
      `download: ${mb} MiB, 4 MiB chunks, 4 at a time; verifyPhaseMs = from the last chunk stored to ready (what is left of the whole-file SHA-256, every chunk looked up once more, mark ready); chunkedFetchMs = the same chunks fetched ${DEFAULT_DOWNLOAD.concurrency} at a time in the page, not hashed or stored.`,
      'download split (service worker clock, overlapping, so they sum to more than swTotalMs): networkMs = wall time with a chunk request open (sent → last byte); chunkHashMs = with a per-chunk WebCrypto digest running; hashMs = the whole-file SHA-256 (src/download/whole-file-hash.ts: up to 128 MiB one WebCrypto digest of the file held in memory, above that the thread time of the in-order JavaScript hash; hashMBps = size ÷ it); storeMs = with an IndexedDB chunk write running; readBackMs = reading chunks already on the device back (0 for a first install); tailMs = last chunk stored → whole file verified; heldPeakMB = the most file bytes held for the hash; commitMs = (page clock) whole file verified → check resolved (mark ready, events, reply).',
    ],
  };
}
