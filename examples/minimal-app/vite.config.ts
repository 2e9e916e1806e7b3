/**
 * The app's build. `baton` and `baton/sw` resolve to this repository's source (the package is
 * not built here); an app that installed Baton from npm drops the two aliases.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
/** Written by `baton keygen` (tests/global-setup.ts does it before each build). */
export const KEYS_DIR = here('./.cache/keys');
const PUBLIC_KEY = `${KEYS_DIR}/baton-public.json`;

export default defineConfig(() => {
  if (!existsSync(PUBLIC_KEY)) throw new Error(`no public key at ${PUBLIC_KEY}: run \`npm run baton -- keygen --out ${KEYS_DIR}\` first`);
  return {
    root: here('.'),
    base: './',
    resolve: {
      alias: [
        { find: /^baton$/, replacement: here('../../src/index.ts') },
        { find: /^baton\/sw$/, replacement: here('../../sw/index.ts') },
        { find: /^baton\/testing\/app$/, replacement: here('../../src/testing/expose.ts') },
      ],
    },
    // The key the app trusts is part of the build, never fetched at run time.
    define: { __BATON_PUBLIC_KEY__: readFileSync(PUBLIC_KEY, 'utf8') },
    plugins: [
      VitePWA({
        strategies: 'injectManifest',
        srcDir: 'src',
        filename: 'sw.ts',
        injectRegister: false,
        manifest: false,
        injectManifest: {
          globPatterns: ['**/*.{html,js,mjs,css,wasm}'],
          // onnxruntime-web's wasm is 14 MB; Workbox skips files over 2 MiB by default.
          maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
          // A classic script: an ES-module service worker failed to evaluate in Chromium here.
          rollupFormat: 'iife',
        },
      }),
    ],
    build: {
      outDir: here('./dist'),
      emptyOutDir: true,
      // The wasm is served by the app itself, never inlined or fetched from a CDN.
      assetsInlineLimit: 0,
      chunkSizeWarningLimit: 1024,
    },
  };
});
