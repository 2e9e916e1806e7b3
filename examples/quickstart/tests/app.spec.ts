/**
 * The update paths of the production build (`vite build`, with the plugin's service worker) on a
 * real Chromium: what an app's own device tests look like with `baton-ml/testing`.
 */
import {
  checkForUpdate,
  expect,
  goOffline,
  goOnline,
  mlpModel,
  mlpReference,
  nanModel,
  runOnce,
  runtimeEvents,
  setDeviceId,
  startLoad,
  stopLoad,
  test,
  waitForLoad,
  waitForRuntime,
  waitForRuntimeEvent,
  waitForServiceWorkerControl,
  waitForVersion,
} from 'baton-ml/testing';

/** The outputs the test MLP `variant` computes on the app's input. */
const expected = (variant: number) => Array.from(mlpReference(variant, Float32Array.of(0.5, -1, 2, 0.25), 1));

test('serves v1, and again after an offline reload', async ({ page, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  await page.goto(registry.server.url);
  await waitForVersion(page, '1');
  await waitForServiceWorkerControl(page);
  const online = await runOnce(page);
  expect(online).toMatchObject({ ok: true, version: '1' });
  online.outputs!['y']!.data.forEach((y, i) => expect(y).toBeCloseTo(expected(1)[i]!, 5));
  await expect(page.locator('#serving')).toHaveText('1');
  await expect(page.locator('#updates')).toHaveText('service-worker');

  // Offline: the app comes from the precache, the model from IndexedDB, and the server sees
  // nothing but the browser's own update check of the service worker script, which Chromium's
  // offline emulation does not cover.
  const since = Date.now();
  await goOffline(page);
  await page.reload();
  await waitForRuntime(page);
  expect(await runOnce(page)).toMatchObject({ ok: true, version: '1' });
  expect(registry.requests({ since }).filter((r) => r.path !== '/sw.js')).toEqual([]);
  await goOnline(page);
});

// #region kit
test('a v2 published while requests run takes over with no failed request and exactly one switch', async ({ page, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  await page.goto(registry.server.url);
  await waitForVersion(page, '1');
  await startLoad(page, { intervalMs: 5 });
  await waitForLoad(page, 20);

  await registry.publish(mlpModel(2), { version: '2' });
  expect(await checkForUpdate(page)).toMatchObject({ ok: true, value: { ready: expect.arrayContaining(['2']), failed: [] } });
  await waitForVersion(page, '2');
  await waitForLoad(page, 20, { where: (r) => r.version === '2' });
  const records = await stopLoad(page);

  expect(records).toHaveNoFailedRequests();
  expect(records).toSwitchOnce('1', '2');
  expect((await runtimeEvents(page, { type: 'switch' })).map((e) => e.event)).toMatchObject([{ from: '1', to: '2' }]);
});
// #endregion kit

test('a device outside a 50 % rollout stays on v1 and fetches none of v2, until the rollout reaches 100 %', async ({ page, context, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  await registry.publish(mlpModel(2), { version: '2', rollout: 50 });
  const outside = await registry.findDeviceId({ serves: '1' });
  await setDeviceId(context, outside);
  await page.goto(registry.server.url);
  await waitForVersion(page, '1');

  expect(await checkForUpdate(page)).toMatchObject({ ok: true, value: { ready: ['1'], failed: [] } });
  expect((await runOnce(page)).version).toBe('1');
  const v2Chunks = (await registry.newChunks('2', '1')).map((c) => registry.paths.chunk(c.sha256));
  expect(registry.requests().filter((r) => v2Chunks.includes(r.path))).toEqual([]);

  await registry.setPolicy({ percent: 100 });
  await checkForUpdate(page);
  await waitForVersion(page, '2');
  expect((await runOnce(page)).version).toBe('2');
});

test('a corrupted chunk of v2 fails the update with a typed error while v1 keeps serving; once the chunk is whole, v2 arrives', async ({ page, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  await page.goto(registry.server.url);
  await waitForVersion(page, '1');

  await registry.publish(mlpModel(2), { version: '2' });
  const [chunk] = await registry.newChunks('2', '1');
  const corrupt = registry.fault(registry.paths.chunk(chunk!.sha256), { kind: 'flip-byte' });
  expect(await checkForUpdate(page)).toMatchObject({ ok: true, value: { ready: ['1'], failed: [{ version: '2', error: { code: 'hash-mismatch' } }] } });
  await waitForRuntimeEvent(page, 'update-failed', { where: (e) => e['version'] === '2' });
  expect(await runOnce(page)).toMatchObject({ ok: true, version: '1' });
  expect(corrupt.hits).toBeGreaterThan(0);

  corrupt.remove();
  await checkForUpdate(page);
  await waitForVersion(page, '2');
});

test('a v2 whose outputs are NaN is rolled back to v1 within its health window', async ({ page, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  await registry.setPolicy({ health: { minRequests: 10, windowRequests: 40 } });
  await page.goto(registry.server.url);
  await waitForVersion(page, '1');
  await startLoad(page, { intervalMs: 5 });
  await waitForLoad(page, 10);

  await registry.publish(nanModel(), { version: '2' });
  await checkForUpdate(page);
  const rollback = await waitForRuntimeEvent(page, 'rollback', { where: (e) => e['from'] === '2' });
  await waitForLoad(page, 10, { where: (r) => r.version === '1' && r.at > rollback.at });
  const records = await stopLoad(page);

  expect(records).toRollBackWithin(40, { from: '2', to: '1' });
  expect((await runOnce(page)).version).toBe('1');
});

test('two open tabs: a publish that one tab checks reaches both, and v2 is downloaded once', async ({ context, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  const [a, b] = [await context.newPage(), await context.newPage()];
  await a.goto(registry.server.url);
  await waitForVersion(a, '1');
  await b.goto(registry.server.url);
  await waitForVersion(b, '1');

  await registry.publish(mlpModel(2), { version: '2' });
  const v2 = (await registry.newChunks('2', '1')).map((c) => registry.paths.chunk(c.sha256));
  expect(await checkForUpdate(a)).toMatchObject({ ok: true, value: { ready: expect.arrayContaining(['2']) } });
  // Tab b made no check of its own: it heard that v2 was ready.
  await waitForVersion(a, '2');
  await waitForVersion(b, '2');
  expect((await runOnce(b)).version).toBe('2');
  expect(registry.requests({ failed: false }).filter((r) => v2.includes(r.path)).map((r) => r.path).sort()).toEqual([...v2].sort());
});
