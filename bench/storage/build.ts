/**
 * Builds the storage bench (page, dedicated worker, module service worker) into `outDir` with
 * Vite's JS API; bench/scenarios/storage.ts serves it from the test registry's directory.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export async function buildStorageBench(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: here('.'),
    base: './',
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      rolldownOptions: {
        checks: { pluginTimings: false },
        input: { index: here('./index.html'), 'storage-sw': here('./sw.ts') },
        // The service worker is registered by a fixed name, next to the page (its scope).
        output: { entryFileNames: (chunk) => (chunk.name === 'storage-sw' ? 'storage-sw.js' : 'assets/[name]-[hash].js') },
      },
    },
  });
}
