/**
 * What a runtime says and measures: its events and `rt.metrics()`, typed here, below the runtime,
 * because observability consumes them (the lifecycle log maps the events, telemetry exports the
 * metrics) and must not depend on the runtime that wires it. runtime/api.ts re-exports both.
 */
import type { BatonError } from '../errors.js';
import type { DownloadProgress } from '../download/download-release.js';
import type { Freshness } from '../manifest/freshness.js';
import type { ExecutionProvider, VersionId } from '../types.js';
import type { DriftMetrics, DriftSignal } from './drift.js';
import type { RecorderMetrics } from './metrics.js';
import type { TelemetryStats } from './telemetry.js';

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
  /**
   * A version on trial failed its health gates on this device, and the previous version serves
   * again. `final`: it is quarantined here; otherwise (a first rollback for latency alone) it is
   * held until `retryAt` and then tried once more.
   */
  rollback: {
    readonly from: VersionId;
    readonly reason: 'error-rate' | 'latency' | 'shadow-agreement';
    readonly figures: Readonly<Record<string, number>>;
    readonly error: BatonError;
    readonly final: boolean;
    readonly retryAt?: number;
  };
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
  'worker-restarted': {
    readonly version: VersionId;
    readonly reason: BatonError;
    readonly cause: 'crashed' | 'hung' | 'allocation-failure';
    readonly serving: VersionId;
  };
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
