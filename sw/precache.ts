/**
 * The app shell offline: Workbox precaching of the list the build injects (`self.__WB_MANIFEST`,
 * written by baton-ml/vite or workbox-build), navigations answered with the precached
 * `index.html`, and onnxruntime-web's other wasm build cached when first used.
 *
 * A build precaches one onnxruntime-web wasm (14 MB for WASM, 28 MB for the WebGPU build), not
 * both: a device uses one. Whichever it fetches that is not precached is kept here, cache-first,
 * so a WebGPU device starts offline too after its first start online. Hashed file names change
 * when onnxruntime-web does; the older copy of the same file is then deleted.
 */
import { cleanupOutdatedCaches, createHandlerBoundToURL, getCacheKeyForURL, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { cacheFirstWasm } from './wasm-cache.js';

declare const self: ServiceWorkerGlobalScope;

/** One precached file: a URL relative to the service worker, and a revision unless its name is hashed. */
export type PrecacheEntry = string | { readonly url: string; readonly revision: string | null };

export function installPrecache(entries: readonly PrecacheEntry[]): void {
  cleanupOutdatedCaches();
  precacheAndRoute(entries.map((e) => (typeof e === 'string' ? e : { url: e.url, revision: e.revision })));
  // A single-page app's navigations (any path, any query) are its index.html.
  if (getCacheKeyForURL('index.html')) registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
  registerRoute(
    ({ url, request }) => request.method === 'GET' && url.origin === self.location.origin && url.pathname.endsWith('.wasm'),
    ({ request }) => cacheFirstWasm(request),
  );
}
