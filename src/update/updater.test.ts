import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatonError, type BatonErrorCode } from '../errors.js';
import { generateKeyPair } from '../crypto/ed25519.js';
import { INITIAL_ROLLOUT } from '../rollout/reduce.js';
import { saveRolloutRecord } from '../rollout/rollout-record.js';
import { deviceBucket } from '../router/bucket.js';
import { openBatonDb, type BatonDb } from '../store/db.js';
import { BASE, createMemoryRegistry, testBytes, type MemoryRegistry } from '../testing/memory-registry.js';
import type { Release } from '../types.js';
import type { ModelConfig } from './config.js';
import type { UpdateEvent } from './messages.js';
import { createUpdater, type Updater, type UpdaterDeps } from './updater.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
let db: BatonDb;
let registry: MemoryRegistry;
let events: UpdateEvent[];
let n = 0;

function config(extra: Partial<ModelConfig> = {}): ModelConfig {
  return {
    name: 'mlp',
    manifestUrl: `${BASE}/manifest.json`,
    publicKeys: [registry.publicKey],
    runtime: { onnxruntimeWeb: '1.30.0', executionProviders: ['wasm'] },
    deviceId: 'device-a',
    download: { concurrency: 2, stallTimeoutMs: 1000, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } },
    ...extra,
  };
}

async function updater(extra: Partial<ModelConfig> = {}, deps: Partial<UpdaterDeps> = {}): Promise<Updater> {
  const u = createUpdater({ db, fetch: registry.fetch, notify: (e) => events.push(e), now: () => NOW, sleep: async () => {}, ...deps });
  await u.configure(config(extra));
  return u;
}

async function codeOf(p: Promise<unknown>): Promise<BatonErrorCode> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a rejection').toBeInstanceOf(BatonError);
  return (e as BatonError).code;
}

let v1: Release;
let v2: Release;

beforeEach(async () => {
  db = await openBatonDb(`updater-test-${++n}`);
  registry = await createMemoryRegistry();
  events = [];
  v1 = await registry.release('1', testBytes(512, 1), 64);
  v2 = await registry.release('2', testBytes(512, 2), 64);
});
afterEach(() => db.close());

describe('a first install', () => {
  it('verifies, downloads, marks ready and activates, telling the pages in order', async () => {
    await registry.publish([v1], { stable: '1' });
    const u = await updater();
    const result = await u.check('mlp');
    expect(result).toMatchObject({ sequence: 1, unchanged: false, ready: ['1'], failed: [] });
    expect(events.map((e) => e.type).filter((t) => t !== 'progress')).toEqual(['manifest-accepted', 'version-ready', 'version-activated']);
    expect(await u.status('mlp')).toMatchObject({ active: '1', sequence: 1, versions: [{ version: '1', state: 'ready' }] });
    const { blob } = await u.readModel('mlp');
    expect(new Uint8Array(await blob.arrayBuffer())).toEqual(testBytes(512, 1));
  });

  it('fetches nothing at all when the manifest fails verification', async () => {
    await registry.publish([v1], { stable: '1' });
    const other = await createMemoryRegistry();
    const u = await updater({ publicKeys: [other.publicKey] });
    expect(await codeOf(u.check('mlp'))).toBe('unknown-key');
    expect(registry.chunkRequests()).toEqual([]);
    expect(events).toEqual([expect.objectContaining({ type: 'update-failed', error: expect.objectContaining({ code: 'unknown-key' }) })]);
    expect(await u.status('mlp')).toMatchObject({ versions: [], lastError: { code: 'unknown-key' } });
  });

  it('refuses a model that is not configured', async () => {
    const u = createUpdater({ db, fetch: registry.fetch, notify: () => {} });
    expect(await codeOf(u.check('other'))).toBe('unavailable');
  });
});

