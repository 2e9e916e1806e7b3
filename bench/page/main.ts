/**
 * The bench's in-session page: Baton's runtime and update pipeline, and the baselines that run
 * beside them in the same page (direct onnxruntime-web, postMessage, raw fetch, one digest).
 * bench/run.ts drives it through `window.bench`; everything returned is plain data.
 */
import { feedsFor } from './feeds.js';
import { measureHop } from './hop.js';
import { runtimeBench } from './runtime-bench.js';
import { chunkedFetch, rawFetch, updates } from './updates.js';
import { measureVerify } from './verify.js';

const bench = {
  rt: runtimeBench,
  updates,
  rawFetch,
  chunkedFetch,
  measureVerify,
  /** Needs a runtime created with the hop model (`rt.create({ kind: 'tiny', … })`). */
  hop: (opts: { modelUrl: string; blocks: number; perBlock: number }) => measureHop(opts, () => runtimeBench.runOrThrow(feedsFor('tiny'))),
  crossOriginIsolated: () => self.crossOriginIsolated,
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}
window.bench = bench;
document.body.dataset['ready'] = 'true';
