/**
 * The updater's network rules (issue #13): a check has a deadline that reaches every request; a
 * check past it rejects with `timeout`, leaves `inflight` and gives back its lock; a check() that
 * finds an old check in flight supersedes it only for another manifest.
 */
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manualTimers, settle, type ManualTimers } from '../download/manual-timers.js';
import { openBatonDb, type BatonDb } from '../store/db.js';
import { BASE, createMemoryRegistry, testBytes, type MemoryRegistry } from '../testing/memory-registry.js';
import type { Release } from '../types.js';
import type { DownloadSettings, ModelConfig } from './config.js';
import type { UpdateEvent } from './messages.js';
import { createUpdater, UNWIND_GRACE_MS, type Updater, type UpdaterDeps } from './updater.js';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const MANIFEST = '/models/mlp/manifest.json';
/** Per-request rules out of the way: these tests are about the check's own deadline. */
const DOWNLOAD: Partial<DownloadSettings> = {
  concurrency: 1,
  stallTimeoutMs: 3_600_000,
  minBytesPerSecond: 0,
  chunkDeadlineSlackMs: 3_600_000,
  manifestDeadlineMs: 1_000,
  checkDeadlineMs: 5_000,
  checkBytesPerSecond: 256, // a 256-byte release adds 1 s: the deadline of a v2 check is 6 s
  retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
};

let db: BatonDb;
let registry: MemoryRegistry;
let events: UpdateEvent[];
let timers: ManualTimers;
let n = 0;
let v1: Release;
let v2: Release;
let v3: Release;

/** A lock that runs one holder at a time and says how many hold it. */
function mutex() {
  let tail = Promise.resolve();
  let held = 0;
  return {
    held: () => held,
    lock: async <T>(_name: string, fn: () => Promise<T>): Promise<T> => {
      const before = tail;
      let release!: () => void;
      tail = new Promise((resolve) => (release = resolve));
      await before;
      held++;
      try {
        return await fn();
      } finally {
        held--;
        release();
      }
    },
  };
}

async function updater(deps: Partial<UpdaterDeps> = {}, download = DOWNLOAD): Promise<Updater> {
  const config: ModelConfig = {
    name: 'mlp',
    manifestUrl: `${BASE}/manifest.json`,
    publicKeys: [registry.publicKey],
    runtime: { onnxruntimeWeb: '1.30.0', executionProviders: ['wasm'] },
    deviceId: 'device-a',
    download,
  };
  const u = createUpdater({ db, fetch: registry.fetch, notify: (e) => events.push(e), now: () => NOW, sleep: async () => {}, timers, ...deps });
  await u.configure(config);
  return u;
}

/** Every request to `path` hangs until its signal aborts, as a fetch does. */
function hang(path: string): void {
  registry.overrides.set(
    path,
    (init) => new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))),
  );
}

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !probe(); i++) await settle();
  if (!probe()) throw new Error(`never happened: ${what}`);
}

function track<T>(p: Promise<T>) {
  const state: { done: boolean; value?: T; error?: unknown } = { done: false };
  void p.then(
    (value) => Object.assign(state, { done: true, value }),
    (error: unknown) => Object.assign(state, { done: true, error }),
  );
  return state;
}

const requestsOf = (path: string) => registry.requests.filter((p) => p === path).length;

beforeEach(async () => {
  db = await openBatonDb(`updater-network-test-${++n}`);
  registry = await createMemoryRegistry();
  events = [];
  timers = manualTimers(1_000_000);
  v1 = await registry.release('1', testBytes(256, 1), 64);
  v2 = await registry.release('2', testBytes(256, 2), 64);
  v3 = await registry.release('3', testBytes(256, 3), 64);
});
afterEach(() => db.close());

/** v1 installed; then v2 published as the candidate, with its first chunk hanging. */
async function stuckOnV2(deps: Partial<UpdaterDeps> = {}) {
  await registry.publish([v1], { stable: '1' });
  const u = await updater(deps);
  await u.check('mlp');
  await registry.publish([v1, v2], { stable: '1', candidate: { version: '2', percent: 100, salt: 's' } });
  const stuck = `/models/mlp/chunks/${v2.chunks[0]!.sha256}`;
  hang(stuck);
  registry.requests.length = 0;
  events = [];
  const first = u.check('mlp');
  const state = track(first);
  await until('the v2 chunk request', () => requestsOf(stuck) === 1);
  return { u, first, state, stuck };
}

