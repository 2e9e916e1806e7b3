/** The runtime's configuration: one frozen object, documented defaults. */
import { BatonError } from '../errors.js';
import type { ExecutionProvider, PublicKeyJson, Release } from '../types.js';
import type { DownloadSettings, ModelInterface } from '../update/config.js';
import type { Feeds } from '../worker/protocol.js';
import type { CreateWorker, WorkerTimeouts } from '../worker/worker-client.js';
import type { TelemetryExporter } from '../observe/telemetry.js';

export interface RuntimeConfig {
  /** The model's name in the registry. */
  readonly model: string;
  /** URL of `<registry>/<model>/manifest.json` (relative URLs resolve against the page). */
  readonly manifestUrl: string;
  /** The Ed25519 public keys to trust (`baton keygen` writes one). */
  readonly publicKeys: readonly PublicKeyJson[];
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
   * `installBaton()`. Default: none; the page downloads and verifies through the same modules.
   */
  readonly serviceWorker?: { readonly scriptUrl: string; readonly scope?: string; readonly periodicSyncMinIntervalMs?: number };
  readonly download?: Partial<DownloadSettings>;
  readonly timeouts?: Partial<WorkerTimeouts>;
  /** Switch to a newly ready version as soon as it is warmed. Default true. */
  readonly autoSwitch?: boolean;
  /** Check for an update right after start-up. Default true. */
  readonly checkOnStart?: boolean;
  /** Also check from the page every so often (ms); 0 = never. Default 0 (the service worker checks). */
  readonly checkIntervalMs?: number;
  /** Creates the inference worker; for bundlers that cannot resolve Baton's worker URL. */
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
  /** Exporters that receive the log and metrics in batches (e.g. `otlpExporter({ endpoint })`). */
  readonly telemetry?: { readonly exporters: readonly TelemetryExporter[]; readonly intervalMs?: number };
  /**
   * Drift detection against the manifest's reference profiles: the share of requests whose
   * inputs and outputs are summarised (default 0.1) and the PSI that raises a `drift` event (0.2).
   */
  readonly drift?: { readonly sampleRate?: number; readonly threshold?: number };
}

export type ResolvedConfig = Readonly<
  Omit<RuntimeConfig, 'executionProviders' | 'autoSwitch' | 'checkOnStart' | 'checkIntervalMs' | 'timeouts' | 'standbyWorker' | 'standbyRespawnDelayMs'> & {
    executionProviders: readonly ExecutionProvider[];
    standbyWorker: boolean;
    standbyRespawnDelayMs: number;
    autoSwitch: boolean;
    checkOnStart: boolean;
    checkIntervalMs: number;
    timeouts: Partial<WorkerTimeouts>;
  }
>;

export function resolveConfig(config: RuntimeConfig): ResolvedConfig {
  if (typeof config?.model !== 'string' || config.model === '') throw new TypeError(`config.model must be the model's name, got ${JSON.stringify(config?.model)}`);
  if (typeof config.manifestUrl !== 'string') throw new TypeError(`config.manifestUrl must be a URL, got ${JSON.stringify(config.manifestUrl)}`);
  if (!Array.isArray(config.publicKeys) || config.publicKeys.length === 0) throw new TypeError('config.publicKeys must list at least one pinned key');
  const eps = config.executionProviders ?? ['webgpu', 'wasm'];
  if (eps.length === 0 || eps.some((ep) => ep !== 'wasm' && ep !== 'webgpu')) throw new TypeError(`config.executionProviders must be wasm and/or webgpu, got ${JSON.stringify(eps)}`);
  let manifestUrl: string;
  try {
    manifestUrl = new URL(config.manifestUrl, globalThis.location?.href).href;
  } catch {
    throw new BatonError('manifest-invalid', `manifestUrl ${config.manifestUrl} is not a URL`);
  }
  return Object.freeze({
    ...config,
    manifestUrl,
    executionProviders: Object.freeze([...eps]),
    autoSwitch: config.autoSwitch ?? true,
    checkOnStart: config.checkOnStart ?? true,
    checkIntervalMs: config.checkIntervalMs ?? 0,
    timeouts: config.timeouts ?? {},
    standbyWorker: config.standbyWorker ?? true,
    standbyRespawnDelayMs: config.standbyRespawnDelayMs ?? 5000,
  });
}
