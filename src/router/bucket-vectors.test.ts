/**
 * The bucket function against known answers computed outside Baton (src/testing/internal/
 * bucket-vectors.ts): a hashing change that would move live devices in or out of a rollout fails
 * here, where bucket.test.ts (stable, in range, independent across salts) would still pass.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BUCKET_VECTORS, ROLLOUT_DEVICES } from '../testing/internal/bucket-vectors.js';
import { deviceBucket, inRollout } from './bucket.js';

describe('deviceBucket, known answers', () => {
  it.each(BUCKET_VECTORS.map((v) => [v.deviceId, v.salt, v.bucket] as const))('device %j with salt %j is in bucket %i', async (deviceId, salt, bucket) => {
    expect(await deviceBucket(deviceId, salt)).toBe(bucket);
  });

  it('the literals are the documented formula (first 48 bits of SHA-256(salt ":" id), mod 10 000)', () => {
    const formula = (id: string, salt: string) => Number(createHash('sha256').update(`${salt}:${id}`, 'utf8').digest().readUIntBE(0, 6) % 10_000);
    expect(BUCKET_VECTORS.map((v) => formula(v.deviceId, v.salt))).toEqual(BUCKET_VECTORS.map((v) => v.bucket));
  });

  it('puts exactly the devices below 25 × 100 in a 25 % rollout, the edges included', () => {
    expect(ROLLOUT_DEVICES.filter((v) => inRollout(v.bucket, 25)).map((v) => v.deviceId)).toEqual([
      'device-7',
      'device-10',
      'device-11',
      'device-14',
      'device-17',
    ]);
    const edge = (bucket: number) => BUCKET_VECTORS.find((v) => v.bucket === bucket)!;
    expect([0, 2499, 2500, 9999].map((b) => inRollout(edge(b).bucket, 25))).toEqual([true, true, false, false]);
  });
});
