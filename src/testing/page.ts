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

/**
 * Waits until a service worker controls the page (`navigator.serviceWorker.controller`), i.e.
 * its fetches — the registry's included — go through the app's service worker. On a first visit
 * that needs `clients.claim()` in the worker, or a reload.
 */
export async function waitForServiceWorkerControl(page: Page, opts: { timeout?: number } = {}): Promise<void> {
  try {
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, undefined, { timeout: opts.timeout ?? 15_000 });
  } catch (e) {
    const registrations = await page
      .evaluate(
        async () =>
          (await navigator.serviceWorker?.getRegistrations())?.map((r) => ({
            scope: r.scope,
            active: r.active?.state ?? null,
            installing: r.installing?.state ?? null,
            waiting: r.waiting?.state ?? null,
          })) ?? [],
      )
      .catch(() => 'unknown');
    throw new Error(`baton-ml/testing: no service worker controls ${page.url()} (registrations: ${JSON.stringify(registrations)}): ${(e as Error).message}`);
  }
}

/**
 * Takes the page's browser context offline: the fetches of its pages, workers and service
 * worker fail as they would without a network. Not covered by Chromium's emulation: the
 * browser's own update check of the service worker script (on a navigation or `register()`),
 * which still reaches the server — filter that path out of what the server saw.
 */
export function goOffline(page: Page): Promise<void> {
  return page.context().setOffline(true);
}

/** Brings the page's browser context back online. */
export function goOnline(page: Page): Promise<void> {
  return page.context().setOffline(false);
}