describe('the check deadline', () => {
  it('rejects a stuck check with timeout, takes it out of inflight at once, gives back the lock, and the next check starts afresh', async () => {
    const lock = mutex();
    const { u, state } = await stuckOnV2({ lock: lock.lock });
    expect(u.checking()).toEqual(['mlp']);
    await timers.advance(5_999);
    expect(state.error ?? state.value).toBeUndefined();
    await timers.advance(1);
    expect(u.checking()).toEqual([]); // a check() from now on does not join the stuck one
    await until('the check settles', () => state.done);
    expect(state.error).toMatchObject({ code: 'timeout', details: { model: 'mlp', deadline: 6_000, scope: 'check' } });
    expect(lock.held()).toBe(0);
    expect(events).toContainEqual(expect.objectContaining({ type: 'update-failed', error: expect.objectContaining({ code: 'timeout' }) }));
    const s = await u.status('mlp');
    expect(s).toMatchObject({ active: '1', lastError: { code: 'timeout' } });
    expect(s.versions.find((v) => v.version === '2')?.state).not.toBe('ready');

    // A newer good release published meanwhile is adopted by the very next check.
    await registry.publish([v1, v3], { stable: '1', candidate: { version: '3', percent: 100, salt: 's' } });
    expect((await u.check('mlp')).ready.sort()).toEqual(['1', '3']);
  });

  it('gives back the lock after a grace period even when the aborted check does not unwind', async () => {
    const lock = mutex();
    await registry.publish([v1], { stable: '1' });
    // Storage estimation that never answers, and ignores the check's signal.
    const u = await updater({ lock: lock.lock, estimate: () => new Promise(() => {}) });
    const state = track(u.check('mlp'));
    await until('the check waits on the estimate', () => registry.requests.includes(MANIFEST) && lock.held() === 1);
    await timers.advance(5_000);
    expect(state.done).toBe(false);
    await timers.advance(UNWIND_GRACE_MS);
    await until('the check settles', () => state.done);
    expect(state.error).toMatchObject({ code: 'timeout' });
    expect(lock.held()).toBe(0);
  });

  it('grows by the time the missing bytes take at checkBytesPerSecond', async () => {
    await registry.publish([v1], { stable: '1' });
    const u = await updater({}, { ...DOWNLOAD, checkBytesPerSecond: 64 }); // v1's 256 bytes: +4 s
    for (const c of v1.chunks) hang(`/models/mlp/chunks/${c.sha256}`);
    const state = track(u.check('mlp'));
    await until('a chunk request', () => registry.requests.length > 1);
    await timers.advance(8_999);
    expect(state.done).toBe(false);
    await timers.advance(1);
    await until('the check settles', () => state.done);
    expect(state.error).toMatchObject({ code: 'timeout', details: { deadline: 9_000 } });
  });
});

describe('a check() while one is in flight', () => {
  it('joins a check younger than the manifest deadline without asking the registry', async () => {
    const { u, first } = await stuckOnV2();
    await timers.advance(500);
    expect(u.check('mlp')).toBe(first);
    await settle();
    expect(requestsOf(MANIFEST)).toBe(1);
    await timers.advance(6_000);
  });

  it('joins an older one when the registry still serves its manifest (one conditional request), and shares its fate', async () => {
    const { u, first, state } = await stuckOnV2();
    await timers.advance(1_500);
    expect(u.check('mlp')).toBe(first);
    await until('the peek', () => requestsOf(MANIFEST) === 2);
    await settle();
    expect(state.done).toBe(false);
    await timers.advance(4_500);
    await until('the check settles', () => state.done);
    expect(state.error).toMatchObject({ code: 'timeout' });
  });

  it('supersedes an older one when the registry serves another manifest: both callers get the fresh check’s result, and nothing is reported for the old one', async () => {
    const { u, first, stuck } = await stuckOnV2();
    await timers.advance(1_500);
    await registry.publish([v1, v3], { stable: '1', candidate: { version: '3', percent: 100, salt: 's' } });
    const second = u.check('mlp');
    expect(second).toBe(first);
    const result = await second;
    expect(result.ready.sort()).toEqual(['1', '3']);
    expect(result.sequence).toBe(3);
    expect(requestsOf(stuck)).toBe(1);
    // The manifest of the stuck run, the peek, the fresh run's.
    expect(requestsOf(MANIFEST)).toBe(3);
    expect(events.filter((e) => e.type === 'update-failed')).toEqual([]);
    expect((await u.status('mlp')).lastError).toBeUndefined();
    expect(u.checking()).toEqual([]);
  });

  it('a fresh check that then fails answers every caller with its own error, once', async () => {
    const { u, first } = await stuckOnV2();
    await timers.advance(1_500);
    registry.files.set(MANIFEST, new TextEncoder().encode('<html>not a manifest'));
    expect(u.check('mlp')).toBe(first);
    expect(await first.catch((e: unknown) => e)).toMatchObject({ code: 'manifest-invalid' });
    expect(events.filter((e) => e.type === 'update-failed').map((e) => e.error.code)).toEqual(['manifest-invalid']);
    expect(u.checking()).toEqual([]);
    expect((await u.status('mlp')).active).toBe('1');
  });
});
