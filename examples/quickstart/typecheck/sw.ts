/** The app's own service worker, as an app that owns one writes it (WebWorker library). */
import { installBaton, type PrecacheEntry } from 'baton-ml/sw';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: PrecacheEntry[] };
installBaton({ precache: self.__WB_MANIFEST, checkIntervalMs: 15 * 60_000 });
