/**
 * The one manifest verifier: the CLI, the service worker and the page all call this, so a
 * manifest one of them accepts, every one accepts. Order follows TUF: check signatures over the
 * raw bytes before parsing what they cover, then freshness (expiry), then anti-rollback.
 */
import { BatonError } from '../errors.js';
import { base64ToBytes } from '../crypto/encoding.js';
import { ed25519Verify, parsePublicKey } from '../crypto/ed25519.js';
import { sha256Hex } from '../crypto/sha256.js';
import type { Manifest, PublicKeyJson } from '../types.js';
import { openEnvelope, pae, type OpenedEnvelope } from './envelope.js';
import { parseManifestPayload } from './schema.js';

/** What a device remembers of the newest manifest it accepted (persisted by the caller). */
export interface AcceptedManifest {
  readonly sequence: number;
  /** Lets a re-fetch of the same manifest pass while a different one with the same sequence fails. */
  readonly payloadSha256: string;
}

export interface VerifyOptions {
  /** Keys the app pins. A manifest needs `threshold` valid signatures from distinct ones. */
  readonly publicKeys: readonly PublicKeyJson[];
  /** Default 1. Raise it to require several signers. */
  readonly threshold?: number;
  /** Refuse a manifest for any other model (`manifest-wrong-model`). */
  readonly expectedName?: string;
  /** The newest manifest accepted so far; omit on first contact. */
  readonly lastAccepted?: AcceptedManifest;
  /** Clock, injectable for tests. Default `Date.now`. */
  readonly now?: () => number;
}

export interface VerifiedManifest {
  readonly manifest: Manifest;
  readonly payloadSha256: string;
  /** Key ids whose signatures verified. */
  readonly signedBy: readonly string[];
  /** True when this is the very manifest recorded in `lastAccepted`. */
  readonly unchanged: boolean;
}

/**
 * Verifies `manifest.json` bytes end to end and returns the trusted payload.
 *
 * @throws BatonError `manifest-invalid` | `unsupported-format` | `unknown-key` |
 *   `signature-invalid` | `manifest-wrong-model` | `manifest-expired` | `manifest-rollback`
 * @example
 * const { manifest } = await verifyManifest(await res.bytes(), { publicKeys: [pinnedKey], expectedName: 'vad' });
 */
export async function verifyManifest(input: Uint8Array | string, opts: VerifyOptions): Promise<VerifiedManifest> {
  const opened = openEnvelope(input);
  const signedBy = await checkSignatures(opened, opts.publicKeys, opts.threshold ?? 1);
  const manifest = parseManifestPayload(parsePayloadJson(opened.payloadBytes));
  if (opts.expectedName !== undefined && manifest.name !== opts.expectedName) {
    throw new BatonError('manifest-wrong-model', `manifest is for model "${manifest.name}", expected "${opts.expectedName}"`, {
      name: manifest.name,
      expected: opts.expectedName,
    });
  }
  checkExpiry(manifest, (opts.now ?? Date.now)());
  const payloadSha256 = await sha256Hex(opened.payloadBytes);
  const unchanged = checkSequence(manifest.sequence, payloadSha256, opts.lastAccepted);
  return { manifest, payloadSha256, signedBy, unchanged };
}

/**
 * Checks the envelope's signatures against the pinned keys; returns the key ids that verified.
 * A signature by a key that is not pinned is ignored, as TUF does: it neither helps nor hurts.
 */
