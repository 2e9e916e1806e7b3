/**
 * Baton's page API. Everything an app imports from `baton` is exported here and only here.
 */
export { createRuntime } from './runtime/runtime.js';
export type { RuntimeConfig } from './runtime/config.js';
export type { Runtime, RunOutput, RuntimeEvents, RuntimeStatus } from './runtime/api.js';
export type { Feeds, TensorLike, TensorData, WorkerInfo } from './worker/protocol.js';
export type { ModelInterface, DownloadSettings, RetrySettings } from './update/config.js';
export type { CheckResult, ModelStatus, UpdateEvent } from './update/messages.js';
export type { DownloadProgress, DownloadTimings } from './download/download-release.js';
export type { RolloutState, TrialState, RolloutDecision } from './rollout/reduce.js';
export type { RuntimeMetrics } from './runtime/api.js';
export type { VersionMetrics, ShadowMetrics, DownloadMetrics } from './observe/metrics.js';
export type { HistogramSummary } from './observe/histogram.js';
export type { LogEntry, LogLevel } from './observe/event-log.js';
export type { DriftMetrics, DriftSignal } from './observe/drift.js';
export { profileTensor } from './observe/drift.js';
export { otlpExporter, otlpLogs, otlpMetrics } from './observe/telemetry.js';
export type { TelemetryBatch, TelemetryExporter, TelemetryStats, OtlpExporterOptions } from './observe/telemetry.js';
export { BatonError, ERROR_CODES, isBatonError } from './errors.js';
export type { BatonErrorCode, BatonErrorWire } from './errors.js';
export { verifyManifest } from './manifest/verify.js';
export type { VerifyOptions, VerifiedManifest, AcceptedManifest } from './manifest/verify.js';
export type {
  AbArm,
  AbPolicy,
  CandidatePolicy,
  ChunkRef,
  Compatibility,
  ExecutionProvider,
  HealthPolicy,
  Manifest,
  OpsetImport,
  PublicKeyJson,
  Release,
  ReleaseProfile,
  RolloutPolicy,
  RolloutStage,
  ShadowComparison,
  ShadowPolicy,
  SignedEnvelope,
  TensorElementType,
  TensorProfile,
  TensorSpec,
  VersionId,
} from './types.js';
