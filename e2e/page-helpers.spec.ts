/** The kit's page helpers do what they claim, observed through the browser's own APIs. */
import { test, expect } from '../src/testing/playwright';
import { clearBrowserState, readBrowserState } from '../src/testing/page';

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
