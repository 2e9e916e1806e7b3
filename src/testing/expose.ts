/**
 * The app's half of the test kit: a test build calls {@link exposeRuntimeForTests} once its
 * runtime exists, and the kit's page helpers (runtime-page.ts) reach it through one well-known
 * global. Browser code with type-only imports, so it adds a few hundred bytes to an app bundle
 * and never pulls in the Node half of the kit.
 */
import type { BatonErrorWire } from '../errors.js';
import type { Runtime, RuntimeEvents, RuntimeStatus } from '../runtime/api.js';
import type { DownloadSettings } from '../update/config.js';
import type { CheckResult } from '../update/messages.js';
import type { Feeds } from '../worker/protocol.js';
import { testHooksOf, type RuntimeTestHooks } from '../runtime/test-hooks.js';

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

/** What one inference request saw: the record the kit's assertions (assertions.ts) read. */
export interface RunRecord {
  /** Position in the load run (0-based), or in the order {@link BatonTestHook.run} was called. */
  readonly i: number;
  /** `Date.now()` when the request started: comparable with the test server's request log. */
  readonly at: number;
  /** How long it took, in milliseconds. */
  readonly ms: number;
  readonly ok: boolean;
  /** The version that served it (successful requests only: a failure does not say). */
  readonly version?: string;
  /** The BatonError code of a failed request (the error's name for anything else). */
  readonly code?: string;
}

/** One output tensor as plain data (bigint elements become numbers). */
export interface PlainTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: number[];
}

/** A {@link RunRecord} with the outputs of a successful request. */
export interface RunResult extends RunRecord {
  readonly outputs?: Readonly<Record<string, PlainTensor>>;
  readonly ep?: string;
  readonly arm?: string;
}

/** A runtime event as it was heard, made JSON-safe (a BatonError becomes its wire form). */
export interface RecordedEvent {
  readonly type: keyof RuntimeEvents;
  /** `Date.now()` when it was emitted. */
  readonly at: number;
  readonly event: unknown;
}

/** A thrown error as plain data: a BatonError's wire form, or the name and message of anything else. */
export type WireError = BatonErrorWire | { readonly name: string; readonly message: string; readonly code?: undefined };

/** The outcome of a page-side call that may reject, as data (a rejection keeps its code). */
export type PageOutcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

/**
 * `rt.metrics()` is not part of every Baton version yet: read it as loosely typed data until it is.
 * `undefined` when the runtime has no `metrics()`.
 */
export type RuntimeMetrics = Readonly<Record<string, unknown>>;

/** What {@link exposeRuntimeForTests} puts at `globalThis.__batonTest[model]`. Every method returns plain data. */
export interface BatonTestHook {
  /** The convention's version: page helpers refuse a hook they do not understand. */
  readonly protocol: 1;
  readonly model: string;
  status(): RuntimeStatus;
  metrics(): RuntimeMetrics | undefined;
  /** Every event since the hook was installed (or the first `since` skipped). */
  events(since?: number): RecordedEvent[];
  checkForUpdate(): Promise<PageOutcome<CheckResult>>;
  /** One request on the app's test input. */
  run(): Promise<RunResult>;
  /** Requests one after another, `intervalMs` apart, until {@link stopLoad}; records each. */
  startLoad(opts?: { intervalMs?: number }): void;
  /** The records of the load so far (it keeps running). */
  loadRecords(): RunRecord[];
  /** Stops the load, waits for the request in flight, and returns every record. */
  stopLoad(): Promise<RunRecord[]>;
}

export interface ExposeOptions {
  /**
   * A valid input for the model: called for every request the kit issues (feeds are transferred
   * to the worker, so return fresh arrays each time). Without it, `run` and the load fail.
   */
  readonly input?: () => Feeds;
}

const EVENT_TYPES: readonly (keyof RuntimeEvents)[] = [
  'progress',
  'manifest-accepted',
  'version-ready',
  'switch',
  'released',
  'rollback',
  'promoted',
  'load-failed',
  'update-failed',
  'worker-restarted',
  'error',
];

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

export function exposeRuntimeForTests(rt: Runtime, opts: ExposeOptions = {}): BatonTestHook {
  const model = rt.status().model;
  const events: RecordedEvent[] = [];
  for (const type of EVENT_TYPES) {
    rt.on(type, (event) => events.push({ type, at: Date.now(), event: plain(event) }));
  }
  let calls = 0;
  let load: { stopped: boolean; records: RunRecord[]; done: Promise<void> } | undefined;

  async function once(i: number): Promise<RunResult> {
    if (opts.input === undefined) throw new TypeError(`exposeRuntimeForTests(${model}): no input option, so the kit cannot run requests`);
    const feeds = opts.input();
    const at = Date.now();
    const t0 = performance.now();
    try {
      const out = await rt.run(feeds);
      const outputs: Record<string, PlainTensor> = {};
      for (const [name, t] of Object.entries(out.outputs)) {
        outputs[name] = { type: t.type, dims: [...t.dims], data: Array.from(t.data as ArrayLike<number | bigint>, Number) };
      }
      return { i, at, ms: performance.now() - t0, ok: true, version: out.version, ep: out.ep, ...(out.arm === undefined ? {} : { arm: out.arm }), outputs };
    } catch (e) {
      return { i, at, ms: performance.now() - t0, ok: false, code: wire(e).code ?? wire(e).name };
    }
  }

  const hook: BatonTestHook = {
    protocol: 1,
    model,
    status: () => plain(rt.status()) as RuntimeStatus,
    metrics() {
      const metrics = (rt as Runtime & { metrics?: () => unknown }).metrics;
      return typeof metrics === 'function' ? (plain(metrics.call(rt)) as RuntimeMetrics) : undefined;
    },
    events: (since = 0) => events.slice(since),
    async checkForUpdate() {
      try {
        return { ok: true, value: plain(await rt.checkForUpdate()) as CheckResult };
      } catch (e) {
        return { ok: false, error: wire(e) };
      }
    },
    run: () => once(calls++),
    startLoad({ intervalMs = 10 } = {}) {
      if (load && !load.stopped) throw new Error(`a load is already running on ${model}; stopLoad() first`);
      const state = { stopped: false, records: [] as RunRecord[], done: Promise.resolve() };
      state.done = (async () => {
        // A closed loop: one request in flight at a time, so a slow device is not buried in a queue.
        while (!state.stopped) {
          const { outputs: _outputs, ep: _ep, arm: _arm, ...record } = await once(state.records.length);
          state.records.push(record);
          if (!state.stopped) await new Promise((resolve) => setTimeout(resolve, intervalMs));
        }
      })();
      load = state;
    },
    loadRecords: () => [...(load?.records ?? [])],
    async stopLoad() {
      if (!load) throw new Error(`no load was started on ${model}`);
      load.stopped = true;
      await load.done;
      return [...load.records];
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

/** A JSON round trip that keeps errors (as wire forms) and bigints (as numbers). */
function plain(value: unknown): unknown {
  if (value === undefined) return undefined;
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? wire(v) : typeof v === 'bigint' ? Number(v) : v))) as unknown;
}
