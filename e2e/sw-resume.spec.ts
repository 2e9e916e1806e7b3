/**
 * The browser may stop a service worker at any moment, as often as it likes. A check that gets
 * somewhere between two stops is resumed by the next worker, however many stops there are,
 * and no chunk that was stored whole is fetched again.
 */
import { test, expect } from '../src/testing/playwright.js';
import type { Release } from '../src/types.js';
import type { DownloadSettings } from '../src/update/config.js';
import { model } from './paths.js';
import { check, connect, errorCode, events, openHarness, status, waitForEventAfter } from './sw-helpers.js';

test.use({ batonModel: 'mlp' });

const download: Partial<DownloadSettings> = { concurrency: 1, stallTimeoutMs: 60_000, retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 } };

test('a download stopped four times by the browser completes, with no whole chunk fetched twice', async ({ page, context, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { version: '1', chunkSize: 32 });
  await openHarness(page, registry);
  // A short heartbeat: the page notices a stopped worker within a second instead of four.
  expect((await page.evaluate(() => window.harness.sw.connect({ heartbeatMs: 250 }))).ok).toBe(true);
  await connect(page, registry, 'mlp', download);
  expect(errorCode(await check(page))).toBeUndefined();

  await registry.publish(model('mlp-v2.onnx'), { version: '2', chunkSize: 32 });
  const fresh: Release['chunks'] = await registry.newChunks('2', '1');
  expect(fresh.length).toBeGreaterThanOrEqual(10);
  registry.resetRequests();
  // Each chunk takes a moment, so the stops land mid-download.
  registry.fault(registry.paths.chunks(), { kind: 'delay', ms: 150 });
  let settled: ReturnType<typeof errorCode> | null = null;
  void check(page).then((r) => (settled = errorCode(r)));

  const cdp = await context.newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  /** When each stop was asked for and done (the server's clock: this process's Date.now()). */
  const stops: { from: number; to: number }[] = [];
  for (let stop = 1; stop <= 4; stop++) {
    // One more chunk stored since the last stop, then stop the worker again.
    const since = (await events(page)).length;
    await waitForEventAfter(page, since, (e) => e.type === 'progress' && e.version === '2' && e.chunksFetched > 0, `a chunk stored before stop ${stop}`);
    const from = Date.now();
    await cdp.send('ServiceWorker.stopAllWorkers');
    stops.push({ from, to: Date.now() });
  }
  await expect.poll(() => settled, { timeout: 30_000, message: 'the check settles' }).not.toBeNull();
  expect(settled).toBeUndefined();
  expect((await status(page)).versions.find((v) => v.version === '2')?.state).toBe('ready');

  // No chunk that was stored is fetched again. The server cannot see what was stored, only
  // what it sent whole: a chunk whose bytes arrived just before a stop, not yet hashed and
  // written, is rightly asked for again by the next worker (and a request a stop cut off may be
  // too). So each new chunk was sent whole once — or twice, with a stop between the end of the
  // first send and the start of the second; that can happen at most once per stop here, where
  // one chunk is fetched at a time.
  const sends = fresh.map((c) => ({
    sha256: c.sha256,
    whole: registry.requests({ path: registry.paths.chunk(c.sha256) }).filter((r) => r.status === 200 && !r.aborted && !r.pending && r.bytesSent === c.size),
  }));
  expect(sends.filter((c) => c.whole.length < 1 || c.whole.length > 2)).toEqual([]);
  const resent = sends.filter((c) => c.whole.length === 2);
  const stopBetween = ({ whole: [first, second] }: (typeof sends)[number]) => stops.some((s) => first!.endedAt! <= s.to && s.from <= second!.startedAt);
  expect(
    resent.filter((c) => !stopBetween(c)),
    `stops: ${JSON.stringify(stops)}`,
  ).toEqual([]);
  expect(resent.length).toBeLessThanOrEqual(stops.length);
});

test('a worker stopped again and again before it stores anything: the check gives up with the interruption', async ({ page, context, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { version: '1', chunkSize: 32 });
  await openHarness(page, registry);
  expect((await page.evaluate(() => window.harness.sw.connect({ heartbeatMs: 250 }))).ok).toBe(true);
  await connect(page, registry, 'mlp', download);
  expect(errorCode(await check(page))).toBeUndefined();

  await registry.publish(model('mlp-v2.onnx'), { version: '2', chunkSize: 32 });
  // Every chunk request hangs: no check can store anything.
  registry.fault(registry.paths.chunks(), { kind: 'stall', afterBytes: 0 });
  let settled: { ok: boolean; error?: unknown } | undefined;
  void check(page).then((r) => (settled = r));
  const cdp = await context.newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  const pendingChunk = () => registry.requests({ path: registry.paths.chunks() }).filter((r) => r.pending).length;
  for (let stop = 1; stop <= 3; stop++) {
    // A worker is fetching (and stuck on) a chunk: stop it.
    await expect.poll(pendingChunk, { message: `a chunk request before stop ${stop}` }).toBe(1);
    await cdp.send('ServiceWorker.stopAllWorkers');
    await expect.poll(pendingChunk).toBe(0);
  }
  await expect.poll(() => settled, { message: 'the check gives up' }).toBeDefined();
  expect(settled).toMatchObject({ ok: false, error: { code: 'unavailable', details: { interrupted: true } } });
  expect((await status(page)).versions.find((v) => v.version === '2')?.state).not.toBe('ready');
});
