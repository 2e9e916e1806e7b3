import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { INITIAL_ROLLOUT } from '../rollout/reduce.js';
import { createRolloutKeeper } from '../rollout/rollout-keeper.js';
import type { Manifest, Release } from '../types.js';
import type { ModelStatus } from '../update/messages.js';
import { createReconciler, type ReconcileDeps } from './reconcile.js';
import type { Serving } from './serving.js';
import type { Slot } from './slot.js';

const release = (version: string) => ({ version }) as unknown as Release;
const manifest = {
  versions: [release('1'), release('2')],
  policy: { stable: '1', killed: [], candidate: { version: '2', percent: 100, salt: 's' } },
} as unknown as Manifest;
const status = (states: Record<string, 'ready' | 'downloading'>): ModelStatus => ({
  model: 'm',
  deviceId: 'd',
  manifest,
  versions: Object.entries(states).map(([version, state]) => ({ version, state, release: release(version) })),
});

function world(st: ModelStatus, prepare: (r: Release) => Promise<Slot>, extra: Partial<ReconcileDeps> = {}) {
  const committed: [string, boolean][] = [];
  const quarantined: string[] = [];
  const said: string[] = [];
  const noted: string[] = [];
  const reported: string[] = [];
  let live: Slot | undefined;
  const serving = {
    get live() {
      return live;
    },
    prepare,
    async commit(slot: Slot, { keepFallback }: { keepFallback: boolean }) {
      committed.push([slot.version, keepFallback]);
      live = slot;
    },
  } as unknown as Serving;
  let statusReads = 0;
  const deps: ReconcileDeps = {
    status: async () => (statusReads++, st),
    route: async (_p, _d, opts) => (opts.quarantined.has('2') ? { serve: '1', hold: ['1'] } : { serve: '2', hold: ['2', '1'] }),
    quarantine: async (v) => void quarantined.push(v),
    serving,
    trial: { switched: (to: string) => to !== '1' } as unknown as ReconcileDeps['trial'],
    rollout: createRolloutKeeper({ initial: INITIAL_ROLLOUT, save: async () => {}, windows: () => ({}), onSaveError: () => {} }),
    stages: { schedule: () => {} },
    shadow: { sync: async () => {} },
    freshness: { observe: () => ({ stale: false }) },
    autoSwitch: true,
    emit: (type) => void said.push(type),
    report: (during, e) => (reported.push(during), BatonError.from(e)),
    noteError: (e) => void noted.push(e.code),
    now: () => 0,
    disposed: () => false,
    ...extra,
  };
  return { reconciler: createReconciler(deps), committed, quarantined, said, noted, reported, reads: () => statusReads, deps };
}

describe('the reconciler', () => {
  it('switches to the ready target, on trial when the trial says so', async () => {
    const w = world(status({ '1': 'ready', '2': 'ready' }), async (r) => ({ version: r.version }) as Slot);
    await w.reconciler.reconcile();
    expect(w.committed).toEqual([['2', true]]);
    expect(w.reconciler.lastTarget?.switchTo?.version).toBe('2');
  });

  it('a version that cannot load is quarantined, said once, kept as the last error, and the reconciler decides again', async () => {
    let attempts = 0;
    const w = world(status({ '1': 'ready', '2': 'ready' }), async (r) => {
      attempts++;
      if (r.version === '2' && attempts === 1) throw new BatonError('model-load-failed', 'bad graph');
      return { version: r.version } as Slot;
    });
    await w.reconciler.reconcile();
    expect(w.quarantined).toEqual(['2']);
    expect(w.said).toEqual(['load-failed']);
    expect(w.noted).toEqual(['model-load-failed']);
    // It queued a new decision after the quarantine (the stub routes to 2 again, which now loads).
    await w.reconciler.reconcile();
    expect(w.reads()).toBe(3);
    expect(w.committed).toEqual([['2', true]]);
  });

  it('decisions run one at a time, in order', async () => {
    const order: string[] = [];
    const w = world(status({ '1': 'ready', '2': 'ready' }), async (r) => {
      order.push(`prepare ${r.version}`);
      await new Promise((res) => setTimeout(res, 5));
      order.push(`prepared ${r.version}`);
      return { version: r.version } as Slot;
    });
    await Promise.all([w.reconciler.reconcile(), w.reconciler.reconcile()]);
    // The second decision saw 2 live already: nothing to do, and it did not start before the first ended.
    expect(order).toEqual(['prepare 2', 'prepared 2']);
    expect(w.committed).toEqual([['2', true]]);
  });

  it('an unexpected failure is reported, and the queue goes on', async () => {
    const w = world(status({ '1': 'ready', '2': 'ready' }), () => Promise.reject(new TypeError('a bug')));
    await w.reconciler.reconcile();
    expect(w.reported).toEqual(['switching versions']);
    expect(w.said).toEqual([]);
    expect(w.committed).toEqual([]);
    await w.reconciler.reconcile();
    expect(w.reported).toHaveLength(2);
  });
});

describe('a version held after a latency rollback', () => {
  it('is not served until its time, when the reconciler wakes up by itself and tries it again', async () => {
    let t = 1000;
    const timers: { fn: () => void; ms: number }[] = [];
    const rollout = createRolloutKeeper({
      initial: { ...INITIAL_ROLLOUT, held: { '2': { until: 5000, strikes: 1 } } },
      save: async () => {},
      windows: () => ({}),
      onSaveError: () => {},
    });
    const w = world(status({ '1': 'ready', '2': 'ready' }), async (r) => ({ version: r.version }) as Slot, {
      rollout,
      now: () => t,
      setTimeout: (fn, ms) => timers.push({ fn, ms }),
      clearTimeout: () => {},
    });
    await w.reconciler.reconcile();
    expect(w.committed).toEqual([['1', false]]);
    expect(timers.map((x) => x.ms)).toEqual([4010]);
    t = 5000;
    timers[0]!.fn();
    await w.reconciler.reconcile();
    expect(w.committed).toEqual([
      ['1', false],
      ['2', true],
    ]);
  });
});
