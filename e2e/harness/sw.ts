/**
 * The harness app's service worker, written as an app embedding Baton would write its own:
 * Workbox precaches the shell and onnxruntime-web's wasm (injected at build time), and Baton
 * handles the models.
 */
import { clientsClaim } from 'workbox-core';
import { cleanupOutdatedCaches, precacheAndRoute } from 'workbox-precaching';
import { installBaton } from '../../sw/index.js';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (string | { url: string; revision: string | null })[] };

cleanupOutdatedCaches();
// Tests navigate with query strings; the shell is the same page whatever they say.
precacheAndRoute(self.__WB_MANIFEST, { ignoreURLParametersMatching: [/.*/] });
// The first visit is controlled at once, so it works offline on the next reload.
clientsClaim();
installBaton();
