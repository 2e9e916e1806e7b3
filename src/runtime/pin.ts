/** `rt.pin(version)`: what may be pinned on this device. */
import { BatonError } from '../errors.js';
import type { VersionId } from '../types.js';
import type { ModelStatus } from '../update/messages.js';

/** Throws `version-unavailable` unless `version` is ready here and not killed by the manifest. */
export function checkPinnable(status: Pick<ModelStatus, 'versions' | 'manifest'>, version: VersionId): void {
  if (!status.versions.some((v) => v.version === version && v.state === 'ready')) {
    throw new BatonError('version-unavailable', `version ${version} is not ready on this device`, { version });
  }
  if (status.manifest?.policy.killed.includes(version)) {
    throw new BatonError('version-unavailable', `version ${version} is killed in the manifest and cannot be served`, { version, killed: true });
  }
}
