/**
 * The service worker's happy paths, asserted on what the server saw and what the page was told:
 * install, offline reload, a background update that fetches only changed chunks, two tabs.
 */
import { test, expect } from '../src/testing/playwright.js';
import { largeModel, mlpReference } from '../src/testing/models.js';
import { check, connect, events, openHarness, runStored, status, waitForEvent } from './sw-helpers.js';
import { model } from './paths.js';
import { expectOk } from './runtime-helpers.js';

const X = [0.5, -1, 2, 0.25];
const expectOutput = (actual: number[], variant: number) =>
  Array.from(mlpReference(variant, Float32Array.from(X), 1)).forEach((y, i) => expect(actual[i]).toBeCloseTo(y, 5));

test('first online visit installs v1; an offline reload still serves the app, the runtime and the model', async ({ page, context, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1.0.0', chunkSize: 256 });
  await openHarness(page, registry);
  await connect(page, registry);
  const result = await check(page);
  expect(result.ok && result.value.ready, JSON.stringify(result)).toEqual(['1.0.0']);
  await waitForEvent(page, (e) => e.type === 'version-ready' && e.version === '1.0.0' && e.active, 'v1 ready and active');
  expect((await status(page)).active).toBe('1.0.0');
  const online = expectOk(await runStored(page, X, 1), 'running v1 online').value;
  expect(online.version).toBe('1.0.0');
  expectOutput(online.output, 1);

  // Offline: the shell and the wasm come from the precache, the model from IndexedDB.
  const seen = registry.requests().length;
  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
  await connect(page, registry);
  const offline = expectOk(await runStored(page, X, 1), 'running v1 offline').value;
  expect(offline.version).toBe('1.0.0');
  expectOutput(offline.output, 1);
  expect(registry.requests().length).toBe(seen);
  // An update check while offline fails with a typed error and changes nothing.
  const failed = await check(page);
  expect(failed.ok ? 'ok' : 'code' in failed.error && failed.error.code).toBe('network-error');
  expect((await status(page)).active).toBe('1.0.0');
});

test('v2 published while the page is open downloads in the background, fetching only the changed chunk', async ({ page, registry }) => {
  const v1 = largeModel({ megabytes: 2, variant: 1, changedFraction: 0.001 });
  const v2 = largeModel({ megabytes: 2, variant: 2, changedFraction: 0.001 });
  await registry.publish(v1, { name: 'big', version: '1', chunkSize: '64k' });
  await openHarness(page, registry);
  await connect(page, registry, 'big');
  expect((await check(page, 'big')).ok).toBe(true);
  const firstInstall = registry.requests({ path: registry.paths.chunks('big') }).length;

  await registry.publish(v2, { name: 'big', version: '2' });
  registry.resetRequests();
  const result = await check(page, 'big');
  expect(result.ok && result.value.ready.sort(), JSON.stringify(result)).toEqual(['1', '2']);
  const ready = await waitForEvent(page, (e) => e.type === 'version-ready' && e.version === '2', 'v2 ready');
  expect(ready).toMatchObject({ active: false }); // switching is the runtime's decision, not the download's

  // Exactly the chunks that differ between the two manifests were fetched, each once.
  const changed = (await registry.newChunks('2', '1', 'big')).map((c) => registry.paths.chunk(c.sha256, 'big'));
  const [r1, r2] = [await registry.release('1', 'big'), await registry.release('2', 'big')];
  expect(changed).toHaveLength(1);
  expect(firstInstall).toBe(r1.chunks.length);
  expect(registry.requests({ path: registry.paths.chunks('big') }).map((r) => r.path)).toEqual(changed);
  const progress = (await events(page)).filter((e) => e.type === 'progress' && e.version === '2').at(-1);
  expect(progress).toMatchObject({ chunksFetched: 1, chunksReused: r2.chunks.length - 1 });
});

test('two tabs open at once download the model once', async ({ context, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1.0.0', chunkSize: 256 });
  const [a, b] = [await context.newPage(), await context.newPage()];
  await openHarness(a, registry);
  await connect(a, registry);
  await openHarness(b, registry);
  await connect(b, registry);
  const [ra, rb] = await Promise.all([check(a), check(b)]);
  expect(ra.ok && rb.ok, JSON.stringify([ra, rb])).toBe(true);
  const chunks = registry.requests({ path: '/registry/mlp/chunks/*' }).map((r) => r.path);
  expect(chunks.length).toBeGreaterThan(1);
  expect(new Set(chunks).size).toBe(chunks.length);
  // Both tabs heard the one download finish.
  for (const page of [a, b]) await waitForEvent(page, (e) => e.type === 'version-ready', 'version-ready in every tab');
});

test('the model route serves the bytes of the active and of a named ready version; a quarantined or unknown one is a typed 404', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1.0.0' });
  await openHarness(page, registry);
  await connect(page, registry);
  expect(expectOk(await check(page)).value.ready).toEqual(['1.0.0']);
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2.0.0' });
  expect(expectOk(await check(page)).value.ready.sort()).toEqual(['1.0.0', '2.0.0']);
  const [v1, v2] = [await registry.release('1.0.0', 'mlp'), await registry.release('2.0.0', 'mlp')];
  const route = async (version?: string) =>
    expectOk(
      await page.evaluate(([m, v]) => window.harness.sw.fetchModel(m, v ?? undefined), ['mlp', version ?? null] as const),
      `GET __baton-model/mlp/${version ?? 'active'}`,
    ).value;
  const before = registry.requests().length;

  // The bytes are the release's, whole: their SHA-256 is the one the signed manifest names.
  expect(await route()).toMatchObject({ status: 200, version: '1.0.0', contentType: 'application/octet-stream', size: v1.size, sha256: v1.sha256 });
  expect(await route('active')).toMatchObject({ status: 200, version: '1.0.0', sha256: v1.sha256 });
  expect(await route('2.0.0')).toMatchObject({ status: 200, version: '2.0.0', contentType: 'application/octet-stream', size: v2.size, sha256: v2.sha256 });
  expect(v2.sha256).not.toBe(v1.sha256);

  // Not ready here, for either reason: 404 with the error's wire form.
  expect(await route('9.9.9')).toMatchObject({
    status: 404,
    contentType: 'application/json',
    json: { name: 'BatonError', code: 'version-unavailable', details: { model: 'mlp', version: '9.9.9' } },
  });
  expectOk(await page.evaluate(() => window.harness.sw.quarantine('mlp', '2.0.0')), 'quarantining 2.0.0');
  expect(await route('2.0.0')).toMatchObject({
    status: 404,
    contentType: 'application/json',
    json: { name: 'BatonError', code: 'version-unavailable', details: { model: 'mlp', version: '2.0.0', state: 'quarantined' } },
  });
  expect(await route()).toMatchObject({ status: 200, version: '1.0.0', sha256: v1.sha256 });
  // Served from storage by the service worker: no request reached the network.
  expect(registry.requests().length).toBe(before);
});
