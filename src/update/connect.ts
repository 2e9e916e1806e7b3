/**
 * Chooses how this page gets its updates: through the app's service worker when one is
 * configured and can be registered; otherwise in the page itself, through the same updater and
 * storage. A service worker that cannot be had — Vite's dev server answering `/sw.js` with
 * index.html, a browser or private window without service workers, an insecure origin, a script
 * that fails to install — never stops the app: only offline start-up and background checks are
 * lost, and the reason is kept for the app to show.
 */
import { BatonError, isBatonError } from '../errors.js';
import { createPageUpdateClient } from './page-client.js';
import { connectServiceWorker, type ConnectOptions, type UpdateClient } from './sw-client.js';

export interface ConnectedUpdates {
  readonly client: UpdateClient;
  readonly via: 'service-worker' | 'page';
  /** Why the configured service worker is not used (set only when one was configured). */
  readonly fallback?: BatonError;
}

export interface ConnectDeps {
  readonly connectServiceWorker: (opts: ConnectOptions) => Promise<UpdateClient>;
  readonly createPageUpdateClient: () => Promise<UpdateClient>;
}

const defaultDeps: ConnectDeps = { connectServiceWorker, createPageUpdateClient: () => createPageUpdateClient() };

export async function connectUpdates(serviceWorker: ConnectOptions | undefined, deps: ConnectDeps = defaultDeps): Promise<ConnectedUpdates> {
  if (!serviceWorker) return { client: await deps.createPageUpdateClient(), via: 'page' };
  try {
    return { client: await deps.connectServiceWorker(serviceWorker), via: 'service-worker' };
  } catch (e) {
    const fallback = isBatonError(e)
      ? e
      : new BatonError('unavailable', `the service worker ${serviceWorker.scriptUrl} could not be registered: ${(e as Error)?.message ?? String(e)}`, {
          scriptUrl: serviceWorker.scriptUrl,
          name: (e as Error)?.name,
        });
    return { client: await deps.createPageUpdateClient(), via: 'page', fallback };
  }
}
