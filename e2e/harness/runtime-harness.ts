/**
 * The runtime as an app uses it, plus a load generator that issues requests at a fixed rate and
 * records what each one saw (start, end, version, error code), for the zero-downtime tests.
 */
import { BatonError, createRuntime, otlpExporter, type Feeds, type Runtime, type RuntimeConfig } from '../../src/index.js';
import { runtimeTestHooks } from '../../src/testing/expose.js';
import type { Release } from '../../src/types.js';

interface RequestRecord {
  readonly i: number;
  readonly start: number;
  readonly end: number;
  readonly version?: string;
  readonly code?: string;
}

let rt: Runtime | undefined;
const events: { type: string; at: number; event: unknown }[] = [];
let load: { stop: () => Promise<RequestRecord[]>; completed: () => number } | undefined;

/** Silero VAD needs a valid sample rate to warm up; zeros would be refused by the model. */
function sileroWarmup(release: Release): Feeds | undefined {
  const names = release.inputs.map((i) => i.name);
  if (names.includes('h')) {
    // The legacy model: recurrent state as h and c.
    return {
      input: { type: 'float32', data: new Float32Array(512), dims: [1, 512] },
      sr: { type: 'int64', data: BigInt64Array.from([16000n]), dims: [] },
      h: { type: 'float32', data: new Float32Array(2 * 64), dims: [2, 1, 64] },
      c: { type: 'float32', data: new Float32Array(2 * 64), dims: [2, 1, 64] },
    };
  }
  return names.includes('sr') ? sileroFeeds() : undefined;
}

function sileroFeeds(): Feeds {
  return {
    input: { type: 'float32', data: new Float32Array(512), dims: [1, 512] },
    state: { type: 'float32', data: new Float32Array(2 * 128), dims: [2, 1, 128] },
    sr: { type: 'int64', data: BigInt64Array.from([16000n]), dims: [] },
  };
}

function mlpFeeds(x: number[], batch: number): Feeds {
  return { x: { type: 'float32', data: Float32Array.from(x), dims: [batch, x.length / batch] } };
}

const wire = (e: unknown) => (e instanceof BatonError ? e.toWire() : { name: (e as Error)?.name, message: (e as Error)?.message ?? String(e) });

