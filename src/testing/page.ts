/**
 * Page helpers shared by Baton's browser tests and offered to apps' tests: state a test must
 * start without, read straight from the browser rather than from Baton's own bookkeeping.
 */
import type { Page } from '@playwright/test';

/** What origin-scoped state the page can see; used to prove a clean start. */
export interface BrowserState {
  readonly caches: string[];
  readonly databases: string[];
  readonly serviceWorkers: number;
}

export function readBrowserState(page: Page): Promise<BrowserState> {
  return page.evaluate(async () => ({
    caches: await caches.keys(),
    databases: (await indexedDB.databases()).map((d) => d.name ?? ''),
    serviceWorkers: (await navigator.serviceWorker?.getRegistrations())?.length ?? 0,
  }));
}

/**
 * Removes every service worker registration, Cache Storage cache and IndexedDB database of the
 * page's origin. A fresh Playwright context already starts clean; this is for a test that must
 * reset mid-way (e.g. simulate a new install on the same origin).
 */
export async function clearBrowserState(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const registrations = (await navigator.serviceWorker?.getRegistrations()) ?? [];
    await Promise.all(registrations.map((r) => r.unregister()));
    await Promise.all((await caches.keys()).map((k) => caches.delete(k)));
    const names = (await indexedDB.databases()).map((d) => d.name).filter((n): n is string => !!n);
    await Promise.all(
      names.map(
        (name) =>
          new Promise<void>((resolve, reject) => {
            const req = indexedDB.deleteDatabase(name);
            req.onsuccess = () => resolve();
            req.onerror = () => reject(req.error ?? new Error(`could not delete ${name}`));
            // A connection still open in another context holds the delete until it closes.
            req.onblocked = () => reject(new Error(`deleting IndexedDB ${name} is blocked by an open connection`));
          }),
      ),
    );
    localStorage.clear();
  });
}
