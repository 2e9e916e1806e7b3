/**
 * What an app tells Baton about one model: where its manifest is, which keys to trust, what the
 * runtime can run. Plain data: it crosses from the page to the service worker and is persisted
 * there, so background checks work after the service worker restarts with no page open.
 */
import { resolveDownloadSettings, type DownloadSettings, type ResolvedDownloadSettings } from '../download/settings.js';
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

// Download settings live with the download code (src/download/settings.ts), below this module.
export type { DownloadSettings, RetrySettings, ResolvedDownloadSettings } from '../download/settings.js';
export { DEFAULT_DOWNLOAD } from '../download/settings.js';

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

/** The model's download settings over the defaults (see `DownloadSettings` for each default). */
export function downloadSettings(config: Pick<ModelConfig, 'download'>): ResolvedDownloadSettings {
  return resolveDownloadSettings(config.download);
}