export async function checkSignatures({ envelope, payloadBytes }: OpenedEnvelope, publicKeys: readonly PublicKeyJson[], threshold: number): Promise<string[]> {
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`threshold must be a positive integer, got ${threshold}`);
  if (publicKeys.length === 0) throw new TypeError('publicKeys is empty: pin at least one key');
  const trusted = new Map<string, Uint8Array<ArrayBuffer>>();
  for (const key of publicKeys) {
    const { keyid, raw } = await parsePublicKey(key);
    trusted.set(keyid, raw);
  }
  const message = pae(envelope.payloadType, payloadBytes);
  const valid = new Set<string>();
  const failed: string[] = [];
  for (const { keyid, sig } of envelope.signatures) {
    const key = trusted.get(keyid);
    if (!key || valid.has(keyid)) continue;
    if (await ed25519Verify(key, base64ToBytes(sig), message)) valid.add(keyid);
    else failed.push(keyid);
  }
  if (valid.size >= threshold) return [...valid];
  if (failed.length > 0) {
    throw new BatonError('signature-invalid', `manifest signature by key ${failed[0]!.slice(0, 16)}… does not verify`, { keyids: failed });
  }
  const seen = envelope.signatures.map((s) => s.keyid);
  throw new BatonError(
    'unknown-key',
    valid.size === 0
      ? `manifest is not signed by any pinned key (signed by ${seen.map((k) => k.slice(0, 16) + '…').join(', ')})`
      : `manifest has ${valid.size} valid signature(s) from pinned keys; ${threshold} required`,
    { keyids: seen, valid: valid.size, threshold },
  );
}

/** Decodes the verified payload bytes as JSON; `manifest-invalid` when they are not. */
export function parsePayloadJson(payloadBytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payloadBytes));
  } catch (e) {
    throw new BatonError('manifest-invalid', `manifest payload is not valid UTF-8 JSON: ${(e as Error).message}`, { field: 'payload' }, { cause: e });
  }
}

/** `manifest-expired` once `now` reaches `expires`. */
export function checkExpiry(manifest: Manifest, now: number): void {
  const expires = Date.parse(manifest.expires);
  if (now >= expires) {
    throw new BatonError('manifest-expired', `manifest expired at ${manifest.expires}`, { expires: manifest.expires, now: new Date(now).toISOString() });
  }
}

/**
 * Anti-rollback: a lower sequence, or the same sequence with other content, is refused.
 * Returns true when the manifest is the one already accepted.
 */
export function checkSequence(sequence: number, payloadSha256: string, last: AcceptedManifest | undefined): boolean {
  if (last === undefined || sequence > last.sequence) return false;
  if (sequence === last.sequence && payloadSha256 === last.payloadSha256) return true;
  throw new BatonError(
    'manifest-rollback',
    sequence < last.sequence
      ? `manifest sequence ${sequence} is older than the accepted ${last.sequence}`
      : `manifest sequence ${sequence} was already accepted with different content`,
    { sequence, accepted: last.sequence },
  );
}

/**
 * The anti-rollback mark that still applies under the keys the app pins now. The mark (the
 * highest sequence accepted) is kept only while the manifest that set it still carries
 * `threshold` valid signatures from those keys. After a rotation that dropped a compromised
 * key, a mark that key fast-forwarded (say to sequence 2^53 − 1) no longer binds: the first
 * manifest signed by the new key set is accepted on its own merits and starts a new mark, as
 * TUF resets its version numbers on a root rotation. A mark the new set still vouches for (the
 * publisher signed with both keys during the transition) is kept, so an old manifest cannot be
 * replayed. Expiry still bounds any replay after a reset.
 *
 * @returns `mark` when it applies; undefined when there is none or the current keys no longer trust it.
 */
export async function markUnderKeys(
  stored: { readonly bytes: Uint8Array; readonly mark: AcceptedManifest } | undefined,
  publicKeys: readonly PublicKeyJson[],
  threshold = 1,
): Promise<AcceptedManifest | undefined> {
  if (!stored) return undefined;
  try {
    await checkSignatures(openEnvelope(stored.bytes), publicKeys, threshold);
    return stored.mark;
  } catch (e) {
    // Only a verdict on the stored manifest's signatures resets the mark; a bad argument (no
    // keys, a malformed key) is the caller's mistake and must not quietly lift the protection.
    if (e instanceof BatonError && ['unknown-key', 'signature-invalid', 'manifest-invalid'].includes(e.code)) return undefined;
    throw e;
  }
}
