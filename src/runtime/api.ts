/** The runtime's public surface: what `createRuntime` returns and the events it emits. */
import type { Freshness } from '../manifest/freshness.js';
import type { Tensor } from 'onnxruntime-common';
import type { BatonError } from '../errors.js';
import type { DownloadProgress } from '../download/download-release.js';
import type { DriftMetrics, DriftSignal } from '../observe/drift.js';
import type { LogEntry } from '../observe/event-log.js';
import type { RecorderMetrics } from '../observe/metrics.js';
import type { TelemetryStats } from '../observe/telemetry.js';
import type { RolloutState, TrialState } from '../rollout/reduce.js';
import type { ExecutionProvider, VersionId } from '../types.js';
import type { CheckResult, ModelStatus } from '../update/messages.js';
import type { Feeds, WorkerInfo } from '../worker/protocol.js';

export interface RunOutput {
  /** onnxruntime tensors by output name. */
  readonly outputs: Record<string, Tensor>;
  /** The version that actually served this request. */
  readonly version: VersionId;
  /** The execution provider that ran it. */
  readonly ep: ExecutionProvider;
  /** The A/B arm it was served under, when an A/B test decides what this device serves. */
  readonly arm?: string;
}

// A type alias, not an interface: the emitter needs an index-signature-compatible record.
export type RuntimeEvents = {
  progress: DownloadProgress & { readonly model: string };
  /** A verified manifest; `keysChanged`: its anti-rollback mark restarted after a key rotation. */
  'manifest-accepted': { readonly sequence: number; readonly unchanged: boolean; readonly keysChanged?: true };
  'version-ready': { readonly version: VersionId };
  /** A new version took over between two requests. */
  switch: { readonly from?: VersionId; readonly to: VersionId; readonly ep: ExecutionProvider; readonly loadMs: number; readonly warmupMs: number };
  /** The previous version's in-flight requests drained; its session was released and its worker terminated. */
  released: { readonly version: VersionId };
  /** A version on trial failed its health gates on this device; it is quarantined and the previous version serves again. */
  rollback: { readonly from: VersionId; readonly reason: 'error-rate' | 'latency' | 'shadow-agreement'; readonly figures: Readonly<Record<string, number>>; readonly error: BatonError };
  /** A version on trial passed its gates for the configured number of requests. */
  promoted: { readonly version: VersionId; readonly served: number };
  /** A version could not be loaded or warmed; it never served, and is quarantined on this device. */
  'load-failed': { readonly version: VersionId; readonly error: BatonError };
  'update-failed': { readonly version?: VersionId; readonly error: BatonError };
  /**
   * The worker serving `version` was replaced, and service resumed. `cause`: it `crashed` (the
   * request it was running failed with `worker-crashed`), it was `hung` (that request failed with
   * `timeout`; the requests queued behind it ran on the worker that took over), or a run failed
   * to allocate (`allocation-failure`: the worker was recycled between two requests, since its
   * heap would stay grown). `serving`: the version that took over — the same one in a fresh
   * worker, or, during a trial, the kept version it replaced (the router then decides, usually
   * loading the candidate again: a `switch` event says so).
   */
  'worker-restarted': { readonly version: VersionId; readonly reason: BatonError; readonly cause: 'crashed' | 'hung' | 'allocation-failure'; readonly serving: VersionId };
  error: { readonly error: BatonError; readonly during: string };
  /** A version was loaded and warmed in its worker, ready to take over. */
  warmed: { readonly version: VersionId; readonly ep: ExecutionProvider; readonly loadMs: number; readonly warmupMs: number };
  /** A version will never be served or fetched again on this device (rolled back, failed to load). */
  quarantined: { readonly version: VersionId; readonly code: string };
  /** An input or output tensor's distribution moved away from the version's reference profile. */
  drift: DriftSignal;
  /**
   * The configured service worker could not be used (a dev server, no service worker support,
   * a failed registration): this page downloads and verifies updates itself instead, with no
   * offline start-up or background checks. Emitted once, just after `createRuntime` resolves.
   */
  'service-worker-unavailable': { readonly error: BatonError };
  /**
   * The manifest this device holds has expired, or was signed longer ago than
   * `maxManifestAgeMs`: the registry (or a mirror in front of it) serves nothing fresher, or the
   * device cannot reach it. What serves keeps serving. Once per page load per stale spell.
   */
  'manifest-stale': Freshness;
};

