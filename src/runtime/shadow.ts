/**
 * Shadow mode: a candidate loaded in its own worker runs, unseen, on a sampled share of the live
 * requests. Its answers are compared with the live ones and never returned; the health monitor
 * rejects it when it agrees too rarely. The live request never waits for it.
 */
import { copyFeeds, outputsAgree } from '../health/compare.js';
import type { HealthMonitor } from '../health/monitor.js';
import type { Verdict } from '../health/verdict.js';
import type { HealthPolicy, Release, ShadowPolicy, VersionId } from '../types.js';
import type { Feeds } from '../worker/protocol.js';
import type { Slot } from './slot.js';

export interface ShadowRunner {
  /** Shadows `release` under `policy` from now on (undefined: no shadow). */
  sync(release: Release | undefined, policy: ShadowPolicy | undefined): Promise<void>;
  /** Before a live run: this request's own copy of the input if it is sampled, else undefined. */
  sample(feeds: Feeds): { slot: Slot; feeds: Feeds; policy: ShadowPolicy } | undefined;
  /** After the live result was delivered: run the sampled copy and compare. */
  after(sampled: { slot: Slot; feeds: Feeds; policy: ShadowPolicy }, liveOutputs: Feeds): void;
  status(): { version: VersionId; n: number; agreement: number } | undefined;
  dispose(): void;
}

export interface ShadowDeps {
  load(release: Release): Promise<Slot>;
  retire(slot: Slot): void;
  readonly health: HealthMonitor;
  healthPolicy(): HealthPolicy;
  /** One shadow run finished (`agreed` false when it failed or disagreed). */
  onRun(version: VersionId, agreed: boolean, latencyMs: number): void;
  /** The shadowed version failed its agreement gate (already unloaded). */
  onReject(version: VersionId, verdict: Extract<Verdict, { kind: 'rollback' }>): Promise<void>;
  report(during: string, e: unknown): void;
  random?: () => number;
}

export function createShadowRunner(deps: ShadowDeps): ShadowRunner {
  let slot: Slot | undefined;
  let policy: ShadowPolicy | undefined;
  let disposed = false;
  const random = deps.random ?? Math.random;

  async function run(s: Slot, feeds: Feeds, live: Feeds, p: ShadowPolicy) {
    const started = performance.now();
    let agreed = false;
    try {
      agreed = outputsAgree(live, (await s.run(feeds)).outputs, p);
    } catch {
      agreed = false; // a failing shadow run disagrees
    }
    const latencyMs = performance.now() - started;
    const verdict = deps.health.recordShadow(s.version, agreed, latencyMs, deps.healthPolicy());
    deps.onRun(s.version, agreed, latencyMs);
    if (verdict?.kind === 'rollback' && slot === s) {
      slot = undefined;
      deps.retire(s);
      await deps.onReject(s.version, verdict);
    }
  }

  return {
    async sync(release, next) {
      policy = next;
      if (slot?.version === release?.version) return;
      if (slot) deps.retire(slot);
      slot = undefined;
      if (!release) return;
      try {
        const loaded = await deps.load(release);
        if (disposed) return void loaded.retire();
        slot = loaded;
      } catch (e) {
        deps.report(`loading version ${release.version} to shadow`, e);
      }
    },
    sample(feeds) {
      // Copied before the live run transfers (detaches) the original buffers.
      return slot && policy && random() < policy.sampleRate ? { slot, feeds: copyFeeds(feeds), policy } : undefined;
    },
    after(sampled, liveOutputs) {
      const live = copyFeeds(liveOutputs);
      setTimeout(() => void run(sampled.slot, sampled.feeds, live, sampled.policy), 0);
    },
    status() {
      if (!slot) return undefined;
      const stats = deps.health.shadowStats(slot.version);
      return { version: slot.version, n: stats?.n ?? 0, agreement: 1 - (stats?.errorRate ?? 0) };
    },
    dispose() {
      disposed = true;
      slot?.worker.terminate();
    },
  };
}
