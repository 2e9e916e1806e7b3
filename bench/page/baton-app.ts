/**
 * The same app as plain.html, with Baton: `?model=<name>&manifest=<url>&key=<base64 JSON>`
 * starts the runtime with the service worker and runs one inference. On a cold start offline,
 * `firstInferenceMs` (navigation start → first answer) is the figure set against plain.html
 * loading the same model from Cache Storage.
 */
import { BatonError, createRuntime, type PublicKeyJson } from '../../src/index.js';
import { optionalParam, param } from './clock.js';
import { feedsFor, warmupFor, type ModelKind } from './feeds.js';

const kind = (optionalParam('kind') ?? 'silero') as ModelKind;

const state = {
  ready: false,
  error: undefined as string | undefined,
  /** performance.now() when createRuntime resolved (the version loaded and warmed). */
  createdMs: undefined as number | undefined,
  /** The worker's session create and warm-up (three runs), as the runtime reports them. */
  loadMs: undefined as number | undefined,
  warmupMs: undefined as number | undefined,
  firstInferenceMs: undefined as number | undefined,
  version: undefined as string | undefined,
  controlled: false,
};

async function start(): Promise<void> {
  const rt = await createRuntime({
    model: param('model'),
    manifestUrl: param('manifest'),
    publicKeys: [JSON.parse(atob(param('key'))) as PublicKeyJson],
    executionProviders: ['wasm'],
    serviceWorker: { scriptUrl: './sw.js' },
    warmup: warmupFor(kind),
  });
  state.createdMs = performance.now();
  state.loadMs = rt.status().serving?.loadMs;
  state.warmupMs = rt.status().serving?.warmupMs;
  const { version } = await rt.run(feedsFor(kind));
  state.firstInferenceMs = performance.now();
  state.version = version;
  await navigator.serviceWorker.ready;
  state.controlled = navigator.serviceWorker.controller !== null;
  state.ready = true;
}

start().catch((e: unknown) => (state.error = e instanceof BatonError ? `${e.code}: ${e.message}` : String(e)));

const app = { state: () => ({ ...state, controlled: navigator.serviceWorker.controller !== null }) };

declare global {
  interface Window {
    app: typeof app;
  }
}
window.app = app;
