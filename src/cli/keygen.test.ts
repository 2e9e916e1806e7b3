/** `baton keygen` never replaces a key pair by accident: devices pinning the old key would refuse every update. */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baton, snapshot } from './test-helpers.js';

let dir: string;
const keygen = (...args: string[]) => baton(0, 'keygen', ...args);
const keyidIn = async (keys: string) => (JSON.parse(await readFile(join(keys, 'baton-public.json'), 'utf8')) as { keyid: string }).keyid;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-keygen-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('baton keygen', () => {
  it('refuses to replace a key pair: exit 1, one line naming both files and the key id, keys unchanged', async () => {
    const keys = join(dir, 'refuse');
    expect((await keygen('--out', keys)).code).toBe(0);
    const keyid = await keyidIn(keys);
    const before = await snapshot(keys);
    const r = await keygen('--out', keys);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([expect.any(String), '']);
    expect(r.stderr).toContain(`${join(keys, 'baton-private.json')} and ${join(keys, 'baton-public.json')} already exist (key id ${keyid})`);
    expect(r.stderr).toContain('--force replaces them');
    expect(await snapshot(keys)).toEqual(before);
  });

  it('refuses when only one of the two files is there', async () => {
    const keys = join(dir, 'half');
    expect((await keygen('--out', keys)).code).toBe(0);
    await rm(join(keys, 'baton-public.json'));
    const r = await keygen('--out', keys);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/baton-private\.json already exists \(key id [0-9a-f]{64}\)/);
  });

  it('--force replaces the pair and prints the old and the new key id, with a warning about pinned devices', async () => {
    const keys = join(dir, 'force');
    expect((await keygen('--out', keys)).code).toBe(0);
    const oldId = await keyidIn(keys);
    const r = await keygen('--out', keys, '--force');
    expect(r.code).toBe(0);
    const newId = await keyidIn(keys);
    expect(newId).not.toBe(oldId);
    expect(r.stdout).toContain(`old key id:  ${oldId}\n`);
    expect(r.stdout).toContain(`new key id:  ${newId}\n`);
    expect(r.stderr).toMatch(
      new RegExp(
        `^warning: devices that pin only the old key \\(${oldId}\\) will refuse manifests signed only by the new one .*unless the app pins both.*--key may be repeated`,
      ),
    );
    expect((await stat(join(keys, 'baton-private.json'))).mode & 0o777).toBe(0o600);
  });

  it('--force --json names both key ids', async () => {
    const keys = join(dir, 'force-json');
    expect((await keygen('--out', keys)).code).toBe(0);
    const oldId = await keyidIn(keys);
    const r = await keygen('--out', keys, '--force', '--json');
    expect(JSON.parse(r.stdout)).toEqual({
      privatePath: join(keys, 'baton-private.json'),
      publicPath: join(keys, 'baton-public.json'),
      keyid: await keyidIn(keys),
      replacedKeyid: oldId,
      dryRun: false,
    });
  });

  it('--dry-run writes nothing: not into a new directory, not over an existing pair with --force', async () => {
    const fresh = join(dir, 'dry-fresh');
    const r = await keygen('--out', fresh, '--dry-run');
    expect(r).toMatchObject({ code: 0, stdout: expect.stringMatching(/^dry run: would write a new key pair to .*dry-fresh; nothing written\n/) });
    expect(await snapshot(fresh)).toEqual(new Map());

    const keys = join(dir, 'dry-force');
    expect((await keygen('--out', keys)).code).toBe(0);
    const oldId = await keyidIn(keys);
    const before = await snapshot(keys);
    const forced = await keygen('--out', keys, '--force', '--dry-run', '--json');
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ keyid: null, replacedKeyid: oldId, dryRun: true });
    expect(await snapshot(keys)).toEqual(before);
    // Without --force the dry run refuses as the real run would.
    expect((await keygen('--out', keys, '--dry-run')).code).toBe(1);
  });

  it('--out naming a file: one line, exit 1', async () => {
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    const r = await keygen('--out', file);
    expect(r).toEqual({ code: 1, stdout: '', stderr: `baton keygen: --out ${file} is a file, not a directory\n` });
  });
});
