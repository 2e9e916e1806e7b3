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
  type RunResult,
} from 'baton-ml/testing';

/** The answer is the test MLP `variant`'s output on the app's input, to 5 decimals. */
function expectAnswer(result: RunResult, variant: number): void {
  const expected = Array.from(mlpReference(variant, Float32Array.of(0.5, -1, 2, 0.25), 1));
  const y = result.outputs?.['y']?.data;
  expect(y).toHaveLength(expected.length);
  expected.forEach((value, i) => expect(y![i]).toBeCloseTo(value, 5));
}

test('serves v1, and again after an offline reload', async ({ page, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  await page.goto(registry.server.url);
  await waitForVersion(page, '1');
  await waitForServiceWorkerControl(page);
  const online = await runOnce(page);
  expect(online).toMatchObject({ ok: true, version: '1' });
  expectAnswer(online, 1);
  await expect(page.locator('#serving')).toHaveText('1');
  await expect(page.locator('#updates')).toHaveText('service-worker');

  // Offline: the app comes from the precache, the model from IndexedDB, and the server sees
  // nothing but the browser's own update check of the service worker script, which Chromium's
  // offline emulation does not cover.
  const since = Date.now();
  await goOffline(page);
  await page.reload();
  await waitForRuntime(page);
  const offline = await runOnce(page);
  expect(offline).toMatchObject({ ok: true, version: '1' });
  expectAnswer(offline, 1);
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
  expect(await runOnce(page)).toMatchObject({ ok: true, version: '1' });
  const v2Chunks = (await registry.newChunks('2', '1')).map((c) => registry.paths.chunk(c.sha256));
  expect(registry.requests().filter((r) => v2Chunks.includes(r.path))).toEqual([]);

  await registry.setPolicy({ percent: 100 });
  await checkForUpdate(page);
  await waitForVersion(page, '2');
  expect(await runOnce(page)).toMatchObject({ ok: true, version: '2' });
});

test('a corrupted chunk of v2 fails the update with a typed error while v1 keeps serving; once the chunk is whole, v2 arrives', async ({ page, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  await page.goto(registry.server.url);
  await waitForVersion(page, '1');

  await registry.publish(mlpModel(2), { version: '2' });
  const [chunk] = await registry.newChunks('2', '1');
  const corrupt = registry.fault(registry.paths.chunk(chunk!.sha256), { kind: 'flip-byte' });
  expect(await checkForUpdate(page)).toMatchObject({ ok: true, value: { ready: ['1'], failed: [{ version: '2', error: { code: 'hash-mismatch' } }] } });
  await waitForRuntimeEvent(page, 'update-failed', { where: (e) => e.version === '2' });
  expect(await runOnce(page)).toMatchObject({ ok: true, version: '1' });
  // A chunk that fails its hash is asked for once more, then the check fails fast.
  expect(corrupt.hits).toBe(2);

  corrupt.remove();
  await checkForUpdate(page);
  await waitForVersion(page, '2');
});

test('a v2 whose outputs are NaN is rolled back to v1 within 10 requests', async ({ page, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  await page.goto(registry.server.url);
  await waitForVersion(page, '1');
  await startLoad(page, { intervalMs: 5 });
  await waitForLoad(page, 10);

  await registry.publish(nanModel(), { version: '2' });
  await checkForUpdate(page);
  const rollback = await waitForRuntimeEvent(page, 'rollback', { where: (e) => e.from === '2' });
  expect(rollback.event).toMatchObject({ reason: 'error-rate', error: { code: 'unhealthy' } });
  await waitForLoad(page, 10, { where: (r) => r.version === '1' && r.at > rollback.at });
  const records = await stopLoad(page);

  // The default gates judge at every failure and stop a version that fails every request after
  // 3 of them (baton-ml's docs/runtime.md); the request in flight then still completes on v2.
  expect(records).toRollBackWithin(10, { from: '2', to: '1' });
  expect(await runOnce(page)).toMatchObject({ ok: true, version: '1' });
});

test('two open tabs: a publish that one tab checks reaches both, and v2 is downloaded once', async ({ context, registry }) => {
  await registry.publish(mlpModel(1), { version: '1' });
  const [a, b] = [await context.newPage(), await context.newPage()];
  await a.goto(registry.server.url);
  await waitForVersion(a, '1');
  await b.goto(registry.server.url);
  await waitForVersion(b, '1');
  // Each tab checks once as it starts; a check that finds one in flight joins it, so a's check
  // below must not meet b's start-up check, begun before the publish (it would answer v1 only).
  await checkForUpdate(b);

  await registry.publish(mlpModel(2), { version: '2' });
  const v2 = (await registry.newChunks('2', '1')).map((c) => registry.paths.chunk(c.sha256));
  expect(await checkForUpdate(a)).toMatchObject({ ok: true, value: { ready: expect.arrayContaining(['2']) } });
  // Tab b made no check after the publish: it heard that v2 was ready.
  await waitForVersion(a, '2');
  await waitForVersion(b, '2');
  expect(await runOnce(b)).toMatchObject({ ok: true, version: '2' });
  expect(
    registry
      .requests({ failed: false })
      .filter((r) => v2.includes(r.path))
      .map((r) => r.path)
      .sort(),
  ).toEqual([...v2].sort());
});
