/** The `baton` entry point as a user runs it: a separate Node process, exit codes and all. */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlpModel } from '../testing/models.js';

const ENTRY = fileURLToPath(new URL('./baton.ts', import.meta.url));
// Absolute, because --import resolves from the child's working directory.
const TSX = pathToFileURL(join(fileURLToPath(new URL('../../node_modules/tsx/', import.meta.url)), 'dist/loader.mjs')).href;
let dir: string;

function baton(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, ENTRY, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-bin-'));
  await writeFile(join(dir, 'v1.onnx'), mlpModel(1));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the baton process', () => {
  it('keygen, publish and verify exit 0; a corrupted registry exits 1; bad usage exits 2', async () => {
    expect((await baton('keygen', '--out', 'keys')).code).toBe(0);
    const pub = await baton('publish', 'v1.onnx', '--name', 'mlp', '--version', '1', '--registry', 'reg', '--key', 'keys/baton-private.json');
    expect(pub.code, pub.stderr).toBe(0);
    expect(pub.stdout).toMatch(/published mlp 1/);
    const ok = await baton('verify', '--registry', 'reg', '--name', 'mlp', '--pub', 'keys/baton-public.json', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, sequence: 1, versions: ['1'] });

    await writeFile(join(dir, 'reg', 'mlp', 'manifest.json'), '{"payloadType": 1}');
    const bad = await baton('verify', '--registry', 'reg', '--name', 'mlp', '--pub', 'keys/baton-public.json');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL manifest-invalid/);

    const usage = await baton('publish');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Usage: baton/);

    // A second keygen into the same folder would strand every device pinning the first key.
    const again = await baton('keygen', '--out', 'keys');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^baton keygen: .* already exist .*--force replaces them/);
  }, 60_000);

  it('--version prints the version in package.json', async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await baton('--version')).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  }, 60_000);
});
