/**
 * Baton's page API. Everything an app imports from `baton` is exported here and only here.
 */
export { createRuntime } from './runtime/runtime';
export type { RuntimeConfig } from './runtime/config';
export type { Runtime, RunOutput, RuntimeEvents, RuntimeStatus } from './runtime/api';
export type { Feeds, TensorLike, TensorData, WorkerInfo } from './worker/protocol';
export type { ModelInterface, DownloadSettings, RetrySettings } from './update/config';
export type { CheckResult, ModelStatus, UpdateEvent } from './update/messages';
export type { DownloadProgress } from './download/download-release';
export type { RolloutState, TrialState, RolloutDecision } from './rollout/reduce';
export type { RuntimeMetrics } from './runtime/api';
export type { VersionMetrics, ShadowMetrics, DownloadMetrics } from './observe/metrics';
export type { HistogramSummary } from './observe/histogram';
export type { LogEntry, LogLevel } from './observe/event-log';
export type { DriftMetrics, DriftSignal } from './observe/drift';
export { profileTensor } from './observe/drift';
export { otlpExporter, otlpLogs, otlpMetrics } from './observe/telemetry';
export type { TelemetryBatch, TelemetryExporter, TelemetryStats, OtlpExporterOptions } from './observe/telemetry';
export { BatonError, isBatonError } from './errors';
export type { BatonErrorCode, BatonErrorWire } from './errors';
export { verifyManifest } from './manifest/verify';
export type { VerifyOptions, VerifiedManifest, AcceptedManifest } from './manifest/verify';
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
} from './types';
