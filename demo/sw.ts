/**
 * The demo's service worker, written as any app embedding Baton writes its own: Workbox
 * precaches the app shell, the icons and onnxruntime-web's wasm (the list is injected at build
 * time), so the app starts offline; Baton checks, downloads and verifies the models.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { installBaton } from '../sw/index.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

cleanupOutdatedCaches();
// `/` and `/index.html` are the same page; a `?query` does not make it another one.
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });
// The first visit is controlled at once, so its reload already works offline. No skipWaiting:
// a rebuilt shell waits until no tab runs the old one, whose hashed assets it would delete.
clientsClaim();
installBaton({ checkIntervalMs: 60_000 });