export const runtimeHarness = {
  /** `failWarmupOf`: give that version a warm-up input that makes it fail (x0 = 99 for the failing-run model). */
  /** `telemetryEndpoint`: export to that collector with Baton's OTLP exporter (exporters are not serialisable). */
  async create(config: Omit<RuntimeConfig, 'warmup' | 'telemetry'> & { silero?: boolean; failWarmupOf?: string; telemetryEndpoint?: string; telemetryIntervalMs?: number }) {
    try {
      const { silero, failWarmupOf, telemetryEndpoint, telemetryIntervalMs, ...rest } = config;
      const warmup = (release: Release) =>
        silero ? sileroWarmup(release) : release.version === failWarmupOf ? mlpFeeds([99, 0, 0, 0], 1) : undefined;
      const telemetry = telemetryEndpoint === undefined ? undefined : { exporters: [otlpExporter({ endpoint: telemetryEndpoint })], ...(telemetryIntervalMs === undefined ? {} : { intervalMs: telemetryIntervalMs }) };
      rt = await createRuntime({ ...rest, warmup, ...(telemetry ? { telemetry } : {}) });
      for (const type of ['progress', 'manifest-accepted', 'version-ready', 'warmed', 'switch', 'released', 'rollback', 'promoted', 'quarantined', 'load-failed', 'update-failed', 'worker-restarted', 'drift', 'error', 'service-worker-unavailable', 'manifest-stale'] as const) {
        rt.on(type, (event) => events.push({ type, at: performance.now(), event: JSON.parse(JSON.stringify(event, (_k, v: unknown) => (v instanceof BatonError ? v.toWire() : v))) }));
      }
      return { ok: true as const, status: JSON.parse(JSON.stringify(rt.status())) as ReturnType<Runtime['status']> };
    } catch (e) {
      return { ok: false as const, error: wire(e) };
    }
  },
  async run(x: number[], batch = 1) {
    try {
      const r = await rt!.run(mlpFeeds(x, batch));
      return { ok: true as const, version: r.version, ep: r.ep, arm: r.arm, output: Array.from(r.outputs['y']!.data as Float32Array) };
    } catch (e) {
      return { ok: false as const, error: wire(e) };
    }
  },
  /** A request whose input array the harness keeps: `detached` says whether its buffer went to a worker. */
  async runKeepingInput(x: number[], batch = 1) {
    const feeds = mlpFeeds(x, batch);
    const detached = () => (feeds['x']!.data as Float32Array).buffer.byteLength === 0;
    try {
      const r = await rt!.run(feeds);
      return { ok: true as const, version: r.version, detached: detached() };
    } catch (e) {
      return { ok: false as const, error: wire(e), detached: detached() };
    }
  },
  /** `n` requests issued at once, without waiting: the runtime must serialise them itself. */
  async burst(x: number[], n: number) {
    const settled = await Promise.allSettled(Array.from({ length: n }, () => rt!.run(mlpFeeds(x, 1))));
    return settled.map((r) => (r.status === 'fulfilled' ? { ok: true as const, version: r.value.version } : { ok: false as const, error: wire(r.reason) }));
  },
  /** One request per input in `xs`, all issued at once. */
  async burstEach(xs: number[][]) {
    const settled = await Promise.allSettled(xs.map((x) => rt!.run(mlpFeeds(x, 1))));
    return settled.map((r) => (r.status === 'fulfilled' ? { ok: true as const, version: r.value.version } : { ok: false as const, error: wire(r.reason) }));
  },
  async runSilero() {
    try {
      const r = await rt!.run(sileroFeeds());
      return { ok: true as const, version: r.version, ep: r.ep, output: Array.from(r.outputs['output']!.data as Float32Array) };
    } catch (e) {
      return { ok: false as const, error: wire(e) };
    }
  },
  /**
   * Starts issuing one request every `intervalMs` (never waiting for the previous one). With
   * `badShare`, that share of requests (every n with n·7 mod 10 below badShare·10) gets x0 = 99,
   * an input the failing-run model rejects and a good MLP accepts.
   */
  startLoad(x: number[], intervalMs: number, model: 'mlp' | 'silero' = 'mlp', badShare = 0) {
    const records: RequestRecord[] = [];
    const inflight = new Set<Promise<void>>();
    let i = 0;
    const fire = () => {
      const n = i++;
      const start = performance.now();
      const input = (n * 7) % 10 < badShare * 10 ? [99, ...x.slice(1)] : x;
      const p = rt!
        .run(model === 'mlp' ? mlpFeeds(input, 1) : sileroFeeds())
        .then(
          (r) => void records.push({ i: n, start, end: performance.now(), version: r.version }),
          (e: unknown) => void records.push({ i: n, start, end: performance.now(), code: e instanceof BatonError ? e.code : String(e) }),
        )
        .finally(() => inflight.delete(p));
      inflight.add(p);
    };
    const timer = setInterval(fire, intervalMs);
    load = {
      completed: () => records.length,
      async stop() {
        clearInterval(timer);
        await Promise.all(inflight);
        return records.sort((a, b) => a.i - b.i);
      },
    };
  },
  stopLoad: () => load!.stop(),
  loadCompleted: () => load?.completed() ?? 0,
  status: () => JSON.parse(JSON.stringify(rt!.status())) as ReturnType<Runtime['status']>,
  metrics: () => JSON.parse(JSON.stringify(rt!.metrics())) as ReturnType<Runtime['metrics']>,
  log: (afterSeq?: number) => rt!.log(afterSeq),
  flushTelemetry: () => rt!.flushTelemetry(),
  async checkForUpdate() {
    try {
      // JSON: a BatonError becomes its wire form (code included), which Playwright can carry.
      return { ok: true as const, value: JSON.parse(JSON.stringify(await rt!.checkForUpdate())) as Awaited<ReturnType<Runtime['checkForUpdate']>> };
    } catch (e) {
      return { ok: false as const, error: wire(e) };
    }
  },
  pin: (v: string) => rt!.pin(v).then(() => true, (e: unknown) => wire(e)),
  unpin: () => rt!.unpin(),
  crashWorker: () => runtimeTestHooks(rt!).crashWorker(),
  loseGpuDevice: () => runtimeTestHooks(rt!).loseGpuDevice(),
  /** Arms a hang in the serving worker (its next run never returns); resolves with the page time it was armed. */
  hang: () => runtimeTestHooks(rt!).hangWorker().then(() => performance.now()),
  events: () => events.slice(),
  dispose: () => rt?.dispose(),
  /** Renderer + workers memory, where the browser can measure it (needs cross-origin isolation). */
  async memory(): Promise<number | undefined> {
    const measure = (performance as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
    return measure ? (await measure.call(performance)).bytes : undefined;
  },
};
