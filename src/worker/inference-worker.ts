/**
 * The inference worker: the only module that imports onnxruntime-web. One worker hosts one
 * version's session; the runtime starts a new worker to load a new version beside the live one
 * and terminates the old worker after draining it, because WASM memory can grow but never shrink
 * (onnxruntime issue #21673): terminating the worker is what gives the memory back.
 */
import * as Comlink from 'comlink';
import type { InferenceSession, Tensor } from 'onnxruntime-web';
import { BatonError } from '../errors.js';
import type { ExecutionProvider } from '../types.js';
import { isAllocationFailure } from './allocation-failure.js';
import { probeWebGpu } from './ep-select.js';
import type { Feeds, InferenceWorkerApi, LoadRequest, LoadResult, RunResult, TensorLike, WorkerInfo } from './protocol.js';
import { serveRuns, type RunServer } from './run-server.js';
import { sampleFeeds } from './sample-input.js';

type Ort = typeof import('onnxruntime-web');

const WARMUP_RUNS = 3;
/** A warm-up stops once a run is within this factor of the fastest so far (the engine has settled)… */
const WARMUP_SETTLED = 1.25;
/** …or after this many runs. */
const MAX_WARMUP_RUNS = 12;

/**
 * Runs the model until its run time settles: the first run compiles, the next ones let the
 * engine tier up the hot path, and a version that takes over while its first real runs are
 * still several times slower than its steady ones shows as stalled requests right after the
 * switch. `runs` fixes the count instead (1 at a cold start: nothing serves yet).
 */
async function warmUp(session: InferenceSession, feeds: () => Record<string, Tensor>, runs?: number): Promise<void> {
  if (runs !== undefined) {
    for (let i = 0; i < Math.max(1, runs); i++) await session.run(feeds());
    return;
  }
  let fastest = Infinity;
  for (let i = 0; i < MAX_WARMUP_RUNS; i++) {
    const started = performance.now();
    await session.run(feeds());
    const ms = performance.now() - started;
    if (i >= WARMUP_RUNS - 1 && ms <= fastest * WARMUP_SETTLED) return;
    fastest = Math.min(fastest, ms);
  }
}
/**
 * A 75-byte ONNX model (y = Identity(x), x: float32[1]). onnxruntime-web compiles its wasm and
 * starts its runtime at the first session, not at import; a standby worker creates this one at
 * init so that work is done before an update needs the worker.
 */
const PRIMER_MODEL = 'CAgSBWJhdG9uOjoKEAoBeBIBeSIISWRlbnRpdHkSBHdhcm1aDwoBeBIKCggIARIECgIIAWIPCgF5EgoKCAgBEgQKAggBQgQKABAR';

let ort: Ort | undefined;
let info: WorkerInfo | undefined;
let session: InferenceSession | undefined;
let sessionEp: ExecutionProvider | undefined;
let modelBytes: Uint8Array<ArrayBuffer> | undefined;
let gpuLost = false;
/** Set by the `hang()` test hook: the next run never returns. */
let hangNext = false;
/** The run channel (set up at init); it runs one request at a time. */
let runs: RunServer | undefined;

function toWire(e: unknown, code: 'model-load-failed' | 'warmup-failed' | 'run-failed') {
  if (e instanceof BatonError) return e.toWire();
  return new BatonError(code, (e as Error)?.message ?? String(e)).toWire();
}

/**
 * A failed `session.run`, marked when it could not allocate: the heap keeps what it grew to, so
 * the page replaces this worker (src/worker/allocation-failure.ts).
 */
function runFailure(e: unknown) {
  const message = (e as Error)?.message ?? String(e);
  return new BatonError('run-failed', message, isAllocationFailure(message) ? { allocationFailure: true } : undefined).toWire();
}

/** Keeps this thread busy for good: only `terminate()` from the page ends it. */
function spinForever(): never {
  for (;;) {
    // The page must see a worker that neither answers nor crashes.
  }
}

async function createSession(
  bytes: Uint8Array,
  eps: readonly ExecutionProvider[],
): Promise<{ session: InferenceSession; ep: ExecutionProvider; reason?: string }> {
  let reason: string | undefined;
  for (const ep of eps) {
    if (ep === 'webgpu' && (gpuLost || !info?.webgpu.available)) {
      reason = gpuLost ? 'the WebGPU device was lost' : info?.webgpu.reason;
      continue;
    }
    try {
      // A copy per attempt: onnxruntime-web may take ownership of the buffer it is given.
      const created = await ort!.InferenceSession.create(bytes.slice(), { executionProviders: [ep], graphOptimizationLevel: 'all' });
      if (ep === 'webgpu') watchDeviceLoss();
      return reason === undefined ? { session: created, ep } : { session: created, ep, reason };
    } catch (e) {
      reason = `${ep} could not create the session: ${(e as Error)?.message ?? String(e)}`;
      if (ep === eps[eps.length - 1]) throw new BatonError('model-load-failed', reason);
    }
  }
  throw new BatonError('model-load-failed', `no usable execution provider (${reason ?? 'none requested'})`);
}

interface GpuDeviceLike {
  readonly lost: Promise<unknown>;
  destroy(): void;
}

