/**
 * The app's half of the test kit (`baton-ml/testing/app`): a test build calls
 * {@link exposeRuntimeForTests} once its runtime exists, and the kit's page helpers
 * (runtime-page.ts) reach it through one well-known global. Browser code with type-only imports
 * from the library, so it adds a few kilobytes to a test build and never pulls in the Node half
 * of the kit.
 */
import type { BatonError, BatonErrorWire } from '../errors.js';
import type { Runtime, RuntimeEvents, RuntimeMetrics, RuntimeStatus } from '../runtime/api.js';
import type { DownloadSettings } from '../update/config.js';
import type { CheckResult } from '../update/messages.js';
import type { Feeds } from '../worker/protocol.js';
import { testHooksOf, type RuntimeTestHooks } from '../runtime/test-hooks.js';
import { errorCode, pageNow, startLoad, type Load, type LoadMode, type LoadRecord } from './expose-load.js';

export type { LoadMode, LoadRecord };

/** The global under which exposed runtimes live, keyed by model name: `globalThis.__batonTest[model]`. */
export const BATON_TEST_GLOBAL = '__batonTest';

/**
 * Download settings that make fault tests finish in seconds (`createRuntime({ download })` in a
 * test build, or the updater's config): the defaults retry for minutes, as real networks need.
 */
export const FAST_DOWNLOAD: Partial<DownloadSettings> = {
  concurrency: 2,
  stallTimeoutMs: 1_500,
  retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 },
};

/**
 * A library type as it reaches a test through `page.evaluate` (JSON): a BatonError becomes its
 * wire form (`BatonError.toJSON`), a bigint a number; everything else keeps its shape.
 */
export type AsData<T> = T extends BatonError
  ? BatonErrorWire
  : T extends bigint
    ? number
    : T extends readonly (infer U)[]
      ? AsData<U>[]
      : T extends object
        ? { readonly [K in keyof T]: AsData<T[K]> }
        : T;

/** One output tensor as plain data (bigint elements become numbers). */
export interface PlainTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: number[];
}

/** A {@link LoadRecord} with the outputs of a successful request. */
export interface RunResult extends LoadRecord {
  readonly outputs?: Readonly<Record<string, PlainTensor>>;
  readonly ep?: string;
  readonly arm?: string;
}

/** A runtime event of one type as it was heard, with `at` on the load's clock (`pageNow`). */
export interface RecordedEventOf<K extends keyof RuntimeEvents> {
  readonly type: K;
  readonly at: number;
  readonly event: AsData<RuntimeEvents[K]>;
}

/** Any runtime event as it was heard: a union discriminated by `type`. */
export type RecordedEvent = { [K in keyof RuntimeEvents]: RecordedEventOf<K> }[keyof RuntimeEvents];

/** A thrown error as plain data: a BatonError's wire form, or the name and message of anything else. */
export type WireError = BatonErrorWire | { readonly name: string; readonly message: string; readonly code?: undefined };

/** The outcome of a page-side call that may reject, as data (a rejection keeps its code). */
export type PageOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

/** How the kit's recorded load is paced (see expose-load.ts): default closed, one request per 10 ms at most. */
export interface LoadSettings {
  readonly mode?: LoadMode;
  readonly intervalMs?: number;
}

/** What {@link exposeRuntimeForTests} puts at `globalThis.__batonTest[model]`. Every method returns plain data. */
export interface BatonTestHook {
  /** The convention's version: page helpers refuse a hook they do not understand. */
  readonly protocol: 1;
  readonly model: string;
  status(): AsData<RuntimeStatus>;
  metrics(): AsData<RuntimeMetrics>;
  /** Every event since the hook was installed (or the first `since` skipped). */
  events(since?: number): RecordedEvent[];
  checkForUpdate(): Promise<PageOutcome<AsData<CheckResult>>>;
  /** One request on the app's test input. */
  run(): Promise<RunResult>;
  /** Starts a recorded load on the app's test input (expose-load.ts), until {@link BatonTestHook.stopLoad}. */
  startLoad(settings?: LoadSettings): void;
  /** The records of the load so far (it keeps running). */
  loadRecords(): LoadRecord[];
  /** Stops the load, waits for the requests in flight, and returns every record in issue order. */
  stopLoad(): Promise<LoadRecord[]>;
}

export interface ExposeOptions {
  /**
   * A valid input for the model, called for every request the kit issues with the request's
   * index (its place in the load, or in the sequence of `runOnce` calls). Feeds are transferred
   * to the worker: return fresh arrays each time. Without it, `run` and the load fail.
   */
  readonly input?: (i: number) => Feeds;
}

