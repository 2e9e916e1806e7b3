/** The runtime's configuration: one frozen object, documented defaults. */
import { BatonError } from '../errors.js';
import type { ExecutionProvider, ModelConfig, PublicKeyInput, PublicKeyJson, Release } from '../types.js';
import type { ConnectOptions } from '../update/sw-client.js';
import { buildDefaults as pluginDefaults, type BuildDefaults } from './build-defaults.js';
import type { DownloadSettings, ModelInterface } from '../update/config.js';
import type { Tensor } from 'onnxruntime-common';
import type { Feeds, WorkerInfo } from '../worker/protocol.js';
import type { CreateWorker, WorkerTimeouts } from '../worker/worker-client.js';
import type { TelemetryExporter } from '../observe/telemetry.js';

export interface RuntimeConfig {
  /** The model's name in the registry. */
  readonly model: string;
  /**
   * URL of `<registry>/<model>/manifest.json` (relative URLs resolve against the page). Default,
   * with `baton-ml/vite`: the model's manifest in the registry the plugin serves.
   */
  readonly manifestUrl?: string;
  /**
   * The Ed25519 public keys to trust (`baton keygen` writes one; import its JSON as is).
   * Default, with `baton-ml/vite`: the keys the plugin pinned at build time.
   */
  readonly publicKeys?: readonly PublicKeyInput[];
  /** Valid signatures required from distinct pinned keys. Default 1. */
  readonly threshold?: number;
  /** Providers to use, best first. Default `['webgpu', 'wasm']`: WebGPU where it really works. */
  readonly executionProviders?: readonly ExecutionProvider[];
  /** WASM threads. Default: onnxruntime-web's choice (several only when cross-origin isolated). */
  readonly wasmThreads?: number;
  /**
   * Warm-up feeds for a version about to serve. Default: zeros shaped from the manifest's input
   * specs (symbolic dimensions → 1). Called for every load: feeds are transferred to the worker.
   */
  readonly warmup?: (release: Release) => Feeds | undefined;
  /** The interface the app was written against; a version with another one is refused. Default: the active version's. */
  readonly expect?: ModelInterface;
  /** Overrides the random per-install device id used for rollout buckets. */
  readonly deviceId?: string;
  /**
   * Use a service worker for background downloads and offline start-up: the script that calls
   * `installBaton()`. Default, with `baton-ml/vite`: the one the plugin built (none in dev);
   * without the plugin, none. `false`: never. Where it cannot be registered (a dev server, a
   * browser without service workers, a failed registration), the page runs the same updates
   * itself and `service-worker-unavailable` says why, once.
   */
  readonly serviceWorker?: { readonly scriptUrl: string; readonly scope?: string; readonly periodicSyncMinIntervalMs?: number } | false;
  readonly download?: Partial<DownloadSettings>;
  readonly timeouts?: Partial<WorkerTimeouts>;
  /**
   * The most elements an input tensor may have; a larger one is refused with `input-too-large`
   * before it reaches the worker (whose WASM heap would grow for it, and never shrink). Default:
   * an input whose declared shape is static takes exactly that many; any other, 64 Mi (2^26).
   */
  readonly maxInputElements?: number;
  /**
   * How long ago the device's newest verified manifest may have been signed before it counts as
   * stale (`status().freshness`, a `manifest-stale` event): set it to match how often the
   * publisher re-signs (`baton resign --expires 2d` daily: 2 days). Default: none, so only an
   * expired manifest is stale. A stale device keeps serving what it has.
   */
  readonly maxManifestAgeMs?: number;
  /** Switch to a newly ready version as soon as it is warmed. Default true. */
  readonly autoSwitch?: boolean;
  /** Check for an update right after start-up. Default true. */
  readonly checkOnStart?: boolean;
  /**
   * Check from the page every so often (ms), with ±20 % jitter so a fleet does not poll in step;
   * paused while the page is hidden, and a check at once when it becomes visible again (at most
   * one a minute) or comes back online. 0 = never. Default 5 minutes: the service worker checks
   * too, but a browser stops an idle one, so an open tab would otherwise never see a publish.
   */
  readonly checkIntervalMs?: number;
  /**
   * Creates the inference worker, for an app that builds its own (its module imports
   * `baton-ml/worker`). Default: the worker module shipped in the package, which a bundler that
   * follows `new Worker(new URL(…, import.meta.url))` finds by itself (Vite and webpack 5 tested).
   */
  readonly createWorker?: CreateWorker;
  /**
   * Keep one idle worker with onnxruntime-web initialised, so an update does not compile wasm
   * beside the live version (on a 2-core device that shows as latency). Costs one idle worker's
   * memory. Default true.
   */
  readonly standbyWorker?: boolean;
  /** Delay before replacing the standby after a switch, keeping its start-up out of the swap. Default 5000 ms. */
  readonly standbyRespawnDelayMs?: number;
  /**
   * Reject a request whose float outputs hold NaN or ±Infinity (`run-failed`, details.nonFinite)
   * instead of resolving with them. Either way it counts as an error for the health gates.
   * Default false: the outputs are the model's, and some apps handle NaN themselves.
   */
  readonly rejectNonFinite?: boolean;
  /**
   * The app's own check of a model's answer: return false (or throw) for one that must not reach
   * the user. A refused answer counts as an error for the health gates, is re-run on the kept
   * version during a trial, and otherwise rejects with `run-failed` (details.invalid).
   */
  readonly validate?: (outputs: Readonly<Record<string, Tensor>>) => boolean | void;
  /**
   * During a trial, a request the candidate fails — an error, a timeout, a crashed worker, NaN
   * under `rejectNonFinite`, an answer `validate` refuses — is run again on the version the trial
   * replaced (still loaded) and the caller gets its answer (`RunOutput.fallback` says so); the
   * failure still counts against the candidate. `maxExtraMs` bounds the time the re-run may add
   * (default 1000): past it, the candidate's error is returned. `false`: never.
   */
  readonly fallback?: false | { readonly maxExtraMs?: number };
  /**
   * Share of a trial's requests that are also run on the kept version, after the caller has its
   * answer, so both versions are timed under the same load for the latency gate. Default 0.1.
   */
  readonly pairedTiming?: number;
  /**
   * A version rolled back for latency alone is held this long, then tried once more in a new
   * trial (a neighbour that took the cores for the length of a trial must not rule out a good
   * version for good); a second latency rollback, or any other, is final. Default 30 minutes.
   */
  readonly latencyRetryAfterMs?: number;
  /** Exporters that receive the log and metrics in batches (e.g. `otlpExporter({ endpoint })`). */
  readonly telemetry?: { readonly exporters: readonly TelemetryExporter[]; readonly intervalMs?: number };
  /**
   * Drift detection against the manifest's reference profiles: the share of requests whose
   * inputs and outputs are summarised (default 0.1) and the PSI that raises a `drift` event (0.2).
   */
  readonly drift?: { readonly sampleRate?: number; readonly threshold?: number };
}