describe('updates', () => {
  it('downloads a candidate the device is in the rollout for, without activating it', async () => {
    await registry.publish([v1], { stable: '1' });
    const u = await updater();
    await u.check('mlp');
    await registry.publish([v1, v2], { stable: '1', candidate: { version: '2', percent: 100, salt: 's' } });
    events = [];
    expect((await u.check('mlp')).ready.sort()).toEqual(['1', '2']);
    expect(events).toContainEqual(expect.objectContaining({ type: 'version-ready', version: '2', active: false }));
    expect((await u.status('mlp')).active).toBe('1');
    expect(await u.activate('mlp', '2')).toMatchObject({ active: '2', previous: '1' });
  });

  it('leaves a candidate alone on a device outside the rollout, by its stable bucket', async () => {
    // Find one device in and one out of a 50 % rollout for this salt.
    const ids = Array.from({ length: 40 }, (_, i) => `device-${i}`);
    const buckets = await Promise.all(ids.map((id) => deviceBucket(id, 'salt-x')));
    const inside = ids[buckets.findIndex((b) => b < 5000)]!;
    const outside = ids[buckets.findIndex((b) => b >= 5000)]!;
    await registry.publish([v1, v2], { stable: '1', candidate: { version: '2', percent: 50, salt: 'salt-x' } });
    expect((await (await updater({ deviceId: outside })).check('mlp')).ready).toEqual(['1']);
    await db.clear('models');
    await db.clear('versions');
    expect((await (await updater({ deviceId: inside })).check('mlp')).ready.sort()).toEqual(['1', '2']);
  });

  it('fetches a candidate whose stage needs healthy runs once the page has recorded them', async () => {
    await registry.publish([v1, v2], { stable: '1', candidate: { version: '2', percent: 100, salt: 's', stages: [{ percent: 100, minHealthyRuns: 25 }] } });
    const u = await updater();
    expect((await u.check('mlp')).ready).toEqual(['1']);
    await saveRolloutRecord(db, 'mlp', { format: 1, state: { ...INITIAL_ROLLOUT, healthyRuns: { '2': 24 } }, windows: {}, savedAt: NOW });
    expect((await u.check('mlp')).ready).toEqual(['1']);
    await saveRolloutRecord(db, 'mlp', { format: 1, state: { ...INITIAL_ROLLOUT, healthyRuns: { '2': 25 } }, windows: {}, savedAt: NOW });
    expect((await u.check('mlp')).ready.sort()).toEqual(['1', '2']);
  });

  it('fetches and holds the version the page pinned, even one the policy no longer wants', async () => {
    await registry.publish([v1, v2], { stable: '2' });
    const u = await updater();
    await u.check('mlp');
    await saveRolloutRecord(db, 'mlp', { format: 1, state: { ...INITIAL_ROLLOUT, localPin: '1' }, windows: {}, savedAt: NOW });
    const v3 = await registry.release('3', testBytes(512, 3), 64);
    await registry.publish([v1, v2, v3], { stable: '3' });
    expect((await u.check('mlp')).ready.sort()).toEqual(['1', '3']);
    expect((await u.status('mlp')).versions.map((v) => v.version).sort()).toContain('1');
  });

  it('uses the ETag: an unchanged manifest is a 304 and is still re-verified for expiry', async () => {
    await registry.publish([v1], { stable: '1' }, { expires: '2026-07-01T00:00:00.000Z' });
    let now = NOW;
    const u = await updater({}, { now: () => now });
    await u.check('mlp');
    registry.requests.length = 0;
    const again = await u.check('mlp');
    expect(again.unchanged).toBe(true);
    expect(registry.requests).toEqual(['/models/mlp/manifest.json']);
    now = Date.parse('2026-08-01T00:00:00Z');
    expect(await codeOf(u.check('mlp'))).toBe('manifest-expired');
    expect((await u.status('mlp')).active).toBe('1');
  });

  it('refuses an older manifest after a newer one (rollback attack), keeping the active version', async () => {
    await registry.publish([v1], { stable: '1' });
    const old = registry.files.get('/models/mlp/manifest.json')!;
    const u = await updater();
    await u.check('mlp');
    await registry.publish([v1, v2], { stable: '2' });
    await u.check('mlp');
    registry.files.set('/models/mlp/manifest.json', old);
    expect(await codeOf(u.check('mlp'))).toBe('manifest-rollback');
    expect(await u.status('mlp')).toMatchObject({ sequence: 2, active: '1' });
  });

  it('refuses before downloading a version this runtime cannot run', async () => {
    await registry.publish([v1], { stable: '1' });
    const u = await updater();
    await u.check('mlp');
    const newer = await registry.release('3', testBytes(256, 3), 64, { compat: { onnxruntimeWeb: '>=2.0.0', executionProviders: ['wasm'] } });
    const webgpuOnly = await registry.release('4', testBytes(256, 4), 64, { compat: { onnxruntimeWeb: '>=1.0.0', executionProviders: ['webgpu'] } });
    const otherInputs = await registry.release('5', testBytes(256, 5), 64, { inputs: [{ name: 'h', type: 'float32', shape: [1] }] });
    for (const [release, reason] of [
      [newer, 'runtime-version'],
      [webgpuOnly, 'execution-provider'],
      [otherInputs, 'interface'],
    ] as const) {
      await registry.publish([v1, release], { stable: '1', candidate: { version: release.version, percent: 100, salt: 's' } });
      registry.requests.length = 0;
      events = [];
      const result = await u.check('mlp');
      expect(result.failed).toEqual([
        { version: release.version, error: expect.objectContaining({ code: 'incompatible-model', details: expect.objectContaining({ reason }) }) },
      ]);
      expect(registry.chunkRequests()).toEqual([]);
      expect(events).toContainEqual(expect.objectContaining({ type: 'update-failed', version: release.version }));
    }
    expect((await u.status('mlp')).versions.filter((v) => v.state === 'ready').map((v) => v.version)).toEqual(['1']);
  });

  it('never downloads a quarantined version again, but does take a newer one', async () => {
    await registry.publish([v1, v2], { stable: '1', candidate: { version: '2', percent: 100, salt: 's' } });
    const u = await updater();
    await db.put('versions', { model: 'mlp', version: '2', state: 'quarantined', release: v2, updatedAt: NOW });
    expect((await u.check('mlp')).ready).toEqual(['1']);
    expect(registry.chunkRequests().length).toBe(v1.chunks.length);
    const v3 = await registry.release('3', testBytes(512, 3), 64);
    await registry.publish([v1, v2, v3], { stable: '1', candidate: { version: '3', percent: 100, salt: 's' } });
    expect((await u.check('mlp')).ready.sort()).toEqual(['1', '3']);
    expect((await u.status('mlp')).versions.find((v) => v.version === '2')?.state).toBe('quarantined');
  });

  it('stops with quota-exceeded before fetching when storage has no room, keeping the active version', async () => {
    await registry.publish([v1], { stable: '1' });
    let quota = 10_000_000;
    const u = await updater({}, { estimate: async () => ({ usage: 1000, quota }) });
    await u.check('mlp');
    quota = 1100; // 100 bytes free
    await registry.publish([v1, v2], { stable: '1', candidate: { version: '2', percent: 100, salt: 's' } });
    registry.requests.length = 0;
    const result = await u.check('mlp');
    expect(result.failed).toEqual([{ version: '2', error: expect.objectContaining({ code: 'quota-exceeded' }) }]);
    expect(registry.chunkRequests()).toEqual([]);
    expect((await u.status('mlp')).active).toBe('1');
    quota = 10_000_000;
    expect((await u.check('mlp')).ready.sort()).toEqual(['1', '2']);
  });

  it('reports a storage quota error thrown mid-download as quota-exceeded and marks nothing ready', async () => {
    await registry.publish([v1], { stable: '1' });
    const u = await updater();
    const put = db.put.bind(db);
    let puts = 0;
    (db as { put: unknown }).put = (store: string, ...rest: unknown[]) => {
      if (store === 'chunks' && ++puts > 3) return Promise.reject(new DOMException('full', 'QuotaExceededError'));
      return (put as (...a: unknown[]) => Promise<unknown>)(store, ...rest);
    };
    const result = await u.check('mlp');
    expect(result.failed).toEqual([{ version: '1', error: expect.objectContaining({ code: 'quota-exceeded' }) }]);
    expect(await u.status('mlp')).toMatchObject({ versions: [{ version: '1', state: 'failed' }] });
    expect(await codeOf(u.readModel('mlp', '1'))).toBe('version-unavailable');
  });

  it('runs one check at a time per model: concurrent callers share it and each chunk is fetched once', async () => {
    await registry.publish([v1], { stable: '1' });
    const u = await updater();
    const [a, b] = await Promise.all([u.check('mlp'), u.check('mlp')]);
    expect(a).toBe(b);
    expect(registry.chunkRequests()).toHaveLength(v1.chunks.length);
  });

  it('frees chunks no kept version needs, keeping active and previous', async () => {
    const v3 = await registry.release('3', testBytes(512, 3), 64);
    const u = await updater();
    await registry.publish([v1], { stable: '1' });
    await u.check('mlp');
    await registry.publish([v1, v2], { stable: '2' });
    await u.check('mlp');
    await u.activate('mlp', '2');
    await registry.publish([v1, v2, v3], { stable: '3' });
    await u.check('mlp');
    // v1 is still previous and must stay readable for a rollback.
    await expect(u.readModel('mlp', '1')).resolves.toBeDefined();
    await u.activate('mlp', '3');
    await registry.publish([v1, v2, v3], { stable: '3' }, { sequence: 10 });
    await u.check('mlp'); // GC now: active 3, previous 2; v1 goes
    expect(await codeOf(u.readModel('mlp', '1'))).toBe('version-unavailable');
    await expect(u.readModel('mlp', '2')).resolves.toBeDefined();
    const stored = await db.getAllKeys('chunks');
    const needed = new Set([...v2.chunks, ...v3.chunks].map((c) => c.sha256));
    expect(new Set(stored)).toEqual(needed);
  });
});

