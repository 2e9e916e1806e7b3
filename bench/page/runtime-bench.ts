/**
 * Baton's runtime as an app uses it, driven by the bench: create, run, a continuous load (the
 * one load generator the kit, the e2e harness and the demo share: src/testing/expose-load.ts), events
 * on the load's clock (`pageNow`), pins (for the 50 swaps) and the memory of the renderer and
 * its workers.
 */
import { BatonError, createRuntime, type Feeds, type PublicKeyJson, type Runtime, type RuntimeEvents } from '../../src/index.js';
import { feedsFor, warmupFor, type ModelKind } from './feeds.js';
import { errorCode, pageNow, startLoad, type Load, type LoadRecord } from '../../src/testing/expose-load.js';

export interface CreateOptions {
  readonly kind: ModelKind;
  readonly model: string;
  readonly manifestUrl: string;
  readonly publicKey: PublicKeyJson;
  /** Background downloads in the service worker (default) or in the page. */
  readonly serviceWorker: boolean;
  readonly standbyRespawnDelayMs?: number;
}

export interface TimedEvent {
  readonly type: keyof RuntimeEvents;
  readonly at: number;
  readonly version?: string;
  /** A rollback's reason and figures. */
  readonly detail?: string;
}

let rt: Runtime | undefined;
let kind: ModelKind = 'mlp';
let load: Load | undefined;
const events: TimedEvent[] = [];
let check: Promise<unknown> | undefined;

const live = () => {
  if (!rt) throw new Error('bench: no runtime; call rt.create first');
  return rt;
};

const versionOf = (e: unknown): string | undefined => {
  const o = e as { version?: string; to?: string; from?: string };
  return o.to ?? o.version ?? o.from;
};

export const runtimeBench = {
  async create(opts: CreateOptions): Promise<{ ok: true } | { ok: false; error: string }> {
    try {
      kind = opts.kind;
      rt = await createRuntime({
        model: opts.model,
        manifestUrl: opts.manifestUrl,
        publicKeys: [opts.publicKey],
        executionProviders: ['wasm'],
        checkOnStart: false,
        warmup: warmupFor(opts.kind),
        ...(opts.serviceWorker ? { serviceWorker: { scriptUrl: './sw.js' } } : {}),
        ...(opts.standbyRespawnDelayMs === undefined ? {} : { standbyRespawnDelayMs: opts.standbyRespawnDelayMs }),
      });
      for (const type of [
        'progress',
        'version-ready',
        'switch',
        'released',
        'rollback',
        'promoted',
        'load-failed',
        'update-failed',
        'worker-restarted',
        'error',
      ] as const) {
        rt.on(type, (event) => {
          if (type === 'progress' && events.at(-1)?.type === 'progress') return;
          const detail =
            type === 'rollback'
              ? JSON.stringify({ reason: (event as RuntimeEvents['rollback']).reason, figures: (event as RuntimeEvents['rollback']).figures })
              : undefined;
          const version = versionOf(event);
          // For the main-thread trace (bench/main-thread.ts): the window's edges on the trace's clock.
          if (type !== 'progress') performance.mark(`bench:${type}:${version ?? ''}`);
          events.push({ type, at: pageNow(), ...(version === undefined ? {} : { version }), ...(detail ? { detail } : {}) });
        });
      }
      return { ok: true };
    } catch (e) {
      return { ok: false, error: e instanceof BatonError ? `${e.code}: ${e.message}` : String(e) };
    }
  },
  async run(): Promise<{ ok: boolean; version?: string; code?: string }> {
    try {
      return { ok: true, version: (await live().run(feedsFor(kind))).version };
    } catch (e) {
      return { ok: false, code: errorCode(e) };
    }
  },
  /** One request with the caller's feeds; rejects as `rt.run` does. */
  runOrThrow: (feeds: Feeds) => live().run(feeds),
  /** One request every `intervalMs`, whatever is in flight (open loop), until {@link stopLoad}. */
  startLoad(intervalMs: number): void {
    const runtime = live();
    load = startLoad(() => runtime.run(feedsFor(kind)), { mode: 'open', intervalMs });
  },
  loadCompleted: () => load?.completed ?? 0,
  stopLoad(): Promise<LoadRecord[]> {
    if (!load) throw new Error('bench: no load running');
    const stopping = load.stop();
    load = undefined;
    return stopping;
  },
  /** Starts an update check without waiting for it; returns when it started (`pageNow`). */
  startCheck(): number {
    const at = pageNow();
    performance.mark('bench:check');
    check = live().checkForUpdate();
    return at;
  },
  /** Waits for the check started by {@link startCheck}; its error, if any, as a string. */
  async checkDone(): Promise<string | undefined> {
    try {
      await check;
      return undefined;
    } catch (e) {
      return errorCode(e);
    }
  },
  async pin(version: string): Promise<string | undefined> {
    try {
      await live().pin(version);
      return undefined;
    } catch (e) {
      return errorCode(e);
    }
  },
  events: () => events.slice(),
  standby: () => live().status().standby,
  serving: () => live().status().serving?.version,
  /** The trial's state and health figures, for a diagnosis when a swap does not end. */
  trial: () => JSON.parse(JSON.stringify(live().status().trial ?? null)) as unknown,
  /**
   * Renderer + dedicated workers, as the browser measures them (needs cross-origin isolation),
   * and how many workers the measurement covered.
   * https://developer.mozilla.org/docs/Web/API/Performance/measureUserAgentSpecificMemory
   */
  async memory(): Promise<{ bytes: number; workers: number } | undefined> {
    type Breakdown = { bytes: number; attribution: { scope: string }[] }[];
    const measure = (performance as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number; breakdown: Breakdown }> }).measureUserAgentSpecificMemory;
    if (!measure) return undefined;
    const m = await measure.call(performance);
    const workers = m.breakdown.filter((b) => b.bytes > 0 && b.attribution.some((a) => a.scope === 'DedicatedWorkerGlobalScope')).length;
    return { bytes: m.bytes, workers };
  },
  async dispose(): Promise<void> {
    await load?.stop();
    load = undefined;
    await rt?.dispose();
    rt = undefined;
    events.length = 0;
  },
};
