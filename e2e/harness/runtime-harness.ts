/**
 * The runtime as an app uses it, exposed to the kit's page helpers (`exposeRuntimeForTests`):
 * the specs read its status, events and metrics, check for updates and run the recorded load
 * through `baton-ml/testing` as an app's own tests would. What is left here is what only
 * Baton's suite needs: requests on chosen inputs, bursts, pins, fault hooks, memory.
 */
import { BatonError, createRuntime, otlpExporter, type Feeds, type Runtime, type RuntimeConfig } from '../../src/index.js';
import { exposeRuntimeForTests, runtimeTestHooks } from '../../src/testing/expose.js';
import { pageNow } from '../../src/testing/expose-load.js';
import type { Release } from '../../src/types.js';

let rt: Runtime | undefined;

/** What the kit's requests (its `runOnce` and recorded load) send: Silero's frame, or the MLP's `x`. */
export interface KitInput {
  /** Send Silero VAD v5/v6 frames instead of MLP inputs. */
  readonly silero?: boolean;
  /** The MLP input (default [0.5, -1, 2, 0.25]). */
  readonly x?: readonly number[];
  /**
   * That share of requests (request i when i·7 mod 10 is below badShare·10) gets x0 = 99, an
   * input the failing-run model rejects and a good MLP accepts.
   */
  readonly badShare?: number;
}

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

function sileroFeeds(samples: number[] = Array<number>(512).fill(0)): Feeds {
  return {
    input: { type: 'float32', data: Float32Array.from(samples), dims: [1, samples.length] },
    state: { type: 'float32', data: new Float32Array(2 * 128), dims: [2, 1, 128] },
    sr: { type: 'int64', data: BigInt64Array.from([16000n]), dims: [] },
  };
}

function mlpFeeds(x: number[], batch: number): Feeds {
  return { x: { type: 'float32', data: Float32Array.from(x), dims: [batch, x.length / batch] } };
}

const wire = (e: unknown) => (e instanceof BatonError ? e.toWire() : { name: (e as Error)?.name, message: (e as Error)?.message ?? String(e) });

/** The feeds of the kit's request `i`. */
function kitFeeds({ silero = false, x = [0.5, -1, 2, 0.25], badShare = 0 }: KitInput): (i: number) => Feeds {
  if (silero) return () => sileroFeeds();
  return (i) => mlpFeeds((i * 7) % 10 < badShare * 10 ? [99, ...x.slice(1)] : [...x], 1);
}

export const runtimeHarness = {
  /**
   * `failWarmupOf`: give that version a warm-up input that makes it fail (x0 = 99 for the
   * failing-run model). `telemetryEndpoint`: export to that collector with Baton's OTLP exporter
   * (exporters are not serialisable). `kit`: what the kit's requests send.
   */
  async create(
    config: Omit<RuntimeConfig, 'warmup' | 'telemetry'> & {
      silero?: boolean;
      failWarmupOf?: string;
      telemetryEndpoint?: string;
      telemetryIntervalMs?: number;
      kit?: KitInput;
    },
  ) {
    try {
      const { silero, failWarmupOf, telemetryEndpoint, telemetryIntervalMs, kit, ...rest } = config;
      const warmup = (release: Release) => (silero ? sileroWarmup(release) : release.version === failWarmupOf ? mlpFeeds([99, 0, 0, 0], 1) : undefined);
      const telemetry =
        telemetryEndpoint === undefined
          ? undefined
          : { exporters: [otlpExporter({ endpoint: telemetryEndpoint })], ...(telemetryIntervalMs === undefined ? {} : { intervalMs: telemetryIntervalMs }) };
      rt = await createRuntime({ ...rest, warmup, ...(telemetry ? { telemetry } : {}) });
      exposeRuntimeForTests(rt, { input: kitFeeds({ silero: silero === true, ...kit }) });
      return { ok: true as const, status: JSON.parse(JSON.stringify(rt.status())) as ReturnType<Runtime['status']> };
    } catch (e) {
      return { ok: false as const, error: wire(e) };
    }
  },
  async run(x: number[], batch = 1) {
    try {
      const r = await rt!.run(mlpFeeds(x, batch));
      return {
        ok: true as const,
        version: r.version,
        ep: r.ep,
        arm: r.arm,
        output: Array.from(r.outputs['y']!.data as Float32Array),
        ...(r.fallback ? { fallback: { from: r.fallback.from, code: r.fallback.error.code } } : {}),
      };
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
  /** One Silero VAD request on `samples` (default: 512 zeros) from a zero state; its speech probability and next state. */
  async runSilero(samples?: number[]) {
    try {
      const r = await rt!.run(sileroFeeds(samples));
      return {
        ok: true as const,
        version: r.version,
        ep: r.ep,
        output: Array.from(r.outputs['output']!.data as Float32Array),
        stateN: Array.from(r.outputs['stateN']!.data as Float32Array),
      };
    } catch (e) {
      return { ok: false as const, error: wire(e) };
    }
  },
  log: (afterSeq?: number) => rt!.log(afterSeq),
  flushTelemetry: () => rt!.flushTelemetry(),
  pin: (v: string) =>
    rt!.pin(v).then(
      () => true,
      (e: unknown) => wire(e),
    ),
  unpin: () => rt!.unpin(),
  crashWorker: () => runtimeTestHooks(rt!).crashWorker(),
  loseGpuDevice: () => runtimeTestHooks(rt!).loseGpuDevice(),
  /** Arms a hang in the serving worker (its next run never returns); resolves with when it was armed (the kit's clock, `pageNow`). */
  hang: () =>
    runtimeTestHooks(rt!)
      .hangWorker()
      .then(() => pageNow()),
  dispose: () => rt?.dispose(),
  /**
   * Renderer + workers memory as the browser measures it. Needs cross-origin isolation, which
   * the kit's server gives by default: without it this rejects, saying so.
   * https://developer.mozilla.org/docs/Web/API/Performance/measureUserAgentSpecificMemory
   */
  async memory(): Promise<number> {
    const measure = (performance as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
    if (!measure) throw new Error(`performance.measureUserAgentSpecificMemory is not available (crossOriginIsolated: ${self.crossOriginIsolated})`);
    return (await measure.call(performance)).bytes;
  },
};
