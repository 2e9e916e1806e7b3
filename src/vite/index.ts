/**
 * `baton-ml/vite`: one plugin between `npm install baton-ml` and a working app.
 *
 * - pins the public key(s) into the bundle, with the registry's URL and the service worker's,
 *   so `createRuntime({ model })` needs nothing else;
 * - serves the registry folder live in `vite` and `vite preview`, and copies it into the build;
 * - builds the service worker after the app (`installBaton()` and Workbox precaching of the
 *   app and one onnxruntime-web wasm), or the app's own;
 * - makes the inference worker, which the package ships as its own module, load in dev (the
 *   package is left out of dependency pre-bundling, so its worker URL stays its own);
 * - sends COOP/COEP from the dev and preview servers when asked.
 *
 * @example
 * // vite.config.ts
 * import { defineConfig } from 'vite';
 * import { baton } from 'baton-ml/vite';
 * export default defineConfig({ plugins: [baton({ publicKey: 'keys/baton-public.json' })] });
 */
import { cp, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Plugin, ResolvedConfig, UserConfig } from 'vite';
import type { BuildDefaults } from '../runtime/build-defaults.js';
import type { PublicKeyJson } from '../types.js';
import { readPinnedKeys, resolvePluginOptions, type BatonPluginOptions } from './options.js';
import { precacheList } from './precache-list.js';
import { registryMiddleware } from './registry-server.js';
import { buildServiceWorker } from './service-worker.js';

export type { BatonPluginOptions, PrecacheWasm } from './options.js';

/**
 * Modules of the package's browser half that Vite's dev server must pre-bundle itself, since
 * the package is served unbundled there (CommonJS ones, semver, would not load in a browser
 * otherwise). A test checks this list against the imports of the built package.
 */
export const BROWSER_DEPENDENCIES = ['comlink', 'idb', 'zod/mini', 'semver/functions/satisfies.js', '@noble/ed25519', 'onnxruntime-common'] as const;

const PACKAGE = 'baton-ml';
/** The module whose body the plugin replaces with the build's defaults (src/runtime/build-defaults.ts). */
const BUILD_DEFAULTS_MODULE = /[\\/]src[\\/]runtime[\\/]build-defaults\.[jt]s$/;
const CROSS_ORIGIN_ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export function baton(options: BatonPluginOptions): Plugin {
  const opts = resolvePluginOptions(options);
  let config: ResolvedConfig;
  let keys: PublicKeyJson[];
  /** The URL path the app and its servers use as the base (`/` for a relative base). */
  const basePath = () => (config.base.startsWith('/') ? config.base : '/');
  const relativeBase = () => !config.base.startsWith('/') && !/^https?:/.test(config.base);
  const registryMount = () => `${basePath()}registry/`;
  const registryDir = () =>
    opts.registryDir === undefined ? undefined : isAbsolute(opts.registryDir) ? opts.registryDir : join(config.root, opts.registryDir);
  const appUrl = (file: string) => (relativeBase() ? file : `${config.base}${file}`);

  const defaults = (): BuildDefaults => ({
    publicKeys: keys,
    registryUrl: opts.registryUrl ?? appUrl('registry/'),
    ...(config.command === 'build' && opts.serviceWorker ? { serviceWorker: { scriptUrl: appUrl(opts.serviceWorker.filename) } } : {}),
  });

  return {
    name: 'baton-ml',
    config(user): UserConfig {
      const headers = opts.crossOriginIsolated ? CROSS_ORIGIN_ISOLATION : undefined;
      return {
        optimizeDeps: {
          // Pre-bundled, the package would move away from the inference worker module its
          // client starts by URL, and from the module this plugin fills with the build's defaults.
          // onnxruntime-web's ES bundles are self-contained and find their wasm beside them:
          // served as they are, the worker's dynamic import of them needs no re-optimisation
          // (which reloads the page and 404s the chunks of the previous one).
          exclude: [PACKAGE, 'onnxruntime-web'],
          include: BROWSER_DEPENDENCIES.map((dep) => `${PACKAGE} > ${dep}`),
        },
        // The inference worker is a module worker that loads onnxruntime-web on demand.
        ...(user.worker?.format ? {} : { worker: { format: 'es' } }),
        ...(headers ? { server: { headers }, preview: { headers } } : {}),
      };
    },
    async configResolved(resolved) {
      config = resolved;
      keys = await readPinnedKeys(opts.publicKeyFiles, config.root);
    },
    transform(code, id) {
      const file = id.split('?')[0]!;
      if (!BUILD_DEFAULTS_MODULE.test(file) || !code.includes('buildDefaults')) return undefined;
      return { code: `export const buildDefaults = ${JSON.stringify(defaults())};\n`, map: null };
    },
    configureServer(server) {
      const dir = registryDir();
      if (dir) server.middlewares.use(registryMiddleware(dir, registryMount()));
    },
    configurePreviewServer(server) {
      const dir = registryDir();
      if (dir) server.middlewares.use(registryMiddleware(dir, registryMount()));
    },
    async closeBundle(error?: Error) {
      if (error || config.command !== 'build' || config.build.ssr) return;
      const outDir = isAbsolute(config.build.outDir) ? config.build.outDir : join(config.root, config.build.outDir);
      const dir = registryDir();
      if (dir && opts.registryUrl === undefined) {
        if (await stat(dir).catch(() => undefined)) {
          await cp(dir, join(outDir, 'registry'), { recursive: true, filter: (src) => !/[\\/]\.lock$|\.tmp-/.test(src) });
        } else {
          config.logger.warn(
            `baton-ml/vite: no registry at ${opts.registryDir} yet; publish a model with \`npx baton publish <model.onnx> --name <name> --version 1.0.0 --registry ${opts.registryDir} --key keys/baton-private.json\``,
          );
        }
      }
      if (!opts.serviceWorker) return;
      const precache = await precacheList(outDir, { exclude: [opts.serviceWorker.filename, 'registry'], precacheWasm: opts.precacheWasm });
      await buildServiceWorker(config, { ...opts.serviceWorker, outDir, precache });
    },
  };
}
