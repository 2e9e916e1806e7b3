/**
 * `baton-ml/sw`: call {@link installBaton} from the app's service worker. It checks for model
 * updates on activation, when a page asks, on an interval while the worker is alive, and on
 * Periodic Background Sync where the browser has it; downloads and verifies in the background;
 * and serves ready models at `<scope>__baton-model/<name>/<version|active>` from storage.
 *
 * Model weights are never part of the `install` step: a quota error there would leave users on
 * the old service worker for good (Workbox issue #1312). The app shell precache stays the app's
 * (workbox-precaching), so Baton never decides when the app's own code updates.
 *
 * baton-ml/vite writes and builds this service worker for the app; an app that owns its service
 * worker calls `installBaton` from it (the plugin's `serviceWorker: { entry }` injects the same
 * precache list).
 *
 * @example
 * // src/sw.ts
 * import { installBaton } from 'baton-ml/sw';
 * declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: PrecacheEntry[] };
 * installBaton({ precache: self.__WB_MANIFEST });
 */
import { clientsClaim } from 'workbox-core';
import { registerRoute } from 'workbox-routing';
import { BatonError } from '../src/errors.js';
import { openBatonDb } from '../src/store/db.js';
import { EVENT_CHANNEL, PERIODIC_SYNC_TAG, type SwPing, type SwReply, type SwRequest, type UpdateEvent } from '../src/update/messages.js';
import { createUpdater, toWire, type Updater } from '../src/update/updater.js';
import { installPrecache, type PrecacheEntry } from './precache.js';

declare const self: ServiceWorkerGlobalScope;

export interface InstallBatonOptions {
  /** How often to check while the service worker is alive. Default 30 minutes. */
  readonly checkIntervalMs?: number;
  /** IndexedDB database name; change only to run two independent Baton instances on one origin. */
  readonly dbName?: string;
  /**
   * The app shell to keep offline: the list a build injects as `self.__WB_MANIFEST`. Precached
   * with Workbox, navigations answered with `index.html`, the onnxruntime-web wasm that was not
   * precached cached at first use. Default: none (the app precaches, or not, itself).
   */
  readonly precache?: readonly PrecacheEntry[];
  /** Control open pages as soon as this worker first activates, so the next start works offline. Default true with `precache`. */
  readonly claimClients?: boolean;
}

export type { PrecacheEntry };

/** Path segment, under the service worker's scope, where ready models are served. */
export const MODEL_ROUTE = '__baton-model/';

export function installBaton(options: InstallBatonOptions = {}): void {
  if (options.precache) installPrecache(options.precache);
  // The first visit is controlled at once, so the next start works offline. (No skipWaiting: a
  // new service worker that took over open pages would delete the hashed files they still load.)
  if (options.claimClients ?? options.precache !== undefined) clientsClaim();
  const channel = new BroadcastChannel(EVENT_CHANNEL);
  const notify = (event: UpdateEvent) => channel.postMessage(event);
  const updater: Promise<Updater> = openBatonDb(options.dbName).then((db) =>
    createUpdater({
      db,
      fetch: (input, init) => fetch(input, init),
      notify,
      estimate: () => navigator.storage.estimate(),
    }),
  );
  const checkAll = () => updater.then((u) => u.checkAll());

  self.addEventListener('activate', (event) => event.waitUntil(checkAll()));
  // Periodic Background Sync is not in TypeScript's lib yet (Chromium-only API).
  self.addEventListener('periodicsync', (event) => {
    const sync = event as ExtendableEvent & { tag?: string };
    if (sync.tag === PERIODIC_SYNC_TAG) sync.waitUntil(checkAll());
  });
  setInterval(() => void checkAll(), options.checkIntervalMs ?? 30 * 60_000);

  self.addEventListener('message', (event) => {
    const port = event.ports[0];
    const request = event.data as SwRequest;
    if (!port || typeof request?.type !== 'string') return;
    // waitUntil keeps the worker alive for the whole download a 'check' may start.
    event.waitUntil(
      handle(request, updater).then(
        (value) => port.postMessage({ ok: true, value } satisfies SwReply),
        (e: unknown) => port.postMessage({ ok: false, error: toWire(e) } satisfies SwReply),
      ),
    );
  });

  const prefix = new URL(MODEL_ROUTE, self.registration.scope).pathname;
  registerRoute(
    ({ url, request }) => request.method === 'GET' && url.origin === self.location.origin && url.pathname.startsWith(prefix),
    async ({ url }) => {
      const [model, version] = url.pathname.slice(prefix.length).split('/').map(decodeURIComponent);
      try {
        const found = await (await updater).readModel(model ?? '', version === 'active' ? undefined : version);
        return new Response(found.blob, {
          headers: { 'Content-Type': 'application/octet-stream', 'X-Baton-Version': found.version, 'Cache-Control': 'no-store' },
        });
      } catch (e) {
        const error = toWire(e);
        return new Response(JSON.stringify(error), {
          status: error.code === 'version-unavailable' ? 404 : 500,
          headers: { 'Content-Type': 'application/json' },
        });
      }
    },
  );
}

async function handle(request: SwRequest, updater: Promise<Updater>): Promise<unknown> {
  const u = await updater;
  switch (request.type) {
    case 'configure':
      return u.configure(request.config);
    case 'check':
      return u.check(request.model);
    case 'status':
      return u.status(request.model);
    case 'activate':
      return u.activate(request.model, request.version);
    case 'quarantine':
      return u.quarantine(request.model, request.version, request.reason);
    case 'ping':
      return { checking: u.checking() } satisfies SwPing;
    default:
      throw new BatonError('unavailable', `unknown request ${(request as { type: string }).type}`);
  }
}

export { verifyManifest } from '../src/manifest/verify.js';
export { BatonError, isBatonError } from '../src/errors.js';
export type { BatonErrorCode, BatonErrorWire } from '../src/errors.js';
