/**
 * Every message that crosses between the service worker and the pages (and the inference
 * worker), in one place. Events go out on a BroadcastChannel, so every tab and worker of the
 * origin hears them whether or not a service worker controls it; requests go to the service
 * worker with a MessagePort for the reply.
 */
import { BatonError, type BatonErrorWire } from '../errors.js';
import type { Manifest, Release, VersionId } from '../types.js';
import type { DownloadProgress } from '../download/download-release.js';
import type { VersionState } from '../store/db.js';
import type { ModelConfig } from './config.js';

export const EVENT_CHANNEL = 'baton';

/** Periodic Background Sync tag the page registers and the service worker answers. */
export const PERIODIC_SYNC_TAG = 'baton-check';

/** Broadcast to every context of the origin. */
export type UpdateEvent =
  /**
   * `keysChanged`: the anti-rollback mark was set under keys the app no longer pins, so it was
   * restarted from this manifest (a key rotation).
   */
  | { readonly type: 'manifest-accepted'; readonly model: string; readonly sequence: number; readonly unchanged: boolean; readonly keysChanged?: true }
  | ({ readonly type: 'progress'; readonly model: string } & DownloadProgress)
  | { readonly type: 'version-ready'; readonly model: string; readonly version: VersionId; readonly active: boolean }
  | { readonly type: 'update-failed'; readonly model: string; readonly version?: VersionId; readonly error: BatonErrorWire }
  | { readonly type: 'version-activated'; readonly model: string; readonly version: VersionId; readonly previous?: VersionId }
  | { readonly type: 'version-quarantined'; readonly model: string; readonly version: VersionId; readonly reason: BatonErrorWire };

export type UpdateEventType = UpdateEvent['type'];

/** Page → service worker. */
export type SwRequest =
  | { readonly type: 'configure'; readonly config: ModelConfig }
  | { readonly type: 'check'; readonly model: string }
  | { readonly type: 'status'; readonly model: string }
  | { readonly type: 'activate'; readonly model: string; readonly version: VersionId }
  | { readonly type: 'quarantine'; readonly model: string; readonly version: VersionId; readonly reason: BatonErrorWire }
  /** Liveness, and which models the worker is checking right now (answer: {@link SwPing}). */
  | { readonly type: 'ping' };

export interface SwPing {
  readonly checking: readonly string[];
}

export type SwReply<T = unknown> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: BatonErrorWire };

/**
 * What a device holds of one model. `E` is the error's shape: `BatonError` for the app (what
 * `UpdateClient` returns), `BatonErrorWire` where it crosses postMessage or is stored
 * ({@link ModelStatusWire}).
 */
export interface ModelStatus<E = BatonError> {
  readonly model: string;
  /** The per-install id rollout buckets are computed from. */
  readonly deviceId: string;
  /** The payload of the newest accepted manifest (it was verified when accepted). */
  readonly manifest?: Manifest;
  readonly active?: VersionId;
  readonly previous?: VersionId;
  readonly sequence?: number;
  readonly lastCheckAt?: number;
  /** When a check last verified a manifest (new, or the stored one again after a 304). */
  readonly verifiedAt?: number;
  readonly lastError?: E;
  readonly versions: readonly { readonly version: VersionId; readonly state: VersionState; readonly release: Release; readonly error?: E }[];
}

export type ModelStatusWire = ModelStatus<BatonErrorWire>;

/** The outcome of one update check (`E` as for {@link ModelStatus}). */
export interface CheckResult<E = BatonError> {
  readonly model: string;
  readonly sequence: number;
  readonly unchanged: boolean;
  /** Versions ready on the device that the policy wants here. */
  readonly ready: VersionId[];
  readonly failed: { readonly version: VersionId; readonly error: E }[];
}

export type CheckResultWire = CheckResult<BatonErrorWire>;

/** A status as the updater produced it, with its errors rebuilt for the app. */
export function statusFromWire(s: ModelStatusWire): ModelStatus {
  const { lastError, versions, ...rest } = s;
  return {
    ...rest,
    ...(lastError ? { lastError: BatonError.from(lastError) } : {}),
    versions: versions.map(({ error, ...v }) => ({ ...v, ...(error ? { error: BatonError.from(error) } : {}) })),
  };
}

/** A check result as the updater produced it, with its errors rebuilt for the app. */
export function checkResultFromWire(r: CheckResultWire): CheckResult {
  return { ...r, failed: r.failed.map((f) => ({ version: f.version, error: BatonError.from(f.error) })) };
}
