/** The runtime's public surface: what `createRuntime` returns (its events and metrics are typed in observe/events.ts). */
import type { Freshness } from '../manifest/freshness.js';
import type { RuntimeEvents, RuntimeMetrics } from '../observe/events.js';
import type { Tensor } from 'onnxruntime-common';
import type { BatonError } from '../errors.js';
import type { LogEntry } from '../observe/event-log.js';
import type { RolloutState, TrialState } from '../rollout/reduce.js';
import type { ExecutionProvider, VersionId } from '../types.js';
import type { CheckResult, ModelStatus } from '../update/messages.js';
import type { Feeds, WorkerInfo } from '../worker/protocol.js';

export type { RuntimeEvents, RuntimeMetrics };

export interface RunOutput {
  /** onnxruntime tensors by output name. */
  readonly outputs: Record<string, Tensor>;
  /** The version that actually served this request. */
  readonly version: VersionId;
  /** The execution provider that ran it. */
  readonly ep: ExecutionProvider;
  /** The A/B arm it was served under, when an A/B test decides what this device serves. */
  readonly arm?: string;
  /**
   * The version on trial failed this request (`error`), and `version` — the one the trial
   * replaced — answered it instead (see `createRuntime({ fallback })`).
   */
  readonly fallback?: { readonly from: VersionId; readonly error: BatonError };
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
  readonly trial?: TrialState & {
    readonly n?: number;
    readonly errors?: number;
    readonly errorRate?: number;
    readonly p50?: number;
    readonly p95?: number;
    readonly p99?: number;
  };
  /**
   * Whether this tab judges the device's trial and keeps its record (`leading`: one tab of the
   * origin does), or sends its requests' outcomes to the tab that does and follows its decisions.
   */
  readonly trialRole: 'leading' | 'following';
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
