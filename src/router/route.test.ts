import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH } from '../health/defaults.js';
import type { RolloutPolicy } from '../types.js';
import { route } from './route.js';

const policy = (p: Partial<RolloutPolicy> = {}): RolloutPolicy => ({ stable: '1', killed: [], health: DEFAULT_HEALTH, ...p });
const none = new Set<string>();

describe('route', () => {
  it('serves the stable version by default and holds it', () => {
    expect(route({ policy: policy(), quarantined: none })).toEqual({ serve: '1', hold: ['1'] });
  });

  it('serves the candidate inside the rollout, the stable version outside it, holding both inside', () => {
    const p = policy({ candidate: { version: '2', percent: 25, salt: 's' } });
    expect(route({ policy: p, quarantined: none, candidateBucket: 2499 })).toEqual({ serve: '2', hold: ['2', '1'] });
    expect(route({ policy: p, quarantined: none, candidateBucket: 2500 })).toEqual({ serve: '1', hold: ['1'] });
    expect(route({ policy: p, quarantined: none })).toEqual({ serve: '1', hold: ['1'] });
  });

  it('follows a rolling schedule with the device clock', () => {
    const p = policy({ candidate: { version: '2', percent: 100, salt: 's', stages: [{ percent: 10 }, { percent: 100, after: '2026-12-01T00:00:00Z' }] } });
    expect(route({ policy: p, quarantined: none, candidateBucket: 5000, now: Date.parse('2026-11-30T00:00:00Z') }).serve).toBe('1');
    expect(route({ policy: p, quarantined: none, candidateBucket: 5000, now: Date.parse('2026-12-01T00:00:00Z') }).serve).toBe('2');
  });

  it('serves the A/B arm of the device bucket, by weight, ahead of a rollout', () => {
    const p = policy({
      candidate: { version: '2', percent: 100, salt: 's' },
      ab: {
        salt: 'ab',
        arms: [
          { name: 'a', version: '1', weight: 3 },
          { name: 'b', version: '3', weight: 1 },
        ],
      },
    });
    expect(route({ policy: p, quarantined: none, candidateBucket: 0, abBucket: 7499 })).toMatchObject({ serve: '1', arm: 'a' });
    expect(route({ policy: p, quarantined: none, candidateBucket: 0, abBucket: 7500 })).toMatchObject({ serve: '3', arm: 'b' });
    // An arm that cannot be served (quarantined here) leaves the device to the rollout, with no arm.
    expect(route({ policy: p, quarantined: new Set(['3']), candidateBucket: 0, abBucket: 9000 })).toEqual({ serve: '2', hold: ['2', '1'] });
  });

  it('never serves a quarantined or killed candidate', () => {
    const p = policy({ candidate: { version: '2', percent: 100, salt: 's' } });
    expect(route({ policy: p, quarantined: new Set(['2']), candidateBucket: 0 }).serve).toBe('1');
    expect(route({ policy: { ...p, killed: ['2'] }, quarantined: none, candidateBucket: 0 }).serve).toBe('1');
  });

  it('lets a manifest pin win over the rollout, and a local pin win over both', () => {
    const p = policy({ candidate: { version: '2', percent: 100, salt: 's' }, pinned: '3' });
    expect(route({ policy: p, quarantined: none, candidateBucket: 0 }).serve).toBe('3');
    expect(route({ policy: p, quarantined: none, candidateBucket: 0, localPin: '1' }).serve).toBe('1');
    expect(route({ policy: { ...p, killed: ['4'] }, quarantined: none, localPin: '4' }).serve).toBe('3');
  });
});
