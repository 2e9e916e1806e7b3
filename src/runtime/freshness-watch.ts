/**
 * Says when the device's manifest goes stale (see manifest/freshness.ts): once per page load for
 * each time it goes stale, again only after it was fresh in between. Emitted a macrotask later,
 * so an app that subscribes right after `createRuntime` resolves hears a start that was stale.
 */
import { freshnessOf, type Freshness } from '../manifest/freshness.js';
import type { ModelStatus } from '../update/messages.js';

export interface FreshnessWatch {
  /** Re-evaluates against what storage holds now; returns the current freshness. */
  observe(status: ModelStatus): Freshness;
  readonly current: Freshness;
}

export function createFreshnessWatch(opts: {
  readonly maxAgeMs?: number;
  readonly now?: () => number;
  readonly onStale: (freshness: Freshness) => void;
  readonly defer?: (fn: () => void) => void;
}): FreshnessWatch {
  const now = opts.now ?? Date.now;
  const defer = opts.defer ?? ((fn) => void setTimeout(fn, 0));
  let current: Freshness = { stale: false, reason: 'none' };
  let said = false;
  return {
    observe(status) {
      current = freshnessOf(status.manifest, {
        now: now(),
        ...(status.verifiedAt === undefined ? {} : { verifiedAt: status.verifiedAt }),
        ...(opts.maxAgeMs === undefined ? {} : { maxAgeMs: opts.maxAgeMs }),
      });
      if (current.stale && !said) {
        said = true;
        const stale = current;
        defer(() => opts.onStale(stale));
      } else if (!current.stale) said = false;
      return current;
    },
    get current() {
      return current;
    },
  };
}
