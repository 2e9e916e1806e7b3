/**
 * The bench pages' service worker, as an app embedding Baton writes it: Workbox precaches the
 * shell and onnxruntime-web's wasm (so both pages start offline), and Baton handles the models.
 * Checked by bench/page/tsconfig.sw.json (WebWorker library).
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { installBaton } from '../../sw/index.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

cleanupOutdatedCaches();
// Pages are opened with query strings (model URLs); the shell is the same whatever they say.
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });
clientsClaim();
installBaton();