/** A first rollback for latency alone holds the version this long (see `latencyRetryAfterMs`). */
export const DEFAULT_LATENCY_RETRY_AFTER_MS = 30 * 60_000;

/** The page checks every 5 minutes by default (see `checkIntervalMs`). */
export const DEFAULT_CHECK_INTERVAL_MS = 5 * 60_000;

export type ResolvedConfig = Readonly<
  Omit<
    RuntimeConfig,
    | 'manifestUrl'
    | 'publicKeys'
    | 'serviceWorker'
    | 'executionProviders'
    | 'autoSwitch'
    | 'checkOnStart'
    | 'checkIntervalMs'
    | 'timeouts'
    | 'standbyWorker'
    | 'standbyRespawnDelayMs'
  > & {
    manifestUrl: string;
    publicKeys: readonly PublicKeyJson[];
    serviceWorker?: ConnectOptions;
    executionProviders: readonly ExecutionProvider[];
    standbyWorker: boolean;
    standbyRespawnDelayMs: number;
    autoSwitch: boolean;
    checkOnStart: boolean;
    checkIntervalMs: number;
    timeouts: Partial<WorkerTimeouts>;
  }
>;

/**
 * Validates `config` and fills its defaults: the documented ones, and where the app left out
 * the keys, the registry or the service worker, what `baton-ml/vite` pinned at build time
 * (`defaults`). `baseUrl` resolves relative URLs (the page's base URL).
 */
