/**
 * Stable per-device buckets for staged rollouts, as Firebase's PercentCondition and CodePush do:
 * bucket = SHA-256(salt ":" deviceId) mod 10 000. A device is in a p % rollout iff
 * bucket < p × 100, so raising p never removes a device, and a new salt per release keeps a
 * device that is always first in line from being the guinea pig of every release.
 */
import { bytesToHex } from '../crypto/encoding.js';

export const BUCKETS = 10_000;

export async function deviceBucket(deviceId: string, salt: string): Promise<number> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`${salt}:${deviceId}`)));
  // 48 bits keep the modulo bias below 10^-10; a Number holds them exactly.
  const high = (digest[0]! << 16) | (digest[1]! << 8) | digest[2]!;
  const low = (digest[3]! << 16) | (digest[4]! << 8) | digest[5]!;
  return (high * 2 ** 24 + low) % BUCKETS;
}

export function inRollout(bucket: number, percent: number): boolean {
  return bucket < Math.round(percent * 100);
}

/** A fresh random device id (persisted by the caller). */
export function newDeviceId(): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
}
