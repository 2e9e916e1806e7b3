/**
 * Builds the app's service worker after the app itself: a classic script (`iife`: an ES-module
 * service worker failed to evaluate in Chromium on these machines) with the precache list
 * injected where the source says `self.__WB_MANIFEST`, as workbox-build's injectManifest does.
 * The default source is two lines; an app that owns its service worker passes its own entry.
 */
import { build, type Alias, type ResolvedConfig } from 'vite';
import type { PrecacheListEntry } from './precache-list.js';

const VIRTUAL_ENTRY = 'virtual:baton-ml/sw';
const RESOLVED_ENTRY = `\0${VIRTUAL_ENTRY}`;

/** The service worker the plugin writes when the app brings none. */
export const DEFAULT_SERVICE_WORKER = `import { installBaton } from 'baton-ml/sw';
installBaton({ precache: self.__WB_MANIFEST });
`;

export async function buildServiceWorker(
  config: ResolvedConfig,
  opts: { readonly entry?: string; readonly filename: string; readonly outDir: string; readonly precache: readonly PrecacheListEntry[] },
): Promise<void> {
  await build({
    configFile: false,
    root: config.root,
    mode: config.mode,
    logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel,
    // The app's own aliases (e.g. an app inside a monorepo that maps baton-ml to its source).
    resolve: { alias: config.resolve.alias as Alias[] },
    define: { 'self.__WB_MANIFEST': JSON.stringify(opts.precache) },
    plugins: [
      {
        name: 'baton-ml:sw-entry',
        resolveId: (id) => (id === VIRTUAL_ENTRY ? RESOLVED_ENTRY : undefined),
        load: (id) => (id === RESOLVED_ENTRY ? DEFAULT_SERVICE_WORKER : undefined),
      },
    ],
    build: {
      outDir: opts.outDir,
      emptyOutDir: false,
      copyPublicDir: false,
      minify: config.build.minify,
      sourcemap: Boolean(config.build.sourcemap),
      reportCompressedSize: false,
      rolldownOptions: {
        input: opts.entry ?? VIRTUAL_ENTRY,
        output: { format: 'iife', entryFileNames: opts.filename },
      },
    },
  });
}