/** `rt.metrics()`: what this runtime measured since it started (see src/observe). */
export interface RuntimeMetrics extends RecorderMetrics {
  readonly model: string;
  readonly serving?: { readonly version: VersionId; readonly ep: ExecutionProvider; readonly arm?: string; readonly activeForMs: number };
  readonly drift: readonly DriftMetrics[];
  /** One entry per registered exporter that reports its counters. */
  readonly telemetry: readonly TelemetryStats[];
}

export interface RuntimeStatus {
  readonly model: string;
  readonly serving?: {
    readonly version: VersionId;
    readonly ep: ExecutionProvider;
    readonly sinceMs: number;
    readonly loadMs: number;
    readonly warmupMs: number;
  };
  /** A version being loaded and warmed beside the live one. */
  readonly preparing?: VersionId;
  /** The A/B arm this device is in (sticky: from its persisted id and the test's salt). */
  readonly arm?: string;
  /** The version a trial replaced, still loaded so a rollback is instant. */
  readonly fallback?: VersionId;
  /** A candidate running unseen beside the live version, and how often it agreed. */
  readonly shadow?: { readonly version: VersionId; readonly n: number; readonly agreement: number };
  /** The version on trial, what it replaced, how far it got, and its health window so far. */
  readonly trial?: TrialState & { readonly n?: number; readonly errors?: number; readonly errorRate?: number; readonly p50?: number; readonly p95?: number; readonly p99?: number };
  /** This device's rollout state (persisted): phase, promotions, healthy runs, recent decisions. */
  readonly rollout: RolloutState;
  /** Where this device stands: its bucket for the candidate's salt and the stage in force, its A/B bucket. */
  readonly route?: {
    readonly candidate?: { readonly version: VersionId; readonly bucket: number; readonly percent: number; readonly inside: boolean };
    readonly ab?: { readonly bucket: number; readonly arm?: string };
  };
  /** A version pinned on this device with `rt.pin`. */
  readonly pinned?: VersionId;
  /** Who checks for and downloads updates: the app's service worker, or this page (`service-worker-unavailable` says why). */
  readonly updates: 'service-worker' | 'page';
  /** The idle worker that will host the next version. */
  readonly standby: 'ready' | 'starting' | 'none';
  /** What the inference worker found: provider, why a fallback, threads, onnxruntime-web version. */
  readonly worker: WorkerInfo;
  /** How fresh the device's manifest is (see `maxManifestAgeMs`, the `manifest-stale` event). */
  readonly freshness: Freshness;
  /** What storage holds, as of the last decision. */
  readonly device?: ModelStatus;
  readonly lastError?: BatonError;
}

export interface Runtime {
  /**
   * Runs the model on `feeds` (their buffers are transferred to the worker: the arrays are
   * detached afterwards). Resolves with the outputs and the version and provider that ran them.
   */
  run(feeds: Feeds): Promise<RunOutput>;
  status(): RuntimeStatus;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof RuntimeEvents>(type: K, handler: (event: RuntimeEvents[K]) => void): () => void;
  /** Checks the registry now; resolves after any download it starts and the switch that follows. */
  checkForUpdate(): Promise<CheckResult>;
  /** Serves `version` on this device (it must be ready here), whatever the rollout says. */
  pin(version: VersionId): Promise<void>;
  unpin(): Promise<void>;
  /** Counters, latency histograms, downloads, shadow agreement, drift and telemetry, per version × EP × arm. */
  metrics(): RuntimeMetrics;
  /** The lifecycle log (persisted, bounded), oldest first; `afterSeq` for only what is newer. */
  log(afterSeq?: number): LogEntry[];
  /** Hands the exporters what they have not had yet, now. */
  flushTelemetry(): Promise<void>;
  /** Terminates the workers; pending calls reject with `disposed`. */
  dispose(): Promise<void>;
}
