import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageVersion } from './package-version.js';
import { baton } from './test-helpers.js';

// The known answer: this repository's package.json, two levels above src/cli/.
const ROOT_PACKAGE = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('baton --version', () => {
  it.each([['--version'], ['-v'], ['version']])('%s prints the version in package.json, exit 0', async (arg) => {
    expect(await baton(0, arg)).toEqual({ code: 0, stdout: `${ROOT_PACKAGE.version}\n`, stderr: '' });
  });

  it('version --json', async () => {
    expect(JSON.parse((await baton(0, 'version', '--json')).stdout)).toEqual({ name: 'baton-ml', version: ROOT_PACKAGE.version });
  });
});

describe('packageVersion finds baton-ml’s package.json from the source and from the build', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'baton-version-'));
    // The package as installed: its package.json at the root, the CLI three folders down, and a
    // package.json of another name in between (as a build may leave), which must be skipped.
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'baton-ml', version: '9.8.7' }));
    await mkdir(join(dir, 'dist', 'lib', 'src', 'cli'), { recursive: true });
    await mkdir(join(dir, 'src', 'cli'), { recursive: true });
    await writeFile(join(dir, 'dist', 'lib', 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(join(dir, 'dist', 'package.json'), 'not json');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('from dist/lib/src/cli/run.js', async () => {
    expect(await packageVersion(pathToFileURL(join(dir, 'dist', 'lib', 'src', 'cli', 'run.js')))).toBe('9.8.7');
  });

  it('from src/cli/run.ts', async () => {
    expect(await packageVersion(pathToFileURL(join(dir, 'src', 'cli', 'run.ts')))).toBe('9.8.7');
  });

  it('says so when there is none above', async () => {
    const lone = await mkdtemp(join(tmpdir(), 'baton-no-package-'));
    try {
      await expect(packageVersion(pathToFileURL(join(lone, 'run.js')))).rejects.toThrow(/cannot find the package.json of baton-ml/);
    } finally {
      await rm(lone, { recursive: true, force: true });
    }
  });
});
