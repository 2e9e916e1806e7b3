/** Signing a manifest: validate, serialise once, sign those exact bytes with every given key. */
import { bytesToBase64, utf8Encode } from '../crypto/encoding.js';
import { ed25519Sign } from '../crypto/ed25519.js';
import type { Manifest, PrivateKeyJson, SignedEnvelope } from '../types.js';
import { MANIFEST_PAYLOAD_TYPE, pae } from './envelope.js';
import { parseManifestPayload } from './schema.js';

/**
 * Returns the `manifest.json` bytes for `manifest`, signed by each key (several keys let a
 * registry rotate: devices pinning either key accept it). Throws `manifest-invalid` rather
 * than sign something a device would refuse.
 */
export async function signManifest(manifest: Manifest, keys: readonly PrivateKeyJson[]): Promise<Uint8Array> {
  parseManifestPayload(manifest);
  return signEnvelope(utf8Encode(JSON.stringify(manifest)), keys);
}

/**
 * Wraps arbitrary payload bytes in a signed envelope, unchecked. Tests use it to produce
 * validly signed but malformed manifests; publishers use {@link signManifest}.
 */
export async function signEnvelope(payloadBytes: Uint8Array<ArrayBuffer>, keys: readonly PrivateKeyJson[]): Promise<Uint8Array> {
  if (keys.length === 0) throw new TypeError('signing needs at least one private key');
  const message = pae(MANIFEST_PAYLOAD_TYPE, payloadBytes);
  const signatures = [];
  for (const key of keys) {
    signatures.push({ keyid: key.keyid, sig: bytesToBase64(await ed25519Sign(key, message)) });
  }
  const envelope: SignedEnvelope = { payloadType: MANIFEST_PAYLOAD_TYPE, payload: bytesToBase64(payloadBytes), signatures };
  return utf8Encode(JSON.stringify(envelope, null, 2) + '\n');
}