export function resolveConfig(
  config: RuntimeConfig,
  defaults: BuildDefaults | undefined = pluginDefaults,
  baseUrl: string | undefined = globalThis.document?.baseURI ?? globalThis.location?.href,
): ResolvedConfig {
  if (typeof config?.model !== 'string' || config.model === '')
    throw new TypeError(`config.model must be the model's name, got ${JSON.stringify(config?.model)}`);
  const publicKeys = config.publicKeys ?? defaults?.publicKeys;
  if (publicKeys === undefined) {
    throw new TypeError(
      'config.publicKeys is required: pass the key `baton keygen` wrote (import keys/baton-public.json), or let the baton-ml/vite plugin pin it at build time',
    );
  }
  if (!Array.isArray(publicKeys) || publicKeys.length === 0) throw new TypeError('config.publicKeys must list at least one pinned key');
  publicKeys.forEach((k: PublicKeyInput, i) => {
    if (typeof k !== 'object' || k === null || k.alg !== 'ed25519' || typeof k.keyid !== 'string' || typeof k.publicKey !== 'string') {
      throw new TypeError(
        `config.publicKeys[${i}] must be a public key written by \`baton keygen\` ({ keyid, alg: 'ed25519', publicKey }), got ${JSON.stringify(k)}`,
      );
    }
  });
  const eps = config.executionProviders ?? ['webgpu', 'wasm'];
  if (eps.length === 0 || eps.some((ep) => ep !== 'wasm' && ep !== 'webgpu'))
    throw new TypeError(`config.executionProviders must be wasm and/or webgpu, got ${JSON.stringify(eps)}`);
  if (config.checkIntervalMs !== undefined && !(config.checkIntervalMs >= 0))
    throw new RangeError(`config.checkIntervalMs must be 0 (never) or a number of milliseconds, got ${config.checkIntervalMs}`);
  if (config.maxManifestAgeMs !== undefined && !(config.maxManifestAgeMs > 0))
    throw new RangeError(`config.maxManifestAgeMs must be a positive number of milliseconds, got ${config.maxManifestAgeMs}`);
  if (config.maxInputElements !== undefined && !(Number.isSafeInteger(config.maxInputElements) && config.maxInputElements > 0)) {
    throw new RangeError(`config.maxInputElements must be a positive integer (elements per input tensor), got ${config.maxInputElements}`);
  }
  const manifestUrl = absoluteUrl(config.manifestUrl ?? registryManifest(config.model, defaults), baseUrl, 'manifestUrl');
  const sw = config.serviceWorker === undefined ? defaults?.serviceWorker : config.serviceWorker || undefined;
  const { serviceWorker: _asked, ...rest } = config;
  return Object.freeze({
    ...rest,
    manifestUrl,
    publicKeys: Object.freeze([...(publicKeys as readonly PublicKeyJson[])]),
    ...(sw ? { serviceWorker: Object.freeze({ ...sw, scriptUrl: absoluteUrl(sw.scriptUrl, baseUrl, 'serviceWorker.scriptUrl') }) } : {}),
    executionProviders: Object.freeze([...eps]),
    autoSwitch: config.autoSwitch ?? true,
    checkOnStart: config.checkOnStart ?? true,
    checkIntervalMs: config.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS,
    timeouts: config.timeouts ?? {},
    standbyWorker: config.standbyWorker ?? true,
    standbyRespawnDelayMs: config.standbyRespawnDelayMs ?? 5000,
  });
}

function registryManifest(model: string, defaults: BuildDefaults | undefined): string {
  if (!defaults)
    throw new TypeError('config.manifestUrl is required: the URL of <registry>/<model>/manifest.json (or let the baton-ml/vite plugin serve the registry)');
  const base = defaults.registryUrl.endsWith('/') ? defaults.registryUrl : `${defaults.registryUrl}/`;
  return `${base}${encodeURIComponent(model)}/manifest.json`;
}

function absoluteUrl(url: string, baseUrl: string | undefined, what: string): string {
  if (typeof url !== 'string') throw new TypeError(`config.${what} must be a URL, got ${JSON.stringify(url)}`);
  try {
    return new URL(url, baseUrl).href;
  } catch {
    throw new BatonError('manifest-invalid', `${what} ${url} is not a URL${baseUrl === undefined ? ' (and there is no page URL to resolve it against)' : ''}`);
  }
}

/** What the update client is told about the model: the app's configuration and what its worker can run. */
export function modelConfigOf(cfg: ResolvedConfig, worker: Pick<WorkerInfo, 'ep' | 'onnxruntimeWeb'>): ModelConfig {
  return {
    name: cfg.model,
    manifestUrl: cfg.manifestUrl,
    publicKeys: cfg.publicKeys,
    runtime: { onnxruntimeWeb: worker.onnxruntimeWeb, executionProviders: worker.ep === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'] },
    ...(cfg.threshold === undefined ? {} : { threshold: cfg.threshold }),
    ...(cfg.expect ? { expect: cfg.expect } : {}),
    ...(cfg.deviceId === undefined ? {} : { deviceId: cfg.deviceId }),
    ...(cfg.download ? { download: cfg.download } : {}),
  };
}
