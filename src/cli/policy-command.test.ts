/** Every policy command takes --dry-run: the policy and sequence it would sign, nothing written. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlpModel } from '../testing/models.js';
import type { RolloutPolicy } from '../types.js';
import { baton as batonAt, snapshot } from './test-helpers.js';

const T0 = Date.parse('2026-06-01T00:00:00Z');
const baton = (...argv: string[]) => batonAt(T0, ...argv);
let dir: string;
let reg: string;
let signing: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-policy-'));
  reg = join(dir, 'registry');
  await writeFile(join(dir, 'v1.onnx'), mlpModel(1));
  await writeFile(join(dir, 'v2.onnx'), mlpModel(2));
  expect((await baton('keygen', '--out', join(dir, 'keys'))).code).toBe(0);
  signing = ['--registry', reg, '--name', 'mlp', '--key', join(dir, 'keys', 'baton-private.json')];
  expect((await baton('publish', join(dir, 'v1.onnx'), '--version', '1.0.0', ...signing)).code).toBe(0);
  expect((await baton('publish', join(dir, 'v2.onnx'), '--version', '2.0.0', '--rollout', '10', '--salt', 's', ...signing)).code).toBe(0);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// Registry: stable 1.0.0, candidate 2.0.0 at 10 % (salt s), sequence 2.
// `undefined` expects the field gone from the signed policy.
describe.each<[string[], { [K in keyof RolloutPolicy]?: RolloutPolicy[K] | undefined }]>([
  [['rollout', '--percent', '50'], { stable: '1.0.0', candidate: { version: '2.0.0', percent: 50, salt: 's' } }],
  [
    ['rollout', '--stage', '5', '--stage', '20@+1d'],
    { candidate: { version: '2.0.0', percent: 20, salt: 's', stages: [{ percent: 5 }, { percent: 20, after: '2026-06-02T00:00:00.000Z' }] } },
  ],
  [['health', '--max-p95-ratio', '3'], { health: expect.objectContaining({ maxP95Ratio: 3 }) as RolloutPolicy['health'] }],
  [['promote'], { stable: '2.0.0', candidate: undefined }],
  [['rollback', '--to', '1.0.0'], { stable: '1.0.0', candidate: undefined }],
  [['kill', '2.0.0'], { stable: '1.0.0', candidate: undefined, killed: ['2.0.0'] }],
  [['pin', '1.0.0'], { pinned: '1.0.0' }],
  [['unpin'], { pinned: undefined }],
  [
    ['ab', '--arm', 'a=1.0.0', '--arm', 'b=2.0.0:3', '--salt', 'exp'],
    {
      ab: {
        salt: 'exp',
        arms: [
          { name: 'a', version: '1.0.0', weight: 1 },
          { name: 'b', version: '2.0.0', weight: 3 },
        ],
      },
    },
  ],
  [['ab', '--end'], { ab: undefined }],
])('baton %j --dry-run', (args, expected) => {
  it('prints the policy it would sign and the next sequence; the registry is unchanged', async () => {
    const before = await snapshot(reg);
    const text = await baton(...args, ...signing, '--dry-run');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(`^dry run: ${args[0]} would sign stable .*; next manifest sequence 3\\n(health gates: .*\\n)?nothing written \\(--dry-run\\)\\n$`),
    );
    const json = await baton(...args, ...signing, '--dry-run', '--json');
    const out = JSON.parse(json.stdout) as { dryRun: boolean; sequence: number; policy: RolloutPolicy };
    expect(out).toMatchObject({ dryRun: true, sequence: 3 });
    // `key: undefined` in the table: the field must be gone from the policy.
    expect(out.policy).toMatchObject(Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined)));
    for (const [k, v] of Object.entries(expected)) if (v === undefined) expect(out.policy).not.toHaveProperty(k);
    expect(await snapshot(reg)).toEqual(before);
  });
});

describe('policy commands check before they write', () => {
  it('a dry run refuses what the real run refuses', async () => {
    const r = await baton('kill', '1.0.0', ...signing, '--dry-run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is the stable version/);
  });

  it('a model with no manifest: refused, and no folder is created for it', async () => {
    const before = await snapshot(dir);
    const r = await baton('rollout', '--percent', '5', '--registry', reg, '--name', 'ghost', '--key', join(dir, 'keys', 'baton-private.json'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model "ghost" has no manifest/);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('the real run signs what the dry run showed', async () => {
    const dry = JSON.parse((await baton('rollout', '--percent', '30', ...signing, '--dry-run', '--json')).stdout) as unknown;
    const real = JSON.parse((await baton('rollout', '--percent', '30', ...signing, '--json')).stdout) as Record<string, unknown>;
    expect({ ...real, dryRun: true }).toEqual(dry);
  });
});
