/**
 * What users do without Baton: a page that loads its model with plain onnxruntime-web, from a
 * URL in its query string. The two baselines it provides:
 * - reload: `?model=<url>&load=<ms>` serves a continuous load; updating means navigating to the
 *   new model's URL. The load starts with the script and counts every request it cannot serve
 *   (no session yet) as lost; `pagehide` leaves the old page's last figures in sessionStorage.
 * - Cache Storage: `?store=cache&sw=1` keeps the model in Cache Storage and the shell in the
 *   service worker's precache, so a later visit starts offline; `firstInferenceMs` is the cold
 *   start (navigation start → first inference).
 */
import * as ort from 'onnxruntime-web/wasm';
import { epochNow, optionalParam, param } from './clock.js';
import { feedsFor, type ModelKind } from './feeds.js';

/** What the previous page left when it was unloaded (reload baseline). */
export interface PrevPage {
  readonly lastOkAt?: number;
  readonly unloadAt: number;
  readonly issued: number;
  readonly completed: number;
  readonly lost: number;
}

const PREV_KEY = 'bench-plain-prev';
const modelUrl = param('model');
const kind = (optionalParam('kind') ?? 'silero') as ModelKind;
const loadMs = Number(optionalParam('load') ?? 0);
const scriptAt = epochNow();

const state = {
  scriptAt,
  ready: false,
  error: undefined as string | undefined,
  sessionAt: undefined as number | undefined,
  /** performance.now() when the session was created (since navigation start). */
  sessionMs: undefined as number | undefined,
  /** performance.now() at the first inference's answer: since navigation start. */
  firstInferenceMs: undefined as number | undefined,
  firstOkAt: undefined as number | undefined,
  lastOkAt: undefined as number | undefined,
  issued: 0,
  completed: 0,
  /** Requests the page could not serve: no session yet. */
  lost: 0,
  prev: JSON.parse(sessionStorage.getItem(PREV_KEY) ?? 'null') as PrevPage | null,
  source: undefined as 'network' | 'cache' | undefined,
  swReady: false,
};

let session: ort.InferenceSession | undefined;
// onnxruntime-web rejects overlapping runs on one session ("Session already started"): queue them.
let queue: Promise<unknown> = Promise.resolve();
const run = (s: ort.InferenceSession) => {
  const feeds = feedsFor(kind);
  const job = queue.then(() =>
    s.run(Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, new ort.Tensor(t.type as never, t.data as never, t.dims as number[])]))),
  );
  queue = job.catch(() => {});
  return job;
};

const served = () => {
  const at = epochNow();
  state.completed++;
  state.firstOkAt ??= at;
  state.firstInferenceMs ??= performance.now();
  state.lastOkAt = at;
};

if (loadMs > 0) {
  setInterval(() => {
    if (!session) return void state.lost++;
    state.issued++;
    run(session).then(served, (e: unknown) => (state.error ??= String(e)));
  }, loadMs);
}

addEventListener('pagehide', () => {
  const prev: PrevPage = {
    ...(state.lastOkAt === undefined ? {} : { lastOkAt: state.lastOkAt }),
    unloadAt: epochNow(),
    issued: state.issued,
    completed: state.completed,
    lost: state.lost,
  };
  sessionStorage.setItem(PREV_KEY, JSON.stringify(prev));
});

async function modelBytes(): Promise<ArrayBuffer> {
  if (optionalParam('store') !== 'cache') {
    state.source = 'network';
    return (await fetch(modelUrl)).arrayBuffer();
  }
  const cache = await caches.open('plain-models');
  const hit = await cache.match(modelUrl);
  if (hit) {
    state.source = 'cache';
    return hit.arrayBuffer();
  }
  state.source = 'network';
  const response = await fetch(modelUrl);
  await cache.put(modelUrl, response.clone());
  return response.arrayBuffer();
}

async function start(): Promise<void> {
  if (optionalParam('sw') === '1') {
    await navigator.serviceWorker.register('./sw.js');
    // Active means installed: the shell and the wasm are precached.
    void navigator.serviceWorker.ready.then(() => (state.swReady = true));
  }
  const created = await ort.InferenceSession.create(new Uint8Array(await modelBytes()), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  state.sessionAt = epochNow();
  state.sessionMs = performance.now();
  if (loadMs === 0) {
    await run(created);
    served();
  }
  session = created;
  state.ready = true;
}

start().catch((e: unknown) => (state.error = String(e)));

const plain = {
  state: () => ({ ...state }),
  /** The usual update: load the page again with another model URL (after this call returns). */
  navigate(url: string): number {
    const at = epochNow();
    setTimeout(() => (location.href = url), 0);
    return at;
  },
};

declare global {
  interface Window {
    plain: typeof plain;
  }
}
window.plain = plain;
