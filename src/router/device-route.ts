/** `route` for one device: computes its buckets for the policy's salts, then decides. */
import type { RolloutPolicy } from '../types';
import { deviceBucket } from './bucket';
import { route, type Route, type RouteInput } from './route';

export async function routeDevice(policy: RolloutPolicy, deviceId: string, rest: Omit<RouteInput, 'policy' | 'candidateBucket' | 'abBucket'>): Promise<Route> {
  const candidateSalt = policy.candidate?.salt;
  const abSalt = policy.ab?.salt;
  return route({
    policy,
    ...rest,
    ...(candidateSalt === undefined ? {} : { candidateBucket: await deviceBucket(deviceId, candidateSalt) }),
    ...(abSalt === undefined ? {} : { abBucket: await deviceBucket(deviceId, abSalt) }),
  });
}
