/// <reference types="vitest/config" />
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type PluginOption } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * `vite build --mode e2e` builds the browser test harness (e2e/harness) that Playwright drives;
 * the default mode builds the demo app (demo/, served by `npm run demo`) into dist/app. Vitest
 * reads the `test` block.
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

/**
 * The demo's service worker (demo/sw.ts, Workbox injectManifest) and its web app manifest, which
 * vite-plugin-pwa writes and links from index.html. The icons are in the top-level public/.
 */
const demoPwa = (): PluginOption =>
  VitePWA({
    strategies: 'injectManifest',
    srcDir: '.',
    filename: 'sw.ts',
    injectRegister: false,
    // The glob below already lists the icons; the plugin adds the web manifest itself.
    includeManifestIcons: false,
    manifest: {
      name: 'Baton demo: a model updated over the air',
      short_name: 'Baton demo',
      description: 'Silero VAD in the browser, updated over the air: staged rollout, hot swap, automatic rollback.',
      start_url: './',
      scope: './',
      display: 'standalone',
      background_color: '#0f1730',
      theme_color: '#1d2b53',
      icons: [
        { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
        { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
        { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
      ],
    },
    injectManifest: {
      globPatterns: ['**/*.{html,js,mjs,css,wasm,svg,png}'],
      // onnxruntime-web's wasm is 14 MB; Workbox skips files over 2 MiB by default.
      maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
      rollupFormat: 'iife',
    },
  });

/**
 * The public key the demo pins, from `npm run demo`'s key pair (startDemo also passes it
 * explicitly). Without one the page explains how to build it instead of starting.
 */
function demoPublicKey(): string {
  const file = here('./.cache/demo/keys/baton-public.json');
  return existsSync(file) ? readFileSync(file, 'utf8') : 'null';
}

const demoConfig = () => ({
  root: here('./demo'),
  publicDir: here('./public'),
  plugins: [demoPwa()],
  define: { __BATON_DEMO_PUBLIC_KEY__: demoPublicKey() },
});

export default defineConfig(({ mode }) => ({
  // Vitest runs in mode 'test' from the repository root: neither app applies.
  ...(mode === 'e2e' ? { root: here('./e2e/harness'), plugins: [harnessServiceWorker()] } : mode === 'test' ? {} : demoConfig()),
  base: './',
  build: {
    outDir: here(mode === 'e2e' ? './dist/e2e' : './dist/app'),
    emptyOutDir: true,
    // onnxruntime-web's wasm is 14 MB; it is served by us, never inlined or fetched from a CDN.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  test: {
    include: ['src/**/*.test.ts', 'sw/**/*.test.ts', 'demo/**/*.test.ts', 'examples/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
  },
}));