/** Every event a runtime emits: a missing one fails the type check here. */
const EVENT_TYPES = Object.keys({
  progress: true,
  'manifest-accepted': true,
  'version-ready': true,
  switch: true,
  released: true,
  rollback: true,
  promoted: true,
  'load-failed': true,
  'update-failed': true,
  'worker-restarted': true,
  error: true,
  warmed: true,
  quarantined: true,
  drift: true,
  'service-worker-unavailable': true,
  'manifest-stale': true,
} satisfies Record<keyof RuntimeEvents, true>) as (keyof RuntimeEvents)[];

/**
 * Fault injection on a runtime (crash, hang or lose the GPU of its serving worker), for a test
 * build: these hooks are not on the runtime's own API.
 */
export function runtimeTestHooks(rt: Runtime): RuntimeTestHooks {
  const hooks = testHooksOf(rt);
  if (!hooks) throw new TypeError('runtimeTestHooks: not a runtime made by createRuntime');
  return hooks;
}

export type { RuntimeTestHooks };

/**
 * Makes `rt` reachable by the kit's page helpers (`runtimeStatus`, `waitForVersion`, `startLoad`,
 * …) and starts recording its events. Call it in test builds only, right after `createRuntime`
 * resolves: events before that moment are not recorded. Calling it again for the same model
 * (a new runtime after `dispose`) replaces the previous hook.
 *
 * @example
 * const rt = await createRuntime(config);
 * if (import.meta.env.MODE === 'test') {
 *   exposeRuntimeForTests(rt, { input: () => ({ x: { type: 'float32', data: Float32Array.of(0.5, -1, 2, 0.25), dims: [1, 4] } }) });
 * }
 */
export function exposeRuntimeForTests(rt: Runtime, opts: ExposeOptions = {}): BatonTestHook {
  const model = rt.status().model;
  const events: RecordedEvent[] = [];
  for (const type of EVENT_TYPES) {
    rt.on(type, (event) => events.push({ type, at: pageNow(), event: plain(event) } as RecordedEvent));
  }
  let calls = 0;
  let load: Load | undefined;

  const feeds = (i: number): Feeds => {
    if (opts.input === undefined) throw new TypeError(`exposeRuntimeForTests(${model}): no input option, so the kit cannot run requests`);
    return opts.input(i);
  };

  async function once(i: number): Promise<RunResult> {
    const input = feeds(i);
    const at = pageNow();
    try {
      const out = await rt.run(input);
      const outputs: Record<string, PlainTensor> = {};
      for (const [name, t] of Object.entries(out.outputs)) {
        outputs[name] = { type: t.type, dims: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
      }
      const fallback = out.fallback ? { fallback: { from: out.fallback.from, code: errorCode(out.fallback.error) } } : {};
      return {
        i,
        at,
        ms: pageNow() - at,
        ok: true,
        version: out.version,
        ...fallback,
        ep: out.ep,
        ...(out.arm === undefined ? {} : { arm: out.arm }),
        outputs,
      };
    } catch (e) {
      return { i, at, ms: pageNow() - at, ok: false, code: errorCode(e) };
    }
  }

  const hook: BatonTestHook = {
    protocol: 1,
    model,
    status: () => plain(rt.status()),
    metrics: () => plain(rt.metrics()),
    events: (since = 0) => events.slice(since),
    async checkForUpdate() {
      try {
        return { ok: true, value: plain(await rt.checkForUpdate()) };
      } catch (e) {
        return { ok: false, error: wire(e) };
      }
    },
    run: () => once(calls++),
    startLoad({ mode = 'closed', intervalMs = 10 } = {}) {
      if (load) throw new Error(`a load is already running on ${model}; stopLoad() first`);
      feeds(0); // no input option: say so now rather than record it as every request's failure
      load = startLoad((i) => rt.run(feeds(i)), { mode, intervalMs });
    },
    loadRecords: () => load?.records() ?? [],
    async stopLoad() {
      if (!load) throw new Error(`no load is running on ${model}`);
      const stopping = load.stop();
      load = undefined;
      return stopping;
    },
  };
  const g = globalThis as unknown as Record<string, Record<string, BatonTestHook> | undefined>;
  (g[BATON_TEST_GLOBAL] ??= {})[model] = hook;
  return hook;
}

function wire(e: unknown): WireError {
  if (typeof e === 'object' && e !== null && typeof (e as { toWire?: unknown }).toWire === 'function') return (e as { toWire(): BatonErrorWire }).toWire();
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** A JSON round trip that keeps errors (as wire forms) and bigints (as numbers): what `page.evaluate` can carry. */
function plain<T>(value: T): AsData<T> {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? wire(v) : typeof v === 'bigint' ? Number(v) : v))) as AsData<T>;
}
