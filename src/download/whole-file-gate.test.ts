/**
 * The whole-file hash gates `ready` through the whole update pipeline: a release whose chunks are
 * each valid (each matches its signed hash) but do not assemble into the signed file hash is
 * refused, and the version never becomes ready or active.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBatonDb, type BatonDb } from '../store/db.js';
import { BASE, createMemoryRegistry, testBytes, type MemoryRegistry } from '../testing/memory-registry.js';
import type { UpdateEvent } from '../update/messages.js';
import { createUpdater } from '../update/updater.js';

let db: BatonDb;
let registry: MemoryRegistry;
let n = 0;

beforeEach(async () => {
  db = await openBatonDb(`whole-file-gate-${++n}`);
  registry = await createMemoryRegistry();
});
afterEach(() => db.close());

describe('the whole-file hash gate', () => {
  it('fails a version whose valid chunks assemble to another hash: hash-mismatch, never ready, never active', async () => {
    const chunks = await registry.release('1', testBytes(1024, 1), 64);
    const otherFile = await registry.release('x', testBytes(1024, 2), 64);
    await registry.publish([{ ...chunks, sha256: otherFile.sha256 }], { stable: '1' });
    const events: UpdateEvent[] = [];
    const u = createUpdater({ db, fetch: registry.fetch, notify: (e) => events.push(e), sleep: async () => {} });
    await u.configure({
      name: 'mlp',
      manifestUrl: `${BASE}/manifest.json`,
      publicKeys: [registry.publicKey],
      runtime: { onnxruntimeWeb: '1.30.0', executionProviders: ['wasm'] },
      deviceId: 'device-a',
    });

    const result = await u.check('mlp');
    expect(result.ready).toEqual([]);
    expect(result.failed).toEqual([{ version: '1', error: expect.objectContaining({ code: 'hash-mismatch' }) }]);
    const status = await u.status('mlp');
    expect(status.active).toBeUndefined();
    expect(status.versions).toEqual([expect.objectContaining({ version: '1', state: 'failed', error: expect.objectContaining({ code: 'hash-mismatch' }) })]);
    expect(events.map((e) => e.type)).not.toContain('version-ready');
    await expect(u.readModel('mlp', '1')).rejects.toMatchObject({ code: 'version-unavailable' });
  });
});
