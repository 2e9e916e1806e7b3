/**
 * Before the tests: a signing key pair made by the installed `baton` command (the build pins its
 * public half, the registry fixture signs with it), then the two builds the tests drive: Vite's
 * test build (MODE 'test' exposes the runtime to the kit) and the webpack build of the page.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'vite';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

export default async function globalSetup(): Promise<void> {
  if (!existsSync(`${root}keys/baton-public.json`)) await run('npx', ['baton', 'keygen', '--out', 'keys'], { cwd: root });
  // The tests publish into registries of their own; the app's registry/ folder starts empty.
  await mkdir(`${root}registry`, { recursive: true });
  await build({ root, configFile: `${root}vite.config.ts`, mode: 'test', logLevel: 'warn' });
  await run(process.execPath, ['webpack/build.mjs'], { cwd: root });
}
