/**
 * The page ⇄ inference-worker boundary: the API the worker exposes through comlink (start-up,
 * load, release, test hooks), the run channel's messages (runs, the hot path, on a
 * MessageChannel of their own: run-server.ts, worker-client.ts) and the plain-data shapes that
 * cross both. Tensors cross as `{ type, data, dims }` with their buffers transferred, never
 * copied (through the shared ring, shared-ring.ts, copied once into and out of shared memory
 * instead); errors cross as BatonError wire objects so their codes survive.
 */
import type { BatonErrorWire } from '../errors.js';
import type { ExecutionProvider, Feeds, TensorData, TensorSpec, VersionId } from '../types.js';

export type { Feeds, TensorData, TensorLike } from '../types.js';

export interface WorkerInit {
  /** Providers to try, best first. */
  readonly executionProviders: readonly ExecutionProvider[];
  /** WASM threads; default: onnxruntime-web's choice (multi-threaded only when cross-origin isolated). */
  readonly wasmThreads?: number;
}

/** What the worker found and chose, and why: reported truthfully to the app. */
export interface WorkerInfo {
  readonly ep: ExecutionProvider;
  /** Why a provider earlier in the list was not used. */
  readonly fallbackReason?: string;
  readonly webgpu: { readonly available: boolean; readonly reason?: string };
  readonly crossOriginIsolated: boolean;
  readonly wasmThreads: number;
  readonly onnxruntimeWeb: string;
}

export interface LoadRequest {
  readonly version: VersionId;
  /** The model file; transferred to the worker. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Warm-up feeds; default: generated from the input specs (symbolic dimensions → 1). */
  readonly warmup?: Feeds;
  /**
   * Warm-up runs (default 3: the first compiles, the next let the engine tier up the hot path).
   * 1 when nothing serves yet: the first answer matters more than the first few being fast.
   */
  readonly warmupRuns?: number;
}

export interface LoadResult {
  readonly ep: ExecutionProvider;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly loadMs: number;
  readonly warmupMs: number;
}

export interface RunResult {
  readonly outputs: Feeds;
  /** Time inside session.run, in the worker. */
  readonly runMs: number;
  /** The provider that ran it (WASM after a lost WebGPU device). */
  readonly ep: ExecutionProvider;
}

/**
 * What the worker serves runs on: its end of a MessageChannel and, when the page is cross-origin
 * isolated and the client was started with `sharedRing` (internal, off by default), a shared
 * ring of slots (shared-ring.ts, whose header describes its layout) for runs whose inputs fit one.
 */
export interface RunChannel {
  readonly port: MessagePort;
  readonly ring?: { readonly buffer: SharedArrayBuffer; readonly slotBytes: number };
}

/**
 * The run channel, page → worker: one request per run. `id` counts up from 1 per worker; the
 * feeds' buffers are transferred with the message.
 */
export interface RunRequest {
  readonly id: number;
  readonly feeds: Feeds;
}

/**
 * The run channel, worker → page: exactly one answer per request, in the order the worker ran
 * them (one at a time), matched by `id`; the outputs' buffers are transferred.
 */
export type RunReply =
  | { readonly id: number; readonly outputs: Feeds; readonly runMs: number; readonly ep: ExecutionProvider; readonly error?: undefined }
  | { readonly id: number; readonly error: BatonErrorWire };

/** The worker's comlink API (runs go over the run channel). Every method rejects with a BatonErrorWire, never an Error. */
export interface InferenceWorkerApi {
  /** The ready handshake, and the liveness probe after a timeout. */
  ping(): Promise<'pong'>;
  /** `runs`: the worker's end of the run channel (its port transferred). */
  init(init: WorkerInit, runs: RunChannel): Promise<WorkerInfo>;
  load(request: LoadRequest): Promise<LoadResult>;
  /** Releases the session (idempotent). The worker is then terminated by its owner. */
  release(): Promise<void>;
  /** Test hook: makes the worker die as an out-of-memory crash would. */
  crash(): Promise<void>;
  /** Test hook: destroys the WebGPU device, as a driver reset would. */
  loseGpuDevice(): Promise<void>;
  /**
   * Test hook: the next run keeps the worker's thread busy forever (a synchronous loop), so the
   * page sees a worker that neither answers nor crashes, as a kernel stuck in a loop would.
   */
  hang(): Promise<void>;
}

export function isWireError(value: unknown): value is BatonErrorWire {
  return typeof value === 'object' && value !== null && (value as { name?: unknown }).name === 'BatonError';
}

/** The buffers of `feeds`, to pass as postMessage transferables (shared ones are not transferable). */
export function transferablesOf(feeds: Feeds): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of Object.values(feeds)) {
    if (Array.isArray(t.data)) continue;
    const buffer = (t.data as Exclude<TensorData, string[]>).buffer;
    if (buffer instanceof ArrayBuffer) out.add(buffer);
  }
  return [...out];
}
