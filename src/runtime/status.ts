/** `rt.status()`: a pure projection of the runtime's parts into plain data for the app. */
import type { BatonError } from '../errors.js';
import type { Freshness } from '../manifest/freshness.js';
import type { HealthMonitor } from '../health/monitor.js';
import type { RolloutState } from '../rollout/reduce.js';
import type { VersionId } from '../types.js';
import type { WorkerInfo } from '../worker/protocol.js';
import type { ModelStatus } from '../update/messages.js';
import type { RuntimeMetrics, RuntimeStatus } from './api.js';
import type { Slot } from './slot.js';
import type { Target } from './target.js';

export interface StatusParts {
  readonly model: string;
  readonly live: Slot | undefined;
  readonly since: number;
  readonly preparing: VersionId | undefined;
  readonly fallback: Slot | undefined;
  readonly target: Target | undefined;
  readonly shadow: RuntimeStatus['shadow'];
  readonly rollout: RolloutState;
  readonly leading: boolean;
  readonly trialStats: ReturnType<HealthMonitor['stats']> | undefined;
  readonly updates: RuntimeStatus['updates'];
  readonly freshness: Freshness;
  readonly standby: RuntimeStatus['standby'];
  readonly worker: WorkerInfo;
  readonly device: ModelStatus | undefined;
  readonly lastError: BatonError | undefined;
  readonly perfNow: number;
}

export function projectStatus(p: StatusParts): RuntimeStatus {
  const { live, rollout } = p;
  return {
    model: p.model,
    ...(live
      ? { serving: { version: live.version, ep: live.load.ep, sinceMs: p.perfNow - p.since, loadMs: live.load.loadMs, warmupMs: live.load.warmupMs } }
      : {}),
    ...(p.preparing ? { preparing: p.preparing } : {}),
    ...(p.fallback ? { fallback: p.fallback.version } : {}),
    ...(p.target?.arm ? { arm: p.target.arm.name } : {}),
    ...(p.shadow ? { shadow: p.shadow } : {}),
    ...(rollout.trial ? { trial: { ...rollout.trial, ...p.trialStats } } : {}),
    trialRole: p.leading ? 'leading' : 'following',
    rollout,
    ...(rollout.localPin ? { pinned: rollout.localPin } : {}),
    ...(p.target ? { route: p.target.route } : {}),
    updates: p.updates,
    freshness: p.freshness,
    standby: p.standby,
    worker: p.worker,
    ...(p.device ? { device: p.device } : {}),
    ...(p.lastError ? { lastError: p.lastError } : {}),
  };
}

/** What serves now, for the metrics: the live version, its provider, its A/B arm, since when. */
export function servingMetrics(live: Slot | undefined, since: number, target: Target | undefined, perfNow: number): RuntimeMetrics['serving'] {
  if (!live) return undefined;
  const arm = target?.arm;
  return { version: live.version, ep: live.load.ep, ...(arm && arm.version === live.version ? { arm: arm.name } : {}), activeForMs: perfNow - since };
}
