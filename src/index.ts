/**
 * Baton's page API. Everything an app imports from `baton` is exported here and only here.
 * (The runtime — createRuntime, the worker and the router — lands with the switch issue.)
 */
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
  RolloutPolicy,
  RolloutStage,
  ShadowComparison,
  ShadowPolicy,
  SignedEnvelope,
  TensorElementType,
  TensorSpec,
  VersionId,
} from './types';
