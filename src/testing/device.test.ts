/**
 * setDeviceId's seed writes where the updater reads, into a database Baton's own schema code
 * accepts as its own; findDeviceId agrees with the router's buckets.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { deviceBucket, inRollout } from '../router/bucket.js';
import { openBatonDb, type BatonDb } from '../store/db.js';
import { createUpdater } from '../update/updater.js';
import { DEVICE_ID_KEY, findDeviceId, seedDeviceId } from './device.js';
import { sampleManifest } from './sample-manifest.js';

let n = 0;
const freshName = () => `seed-test-${++n}`;
const updaterOn = (db: BatonDb) => createUpdater({ db, fetch: () => Promise.reject(new Error('no network in this test')), notify: () => {} });

/** Every store's key path, auto-increment flag and indexes: what a schema is. */
function shape(db: BatonDb) {
  const names = [...db.objectStoreNames].sort();
  const tx = db.transaction(names, 'readonly');
  return names.map((name) => {
    const store = tx.objectStore(name);
    const indexes = [...store.indexNames]
      .sort()
      .map((i) => ({ name: i, keyPath: store.index(i).keyPath, unique: store.index(i).unique, multiEntry: store.index(i).multiEntry }));
    return { name, keyPath: store.keyPath, autoIncrement: store.autoIncrement, indexes };
  });
}

describe('seedDeviceId', () => {
  it('creates a database identical to the one Baton creates, and the updater reads the seeded id', async () => {
    const seeded = freshName();
    await seedDeviceId({ deviceId: 'device-forced', dbName: seeded, key: DEVICE_ID_KEY });
    const db = await openBatonDb(seeded);
    const reference = await openBatonDb(freshName());
    expect(db.version).toBe(reference.version);
    expect(shape(db)).toEqual(shape(reference));
    expect((await updaterOn(db).status('mlp')).deviceId).toBe('device-forced');
    db.close();
    reference.close();
  });

  it('replaces the random id an install already drew', async () => {
    const name = freshName();
    const db = await openBatonDb(name);
    const drawn = (await updaterOn(db).status('mlp')).deviceId;
    expect(drawn).not.toBe('device-forced');
    db.close();
    await seedDeviceId({ deviceId: 'device-forced', dbName: name, key: DEVICE_ID_KEY });
    const again = await openBatonDb(name);
    expect((await updaterOn(again).status('mlp')).deviceId).toBe('device-forced');
    again.close();
  });

  it('refuses a database of the same name that is not Baton’s', async () => {
    const name = freshName();
    await new Promise<void>((resolve, reject) => {
      const req = indexedDB.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('other');
      req.onsuccess = () => {
        req.result.close();
        resolve();
      };
      req.onerror = () => reject(req.error ?? new Error('open failed'));
    });
    await expect(seedDeviceId({ deviceId: 'd', dbName: name, key: DEVICE_ID_KEY })).rejects.toThrow(/no meta store/);
  });
});

describe('findDeviceId', () => {
  // Stable 1.0.0, candidate 2.0.0 at 50 % with salt 's'.
  const policy = sampleManifest().policy;

  it('finds a device inside and one outside the rollout, as the buckets say', async () => {
    const inside = await findDeviceId(policy, { serves: '2.0.0' });
    const outside = await findDeviceId(policy, { serves: '1.0.0' });
    expect(inRollout(await deviceBucket(inside, 's'), 50)).toBe(true);
    expect(inRollout(await deviceBucket(outside, 's'), 50)).toBe(false);
  });

  it('finds an A/B arm and a shadowing device, and takes a predicate', async () => {
    const ab = {
      ...policy,
      ab: {
        salt: 'exp',
        arms: [
          { name: 'a', version: '1.0.0', weight: 1 },
          { name: 'b', version: '2.0.0', weight: 1 },
        ],
      },
    };
    const id = await findDeviceId(ab, { arm: 'b' }, { prefix: 'u' });
    expect(id).toMatch(/^u\d+$/);
    const shadowed = { ...policy, candidate: { ...policy.candidate!, shadow: { sampleRate: 1, compare: 'argmax' as const, tolerance: 0 } } };
    expect(await findDeviceId(shadowed, { serves: '1.0.0', shadow: '2.0.0' })).toBe(await findDeviceId(policy, { serves: '1.0.0' }));
    // Inside, a device holds the candidate and the stable version it would roll back to.
    expect(await findDeviceId(policy, (route) => route.hold.length === 2)).toBe(await findDeviceId(policy, { serves: '2.0.0' }));
  });

  it('throws for a wish no device can meet', async () => {
    const none = { ...policy, candidate: { ...policy.candidate!, percent: 0 } };
    await expect(findDeviceId(none, { serves: '2.0.0' }, { tries: 200 })).rejects.toThrow(/no device id among 200/);
  });
});
