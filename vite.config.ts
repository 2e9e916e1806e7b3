/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import { defineConfig, type PluginOption } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * `vite build --mode e2e` builds the browser test harness (e2e/harness) that Playwright drives;
 * the default mode builds the demo app. Vitest reads the `test` block.
 */
/** The harness's service worker: Workbox injectManifest, built as a classic (iife) script. */
const harnessServiceWorker = (): PluginOption =>
  VitePWA({
    strategies: 'injectManifest',
    srcDir: '.',
    filename: 'sw.ts',
    injectRegister: false,
    manifest: false,
    injectManifest: {
      globPatterns: ['**/*.{html,js,mjs,css,wasm,svg}'],
      // onnxruntime-web's wasm is 14 MB; Workbox skips files over 2 MiB by default.
      maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
      rollupFormat: 'iife',
    },
  });

export default defineConfig(({ mode }) => ({
  ...(mode === 'e2e' ? { root: here('./e2e/harness'), plugins: [harnessServiceWorker()] } : {}),
  base: './',
  build: {
    outDir: here(mode === 'e2e' ? './dist/e2e' : './dist/app'),
    emptyOutDir: true,
    // onnxruntime-web's wasm is 14 MB; it is served by us, never inlined or fetched from a CDN.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  test: {
    include: ['src/**/*.test.ts', 'sw/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
}));
