/** `route` for one device: computes its buckets for the policy's salts, then decides. */
import type { RolloutPolicy } from '../types.js';
import { deviceBucket } from './bucket.js';
import { route, type Route, type RouteInput } from './route.js';
import { currentPercent } from './schedule.js';

export interface DeviceRoute extends Route {
  /** This device's bucket for the candidate's salt, and the candidate's percentage in force. */
  readonly candidate?: { readonly bucket: number; readonly percent: number };
  readonly abBucket?: number;
}

export async function routeDevice(
  policy: RolloutPolicy,
  deviceId: string,
  rest: Omit<RouteInput, 'policy' | 'candidateBucket' | 'abBucket'>,
): Promise<DeviceRoute> {
  const candidate = policy.candidate;
  const candidateBucket = candidate ? await deviceBucket(deviceId, candidate.salt) : undefined;
  const abBucket = policy.ab ? await deviceBucket(deviceId, policy.ab.salt) : undefined;
  const r = route({
    policy,
    ...rest,
    ...(candidateBucket === undefined ? {} : { candidateBucket }),
    ...(abBucket === undefined ? {} : { abBucket }),
  });
  const percent =
    candidate &&
    (rest.now === undefined
      ? candidate.percent
      : currentPercent(candidate, { now: rest.now, ...(rest.healthyRuns === undefined ? {} : { healthyRuns: rest.healthyRuns }) }));
  return {
    ...r,
    ...(candidateBucket === undefined || percent === undefined ? {} : { candidate: { bucket: candidateBucket, percent } }),
    ...(abBucket === undefined ? {} : { abBucket }),
  };
}
