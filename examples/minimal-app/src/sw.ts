/**
 * The app's service worker: Workbox precaches the app shell and onnxruntime-web's wasm (the
 * list is injected at build time), and Baton keeps the model up to date and available offline.
 */
import { installBaton } from 'baton/sw';
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST);
// The first visit is controlled at once, so the next start works offline.
clientsClaim();
installBaton();
