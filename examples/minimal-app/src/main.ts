/**
 * A minimal app that embeds Baton: one model, pinned to one signing key, kept up to date in the
 * background by the app's service worker (src/sw.ts). `import.meta.env.MODE === 'test'` is the
 * build the Playwright tests drive (tests/): it exposes the runtime to the test kit.
 */
import { createRuntime, type Feeds, type PublicKeyJson } from 'baton';
// Browser half of `baton/testing`. Not in the package's exports map yet, so it comes from the
// source; in an app, tree-shaken away unless MODE is 'test'.
import { exposeRuntimeForTests } from 'baton/testing/app';

/** The registry's public key, pinned at build time (vite.config.ts reads it from keys/). */
declare const __BATON_PUBLIC_KEY__: PublicKeyJson;

/** The model's input: a batch of one 4-feature row. Fresh arrays per call: `run` transfers them. */
const input = (): Feeds => ({ x: { type: 'float32', data: Float32Array.of(0.5, -1, 2, 0.25), dims: [1, 4] } });

async function main(): Promise<void> {
  const serving = document.querySelector<HTMLOutputElement>('#serving')!;
  const button = document.querySelector<HTMLButtonElement>('#run')!;
  const result = document.querySelector<HTMLPreElement>('#result')!;

  const rt = await createRuntime({
    model: 'mlp',
    manifestUrl: './registry/mlp/manifest.json',
    publicKeys: [__BATON_PUBLIC_KEY__],
    serviceWorker: { scriptUrl: './sw.js' },
    executionProviders: ['wasm'],
  });
  if (import.meta.env.MODE === 'test') exposeRuntimeForTests(rt, { input });

  const show = () => (serving.value = rt.status().serving?.version ?? 'nothing');
  rt.on('switch', show);
  rt.on('rollback', show);
  show();
  button.disabled = false;
  button.addEventListener('click', () => {
    rt.run(input()).then(
      (r) => (result.textContent = `${r.version}: ${Array.from(r.outputs['y']!.data as Float32Array).join(', ')}`),
      (e: unknown) => (result.textContent = `failed: ${String(e)}`),
    );
  });
}

main().catch((e: unknown) => {
  document.querySelector<HTMLOutputElement>('#serving')!.value = `failed to start: ${String(e)}`;
});
