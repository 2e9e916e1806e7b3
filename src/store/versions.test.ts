import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRelease } from '../testing/sample-manifest.js';
import { openBatonDb, type BatonDb } from './db.js';
import { activate, getModel, getVersion, markReady, quarantine, setVersionState } from './versions.js';

let db: BatonDb;
let n = 0;
const reason = { name: 'BatonError' as const, code: 'unhealthy' as const, message: 'error rate 30 %' };
beforeEach(async () => {
  db = await openBatonDb(`versions-test-${++n}`);
});
afterEach(() => db.close());

describe('version state', () => {
  it('the first ready version becomes active; later ones wait to be activated', async () => {
    expect(await markReady(db, 'm', sampleRelease('1'), 1)).toBe(true);
    expect(await markReady(db, 'm', sampleRelease('2'), 2)).toBe(false);
    expect((await getModel(db, 'm')).active).toBe('1');
    expect(await activate(db, 'm', '2')).toMatchObject({ active: '2', previous: '1' });
  });

  it('refuses to activate a version that is not ready', async () => {
    await setVersionState(db, sampleRelease('3'), 'm', 'downloading', 1);
    await expect(activate(db, 'm', '3')).rejects.toMatchObject({ code: 'version-unavailable' });
    await expect(activate(db, 'm', '9')).rejects.toMatchObject({ code: 'version-unavailable' });
  });

  it('quarantine is final: an active version falls back to the previous one and stays quarantined', async () => {
    await markReady(db, 'm', sampleRelease('1'), 1);
    await markReady(db, 'm', sampleRelease('2'), 2);
    await activate(db, 'm', '2');
    expect(await quarantine(db, 'm', '2', reason, 3)).toMatchObject({ active: '1' });
    expect((await getModel(db, 'm')).previous).toBeUndefined();
    expect(await getVersion(db, 'm', '2')).toMatchObject({ state: 'quarantined', error: { message: 'error rate 30 %' } });
    // Neither a new download nor a ready mark brings it back.
    await setVersionState(db, sampleRelease('2'), 'm', 'downloading', 4);
    expect(await markReady(db, 'm', sampleRelease('2'), 5)).toBe(false);
    expect((await getVersion(db, 'm', '2'))?.state).toBe('quarantined');
    await expect(activate(db, 'm', '2')).rejects.toMatchObject({ code: 'version-unavailable' });
  });
});