describe('a key rotation', () => {
  it('recovers from a compromised key that fast-forwarded the sequence, once the app pins only the new key', async () => {
    const stolen = registry.privateKey;
    const fresh = await generateKeyPair();
    await registry.publish([v1], { stable: '1' });
    const old = await updater();
    expect((await old.check('mlp')).ready).toEqual(['1']);
    // The thief signs a harmless manifest at the highest sequence there is: it is valid, so accepted.
    await registry.publish([v1], { stable: '1' }, { sequence: Number.MAX_SAFE_INTEGER });
    expect((await old.check('mlp')).sequence).toBe(Number.MAX_SAFE_INTEGER);
    // The publisher's next release, signed by both keys: every device on the old build refuses it.
    await registry.publish([v1, v2], { stable: '1', candidate: { version: '2', percent: 100, salt: 's' } }, { sequence: 3 }, [stolen, fresh.privateKey]);
    expect(await codeOf(old.check('mlp'))).toBe('manifest-rollback');
    expect(registry.chunkRequests().filter((p) => v2.chunks.some((c) => p.endsWith(c.sha256)))).toEqual([]);

    // The app ships a build that pins only the new key: the fast-forwarded mark is no longer its own.
    events = [];
    const rotated = await updater({ publicKeys: [fresh.publicKey] });
    const result = await rotated.check('mlp');
    expect(result).toMatchObject({ sequence: 3, ready: expect.arrayContaining(['1', '2']), failed: [] });
    expect(events.find((e) => e.type === 'manifest-accepted')).toMatchObject({ sequence: 3, keysChanged: true });
    // And the new mark binds: a replay below it is refused.
    await registry.publish([v1], { stable: '1' }, { sequence: 2 }, [fresh.privateKey]);
    expect(await codeOf(rotated.check('mlp'))).toBe('manifest-rollback');
  });

  it('keeps the mark through a rotation when the new key signed it too: no replay of an older manifest', async () => {
    const fresh = await generateKeyPair();
    await registry.publish([v1], { stable: '1' }, { sequence: 5 });
    await registry.publish([v1], { stable: '1' }, { sequence: 9 }, [registry.privateKey, fresh.privateKey]);
    const old = await updater();
    expect((await old.check('mlp')).sequence).toBe(9);
    await registry.publish([v1], { stable: '1' }, { sequence: 5 }, [fresh.privateKey]);
    const rotated = await updater({ publicKeys: [fresh.publicKey] });
    expect(await codeOf(rotated.check('mlp'))).toBe('manifest-rollback');
    expect(events.some((e) => e.type === 'manifest-accepted' && e.keysChanged)).toBe(false);
  });
});
