/**
 * One error class for everything Baton refuses, with a closed set of stable codes.
 *
 * Codes are part of the public API: apps branch on them, telemetry aggregates them, and they
 * survive `postMessage` (see {@link BatonError.toWire}). Programmer mistakes (a bad argument)
 * are `TypeError`/`RangeError` instead, because no user-facing recovery applies to them.
 */

/** Every code Baton can raise. Adding one is an API change; renaming one is a breaking change. */
export type BatonErrorCode =
  /** The manifest envelope or payload is not what the format allows (details.field names the spot). */
  | 'manifest-invalid'
  /** The payload declares a format major version this runtime does not understand. */
  | 'unsupported-format'
  /** A signature by a trusted key does not verify over the payload. */
  | 'signature-invalid'
  /** No signature was made by any of the pinned keys. */
  | 'unknown-key'
  /** The manifest's `expires` is in the past (freeze attack or an unmaintained registry). */
  | 'manifest-expired'
  /** The manifest's sequence is older than one already accepted (rollback attack). */
  | 'manifest-rollback'
  /** The manifest is validly signed but for another model than the one asked for. */
  | 'manifest-wrong-model'
  /** Bytes do not hash to what the manifest says. */
  | 'hash-mismatch'
  /** Bytes are longer or shorter than the manifest says. */
  | 'size-mismatch'
  /** A chunk the manifest lists is not in the registry. */
  | 'chunk-missing'
  /** A file handed to the publisher is not a readable ONNX model. */
  | 'model-invalid'
  /** The server answered with an HTTP error status (details.status). */
  | 'http-error'
  /** The request failed below HTTP: offline, connection reset or dropped mid-body. */
  | 'network-error'
  /** A request or a body stalled longer than allowed, or missed its overall deadline (details.deadline). */
  | 'timeout'
  /** A body kept arriving, but slower than the minimum throughput allowed (a trickling server). */
  | 'too-slow'
  /** The origin's storage quota does not leave room for the download. */
  | 'quota-exceeded'
  /** Storage (IndexedDB) failed for a reason other than quota. */
  | 'storage-failed'
  /** This runtime cannot run the version (interface, onnxruntime-web range or execution provider). */
  | 'incompatible-model'
  /** The version asked for is not stored and ready on this device. */
  | 'version-unavailable'
  /** The service worker (or another party) did not answer in time or is gone. */
  | 'unavailable'
  /** A version failed its health gates on this device and was rolled back (details: the figures). */
  | 'unhealthy'
  /** onnxruntime-web could not create a session from the model. */
  | 'model-load-failed'
  /** The session was created but failed on its warm-up input. */
  | 'warmup-failed'
  /** `session.run` failed (bad feeds, or the model failed on this input). */
  | 'run-failed'
  /** An input tensor is larger than the runtime allows (`maxInputElements`); refused before the run. */
  | 'input-too-large'
  /** The inference worker died (crash, out of memory); the call did not complete. */
  | 'worker-crashed'
  /** The runtime was disposed before the call completed. */
  | 'disposed';

/** The plain-object form of a {@link BatonError}: what crosses `postMessage` and JSON. */
export interface BatonErrorWire {
  readonly name: 'BatonError';
  readonly code: BatonErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

const CODES: ReadonlySet<string> = new Set<BatonErrorCode>([
  'manifest-invalid',
  'unsupported-format',
  'signature-invalid',
  'unknown-key',
  'manifest-expired',
  'manifest-rollback',
  'manifest-wrong-model',
  'hash-mismatch',
  'size-mismatch',
  'chunk-missing',
  'model-invalid',
  'http-error',
  'network-error',
  'timeout',
  'too-slow',
  'quota-exceeded',
  'storage-failed',
  'incompatible-model',
  'version-unavailable',
  'unavailable',
  'unhealthy',
  'model-load-failed',
  'warmup-failed',
  'run-failed',
  'input-too-large',
  'worker-crashed',
  'disposed',
]);

/**
 * @example
 * try { await verifyManifest(bytes, opts) }
 * catch (e) { if (isBatonError(e, 'manifest-expired')) showStaleBanner() }
 */
export class BatonError extends Error {
  override readonly name = 'BatonError';
  readonly code: BatonErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: BatonErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  /** A structured-clone- and JSON-safe copy; comlink and `postMessage` drop custom fields otherwise. */
  toWire(): BatonErrorWire {
    return this.details === undefined
      ? { name: 'BatonError', code: this.code, message: this.message }
      : { name: 'BatonError', code: this.code, message: this.message, details: this.details };
  }

  /** Rebuilds the error on the receiving side of a boundary. */
  static fromWire(wire: BatonErrorWire): BatonError {
    return new BatonError(wire.code, wire.message, wire.details);
  }

  /** True for anything that looks like {@link BatonErrorWire}: a received message is untrusted. */
  static isWire(value: unknown): value is BatonErrorWire {
    if (typeof value !== 'object' || value === null) return false;
    const v = value as Record<string, unknown>;
    return (
      v['name'] === 'BatonError' &&
      typeof v['code'] === 'string' &&
      CODES.has(v['code']) &&
      typeof v['message'] === 'string'
    );
  }
}

/** Narrows `e` to a BatonError, optionally of one code. */
export function isBatonError(e: unknown, code?: BatonErrorCode): e is BatonError {
  return e instanceof BatonError && (code === undefined || e.code === code);
}
