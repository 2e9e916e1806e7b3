import { describe, expect, it } from 'vitest';
import type { BatonError } from '../errors.js';
import { DEFAULT_HEALTH } from '../health/defaults.js';
import { createHealthMonitor, JUDGE_EVERY } from '../health/monitor.js';
import { INITIAL_ROLLOUT } from '../rollout/reduce.js';
import { createRolloutKeeper } from '../rollout/rollout-keeper.js';
import type { HealthPolicy } from '../types.js';
import { createTrial } from './trial.js';

const POLICY: HealthPolicy = { ...DEFAULT_HEALTH, minRequests: 10, windowRequests: 100, promoteAfterRequests: 40 };

/** A trial over the real reducer and health windows, a fake clock, and a record of what it did. */
function world(opts: { stageAt?: number } = {}) {
  let t = Date.parse('2026-06-01T00:00:00Z');
  const now = () => t;
  const rollout = createRolloutKeeper({ initial: INITIAL_ROLLOUT, save: async () => {}, windows: () => ({}), onSaveError: () => {}, now });
  const health = createHealthMonitor(now);
  const said: { type: string; event: unknown }[] = [];
  const rolledBack: { version: string; error: BatonError; final: boolean }[] = [];
  const promoted: string[] = [];
  let stagesOpened = 0;
  const trial = createTrial({
    rollout,
    health,
    policy: () => POLICY,
    candidate: () => ({ version: '2', percent: 10, salt: 's' }),
    stageEarned: (_c, _v, runs) => opts.stageAt !== undefined && runs === opts.stageAt,
    openStage: () => stagesOpened++,
    onRollback: (version, error, final) => rolledBack.push({ version, error, final }),
    latencyRetryAfterMs: 60_000,
    onPromote: (version) => promoted.push(version),
    // A stand-in gate: slow when 3 of the pairs so far are.
    isSlowPair: (c, b, p) => c > p.maxP95Ratio * b,
    judgePaired: (slow, n) => (slow >= 3 ? { kind: 'rollback', reason: 'latency', figures: { slow, pairs: n } } : undefined),
    emit: (type, event) => said.push({ type, event }),
    now,
  });
  return { trial, rollout, said, rolledBack, promoted, stages: () => stagesOpened, tick: (ms: number) => (t += ms) };
}

describe('the trial', () => {
  it('puts a candidate on trial against what it replaced, not the stable version', () => {
    const w = world();
    expect(w.trial.switched('1', undefined, '1')).toBe(false);
    expect(w.trial.switched('2', '1', '1')).toBe(true);
    expect(w.trial.isOnTrial('2')).toBe(true);
    expect(w.rollout.state.trial).toMatchObject({ version: '2', baseline: '1', served: 0, failed: 0 });
  });

  it('rolls back a version that fails every request after 4 of them (sequential gate), and says why', () => {
    const w = world();
    w.trial.switched('1', undefined, '1');
    for (let i = 0; i < 50; i++) w.trial.observe('1', true, 1);
    w.trial.switched('2', '1', '1');
    // Known answer: the baseline's 0 errors in 50 give an upper bound of ~0.1005 at alpha/2, so
    // p0 ≈ 0.1505; with a uniform prior on (p0, 1], Λ after n failures is about 1 / ((n + 1) p0^n):
    // 73 after 3 failures and 390 after 4, against a threshold of 2 / alpha = 200.
    for (let i = 0; i < 3; i++) w.trial.observe('2', false, 1);
    expect(w.rolledBack).toEqual([]);
    w.trial.observe('2', false, 1);
    expect(w.rolledBack).toHaveLength(1);
    expect(w.rolledBack[0]).toMatchObject({ version: '2', final: true, error: { code: 'unhealthy', details: { reason: 'error-rate', final: true } } });
    expect(w.said.filter((e) => e.type === 'rollback')).toMatchObject([{ event: { from: '2', reason: 'error-rate', final: true } }]);
    expect(w.rollout.state.trial).toBeUndefined();
  });

  it('promotes after promoteAfterRequests healthy requests, judging every JUDGE_EVERY-th', () => {
    const w = world();
    w.trial.switched('2', '1', '1');
    for (let i = 0; i < POLICY.promoteAfterRequests - 1; i++) w.trial.observe('2', true, 1);
    expect(w.promoted).toEqual([]);
    w.trial.observe('2', true, 1);
    // 40 is a multiple of JUDGE_EVERY (8): judged at exactly the 40th.
    expect(POLICY.promoteAfterRequests % JUDGE_EVERY).toBe(0);
    expect(w.promoted).toEqual(['2']);
    expect(w.said.filter((e) => e.type === 'promoted')).toMatchObject([{ event: { version: '2', served: 40 } }]);
    expect(w.rollout.state.promoted).toContain('2');
    expect(w.trial.isOnTrial('2')).toBe(false);
  });

  it('counts healthy runs and shadow agreement towards a stage, and opens it when earned', () => {
    const w = world({ stageAt: 3 });
    w.trial.switched('2', '1', '1');
    w.trial.observe('2', true, 1);
    w.trial.shadowed('2', true);
    expect(w.stages()).toBe(0);
    w.trial.shadowed('2', false);
    w.trial.observe('2', true, 1);
    expect(w.rollout.state.healthyRuns['2']).toBe(3);
    expect(w.stages()).toBe(1);
  });

  it('judges paired runs of the version on trial, and only of it', () => {
    const w = world();
    w.trial.switched('2', '1', '1');
    w.trial.paired('2', 10, 1);
    w.trial.paired('2', 1, 1);
    w.trial.paired('9', 10, 1);
    w.trial.paired('2', 10, 1);
    expect(w.rolledBack).toEqual([]);
    w.trial.paired('2', 10, 1);
    expect(w.rolledBack).toMatchObject([{ version: '2', error: { code: 'unhealthy', details: { reason: 'latency', slow: 3, pairs: 4 } } }]);
  });

  it('a first rollback for latency alone holds the version for a second trial; the second is final', () => {
    const w = world();
    w.trial.switched('2', '1', '1');
    for (let i = 0; i < 3; i++) w.trial.paired('2', 10, 1);
    expect(w.rolledBack).toMatchObject([{ version: '2', final: false, error: { details: { final: false, retryAt: w.tick(0) + 60_000 } } }]);
    expect(w.rollout.state.held).toEqual({ '2': { until: w.tick(0) + 60_000, strikes: 1 } });
    expect(w.said.find((e) => e.type === 'rollback')?.event).toMatchObject({ final: false, retryAt: w.tick(0) + 60_000 });
    w.tick(60_000);
    w.trial.switched('2', '1', '1');
    for (let i = 0; i < 3; i++) w.trial.paired('2', 10, 1);
    expect(w.rolledBack.map((r) => r.final)).toEqual([false, true]);
  });

  it('a version not on trial feeds its window but is never judged', () => {
    const w = world();
    w.trial.switched('1', undefined, '1');
    for (let i = 0; i < 100; i++) w.trial.observe('1', false, 1);
    expect(w.rolledBack).toEqual([]);
  });
});
