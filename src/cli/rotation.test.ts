/** `baton resign` (freshness on a schedule) and `baton keys` (who signed, during a key rotation). */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEnvelope } from '../manifest/envelope.js';
import { parsePayloadJson } from '../manifest/verify.js';
import { mlpModel } from '../testing/models.js';
import type { Manifest } from '../types.js';
import { baton } from './test-helpers.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const DAY = 86_400_000;
let dir: string;
let reg: string;
const key = (which: string, half: 'private' | 'public') => join(dir, which, `baton-${half}.json`);
const manifest = async (): Promise<Manifest> =>
  parsePayloadJson(openEnvelope(new Uint8Array(await readFile(join(reg, 'mlp', 'manifest.json')))).payloadBytes) as Manifest;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-rotation-'));
  reg = join(dir, 'registry');
  await writeFile(join(dir, 'v1.onnx'), mlpModel(1));
  expect((await baton(T0, 'keygen', '--out', join(dir, 'old'))).code).toBe(0);
  expect((await baton(T0, 'keygen', '--out', join(dir, 'new'))).code).toBe(0);
  expect(
    (await baton(T0, 'publish', join(dir, 'v1.onnx'), '--name', 'mlp', '--version', '1.0.0', '--registry', reg, '--key', key('old', 'private'))).code,
  ).toBe(0);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('baton resign', () => {
  it('signs the same policy again with the next sequence, a new issue time and the expiry asked for', async () => {
    const before = await manifest();
    const r = await baton(T0 + DAY, 'resign', '--registry', reg, '--name', 'mlp', '--key', key('old', 'private'), '--expires', '2d');
    expect(r.code).toBe(0);
    const after = await manifest();
    expect(after).toEqual({ ...before, sequence: before.sequence + 1, issuedAt: '2026-06-02T00:00:00.000Z', expires: '2026-06-04T00:00:00.000Z' });
  });
});

describe('baton keys', () => {
  it('lists the signers and fails (exit 1) for a pinned key the manifest does not verify with', async () => {
    const r = await baton(T0, 'keys', '--registry', reg, '--name', 'mlp', '--pub', key('old', 'public'), '--pub', key('new', 'public'), '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { signedBy: string[]; pinned: { path: string; verifies: boolean }[] };
    const oldId = (JSON.parse(await readFile(key('old', 'public'), 'utf8')) as { keyid: string }).keyid;
    expect(out.signedBy).toEqual([oldId]);
    expect(out.pinned.map((k) => k.verifies)).toEqual([true, false]);
  });

  it('after signing with both keys (the transition), both verify', async () => {
    expect((await baton(T0, 'resign', '--registry', reg, '--name', 'mlp', '--key', key('old', 'private'), '--key', key('new', 'private'))).code).toBe(0);
    const r = await baton(T0, 'keys', '--registry', reg, '--name', 'mlp', '--pub', key('old', 'public'), '--pub', key('new', 'public'));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/signed by 2 key\(s\)/);
    expect(r.stdout.match(/^ok {3}/gm)).toHaveLength(2);
  });
});
