/**
 * When a run has taken long enough to call its worker hung, judged from the version's own run
 * times (`runMs`: `session.run` inside the worker) rather than one fixed timeout: a model that
 * answers in 0.2 ms is hung long before 30 s, and every request queued behind it waits meanwhile.
 * Pure: the dispatcher (run-dispatcher.ts) measures and keeps the time.
 */
import type { VersionId } from '../types.js';

export interface HangPolicy {
  /** A run is hung past this multiple of its version's recent p99 run time… */
  readonly factor: number;
  /** …but never sooner than this (ms): a GC pause or a descheduled thread stays well under it… */
  readonly floorMs: number;
  /** …and always past this (ms): `timeouts.runMs`. It also applies until `minSamples` runs were seen. */
  readonly capMs: number;
  /** Runs a version must have answered before its own times are trusted. */
  readonly minSamples: number;
  /** How many of its latest runs a version's p99 is taken over. */
  readonly window: number;
}

/**
 * 10 × p99 leaves room for inputs that take several times the usual (a longer clip, a bigger
 * batch) and for a busy device; the 500 ms floor is over 1000 × a small model's run and above
 * any pause a healthy worker takes on a loaded 2-core machine, while a fresh worker (the standby:
 * 10–30 ms to load a small model and warm it once, e2e/worker-recovery.spec.ts) still has service
 * back well within 1 s of a hang. Warm-up runs do
 * not count: they run on zeros shaped with symbolic dimensions set to 1, often far smaller than
 * real inputs.
 */
export const DEFAULT_HANG_POLICY: Omit<HangPolicy, 'capMs'> = { factor: 10, floorMs: 500, minSamples: 10, window: 200 };

export interface HangDetector {
  /** A run of `version` answered after `runMs` (measured in the worker). */
  record(version: VersionId, runMs: number): void;
  /** How long a run of `version` may go unanswered before its worker counts as hung (ms). */
  thresholdMs(version: VersionId): number;
  /** The p99 the threshold is based on, when there are enough runs to judge by. */
  p99(version: VersionId): number | undefined;
}

interface Samples {
  readonly ring: Float64Array;
  count: number;
  next: number;
  /** Recomputed lazily after a new sample. */
  p99?: number | undefined;
}

export function createHangDetector(policy: HangPolicy): HangDetector {
  if (!(policy.capMs > 0)) throw new RangeError(`hang detector: capMs must be > 0, got ${policy.capMs}`);
  if (!(policy.window >= policy.minSamples && policy.minSamples >= 1)) {
    throw new RangeError(`hang detector: need 1 ≤ minSamples ≤ window, got ${policy.minSamples} and ${policy.window}`);
  }
  const byVersion = new Map<VersionId, Samples>();

  const p99 = (version: VersionId): number | undefined => {
    const s = byVersion.get(version);
    if (!s || s.count < policy.minSamples) return undefined;
    if (s.p99 === undefined) {
      const sorted = s.ring.slice(0, s.count).sort();
      s.p99 = sorted[Math.ceil(sorted.length * 0.99) - 1]!;
    }
    return s.p99;
  };

  return {
    record(version, runMs) {
      if (!Number.isFinite(runMs) || runMs < 0) return;
      let s = byVersion.get(version);
      if (!s) byVersion.set(version, (s = { ring: new Float64Array(policy.window), count: 0, next: 0 }));
      s.ring[s.next] = runMs;
      s.next = (s.next + 1) % policy.window;
      s.count = Math.min(s.count + 1, policy.window);
      s.p99 = undefined;
    },
    thresholdMs(version) {
      const p = p99(version);
      if (p === undefined) return policy.capMs;
      return Math.min(policy.capMs, Math.max(policy.floorMs, policy.factor * p));
    },
    p99,
  };
}
