/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * `vite build --mode e2e` builds the browser test harness (e2e/harness) that Playwright drives;
 * the default mode builds the demo app. Vitest reads the `test` block.
 */
export default defineConfig(({ mode }) => ({
  ...(mode === 'e2e' ? { root: here('./e2e/harness') } : {}),
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