/** The WebGPU device onnxruntime-web created (a promise-valued getter since 1.19). */
async function gpuDevice(): Promise<GpuDeviceLike | undefined> {
  const webgpu = ort?.env.webgpu as { device?: unknown } | undefined;
  return (await Promise.resolve(webgpu?.device).catch(() => undefined)) as GpuDeviceLike | undefined;
}

/** A lost GPU device (driver reset, GPU process crash, mobile background) moves the next run to WASM. */
function watchDeviceLoss(): void {
  void gpuDevice().then((device) =>
    device?.lost.then(() => {
      gpuLost = true;
    }),
  );
}

function toOrt(feeds: Feeds): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(feeds)) out[name] = new ort!.Tensor(t.type as never, t.data as never, t.dims as number[]);
  return out;
}

function fromOrt(results: InferenceSession.OnnxValueMapType): Feeds {
  const out: Record<string, TensorLike> = {};
  for (const [name, t] of Object.entries(results)) {
    const tensor = t as Tensor;
    out[name] = { type: tensor.type as TensorLike['type'], data: tensor.data as TensorLike['data'], dims: [...tensor.dims] };
  }
  return out;
}

/** One run, as the run channel asks for it (run-server.ts keeps runs from overlapping). */
async function run(feeds: Feeds): Promise<RunResult> {
  if (!session) throw new BatonError('run-failed', 'no model loaded').toWire();
  if (hangNext) spinForever();
  if (gpuLost && sessionEp === 'webgpu' && modelBytes) {
    const fallback = await createSession(modelBytes, ['wasm']).catch((e: unknown) => {
      throw toWire(e, 'model-load-failed');
    });
    await session.release().catch(() => {});
    session = fallback.session;
    sessionEp = 'wasm';
  }
  const started = performance.now();
  let results;
  try {
    results = await session.run(toOrt(feeds));
  } catch (e) {
    throw runFailure(e);
  }
  return { outputs: fromOrt(results), runMs: performance.now() - started, ep: sessionEp! };
}

const api: InferenceWorkerApi = {
  ping: async () => 'pong',

  async init(init, channel) {
    const wantGpu = init.executionProviders.includes('webgpu');
    const webgpu = wantGpu ? await probeWebGpu(navigator) : { available: false, reason: 'not requested' };
    // The WebGPU build carries a 27 MB wasm; load it only when WebGPU is wanted and present.
    // The all-in-one bundle, not onnxruntime-web/webgpu: the latter computes wrong results on
    // SwiftShader (see ../shared/PLATFORM.md), so WASM/WebGPU parity could not be tested.
    ort = webgpu.available ? await import('onnxruntime-web') : ((await import('onnxruntime-web/wasm')) as unknown as Ort);
    if (init.wasmThreads !== undefined) ort.env.wasm.numThreads = init.wasmThreads;
    ort.env.logLevel = 'error';
    const primer = await ort.InferenceSession.create(
      Uint8Array.from(atob(PRIMER_MODEL), (c) => c.charCodeAt(0)),
      { executionProviders: ['wasm'] },
    );
    await primer.run({ x: new ort.Tensor('float32', new Float32Array(1), [1]) });
    await primer.release();
    const ep: ExecutionProvider = webgpu.available ? 'webgpu' : 'wasm';
    info = {
      ep,
      ...(wantGpu && !webgpu.available ? { fallbackReason: webgpu.reason ?? 'WebGPU unavailable' } : {}),
      webgpu,
      crossOriginIsolated: self.crossOriginIsolated,
      // onnxruntime-web settles its thread count when the runtime starts (the primer above).
      wasmThreads: ort.env.wasm.numThreads ?? 1,
      onnxruntimeWeb: ort.env.versions.web ?? ort.env.versions.common,
    };
    runs = serveRuns(channel, run);
    return info;
  },

  async load(request: LoadRequest): Promise<LoadResult> {
    if (!ort || !info) throw new BatonError('model-load-failed', 'worker not initialised').toWire();
    const started = performance.now();
    let created;
    try {
      const eps = info.ep === 'webgpu' ? (['webgpu', 'wasm'] as const) : (['wasm'] as const);
      created = await createSession(request.bytes, eps);
    } catch (e) {
      throw toWire(e, 'model-load-failed');
    }
    const loadMs = performance.now() - started;
    const warmStart = performance.now();
    try {
      await warmUp(created.session, () => toOrt(request.warmup ?? sampleFeeds(request.inputs)), request.warmupRuns);
    } catch (e) {
      await created.session.release().catch(() => {});
      throw new BatonError('warmup-failed', `version ${request.version} failed its warm-up run: ${(e as Error)?.message ?? String(e)}`).toWire();
    }
    await session?.release().catch(() => {});
    session = created.session;
    sessionEp = created.ep;
    modelBytes = request.bytes;
    return {
      ep: created.ep,
      inputNames: session.inputNames,
      outputNames: session.outputNames,
      loadMs,
      warmupMs: performance.now() - warmStart,
    };
  },

  async release() {
    await runs?.idle();
    await session?.release().catch(() => {});
    session = undefined;
    modelBytes = undefined;
  },

  async loseGpuDevice() {
    (await gpuDevice())?.destroy();
    // destroy() resolves `lost`; wait for it so the next run sees the loss.
    await (
      await gpuDevice()
    )?.lost;
  },

  async crash() {
    setTimeout(() => {
      throw new Error('simulated worker crash');
    });
  },

  async hang() {
    hangNext = true;
  },
};

Comlink.expose(api);
