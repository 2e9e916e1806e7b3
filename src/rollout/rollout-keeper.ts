/**
 * The thin effectful shell around {@link reduce}: holds the current state, applies events, and
 * writes the state to storage — at once after a transition (a switch, a verdict, a pin), and at
 * most once per `throttleMs` for the per-request counters, so the hot path never waits on
 * IndexedDB.
 */
import { createThrottledSave } from '../store/throttled-save.js';
import { reduce, type RolloutEvent, type RolloutState } from './reduce.js';
import type { OutcomeTuple } from '../health/window.js';
import type { RolloutRecord } from './rollout-record.js';

export interface RolloutKeeperDeps {
  readonly initial: RolloutState;
  readonly save: (record: RolloutRecord) => Promise<void>;
  /** The health windows to keep with the state. */
  readonly windows: (state: RolloutState) => Readonly<Record<string, readonly OutcomeTuple[]>>;
  readonly onSaveError: (e: unknown) => void;
  readonly throttleMs?: number;
  readonly now?: () => number;
}

export interface RolloutKeeper {
  readonly state: RolloutState;
  dispatch(event: RolloutEvent): RolloutState;
  /** Writes now (if anything changed since the last write); resolves when written. */
  flush(): Promise<void>;
  /** Takes `next` as the state (another tab's, read from storage), without writing it back. */
  replace(next: RolloutState): void;
  dispose(): void;
}

export function createRolloutKeeper(deps: RolloutKeeperDeps): RolloutKeeper {
  const now = deps.now ?? Date.now;
  let state = deps.initial;
  let disposed = false;
  const saver = createThrottledSave(() => deps.save({ format: 1, state, windows: deps.windows(state), savedAt: now() }), {
    throttleMs: deps.throttleMs ?? 1000,
    onError: deps.onSaveError,
  });

  return {
    get state() {
      return state;
    },
    dispatch(event) {
      const next = reduce(state, event);
      if (next === state || disposed) return state;
      state = next;
      saver.changed(event.type !== 'served' && event.type !== 'shadowed' && event.type !== 'paired');
      return state;
    },
    flush: () => saver.flush(),
    replace(next) {
      state = next;
    },
    dispose() {
      disposed = true;
      saver.dispose();
    },
  };
}
