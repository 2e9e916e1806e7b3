import { describe, expect, it } from 'vitest';
import { createHangDetector, DEFAULT_HANG_POLICY } from './hang-detector.js';

const policy = { ...DEFAULT_HANG_POLICY, capMs: 30_000 };

describe('the hang detector', () => {
  it('waits for the cap until a version has answered minSamples runs', () => {
    const d = createHangDetector(policy);
    expect(d.thresholdMs('1')).toBe(30_000);
    for (let i = 0; i < policy.minSamples - 1; i++) d.record('1', 0.2);
    expect(d.thresholdMs('1')).toBe(30_000);
    expect(d.p99('1')).toBeUndefined();
    d.record('1', 0.2);
    expect(d.p99('1')).toBe(0.2);
  });

  it('is the floor for a fast model: 10 × a sub-millisecond p99 would call a GC pause a hang', () => {
    const d = createHangDetector(policy);
    for (let i = 0; i < 100; i++) d.record('1', 0.1 + (i % 10) * 0.01);
    expect(d.thresholdMs('1')).toBe(policy.floorMs);
  });

  it('is 10 × the recent p99 for a slower model, and the cap above it', () => {
    const d = createHangDetector(policy);
    // 200 runs: 197 of 80 ms, 3 of 120 ms. The p99 of 200 is the 198th smallest: 120 ms.
    for (let i = 0; i < 197; i++) d.record('1', 80);
    for (let i = 0; i < 3; i++) d.record('1', 120);
    expect(d.p99('1')).toBe(120);
    expect(d.thresholdMs('1')).toBe(1200);
    // Two slow outliers in 200 are below the p99: they do not move it.
    const e = createHangDetector(policy);
    for (let i = 0; i < 198; i++) e.record('1', 80);
    for (let i = 0; i < 2; i++) e.record('1', 5000);
    expect(e.thresholdMs('1')).toBe(800);
    const slow = createHangDetector(policy);
    for (let i = 0; i < 20; i++) slow.record('1', 4000);
    expect(slow.thresholdMs('1')).toBe(30_000);
  });

  it('follows the recent runs only: the window forgets old ones', () => {
    const d = createHangDetector(policy);
    for (let i = 0; i < 200; i++) d.record('1', 300);
    expect(d.thresholdMs('1')).toBe(3000);
    for (let i = 0; i < 200; i++) d.record('1', 0.5);
    expect(d.thresholdMs('1')).toBe(policy.floorMs);
  });

  it('keeps each version apart, and ignores nonsense times', () => {
    const d = createHangDetector(policy);
    for (let i = 0; i < 20; i++) d.record('slow', 100);
    for (let i = 0; i < 20; i++) d.record('fast', 1);
    d.record('fast', Number.NaN);
    d.record('fast', -5);
    expect(d.thresholdMs('slow')).toBe(1000);
    expect(d.thresholdMs('fast')).toBe(policy.floorMs);
    expect(d.thresholdMs('other')).toBe(30_000);
  });

  it('refuses a policy it cannot apply', () => {
    expect(() => createHangDetector({ ...policy, capMs: 0 })).toThrow(RangeError);
    expect(() => createHangDetector({ ...policy, minSamples: 300 })).toThrow(RangeError);
  });
});
