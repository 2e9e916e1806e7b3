/**
 * `baton/sw`: the module an app's own service worker imports. The background download,
 * verification and storage pipeline lands with the service-worker issue; what the service worker
 * already shares with the page and the CLI is the one manifest verifier.
 */
export { verifyManifest } from '../src/manifest/verify';
export type { VerifyOptions, VerifiedManifest, AcceptedManifest } from '../src/manifest/verify';
export { BatonError, isBatonError } from '../src/errors';
export type { BatonErrorCode, BatonErrorWire } from '../src/errors';
