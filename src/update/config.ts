/**
 * What an app tells Baton about one model: where its manifest is, which keys to trust, what the
 * runtime can run. Plain data: it crosses from the page to the service worker and is persisted
 * there, so background checks work after the service worker restarts with no page open.
 */
import { resolveDownloadSettings, type ResolvedDownloadSettings } from '../download/settings.js';
import type { ModelConfig } from '../types.js';

// The nouns live at the bottom of the tree (src/types.ts), the download defaults with the download code.
export type { DownloadSettings, ModelConfig, ModelInterface, RetrySettings, RuntimeInfo } from '../types.js';
export type { ResolvedDownloadSettings } from '../download/settings.js';
export { DEFAULT_DOWNLOAD } from '../download/settings.js';

/** The model's download settings over the defaults (see `DownloadSettings` for each default). */
export function downloadSettings(config: Pick<ModelConfig, 'download'>): ResolvedDownloadSettings {
  return resolveDownloadSettings(config.download);
}
