/**
 * A registry on a local disk (or anything mounted as one): the static files a CDN serves.
 *   <root>/<name>/manifest.json          the current signed manifest (mutable, never cached)
 *   <root>/<name>/history/<seq>.json     every manifest ever signed (audit trail, test fixtures)
 *   <root>/<name>/chunks/<sha256>        content-addressed chunks (immutable, cache forever)
 * Every write goes to a temporary file first and is renamed into place, so a reader or a crash
 * never sees half a file; a lock file keeps two publishers from interleaving.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RegistryPaths {
  readonly dir: string;
  readonly manifest: string;
  readonly history: string;
  readonly chunks: string;
}

export function registryPaths(root: string, name: string): RegistryPaths {
  const dir = join(root, name);
  return { dir, manifest: join(dir, 'manifest.json'), history: join(dir, 'history'), chunks: join(dir, 'chunks') };
}

export function chunkPath(paths: RegistryPaths, sha256: string): string {
  return join(paths.chunks, sha256);
}

/** The current manifest's bytes, or undefined when the model was never published. */
export async function readManifestBytes(paths: RegistryPaths): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await readFile(paths.manifest));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Size of a stored chunk, or undefined when absent. */
export async function storedSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Writes `bytes` to `path` through a temporary sibling and an atomic rename. */
export async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Stores the signed manifest and its history copy; the history copy lands first. */
export async function writeManifest(paths: RegistryPaths, bytes: Uint8Array, sequence: number): Promise<void> {
  await mkdir(paths.history, { recursive: true });
  await writeAtomic(join(paths.history, `${sequence}.json`), bytes);
  await writeAtomic(paths.manifest, bytes);
}

/**
 * Runs `fn` holding `<dir>/.lock` (created exclusively). A stale lock from a crashed publisher
 * must be removed by hand; the error says where, rather than guessing it is safe to break.
 */
export async function withRegistryLock<T>(paths: RegistryPaths, fn: () => Promise<T>): Promise<T> {
  await mkdir(paths.chunks, { recursive: true });
  const lock = join(paths.dir, '.lock');
  let handle;
  try {
    handle = await open(lock, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`registry ${paths.dir} is locked by another publisher (remove ${lock} if none is running)`);
    }
    throw e;
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
    return await fn();
  } finally {
    await handle.close();
    await rm(lock, { force: true });
  }
}
