/**
 * Files the publisher is handed (model, keys, samples) or keeps (the registry), and the one
 * error for when the disk does not hold what the command expects. The CLI prints a FileError
 * as one line and exits 1: the command was well-formed, the file system disagreed.
 */
import { readFile } from 'node:fs/promises';

/** A file or directory is missing, unreadable, malformed or in the way; `message` is one line. */
export class FileError extends Error {
  override readonly name = 'FileError';
}

/** The short reason for a Node file-system error code, as a person would say it. */
const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a part of the path is a file, not a directory',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
};

/** True for the errors Node's `fs` raises (they carry an `E…` code and a syscall). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** `no such file` for ENOENT, and so on; Node's own message (with its code) for anything rarer. */
export function fsReason(e: unknown): string {
  if (!isFsError(e)) return e instanceof Error ? e.message : String(e);
  return REASONS[e.code ?? ''] ?? e.message;
}

/**
 * Reads a file the user named on the command line; `what` says which one (`model file`,
 * `profile samples`), so the error reads `cannot read model file m.onnx: no such file`.
 */
export async function readInputFile(path: string, what: string): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new FileError(`cannot read ${what} ${path}: ${fsReason(e)}`, { cause: e });
  }
}

/** {@link readInputFile}, then JSON; malformed JSON is a FileError too (the file is wrong, not the command). */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = new TextDecoder().decode(await readInputFile(path, what));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FileError(`${what} ${path} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}
