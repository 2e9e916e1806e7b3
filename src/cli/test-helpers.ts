/** Shared by the CLI's tests: run `baton` in-process, and take a byte-exact picture of a directory. */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { runCli } from './run.js';

export interface BatonRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process with a fixed clock and captures what it printed. */
export async function baton(now: number, ...argv: string[]): Promise<BatonRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now: () => now });
  return { code, stdout, stderr };
}

/**
 * Every entry under `dir` — directories too, so a stray `mkdir` shows — mapped to `dir/` or to
 * the SHA-256 of the file's bytes. An absent `dir` is the empty map.
 */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    out.set(
      relative(dir, path),
      entry.isDirectory()
        ? 'dir/'
        : createHash('sha256')
            .update(await readFile(path))
            .digest('hex'),
    );
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}
