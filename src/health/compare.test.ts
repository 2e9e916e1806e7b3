import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH } from './defaults.js';
import type { Feeds } from '../types.js';
import { copyFeeds, outputsAgree } from './compare.js';
import { judgeShadow } from './verdict.js';

const out = (...values: number[]): Feeds => ({ y: { type: 'float32', data: Float32Array.from(values), dims: [values.length] } });

describe('outputsAgree', () => {
  it('max-abs-diff agrees within the tolerance only', () => {
    const p = { compare: 'max-abs-diff' as const, tolerance: 0.01 };
    expect(outputsAgree(out(1, 2), out(1.005, 1.995), p)).toBe(true);
    expect(outputsAgree(out(1, 2), out(1.02, 2), p)).toBe(false);
    expect(outputsAgree(out(1, 2), out(1, Number.NaN), p)).toBe(false);
    expect(outputsAgree(out(1, 2), out(1), p)).toBe(false);
    expect(outputsAgree(out(1, 2), {}, p)).toBe(false);
  });

  it('argmax agrees when the top class is the same, whatever the values', () => {
    const p = { compare: 'argmax' as const, tolerance: 0 };
    expect(outputsAgree(out(0.1, 0.7, 0.2), out(0.3, 0.4, 0.3), p)).toBe(true);
    expect(outputsAgree(out(0.1, 0.7, 0.2), out(0.5, 0.4, 0.1), p)).toBe(false);
  });

  it('copyFeeds gives independent buffers (the live run detaches the originals)', () => {
    const feeds = out(1, 2, 3);
    const copy = copyFeeds(feeds);
    (feeds['y']!.data as Float32Array)[0] = 9;
    expect(Array.from(copy['y']!.data as Float32Array)).toEqual([1, 2, 3]);
  });
});

describe('judgeShadow', () => {
  const policy = { ...DEFAULT_HEALTH, minShadowAgreement: 0.95 };
  const counts = (n: number, disagreements: number) => ({ n, errors: disagreements });

  it('rejects a candidate that agrees too rarely as soon as the evidence allows, keeps one that agrees', () => {
    // A sequential test: no minimum sample; a candidate that never agrees is out after 2 runs.
    expect(judgeShadow(counts(1, 1), policy)).toBeUndefined();
    expect(judgeShadow(counts(2, 2), policy)).toMatchObject({
      kind: 'rollback',
      reason: 'shadow-agreement',
      figures: { agreement: 0, floor: 0.95, requests: 2 },
    });
    expect(judgeShadow(counts(30, 0), policy)).toBeUndefined();
    // 2 disagreements in 100 is within what a 95 % floor allows; 5 in 100 is at it, however many runs.
    expect(judgeShadow(counts(100, 2), policy)).toBeUndefined();
    expect(judgeShadow(counts(100_000, 5000), policy)).toBeUndefined();
    expect(judgeShadow(counts(100, 20), policy)).toMatchObject({ kind: 'rollback' });
  });

  it('rejects any disagreement under a floor of 1, none under a floor of 0', () => {
    expect(judgeShadow(counts(50, 1), { ...policy, minShadowAgreement: 1 })).toMatchObject({ kind: 'rollback' });
    expect(judgeShadow(counts(50, 50), { ...policy, minShadowAgreement: 0 })).toBeUndefined();
  });
});
