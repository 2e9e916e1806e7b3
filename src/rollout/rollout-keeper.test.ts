import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHealthMonitor } from '../health/monitor.js';
import { DEFAULT_HEALTH } from '../health/defaults.js';
import { openBatonDb } from '../store/db.js';
import { INITIAL_ROLLOUT } from './reduce.js';
import { createRolloutKeeper } from './rollout-keeper.js';
import { loadRolloutRecord, loadRolloutState, parseRolloutRecord, rolloutKey, saveRolloutRecord, type RolloutRecord } from './rollout-record.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('createRolloutKeeper', () => {
  it('writes at once after a transition, and the per-request counters at most once per throttle period', async () => {
    vi.useFakeTimers();
    const saved: RolloutRecord[] = [];
    const keeper = createRolloutKeeper({
      initial: INITIAL_ROLLOUT,
      save: async (r) => void saved.push(r),
      windows: () => ({}),
      onSaveError: () => {},
      throttleMs: 1000,
    });
    keeper.dispatch({ type: 'switched', to: '2', from: '1', stable: '1', at: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(saved).toHaveLength(1);
    for (let i = 0; i < 50; i++) keeper.dispatch({ type: 'served', version: '2', ok: true });
    await vi.advanceTimersByTimeAsync(999);
    expect(saved).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(saved).toHaveLength(2);
    expect(saved[1]!.state.trial?.served).toBe(50);
  });

  it('does not write when nothing changed', async () => {
    const save = vi.fn<(r: RolloutRecord) => Promise<void>>(async () => {});
    const keeper = createRolloutKeeper({ initial: INITIAL_ROLLOUT, save, windows: () => ({}), onSaveError: () => {} });
    keeper.dispatch({ type: 'served', version: '9', ok: true }); // no trial: no change
    await keeper.flush();
    expect(save).not.toHaveBeenCalled();
  });

  it('reports a failed write and retries it with the next flush', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const saved: RolloutRecord[] = [];
    const keeper = createRolloutKeeper({
      initial: INITIAL_ROLLOUT,
      save: async (r) => {
        if (fail) throw new DOMException('disk full', 'QuotaExceededError');
        saved.push(r);
      },
      windows: () => ({}),
      onSaveError: (e) => errors.push(e),
    });
    keeper.dispatch({ type: 'pinned', version: '3' });
    await keeper.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    await keeper.flush();
    expect(saved.map((r) => r.state.localPin)).toEqual(['3']);
  });

  it('keeps the health windows of the trial and its baseline with the state', async () => {
    const health = createHealthMonitor(() => 1_000);
    health.record('1', true, 2, DEFAULT_HEALTH);
    health.record('2', false, 3, DEFAULT_HEALTH);
    health.record('9', true, 1, DEFAULT_HEALTH);
    const saved: RolloutRecord[] = [];
    const keeper = createRolloutKeeper({
      initial: INITIAL_ROLLOUT,
      save: async (r) => void saved.push(r),
      windows: (s) => health.snapshot([s.trial?.version, s.trial?.baseline].filter((v): v is string => v !== undefined)),
      onSaveError: () => {},
    });
    keeper.dispatch({ type: 'switched', to: '2', from: '1', stable: '1', at: 1 });
    await keeper.flush();
    expect(saved[0]!.windows).toEqual({ '2': [[0, 3, 1000]], '1': [[1, 2, 1000]] });
  });
});

describe('the rollout record in IndexedDB', () => {
  it('round-trips, and the updater reads the pin and healthy runs from it', async () => {
    const db = await openBatonDb(`rollout-${Math.random()}`);
    expect(await loadRolloutState(db, 'mlp')).toBe(INITIAL_ROLLOUT);
    const record: RolloutRecord = {
      format: 1,
      state: { ...INITIAL_ROLLOUT, localPin: '2', healthyRuns: { '3': 40 } },
      windows: { '3': [[1, 0.5, 10]] },
      savedAt: 5,
    };
    await saveRolloutRecord(db, 'mlp', record);
    expect(await loadRolloutRecord(db, 'mlp')).toEqual(record);
    expect(await loadRolloutState(db, 'mlp')).toMatchObject({ localPin: '2', healthyRuns: { '3': 40 } });
    db.close();
  });

  it('drops a damaged or foreign record instead of trusting it', async () => {
    expect(parseRolloutRecord(undefined)).toBeUndefined();
    expect(parseRolloutRecord({ format: 2, state: INITIAL_ROLLOUT, windows: {}, savedAt: 1 })).toBeUndefined();
    expect(parseRolloutRecord({ format: 1, state: { ...INITIAL_ROLLOUT, healthyRuns: { '2': -1 } }, windows: {}, savedAt: 1 })).toBeUndefined();
    expect(parseRolloutRecord({ format: 1, state: { ...INITIAL_ROLLOUT, phase: 'exploded' }, windows: {}, savedAt: 1 })).toBeUndefined();
    const db = await openBatonDb(`rollout-${Math.random()}`);
    await db.put('meta', '{garbage', rolloutKey('mlp'));
    expect(await loadRolloutState(db, 'mlp')).toBe(INITIAL_ROLLOUT);
    db.close();
  });
});

describe('health windows across a reload', () => {
  it('restore brings back the figures a judgement needs; outcomes older than the window drop out', () => {
    let now = 10_000;
    const before = createHealthMonitor(() => now);
    const policy = { ...DEFAULT_HEALTH, minRequests: 20, windowMs: 60_000 };
    for (let i = 0; i < 30; i++) before.record('1', true, 1, policy);
    for (let i = 0; i < 30; i++) before.record('2', i % 3 === 0, 1, policy); // 20 of 30 fail
    const snapshot = before.snapshot(['2', '1']);

    const after = createHealthMonitor(() => now);
    after.restore(snapshot, policy);
    expect(after.stats('2')).toMatchObject({ n: 30, errors: 20 });
    expect(after.judge({ version: '2', baseline: '1', served: 30 }, policy)).toMatchObject({ kind: 'rollback', reason: 'error-rate' });

    now += 60_001;
    expect(after.stats('2')?.n).toBe(0);
  });
});
