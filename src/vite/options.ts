/**
 * baton-ml/vite's options: what an app writes in vite.config, checked once (a mistake names the
 * option and the bad value), with every default filled in.
 */
import { isAbsolute, join } from 'node:path';
import { readPublicKey } from '../publish/keys-fs.js';
import type { PublicKeyJson } from '../types.js';

export type PrecacheWasm = 'wasm' | 'webgpu' | 'both' | false;

export interface BatonPluginOptions {
  /**
   * The public key file(s) `baton keygen` wrote, pinned into the app at build time: the app
   * trusts manifests signed by these keys and no others. Several during a key rotation.
   */
  readonly publicKey: string | readonly string[];
  /**
   * The registry folder `baton publish --registry <dir>` writes. Served live at
   * `<base>registry/` by `vite` and `vite preview`, and copied into the build (a snapshot: in
   * production, publish where the app fetches its registry from). Default `'registry'`;
   * `false` when the registry lives elsewhere (see `registryUrl`).
   */
  readonly registry?: string | false;
  /**
   * Where the app fetches the registry from, when not from its own `<base>registry/`: e.g.
   * `https://models.example.com/registry/`. The folder is then not copied into the build.
   */
  readonly registryUrl?: string;
  /**
   * The service worker that keeps models updated in the background and the app working offline.
   * Default: one written by the plugin (`installBaton` with Workbox precaching of the app),
   * built as `sw.js`. `{ entry: 'src/sw.ts' }` builds the app's own instead (it calls
   * `installBaton({ precache: self.__WB_MANIFEST })`); `false`: none. Never in dev, where updates
   * run in the page.
   */
  readonly serviceWorker?: boolean | { readonly entry?: string; readonly filename?: string };
  /**
   * Which onnxruntime-web wasm the service worker precaches for offline start-up: `'wasm'`
   * (14 MB, used by the WASM provider: the default), `'webgpu'` (28 MB, the build the worker
   * loads where WebGPU works), `'both'`, or `false`. The one not precached is cached when a
   * device first uses it.
   */
  readonly precacheWasm?: PrecacheWasm;
  /**
   * Send `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
   * require-corp` from `vite` and `vite preview`, so onnxruntime-web can run WASM threads. The
   * production server must send them too. Default false.
   */
  readonly crossOriginIsolated?: boolean;
}

export interface ResolvedPluginOptions {
  readonly publicKeyFiles: readonly string[];
  readonly registryDir?: string;
  readonly registryUrl?: string;
  readonly serviceWorker?: { readonly entry?: string; readonly filename: string };
  readonly precacheWasm: PrecacheWasm;
  readonly crossOriginIsolated: boolean;
}

export function resolvePluginOptions(options: BatonPluginOptions): ResolvedPluginOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('baton-ml/vite: pass the options, e.g. baton({ publicKey: "keys/baton-public.json" })');
  const keys = typeof options.publicKey === 'string' ? [options.publicKey] : options.publicKey;
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'string' || k === '')) {
    throw new TypeError(
      `baton-ml/vite: publicKey must be the public key file \`baton keygen\` wrote (e.g. "keys/baton-public.json"), or a list of them; got ${JSON.stringify(options.publicKey)}`,
    );
  }
  const registry = options.registry ?? 'registry';
  if (registry !== false && (typeof registry !== 'string' || registry === ''))
    throw new TypeError(`baton-ml/vite: registry must be a folder or false; got ${JSON.stringify(options.registry)}`);
  if (options.registryUrl !== undefined) {
    try {
      new URL(options.registryUrl);
    } catch {
      throw new TypeError(`baton-ml/vite: registryUrl must be an absolute URL (https://…/registry/); got ${JSON.stringify(options.registryUrl)}`);
    }
  }
  if (registry === false && options.registryUrl === undefined)
    throw new TypeError('baton-ml/vite: with registry: false, registryUrl must say where the app fetches its registry from');
  const sw = options.serviceWorker ?? true;
  if (typeof sw === 'object' && sw !== null) {
    if (sw.entry !== undefined && (typeof sw.entry !== 'string' || sw.entry === ''))
      throw new TypeError(`baton-ml/vite: serviceWorker.entry must be a file; got ${JSON.stringify(sw.entry)}`);
    if (sw.filename !== undefined && !/^[\w.-]+\.js$/.test(sw.filename))
      throw new TypeError(`baton-ml/vite: serviceWorker.filename must be a file name ending in .js; got ${JSON.stringify(sw.filename)}`);
  } else if (typeof sw !== 'boolean') throw new TypeError(`baton-ml/vite: serviceWorker must be true, false or { entry, filename }; got ${JSON.stringify(sw)}`);
  const precacheWasm = options.precacheWasm ?? 'wasm';
  if (!['wasm', 'webgpu', 'both', false].includes(precacheWasm))
    throw new TypeError(`baton-ml/vite: precacheWasm must be 'wasm', 'webgpu', 'both' or false; got ${JSON.stringify(precacheWasm)}`);
  return {
    publicKeyFiles: [...keys],
    ...(registry === false ? {} : { registryDir: registry }),
    ...(options.registryUrl === undefined ? {} : { registryUrl: options.registryUrl }),
    ...(sw === false
      ? {}
      : {
          serviceWorker: { ...(typeof sw === 'object' && sw.entry ? { entry: sw.entry } : {}), filename: (typeof sw === 'object' && sw.filename) || 'sw.js' },
        }),
    precacheWasm,
    crossOriginIsolated: options.crossOriginIsolated ?? false,
  };
}

/** Reads and checks the pinned keys; a missing file says how to make one. */
export async function readPinnedKeys(files: readonly string[], root: string): Promise<PublicKeyJson[]> {
  return Promise.all(
    files.map(async (file) => {
      const path = isAbsolute(file) ? file : join(root, file);
      try {
        return await readPublicKey(path);
      } catch (e) {
        throw new Error(`baton-ml/vite: the public key ${file} cannot be used (${(e as Error).message}); make a key pair with \`npx baton keygen --out keys\``);
      }
    }),
  );
}
