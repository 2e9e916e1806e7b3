/** Reading and writing the key files `baton keygen` produces. */
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, parsePublicKey } from '../crypto/ed25519.js';
import type { PrivateKeyJson, PublicKeyJson } from '../types.js';
import { writeAtomic } from './registry-fs.js';

export const PRIVATE_KEY_FILE = 'baton-private.json';
export const PUBLIC_KEY_FILE = 'baton-public.json';

/** Writes a new key pair into `dir`; the private key is readable by its owner only. */
export async function writeKeyPair(dir: string): Promise<{ privatePath: string; publicPath: string; keyid: string }> {
  await mkdir(dir, { recursive: true });
  const { publicKey, privateKey } = await generateKeyPair();
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const publicPath = join(dir, PUBLIC_KEY_FILE);
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2) + '\n');
  await writeAtomic(privatePath, encode(privateKey));
  await chmod(privatePath, 0o600);
  await writeAtomic(publicPath, encode(publicKey));
  return { privatePath, publicPath, keyid: publicKey.keyid };
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new TypeError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new TypeError(`${what} ${path} is not JSON`);
  }
}

/** Reads a public key file (or the public half of a private key file). */
export async function readPublicKey(path: string): Promise<PublicKeyJson> {
  const json = await readJson(path, 'public key');
  const { keyid } = await parsePublicKey(json);
  const { publicKey } = json as PublicKeyJson;
  return { keyid, alg: 'ed25519', publicKey };
}

export async function readPrivateKey(path: string): Promise<PrivateKeyJson> {
  const json = await readJson(path, 'private key');
  const pub = await readPublicKey(path);
  const seed = (json as { privateKey?: unknown }).privateKey;
  if (typeof seed !== 'string') throw new TypeError(`${path} is not a private key (no "privateKey"); did you pass the public key?`);
  return { ...pub, privateKey: seed };
}
