/**
 * The registry fixture's helpers against a real registry on disk and its server: publish and
 * setPolicy sign what a device verifies, the clock and expiry are the test's to set, faults
 * have handles, and the request log filters.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyManifest } from '../manifest/verify.js';
import { manifestBytes } from './registry.js';
import { createTestKeys, createTestRegistry, type TestRegistry } from './registry.js';
import { mlpModel } from './models.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DAY = 86_400_000;
let registry: TestRegistry;

beforeEach(async () => {
  registry = await createTestRegistry({ model: 'mlp' });
});
afterEach(async () => {
  await registry.dispose();
});

const verify = async (now = Date.now()) =>
  (await verifyManifest(new Uint8Array(await manifestBytes(registry)), { publicKeys: [registry.publicKey], expectedName: 'mlp', now: () => now })).manifest;

describe('createTestRegistry', () => {
  it('publishes under the default model name and setPolicy re-signs each change with the next sequence', async () => {
    await registry.publish(mlpModel(1), { version: '1' });
    await registry.publish(mlpModel(2), { version: '2', rollout: 10, salt: 'fixed' });
    expect((await verify()).policy.candidate).toMatchObject({ version: '2', percent: 10, salt: 'fixed' });

    const returned = await registry.setPolicy({ percent: 50, health: { minRequests: 10, windowRequests: 40 } });
    const served = await verify();
    expect(served).toEqual(returned);
    expect(served.sequence).toBe(3);
    expect(served.policy.candidate?.percent).toBe(50);
    expect(served.policy.health).toMatchObject({ minRequests: 10, windowRequests: 40 });

    await registry.setPolicy({ kill: '2' });
    expect((await registry.manifest()).policy).toMatchObject({ killed: ['2'] });
    await expect(registry.setPolicy({ pin: '2' })).rejects.toThrow(/killed/);
    expect((await verify()).sequence).toBe(4); // a refused change signs nothing
  });

  it('signs at the test’s clock for the test’s validity: a manifest signed ten days ago for a day is expired', async () => {
    const tenDaysAgo = Date.now() - 10 * DAY;
    await registry.publish(mlpModel(1), { version: '1', at: tenDaysAgo, expires: '1d' });
    const m = await registry.manifest();
    expect(Date.parse(m.issuedAt)).toBe(tenDaysAgo);
    expect(Date.parse(m.expires)).toBe(tenDaysAgo + DAY);
    await expect(verify()).rejects.toMatchObject({ code: 'manifest-expired' });
    await registry.publish(mlpModel(2), { version: '2' });
    await registry.setPolicy({ percent: 20 }, { at: new Date(tenDaysAgo), expires: 60_000 });
    expect(Date.parse((await registry.manifest()).expires)).toBe(tenDaysAgo + 60_000);
    await registry.setPolicy({ percent: 30 });
    expect((await verify()).policy.candidate?.percent).toBe(30);
  });

  it('lists a release, the chunks one version adds to another, and device ids on either side of the rollout', async () => {
    await registry.publish(mlpModel(1), { version: '1', chunkSize: 64 });
    await registry.publish(mlpModel(2), { version: '2', chunkSize: 64, rollout: 50 });
    const [v1, v2] = [await registry.release('1'), await registry.release('2')];
    const added = await registry.newChunks('2', '1');
    expect(added.length).toBeGreaterThan(0);
    expect(added.every((c) => v2.chunks.some((o) => o.sha256 === c.sha256) && !v1.chunks.some((o) => o.sha256 === c.sha256))).toBe(true);
    await expect(registry.release('3')).rejects.toThrow(/lists 1, 2, not 3/);
    const [inside, outside] = [await registry.findDeviceId({ serves: '2' }), await registry.findDeviceId({ serves: '1' })];
    expect(inside).not.toBe(outside);
  });

  it('faults a path until its handle removes it, and filters what the server saw', async () => {
    await registry.publish(mlpModel(1), { version: '1' });
    const url = registry.server.url + registry.paths.manifest();
    const before = Date.now();
    const handle = registry.fault(registry.paths.manifest(), { kind: 'status', status: 503 });
    expect((await fetch(url)).status).toBe(503);
    expect((await fetch(url)).status).toBe(503);
    handle.remove();
    expect(handle.active).toBe(false);
    expect((await fetch(url)).status).toBe(200);
    await fetch(`${registry.server.url}${registry.paths.chunk('0'.repeat(64))}`);

    expect(registry.requests({ path: registry.paths.manifest() }).map((r) => r.status)).toEqual([503, 503, 200]);
    expect(registry.requests({ failed: true }).map((r) => r.status)).toEqual([503, 503, 404]);
    expect(registry.requests({ failed: false }).map((r) => r.path)).toEqual([registry.paths.manifest()]);
    expect(registry.requests({ path: registry.paths.chunks() })).toHaveLength(1);
    expect(registry.requests({ since: before })).toHaveLength(4);
    expect(registry.requests({ since: Date.now() + 1_000 })).toEqual([]);
    const overHttp = (await (await fetch(`${registry.server.url}/__baton/requests?failed=true&since=${before}`)).json()) as unknown[];
    expect(overHttp).toHaveLength(3);
    expect((await fetch(`${registry.server.url}/__baton/requests?failed=maybe`)).status).toBe(400);
  });

  it('signs with a given key pair, the one an app under test pins', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-keys-'));
    try {
      const keys = await createTestKeys(dir);
      const pinned = await createTestRegistry({ model: 'mlp', keys });
      try {
        expect(pinned.publicKey).toEqual(keys.publicKey);
        await pinned.publish(mlpModel(1), { version: '1' });
        const bytes = new Uint8Array(await manifestBytes(pinned));
        await expect(verifyManifest(bytes, { publicKeys: [keys.publicKey], expectedName: 'mlp' })).resolves.toBeTruthy();
      } finally {
        await pinned.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
