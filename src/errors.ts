/**
 * One error class for everything Baton refuses, with a closed set of stable codes.
 *
 * Codes are part of the public API: apps branch on them, telemetry aggregates them, and they
 * survive `postMessage` (see {@link BatonError.toWire}). Programmer mistakes (a bad argument)
 * are `TypeError`/`RangeError` instead, because no user-facing recovery applies to them.
 */

/**
 * Every code Baton can raise, with what it means: one table, from which the type and the check of
 * a received code both come. Adding a code is an API change; renaming one is a breaking change.
 */
export const ERROR_CODES = {
  'manifest-invalid': 'The manifest envelope or payload is not what the format allows (details.field names the spot).',
  'unsupported-format': 'The payload declares a format major version this runtime does not understand.',
  'signature-invalid': 'A signature by a trusted key does not verify over the payload.',
  'unknown-key': 'No signature was made by any of the pinned keys.',
  'manifest-expired': "The manifest's `expires` is in the past (freeze attack or an unmaintained registry).",
  'manifest-rollback': "The manifest's sequence is older than one already accepted (rollback attack).",
  'manifest-wrong-model': 'The manifest is validly signed but for another model than the one asked for.',
  'hash-mismatch': 'Bytes do not hash to what the manifest says.',
  'size-mismatch': 'Bytes are longer or shorter than the manifest says.',
  'chunk-missing': 'A chunk the manifest lists is not in the registry.',
  'model-invalid': 'A file handed to the publisher is not a readable ONNX model.',
  'http-error': 'The server answered with an HTTP error status (details.status).',
  'network-error': 'The request failed below HTTP: offline, connection reset or dropped mid-body.',
  timeout: 'A request or a body stalled longer than allowed, or missed its overall deadline (details.deadline).',
  'too-slow': 'A body kept arriving, but slower than the minimum throughput allowed (a trickling server).',
  'quota-exceeded': "The origin's storage quota does not leave room for the download.",
  'storage-failed': 'Storage (IndexedDB) failed for a reason other than quota.',
  'incompatible-model': 'This runtime cannot run the version (interface, onnxruntime-web range or execution provider).',
  'version-unavailable': 'The version asked for is not stored and ready on this device.',
  unavailable: 'The service worker (or another party) did not answer in time or is gone.',
  unhealthy: 'A version failed its health gates on this device and was rolled back (details: the figures).',
  'model-load-failed': 'onnxruntime-web could not create a session from the model.',
  'warmup-failed': 'The session was created but failed on its warm-up input.',
  'run-failed': '`session.run` failed (bad feeds, or the model failed on this input).',
  'input-too-large': 'An input tensor is larger than the runtime allows (`maxInputElements`); refused before the run.',
  'worker-crashed': 'The inference worker died (crash, out of memory); the call did not complete.',
  disposed: 'The runtime was disposed before the call completed.',
  internal: 'Something Baton did not anticipate failed (a bug, or an app callback that threw); the cause and details.name say what.',
} as const satisfies Record<string, string>;

export type BatonErrorCode = keyof typeof ERROR_CODES;

/** The plain-object form of a {@link BatonError}: what crosses `postMessage` and JSON. */
export interface BatonErrorWire {
  readonly name: 'BatonError';
  readonly code: BatonErrorCode;
  readonly message: string;
  readonly details?: Record<string, unknown>;
}

/**
 * @example
 * try { await verifyManifest(bytes, opts) }
 * catch (e) { if (isBatonError(e, 'manifest-expired')) showStaleBanner() }
 */
export class BatonError extends Error {
  override readonly name = 'BatonError';
  readonly code: BatonErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: BatonErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
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

  /**
   * `e` as a BatonError: itself, rebuilt from its wire form, or — for anything else, which no
   * code of Baton's anticipated — a new one with the `fallback` code, `context` in its message
   * and `e` as its `cause`.
   *
   * @example
   * catch (e) { throw BatonError.from(e, 'storage-failed', 'reading the model') }
   */
  static from(e: unknown, fallback: BatonErrorCode = 'internal', context?: string): BatonError {
    if (e instanceof BatonError) return e;
    if (BatonError.isWire(e)) return BatonError.fromWire(e);
    const message = (e as Error)?.message ?? String(e);
    const name = (e as Error)?.name;
    return new BatonError(fallback, context === undefined ? message : `${context}: ${message}`, name === undefined ? undefined : { name }, { cause: e });
  }

  /** JSON (a log line, telemetry, a test reading the page) gets the wire form, code and message included. */
  toJSON(): BatonErrorWire {
    return this.toWire();
  }

  /** Rebuilds the error on the receiving side of a boundary. */
  static fromWire(wire: BatonErrorWire): BatonError {
    return new BatonError(wire.code, wire.message, wire.details);
  }

  /** True for anything that looks like {@link BatonErrorWire}: a received message is untrusted. */
  static isWire(value: unknown): value is BatonErrorWire {
    if (typeof value !== 'object' || value === null) return false;
    const v = value as Record<string, unknown>;
    return v['name'] === 'BatonError' && typeof v['code'] === 'string' && Object.hasOwn(ERROR_CODES, v['code']) && typeof v['message'] === 'string';
  }
}

/** Narrows `e` to a BatonError, optionally of one code. */
export function isBatonError(e: unknown, code?: BatonErrorCode): e is BatonError {
  return e instanceof BatonError && (code === undefined || e.code === code);
}
