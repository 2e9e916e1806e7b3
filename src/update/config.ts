/**
 * What an app tells Baton about one model: where its manifest is, which keys to trust, what the
 * runtime can run. Plain data: it crosses from the page to the service worker and is persisted
 * there, so background checks work after the service worker restarts with no page open.
 */
import type { ExecutionProvider, PublicKeyJson, TensorElementType } from '../types.js';

/** The model interface the app was written against; a version that differs is refused. */
export interface ModelInterface {
  readonly inputs: readonly { readonly name: string; readonly type: TensorElementType }[];
  readonly outputs: readonly { readonly name: string; readonly type: TensorElementType }[];
}

/** What the device's inference runtime offers. */
export interface RuntimeInfo {
  /** onnxruntime-web's version, `ort.env.versions.web`. */
  readonly onnxruntimeWeb: string;
  /** Providers this device can use, best first. */
  readonly executionProviders: readonly ExecutionProvider[];
}

export interface RetrySettings {
  /** Attempts per chunk, including the first. */
  readonly attempts: number;
  /** First backoff delay; doubles each attempt, with jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export interface DownloadSettings {
  /** Chunks fetched at once. */
  readonly concurrency: number;
  /** A request that receives no bytes for this long is aborted and retried. */
  readonly stallTimeoutMs: number;
  readonly retry: RetrySettings;
}

export const DEFAULT_DOWNLOAD: DownloadSettings = {
  concurrency: 4,
  stallTimeoutMs: 15_000,
  retry: { attempts: 5, baseDelayMs: 500, maxDelayMs: 15_000 },
};

export interface ModelConfig {
  /** The model's name in the registry; the manifest must carry the same name. */
  readonly name: string;
  /** Absolute URL of `<registry>/<name>/manifest.json`; chunks are fetched next to it. */
  readonly manifestUrl: string;
  readonly publicKeys: readonly PublicKeyJson[];
  /** Valid signatures required from distinct pinned keys. Default 1. */
  readonly threshold?: number;
  readonly runtime: RuntimeInfo;
  /** Default: the interface of the version active on the device, once there is one. */
  readonly expect?: ModelInterface;
  /** Overrides the per-install random device id (for apps with their own user id, and tests). */
  readonly deviceId?: string;
  readonly download?: Partial<DownloadSettings>;
}

export function downloadSettings(config: ModelConfig): DownloadSettings {
  return {
    ...DEFAULT_DOWNLOAD,
    ...config.download,
    retry: { ...DEFAULT_DOWNLOAD.retry, ...config.download?.retry },
  };
}
