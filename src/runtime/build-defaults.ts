/**
 * What `baton-ml/vite` pins into the app's bundle at build time: the public keys the app trusts,
 * where the registry is served and the service worker the plugin built. The plugin replaces
 * this module's body in the app's bundle (src/vite/plugin.ts, `buildDefaultsModule`); without
 * the plugin it stays `undefined` and `createRuntime` needs `publicKeys` and `manifestUrl`.
 */
import type { PublicKeyJson } from '../types.js';

export interface BuildDefaults {
  readonly publicKeys: readonly PublicKeyJson[];
  /**
   * Base URL of the registry (`<registry>/<model>/manifest.json`): absolute, or relative to the
   * page's base URL (`document.baseURI`).
   */
  readonly registryUrl: string;
  /** The service worker the plugin built; absent in dev, where updates run in the page. */
  readonly serviceWorker?: { readonly scriptUrl: string };
}

export const buildDefaults: BuildDefaults | undefined = undefined;
