import { describe, expect, it } from 'vitest';
import { INITIAL_ROLLOUT, MAX_DECISIONS, reduce, type RolloutEvent, type RolloutState } from './reduce.js';

const run = (events: readonly RolloutEvent[], from: RolloutState = INITIAL_ROLLOUT) => events.reduce(reduce, from);
const switched = (to: string, from?: string, stable = '1', at = 1000): RolloutEvent => ({ type: 'switched', to, ...(from ? { from } : {}), stable, at });
const served = (version: string, ok = true): RolloutEvent => ({ type: 'served', version, ok });

describe('reduce', () => {
  it('serves the stable version steadily: no trial', () => {
    expect(run([switched('1')])).toEqual({ ...INITIAL_ROLLOUT, phase: 'steady', serving: '1', trial: undefined });
  });

  it('puts a non-stable version on trial against the version it replaced', () => {
    const s = run([switched('1'), switched('2', '1', '1', 5000)]);
    expect(s.phase).toBe('trial');
    expect(s.trial).toEqual({ version: '2', baseline: '1', startedAt: 5000, served: 0, failed: 0 });
  });

  it('takes the serving version as baseline when the switch names none (first load after a reload)', () => {
    const s = run([switched('1'), { type: 'switched', to: '2', stable: '1', at: 1 }]);
    expect(s.trial?.baseline).toBe('1');
    expect(run([{ type: 'switched', to: '2', stable: '1', at: 1 }]).trial).not.toHaveProperty('baseline');
  });

  it('counts the trial requests, failures and healthy runs; ignores other versions', () => {
    const s = run([switched('2', '1'), served('2'), served('2', false), served('2'), served('1')]);
    expect(s.trial).toMatchObject({ served: 3, failed: 1 });
    expect(s.healthyRuns).toEqual({ '2': 2 });
    const steady = run([switched('1')]);
    expect(reduce(steady, served('1'))).toBe(steady); // no trial: nothing to count, same object
  });

  it('resumes the same trial when its version is switched to again (reload, worker restart)', () => {
    const before = run([switched('2', '1', '1', 10), served('2'), served('2')]);
    const after = reduce(before, { type: 'switched', to: '2', stable: '1', at: 99_999 });
    expect(after.trial).toEqual(before.trial);
    expect(after.trial?.startedAt).toBe(10);
  });

  it('starts a fresh trial for another version, and ends it on the stable one', () => {
    const s = run([switched('2', '1'), served('2'), switched('3', '2', '1', 7)]);
    expect(s.trial).toEqual({ version: '3', baseline: '2', startedAt: 7, served: 0, failed: 0 });
    expect(reduce(s, switched('1', '3'))).toMatchObject({ phase: 'steady', serving: '1', trial: undefined });
  });

  it('promotes the version on trial: it serves again without a trial', () => {
    const s = run([switched('2', '1'), { type: 'promoted', version: '2', at: 50 }]);
    expect(s).toMatchObject({ phase: 'steady', trial: undefined, promoted: ['2'] });
    expect(s.decisions).toEqual([{ kind: 'promoted', version: '2', at: 50 }]);
    expect(run([switched('1', '2'), switched('2', '1')], s).phase).toBe('steady');
  });

  it('ignores a promotion of a version not on trial (a late verdict)', () => {
    const s = run([switched('2', '1'), switched('3', '2')]);
    expect(reduce(s, { type: 'promoted', version: '2', at: 1 })).toBe(s);
  });

  it('ends the trial on a rollback, forgets the version’s healthy runs, promotion and pin', () => {
    const s = run([switched('2', '1'), served('2'), { type: 'rolled-back', version: '2', reason: 'error-rate', at: 60 }]);
    expect(s).toMatchObject({ phase: 'steady', trial: undefined, healthyRuns: {} });
    expect(s.decisions.at(-1)).toEqual({ kind: 'rolled-back', version: '2', at: 60, reason: 'error-rate' });
    const pinned = run([
      { type: 'pinned', version: '2' },
      { type: 'promoted', version: '2', at: 1 },
    ]);
    expect(reduce(pinned, { type: 'rolled-back', version: '2', reason: 'latency', at: 2 }).localPin).toBeUndefined();
  });

  it('holds a version rolled back for latency alone until its retry time, counting the strikes; a new trial follows', () => {
    const first = run([switched('1'), switched('2', '1'), { type: 'rolled-back', version: '2', reason: 'latency', at: 2000, retryAt: 9000 }]);
    expect(first.held).toEqual({ '2': { until: 9000, strikes: 1 } });
    expect(first.trial).toBeUndefined();
    const again = run([switched('2', '1', '1', 9500)], first);
    expect(again.trial).toMatchObject({ version: '2', baseline: '1', served: 0 });
    const second = run([{ type: 'rolled-back', version: '2', reason: 'latency', at: 9900, retryAt: 20_000 }], again);
    expect(second.held).toEqual({ '2': { until: 20_000, strikes: 2 } });
    // A final rollback (no retryAt) leaves the strikes as they were; the version is quarantined instead.
    expect(run([{ type: 'rolled-back', version: '2', reason: 'error-rate', at: 9900 }], again).held).toEqual(first.held);
    // Forgotten with the version when the manifest no longer lists it.
    expect(run([{ type: 'manifest-changed', versions: ['1'] }], first).held).toEqual({});
  });

  it('counts paired runs and the slow ones for the version on trial only', () => {
    const s = run([
      switched('1'),
      switched('2', '1'),
      { type: 'paired', version: '2', slow: true },
      { type: 'paired', version: '2', slow: false },
      { type: 'paired', version: '9', slow: true },
    ]);
    expect(s.trial).toMatchObject({ pairs: 2, slowPairs: 1 });
  });

  it('records a shadow rejection without touching the trial of another version', () => {
    const s = run([
      switched('2', '1'),
      { type: 'shadowed', version: '3', agreed: true },
      { type: 'shadow-rejected', version: '3', reason: 'shadow-agreement', at: 5 },
    ]);
    expect(s.trial?.version).toBe('2');
    expect(s.healthyRuns).toEqual({});
    expect(s.decisions.at(-1)).toMatchObject({ kind: 'shadow-rejected', version: '3' });
  });

  it('counts agreeing shadow runs only', () => {
    const s = run([
      { type: 'shadowed', version: '2', agreed: true },
      { type: 'shadowed', version: '2', agreed: false },
      { type: 'shadowed', version: '2', agreed: true },
    ]);
    expect(s.healthyRuns).toEqual({ '2': 2 });
  });

  it('a pinned version never runs on trial; unpinning forgets the pin', () => {
    const s = run([switched('1'), { type: 'pinned', version: '3' }, switched('3', '1')]);
    expect(s).toMatchObject({ phase: 'steady', localPin: '3', trial: undefined });
    expect(reduce(s, { type: 'unpinned' }).localPin).toBeUndefined();
  });

  it('forgets what it kept about versions the manifest no longer lists', () => {
    const s = run([
      { type: 'pinned', version: '2' },
      { type: 'shadowed', version: '3', agreed: true },
      { type: 'shadowed', version: '2', agreed: true },
    ]);
    const pruned = reduce(s, { type: 'manifest-changed', versions: ['1', '3'] });
    expect(pruned.healthyRuns).toEqual({ '3': 1 });
    expect(pruned.localPin).toBeUndefined();
    expect(reduce(pruned, { type: 'manifest-changed', versions: ['1', '3'] })).toBe(pruned);
  });

  it('keeps a bounded list of decisions', () => {
    const events: RolloutEvent[] = [];
    for (let i = 0; i < MAX_DECISIONS + 5; i++) events.push(switched(`v${i}`, undefined, '1', i), { type: 'promoted', version: `v${i}`, at: i });
    const s = run(events);
    expect(s.decisions).toHaveLength(MAX_DECISIONS);
    expect(s.decisions.at(-1)?.version).toBe(`v${MAX_DECISIONS + 4}`);
  });

  it('never mutates the state it is given', () => {
    const s = Object.freeze(run([switched('2', '1')]));
    expect(() => run([served('2'), { type: 'promoted', version: '2', at: 1 }, { type: 'pinned', version: '1' }], s)).not.toThrow();
    expect(s.trial?.served).toBe(0);
  });
});
