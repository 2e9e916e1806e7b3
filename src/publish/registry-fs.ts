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
import { modelName } from '../manifest/schema.js';
import { FileError, fsReason } from './files.js';

export interface RegistryPaths {
  readonly dir: string;
  readonly manifest: string;
  readonly history: string;
  readonly chunks: string;
}

/**
 * The model name is a path segment here and a signed field in the manifest: refuse what the
 * schema refuses before joining it into a path (`--name ../x` must not create `../x/chunks`).
 * Returns the problem in words, or undefined when the name is valid.
 */
export function modelNameProblem(name: string): string | undefined {
  const result = modelName.safeParse(name);
  return result.success ? undefined : `"${name}" is not a model name: lowercase letters, digits and . _ - (not leading), at most 64`;
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
    throw new FileError(`cannot read registry manifest ${paths.manifest}: ${fsReason(e)}`, { cause: e });
  }
}

/** Size of a stored chunk, or undefined when absent. */
export async function storedSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FileError(`cannot read registry chunk ${path}: ${fsReason(e)}`, { cause: e });
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
  const lock = join(paths.dir, '.lock');
  let handle;
  try {
    await mkdir(paths.chunks, { recursive: true });
    handle = await open(lock, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && (e as NodeJS.ErrnoException).path === lock) {
      throw new FileError(`registry ${paths.dir} is locked by another publisher (remove ${lock} if none is running)`);
    }
    throw new FileError(`cannot write to registry ${paths.dir}: ${fsReason(e)}`, { cause: e });
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
    return await fn();
  } finally {
    await handle.close();
    await rm(lock, { force: true });
  }
}
