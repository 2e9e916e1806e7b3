import { describe, expect, it } from 'vitest';
import type { CandidatePolicy } from '../types.js';
import { currentPercent, nextStageAt } from './schedule.js';

const t = (iso: string) => Date.parse(iso);
const candidate: CandidatePolicy = {
  version: '2',
  percent: 100,
  salt: 's',
  stages: [
    { percent: 1 },
    { percent: 10, after: '2026-12-01T00:00:00Z' },
    { percent: 50, after: '2026-12-02T00:00:00Z', minHealthyRuns: 100 },
    { percent: 100, after: '2026-12-03T00:00:00Z' },
  ],
};

describe('currentPercent', () => {
  it('uses the plain percentage when there is no schedule', () => {
    expect(currentPercent({ version: '2', percent: 25, salt: 's' }, { now: 0 })).toBe(25);
  });

  it('moves through the stages with the clock', () => {
    expect(currentPercent(candidate, { now: t('2026-11-30T00:00:00Z') })).toBe(1);
    expect(currentPercent(candidate, { now: t('2026-12-01T00:00:00Z') })).toBe(10);
    expect(currentPercent(candidate, { now: t('2026-12-03T12:00:00Z') })).toBe(100);
  });

  it('holds a stage that needs healthy runs until the device has seen them', () => {
    const now = t('2026-12-02T12:00:00Z');
    expect(currentPercent(candidate, { now, healthyRuns: 99 })).toBe(10);
    expect(currentPercent(candidate, { now, healthyRuns: 100 })).toBe(50);
  });

  it('is 0 before the first stage opens', () => {
    expect(currentPercent({ ...candidate, stages: [{ percent: 5, after: '2027-01-01T00:00:00Z' }] }, { now: t('2026-12-01T00:00:00Z') })).toBe(0);
  });

  it('says when the next time-based stage opens, so the device can re-route then', () => {
    expect(nextStageAt(candidate, t('2026-11-30T00:00:00Z'))).toBe(t('2026-12-01T00:00:00Z'));
    expect(nextStageAt(candidate, t('2026-12-01T00:00:00Z'))).toBeGreaterThan(t('2026-12-01T00:00:00Z'));
    expect(nextStageAt(candidate, t('2027-01-01T00:00:00Z'))).toBeUndefined();
    const { stages: _stages, ...unstaged } = candidate;
    expect(nextStageAt(unstaged, 0)).toBeUndefined();
  });
});
