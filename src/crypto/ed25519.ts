/**
 * Ed25519 behind one set of functions: WebCrypto where the platform has it (Chromium 137+,
 * Node 20.19+, Firefox 129+, Safari 17+), `@noble/ed25519` elsewhere. The fallback is loaded
 * only when needed, so browsers with native support never download it.
 */
import type { PrivateKeyJson, PublicKeyJson } from '../types.js';
import { base64ToBytes, bytesToBase64, bytesToBase64Url } from './encoding.js';
import { sha256Hex } from './sha256.js';

const ED25519 = { name: 'Ed25519' } as const;
// RFC 8032 §7.1, test 1: a known-valid key, imported once to probe for native support.
const PROBE_KEY = new Uint8Array([
  0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02,
  0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
]);

let nativeSupport: Promise<boolean> | undefined;

/** Whether WebCrypto implements Ed25519 here; probed once per realm. */
export function hasNativeEd25519(): Promise<boolean> {
  nativeSupport ??= crypto.subtle.importKey('raw', PROBE_KEY, ED25519, false, ['verify']).then(
    () => true,
    () => false,
  );
  return nativeSupport;
}

/** Verifies `sig` over `message`. Malformed keys or signatures verify as false, never throw. */
export async function ed25519Verify(publicKey: Uint8Array<ArrayBuffer>, sig: Uint8Array<ArrayBuffer>, message: Uint8Array<ArrayBuffer>): Promise<boolean> {
  if (publicKey.length !== 32 || sig.length !== 64) return false;
  try {
    if (await hasNativeEd25519()) {
      const key = await crypto.subtle.importKey('raw', publicKey, ED25519, false, ['verify']);
      return await crypto.subtle.verify(ED25519, key, sig, message);
    }
    const noble = await import('@noble/ed25519');
    // zip215: false keeps the fallback as strict as RFC 8032, like the native path.
    return await noble.verifyAsync(sig, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Signs `message` with a key from {@link generateKeyPair}. */
export async function ed25519Sign(key: PrivateKeyJson, message: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const seed = base64ToBytes(key.privateKey);
  if (await hasNativeEd25519()) {
    const jwk: JsonWebKey = {
      kty: 'OKP',
      crv: 'Ed25519',
      d: bytesToBase64Url(seed),
      x: bytesToBase64Url(base64ToBytes(key.publicKey)),
    };
    const privateKey = await crypto.subtle.importKey('jwk', jwk, ED25519, false, ['sign']);
    return new Uint8Array(await crypto.subtle.sign(ED25519, privateKey, message));
  }
  const noble = await import('@noble/ed25519');
  return new Uint8Array(await noble.signAsync(message, seed));
}

/** A fresh key pair in the JSON forms the CLI writes and the app pins. */
export async function generateKeyPair(): Promise<{
  publicKey: PublicKeyJson;
  privateKey: PrivateKeyJson;
}> {
  let seed: Uint8Array;
  let pub: Uint8Array<ArrayBuffer>;
  if (await hasNativeEd25519()) {
    const pair = (await crypto.subtle.generateKey(ED25519, true, ['sign', 'verify'])) as CryptoKeyPair;
    pub = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
    const jwk = await crypto.subtle.exportKey('jwk', pair.privateKey);
    seed = base64ToBytes(base64UrlToBase64(jwk.d ?? ''));
  } else {
    const noble = await import('@noble/ed25519');
    seed = noble.utils.randomSecretKey();
    pub = new Uint8Array(await noble.getPublicKeyAsync(seed));
  }
  const publicKey: PublicKeyJson = {
    keyid: await keyIdOf(pub),
    alg: 'ed25519',
    publicKey: bytesToBase64(pub),
  };
  return { publicKey, privateKey: { ...publicKey, privateKey: bytesToBase64(seed) } };
}

/** The key id: hex SHA-256 of the raw public key, so an id can never name two keys. */
export function keyIdOf(rawPublicKey: Uint8Array<ArrayBuffer>): Promise<string> {
  return sha256Hex(rawPublicKey);
}

/**
 * Checks a key the app or the CLI was given, and returns its raw bytes.
 * Throws `TypeError` naming what is wrong: a bad pinned key is a configuration mistake.
 */
export async function parsePublicKey(value: unknown): Promise<{ keyid: string; raw: Uint8Array<ArrayBuffer> }> {
  if (typeof value !== 'object' || value === null) throw new TypeError(`public key must be an object, got ${String(value)}`);
  const { keyid, alg, publicKey } = value as Record<string, unknown>;
  if (alg !== 'ed25519') throw new TypeError(`public key alg must be 'ed25519', got ${JSON.stringify(alg)}`);
  if (typeof publicKey !== 'string') throw new TypeError('public key has no base64 "publicKey"');
  let raw: Uint8Array<ArrayBuffer>;
  try {
    raw = base64ToBytes(publicKey);
  } catch {
    throw new TypeError(`public key "publicKey" is not base64: ${publicKey.slice(0, 20)}…`);
  }
  if (raw.length !== 32) throw new TypeError(`public key must be 32 bytes, got ${raw.length}`);
  const expected = await keyIdOf(raw);
  if (keyid !== expected) throw new TypeError(`public key keyid ${JSON.stringify(keyid)} does not match its key (${expected})`);
  return { keyid: expected, raw };
}

function base64UrlToBase64(text: string): string {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return b64 + '='.repeat((4 - (b64.length % 4)) % 4);
}
