/**
 * Every browser entry of baton-ml as a consumer imports it, compiled under each module
 * resolution a consumer may use (tsconfig.bundler.json, .nodenext.json, .node16.json), without
 * skipLibCheck: an implicit `any` from a declaration that does not resolve fails here, and so
 * does a `@ts-expect-error` that no longer finds its error.
 */
import { BatonError, createRuntime, type Feeds, type Runtime, type RuntimeConfig, type RunOutput } from 'baton-ml';
import { exposeRuntimeForTests } from 'baton-ml/testing/app';

/** What TypeScript infers for `import publicKey from './keys/baton-public.json'` (`alg` is a string). */
declare const publicKey: { keyid: string; alg: string; publicKey: string };

// Plain typed arrays and the imported key JSON are accepted as they are, with no casts.
const samples: Float32Array = new Float32Array(576);
const state = new Float32Array(256);
const feeds: Feeds = {
  input: { type: 'float32', data: samples, dims: [1, 576] },
  state: { type: 'float32', data: state, dims: [2, 1, 128] },
  sr: { type: 'int64', data: BigInt64Array.of(16000n), dims: [] },
};
const config: RuntimeConfig = { model: 'vad', manifestUrl: '/registry/vad/manifest.json', publicKeys: [publicKey], warmup: () => feeds };

export async function use(): Promise<string> {
  const rt: Runtime = await createRuntime(config);
  exposeRuntimeForTests(rt, { input: () => feeds });
  // A declaration that silently became `any` would let these wrong types through.
  // @ts-expect-error status() has no `nonsense`
  void rt.status().nonsense;
  const out: RunOutput = await rt.run(feeds);
  const version: string = out.version;
  const error: BatonError = new BatonError('timeout', 'x');
  // @ts-expect-error the error codes are a closed set
  new BatonError('not-a-code', 'x');
  rt.on('service-worker-unavailable', ({ error: why }) => why.code);
  return `${version} ${error.code} ${rt.status().updates}`;
}
