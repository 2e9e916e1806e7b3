/**
 * The benchmark's pages, built to dist/bench by `npm run bench` (bench/build.ts):
 * - index.html: Baton (the runtime, its update client) and the in-session baselines, as `window.bench`;
 * - plain.html: an app without Baton, plain onnxruntime-web (the reload and Cache Storage baselines);
 * - baton.html: the same app with Baton, for the cold start;
 * - sw.js: Workbox precache of the shell and onnxruntime-web's wasm, plus `installBaton()`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export const BENCH_OUT_DIR = here('../dist/bench');

export default defineConfig({
  root: here('./page'),
  base: './',
  logLevel: 'warn',
  plugins: [
    VitePWA({
      strategies: 'injectManifest',
      srcDir: '.',
      filename: 'sw.ts',
      injectRegister: false,
      manifest: false,
      injectManifest: {
        globPatterns: ['**/*.{html,js,mjs,css,wasm}'],
        // The WebGPU build's 27 MB wasm: never loaded here (no GPU), so not precached in every
        // fresh context the bench opens.
        globIgnores: ['**/*.jsep-*.wasm'],
        // onnxruntime-web's wasm is 14 MB; Workbox skips files over 2 MiB by default.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        // A classic script: an `es` service worker failed to evaluate here (PLATFORM.md).
        rollupFormat: 'iife',
      },
    }),
  ],
  build: {
    outDir: BENCH_OUT_DIR,
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      checks: { pluginTimings: false },
      input: { index: here('./page/index.html'), plain: here('./page/plain.html'), baton: here('./page/baton.html') },
    },
  },
});
