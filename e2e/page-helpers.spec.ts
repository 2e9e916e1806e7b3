/** The kit's page helpers do what they claim, observed through the browser's own APIs. */
import { setDeviceId } from '../src/testing/device.js';
import { mlpModel } from '../src/testing/models.js';
import { clearBrowserState, goOffline, goOnline, readBrowserState, waitForServiceWorkerControl } from '../src/testing/page.js';
import { test, expect } from '../src/testing/playwright.js';
import { expectOk } from './runtime-helpers.js';
import { connect, openHarness, status } from './sw-helpers.js';

test('a test starts with no caches, databases or service workers, and clearBrowserState restores that', async ({ page, registry }) => {
  await page.goto(`${registry.server.url}/index.html`);
  expect(await readBrowserState(page)).toEqual({ caches: [], databases: [], serviceWorkers: 0 });

  await page.evaluate(async () => {
    await (await caches.open('baton-test')).put('/x', new Response('x'));
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open('baton-test', 1);
      req.onupgradeneeded = () => req.result.createObjectStore('s');
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error ?? new Error('open failed'));
    });
  });
  expect(await readBrowserState(page)).toEqual({ caches: ['baton-test'], databases: ['baton-test'], serviceWorkers: 0 });

  await clearBrowserState(page);
  expect(await readBrowserState(page)).toEqual({ caches: [], databases: [], serviceWorkers: 0 });
});

test('setDeviceId makes the forced id the one the service worker and the page both route with', async ({ page, context, registry }) => {
  await registry.publish(mlpModel(1), { name: 'mlp', version: '1' });
  await setDeviceId(context, 'device-forced');
  await openHarness(page, registry);
  await connect(page, registry);
  expect((await status(page)).deviceId).toBe('device-forced');
  // Still the forced id after a reload (the init script runs again; the value is the same).
  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
  await connect(page, registry);
  expect((await status(page)).deviceId).toBe('device-forced');
});

test('a device put outside a 50 % rollout with setDeviceId stays on v1; one put inside adopts v2', async ({ browser, registry }) => {
  await registry.publish(mlpModel(1), { name: 'mlp', version: '1' });
  await registry.publish(mlpModel(2), { name: 'mlp', version: '2', rollout: 50 });
  const ids = { outside: await registry.findDeviceId({ serves: '1' }, { name: 'mlp' }), inside: await registry.findDeviceId({ serves: '2' }, { name: 'mlp' }) };
  const ready: Record<string, string[]> = {};
  for (const [where, id] of Object.entries(ids)) {
    const context = await browser.newContext();
    try {
      await setDeviceId(context, id);
      const page = await context.newPage();
      await openHarness(page, registry);
      // No deviceId in the config: the install's own id, which the init script forced.
      const result = await page.evaluate((config) => window.harness.pageUpdates.check(config), {
        name: 'mlp',
        manifestUrl: `${registry.url}/mlp/manifest.json`,
        publicKeys: [registry.publicKey],
      });
      ready[where] = [...expectOk(result, `the ${where} device's check`).value.ready].sort();
    } finally {
      await context.close();
    }
  }
  expect(ready).toEqual({ outside: ['1'], inside: ['1', '2'] });
});

test('waitForServiceWorkerControl resolves once the harness worker controls the page, and fails in time without one', async ({ page, registry }) => {
  await openHarness(page, registry);
  await expect(waitForServiceWorkerControl(page, { timeout: 500 })).rejects.toThrow(/no service worker controls .*registrations: \[\]/);
  await connect(page, registry);
  await waitForServiceWorkerControl(page);
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL)).toMatch(/\/sw\.js$/);
});

test('goOffline cuts the page off the server and goOnline restores it', async ({ page, registry }) => {
  await page.goto(`${registry.server.url}/index.html`);
  const fetchStatus = () =>
    page.evaluate(() =>
      fetch('/index.html', { cache: 'no-store' }).then(
        (r) => r.status,
        () => 'failed',
      ),
    );
  const since = Date.now();
  await goOffline(page);
  expect(await fetchStatus()).toBe('failed');
  expect(registry.requests({ path: '/index.html', since })).toEqual([]);
  await goOnline(page);
  expect(await fetchStatus()).toBe(200);
  expect(registry.requests({ path: '/index.html', since })).toHaveLength(1);
});
