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

declare const self: ServiceWorkerGlobalScope;

/** One precached file: a URL relative to the service worker, and a revision unless its name is hashed. */
export type PrecacheEntry = string | { readonly url: string; readonly revision: string | null };

export const WASM_CACHE = 'baton-wasm';

export function installPrecache(entries: readonly PrecacheEntry[]): void {
  cleanupOutdatedCaches();
  precacheAndRoute(entries.map((e) => (typeof e === 'string' ? e : { url: e.url, revision: e.revision })));
  // A single-page app's navigations (any path, any query) are its index.html.
  if (getCacheKeyForURL('index.html')) registerRoute(new NavigationRoute(createHandlerBoundToURL('index.html')));
  registerRoute(({ url, request }) => request.method === 'GET' && url.origin === self.location.origin && url.pathname.endsWith('.wasm'), ({ request }) => cacheFirstWasm(request));
}

async function cacheFirstWasm(request: Request): Promise<Response> {
  const cache = await caches.open(WASM_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) {
    const stem = wasmStem(request.url);
    for (const old of await cache.keys()) if (wasmStem(old.url) === stem) await cache.delete(old);
    await cache.put(request, response.clone());
  }
  return response;
}

/** `…/ort-wasm-simd-threaded.jsep-MDYUKy93.wasm` → `ort-wasm-simd-threaded.jsep`: the file without its build hash. */
export function wasmStem(url: string): string {
  const name = new URL(url).pathname.split('/').pop() ?? '';
  return name.replace(/\.wasm$/, '').replace(/-[\w-]{8}$/, '');
}
