/**
 * Known answers for the rollout bucket of a device: fixed device ids and salts with the bucket
 * each must land in, computed outside Baton with Node's own SHA-256 from the formula
 *
 *   bucket = (first 6 bytes of SHA-256(UTF-8(salt + ":" + deviceId)), big-endian) mod 10 000
 *
 * and written here as literals, so a change to the hashing (another separator, encoding, byte
 * count or modulus) that would reshuffle every live rollout fails src/router/bucket-vectors.test.ts
 * and e2e/rollout.spec.ts instead of passing against itself. Regenerate only for a deliberate
 * format change:
 *
 *   node -e "const c=require('crypto');const b=(id,s)=>Number(c.createHash('sha256').update(s+':'+id,'utf8').digest().readUIntBE(0,6)%10000);console.log(b('device-7','e2e-rollout-25'))"
 */

export interface BucketVector {
  readonly deviceId: string;
  readonly salt: string;
  readonly bucket: number;
}

/** The salt of the 20-device rollout in e2e/rollout.spec.ts. */
export const ROLLOUT_SALT = 'e2e-rollout-25';

/** device-0 … device-19 under {@link ROLLOUT_SALT}: at 25 % (bucket < 2500), 7, 10, 11, 14 and 17 are in. */
export const ROLLOUT_DEVICES: readonly BucketVector[] = [
  { deviceId: 'device-0', salt: ROLLOUT_SALT, bucket: 6537 },
  { deviceId: 'device-1', salt: ROLLOUT_SALT, bucket: 4997 },
  { deviceId: 'device-2', salt: ROLLOUT_SALT, bucket: 6636 },
  { deviceId: 'device-3', salt: ROLLOUT_SALT, bucket: 5241 },
  { deviceId: 'device-4', salt: ROLLOUT_SALT, bucket: 6338 },
  { deviceId: 'device-5', salt: ROLLOUT_SALT, bucket: 4966 },
  { deviceId: 'device-6', salt: ROLLOUT_SALT, bucket: 8119 },
  { deviceId: 'device-7', salt: ROLLOUT_SALT, bucket: 1099 },
  { deviceId: 'device-8', salt: ROLLOUT_SALT, bucket: 8287 },
  { deviceId: 'device-9', salt: ROLLOUT_SALT, bucket: 6900 },
  { deviceId: 'device-10', salt: ROLLOUT_SALT, bucket: 473 },
  { deviceId: 'device-11', salt: ROLLOUT_SALT, bucket: 2489 },
  { deviceId: 'device-12', salt: ROLLOUT_SALT, bucket: 9043 },
  { deviceId: 'device-13', salt: ROLLOUT_SALT, bucket: 6556 },
  { deviceId: 'device-14', salt: ROLLOUT_SALT, bucket: 1165 },
  { deviceId: 'device-15', salt: ROLLOUT_SALT, bucket: 3716 },
  { deviceId: 'device-16', salt: ROLLOUT_SALT, bucket: 8319 },
  { deviceId: 'device-17', salt: ROLLOUT_SALT, bucket: 2013 },
  { deviceId: 'device-18', salt: ROLLOUT_SALT, bucket: 6692 },
  { deviceId: 'device-19', salt: ROLLOUT_SALT, bucket: 8232 },
];

/** The rollout devices, and ids at the edges (0, 9 999, either side of 25 %), other salts, an empty id or salt, non-ASCII. */
export const BUCKET_VECTORS: readonly BucketVector[] = [
  ...ROLLOUT_DEVICES,
  { deviceId: 'edge-1895', salt: ROLLOUT_SALT, bucket: 0 },
  { deviceId: 'edge-13180', salt: ROLLOUT_SALT, bucket: 2499 },
  { deviceId: 'edge-18028', salt: ROLLOUT_SALT, bucket: 2500 },
  { deviceId: 'edge-3498', salt: ROLLOUT_SALT, bucket: 9999 },
  { deviceId: '0123456789abcdef0123456789abcdef', salt: '6.0.0:0f3c9a', bucket: 9177 },
  { deviceId: 'device-ü', salt: 'exp-42', bucket: 3298 },
  { deviceId: '', salt: 's', bucket: 6612 },
  { deviceId: 'x', salt: '', bucket: 8836 },
  { deviceId: 'ab:1', salt: 'ab:c8f0e2d4', bucket: 409 },
  { deviceId: 'synthetic-0', salt: 'release-7:salt', bucket: 1982 },
];
