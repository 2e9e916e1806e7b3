/** Reading and writing the key files `baton keygen` produces. */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, parsePublicKey } from '../crypto/ed25519.js';
import type { PrivateKeyJson, PublicKeyJson } from '../types.js';
import { FileError, fsReason, readJsonFile } from './files.js';
import { writeAtomic } from './registry-fs.js';

export const PRIVATE_KEY_FILE = 'baton-private.json';
export const PUBLIC_KEY_FILE = 'baton-public.json';

export interface KeyPairPaths {
  readonly privatePath: string;
  readonly publicPath: string;
}

export function keyPairPaths(dir: string): KeyPairPaths {
  return { privatePath: join(dir, PRIVATE_KEY_FILE), publicPath: join(dir, PUBLIC_KEY_FILE) };
}

/** The key files already in a directory, and the key id they hold when it can be read. */
export interface ExistingKeyPair {
  /** The paths of the key files present (one or both). */
  readonly files: readonly string[];
  /** The key id of the public key (or of the private key's public half); undefined if unreadable. */
  readonly keyid: string | undefined;
}

/**
 * What `baton keygen --out dir` would replace: undefined when neither key file exists. Throws a
 * FileError when `dir` is a file, so a dry run finds what the real run would trip on. Writes nothing.
 */
export async function existingKeyPair(dir: string): Promise<ExistingKeyPair | undefined> {
  const found = await stat(dir).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FileError(`cannot read --out directory ${dir}: ${fsReason(e)}`, { cause: e });
  });
  if (found === undefined) return undefined;
  if (!found.isDirectory()) throw new FileError(`--out ${dir} is a file, not a directory`);
  const { privatePath, publicPath } = keyPairPaths(dir);
  const files: string[] = [];
  for (const path of [privatePath, publicPath])
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      files.push(path);
  if (files.length === 0) return undefined;
  // The public file names the key devices pin; the private file carries the same public half.
  let keyid: string | undefined;
  for (const path of [publicPath, privatePath]) {
    keyid = await readPublicKey(path).then(
      (k) => k.keyid,
      () => undefined,
    );
    if (keyid !== undefined) break;
  }
  return { files, keyid };
}

/**
 * Writes a new key pair into `dir`, replacing any pair there (the CLI refuses that without
 * `--force`, see {@link existingKeyPair}); the private key is readable by its owner only.
 */
export async function writeKeyPair(dir: string): Promise<KeyPairPaths & { keyid: string }> {
  await mkdir(dir, { recursive: true });
  const { publicKey, privateKey } = await generateKeyPair();
  const { privatePath, publicPath } = keyPairPaths(dir);
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2) + '\n');
  await writeAtomic(privatePath, encode(privateKey));
  await chmod(privatePath, 0o600);
  await writeAtomic(publicPath, encode(publicKey));
  return { privatePath, publicPath, keyid: publicKey.keyid };
}

/** Reads a public key file (or the public half of a private key file). */
export async function readPublicKey(path: string): Promise<PublicKeyJson> {
  return publicHalf(await readJsonFile(path, 'public key'), path);
}

export async function readPrivateKey(path: string): Promise<PrivateKeyJson> {
  const json = await readJsonFile(path, 'private key');
  const pub = await publicHalf(json, path);
  const seed = (json as { privateKey?: unknown }).privateKey;
  if (typeof seed !== 'string') throw new FileError(`${path} is not a private key (no "privateKey"); did you pass the public key?`);
  return { ...pub, privateKey: seed };
}

async function publicHalf(json: unknown, path: string): Promise<PublicKeyJson> {
  let keyid: string;
  try {
    ({ keyid } = await parsePublicKey(json));
  } catch (e) {
    throw new FileError(`${path} is not a baton key: ${(e as Error).message}`, { cause: e });
  }
  const { publicKey } = json as PublicKeyJson;
  return { keyid, alg: 'ed25519', publicKey };
}
