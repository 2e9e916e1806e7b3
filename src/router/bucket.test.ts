import { describe, expect, it } from 'vitest';
import { BUCKETS, deviceBucket, inRollout, newDeviceId } from './bucket.js';

describe('deviceBucket', () => {
  it('is stable for a device and salt, in range, and independent across salts', async () => {
    const ids = Array.from({ length: 2000 }, (_, i) => `device-${i}`);
    const a = await Promise.all(ids.map((id) => deviceBucket(id, 'release-1')));
    expect(await Promise.all(ids.map((id) => deviceBucket(id, 'release-1')))).toEqual(a);
    expect(a.every((b) => Number.isInteger(b) && b >= 0 && b < BUCKETS)).toBe(true);
    const b = await Promise.all(ids.map((id) => deviceBucket(id, 'release-2')));
    // Independence: being in the first 10 % for one release says nothing about the next.
    const firstTenth = ids.filter((_, i) => inRollout(a[i]!, 10));
    const alsoNext = firstTenth.filter((id) => inRollout(b[ids.indexOf(id)]!, 10));
    expect(firstTenth.length).toBeGreaterThan(150);
    expect(alsoNext.length / firstTenth.length).toBeLessThan(0.2);
  });

  it('puts 10,000 devices within ±1 % of the target at 1, 10 and 50 %', async () => {
    const buckets = await Promise.all(Array.from({ length: 10_000 }, (_, i) => deviceBucket(`synthetic-${i}`, 'release-7:salt')));
    for (const percent of [1, 10, 50]) {
      const share = (buckets.filter((b) => inRollout(b, percent)).length / buckets.length) * 100;
      expect(Math.abs(share - percent), `${percent} % rollout got ${share.toFixed(2)} %`).toBeLessThanOrEqual(1);
    }
  });

  it('raising the percentage never removes a device', async () => {
    const buckets = await Promise.all(Array.from({ length: 500 }, (_, i) => deviceBucket(`d${i}`, 's')));
    for (const bucket of buckets) {
      let was = false;
      for (let p = 0; p <= 100; p += 0.5) {
        const now = inRollout(bucket, p);
        expect(was && !now).toBe(false);
        was = now;
      }
    }
  });

  it('makes random device ids', () => {
    expect(newDeviceId()).toMatch(/^[0-9a-f]{32}$/);
    expect(newDeviceId()).not.toBe(newDeviceId());
  });
});
