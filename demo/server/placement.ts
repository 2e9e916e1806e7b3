/**
 * The demo has one device, and a 50 % rollout includes a given device half the time. So the
 * server picks the candidate's bucket salt (`baton publish --salt`) for which THIS device's
 * bucket — SHA-256(salt:deviceId) mod 10 000, computed by Baton's own router code — falls inside,
 * and reports how a simulated fleet of 1000 devices splits under the same salt.
 */
import { deviceBucket, inRollout } from '../../src/router/bucket.js';
import type { DevicePlacement } from '../api.js';

export const FLEET_SIZE = 1000;

/** Where `deviceId` (and the simulated fleet) stand in a `percent` rollout of `version` salted with `salt`. */
export async function placement(deviceId: string, version: string, percent: number, salt: string): Promise<DevicePlacement> {
  const bucket = await deviceBucket(deviceId, salt);
  let fleetInside = 0;
  for (let i = 0; i < FLEET_SIZE; i++) if (inRollout(await deviceBucket(`fleet-device-${i}`, salt), percent)) fleetInside++;
  return { deviceId, version, bucket, percent, inside: inRollout(bucket, percent), fleetInside, fleetSize: FLEET_SIZE };
}

/**
 * The first salt `<model>:<version>:<n>` that puts `deviceId` inside a `percent` rollout. Half
 * the salts do at 50 %, so this takes a try or two; the bound only guards against 0 %.
 */
export async function saltPlacingInside(deviceId: string, model: string, version: string, percent: number): Promise<string> {
  for (let n = 0; n < 1000; n++) {
    const salt = `${model}:${version}:${n}`;
    if (inRollout(await deviceBucket(deviceId, salt), percent)) return salt;
  }
  throw new Error(`no salt among 1000 puts device ${deviceId} inside a ${percent} % rollout`);
}
