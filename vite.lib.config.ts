/**
 * Builds the publishable package (`npm run build:lib`): ESM bundles for each entry of the
 * exports map and the `baton` bin. Dependencies stay external so the app's bundler dedupes
 * them (onnxruntime-web in particular must be the app's single copy).
 */
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const pkg = JSON.parse(readFileSync(here('./package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const externalPackages = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.devDependencies ?? {})];
const isExternal = (id: string) =>
  id.startsWith('node:') ||
  builtinModules.includes(id) ||
  externalPackages.some((name) => id === name || id.startsWith(`${name}/`));

export default defineConfig({
  publicDir: false,
  // The inference worker is emitted as its own module with onnxruntime-web left as an import: the
  // app's bundler resolves it (and emits the wasm the app self-hosts) when it bundles the worker.
  worker: { format: 'es', rollupOptions: { external: isExternal } },
  build: {
    outDir: here('./dist/lib'),
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    lib: {
      entry: {
        index: here('./src/index.ts'),
        sw: here('./sw/index.ts'),
        testing: here('./src/testing/index.ts'),
        // The app's half of the kit (exposeRuntimeForTests): browser code, no Node imports.
        'testing-app': here('./src/testing/expose.ts'),
        cli: here('./src/cli/baton.ts'),
      },
      formats: ['es'],
    },
    rollupOptions: { external: isExternal },
  },
});
