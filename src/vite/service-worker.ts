/**
 * Builds the app's service worker after the app itself: a classic script (`iife`: an ES-module
 * service worker failed to evaluate in Chromium on these machines) with the precache list
 * injected where the source says `self.__WB_MANIFEST`, as workbox-build's injectManifest does.
 * The default source is two lines; an app that owns its service worker passes its own entry.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { build, type Alias, type ResolvedConfig } from 'vite';
import type { PrecacheListEntry } from './precache-list.js';

/** The service worker the plugin writes when the app brings none. */
export const DEFAULT_SERVICE_WORKER = `import { installBaton } from 'baton-ml/sw';
installBaton({ precache: self.__WB_MANIFEST });
`;

export async function buildServiceWorker(
  config: ResolvedConfig,
  opts: { readonly entry?: string; readonly filename: string; readonly outDir: string; readonly precache: readonly PrecacheListEntry[] },
): Promise<void> {
  let entry = opts.entry === undefined ? undefined : isAbsolute(opts.entry) ? opts.entry : join(config.root, opts.entry);
  if (entry === undefined) {
    // A file, not a virtual module: library mode (which writes a clean classic script, with no
    // module-preload helper) takes its entry from disk. Under node_modules/.vite, so that
    // `baton-ml/sw` resolves from the app's own dependencies.
    const dir = join(config.cacheDir, 'baton-ml');
    await mkdir(dir, { recursive: true });
    entry = join(dir, 'sw-entry.js');
    await writeFile(entry, DEFAULT_SERVICE_WORKER);
  }
  await build({
    configFile: false,
    root: config.root,
    mode: config.mode,
    publicDir: false,
    ...(config.logLevel === undefined ? {} : { logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel }),
    // The app's own aliases (e.g. an app inside a monorepo that maps baton-ml to its source).
    resolve: { alias: config.resolve.alias as Alias[] },
    define: {
      'self.__WB_MANIFEST': JSON.stringify(opts.precache),
      // Library mode leaves process.env.NODE_ENV alone; Workbox reads it to drop its dev logging.
      'process.env.NODE_ENV': JSON.stringify(config.mode === 'development' ? 'development' : 'production'),
    },
    build: {
      outDir: opts.outDir,
      emptyOutDir: false,
      minify: config.build.minify,
      sourcemap: Boolean(config.build.sourcemap),
      reportCompressedSize: false,
      lib: { entry, name: 'batonServiceWorker', formats: ['iife'], fileName: () => opts.filename },
    },
  });
}
