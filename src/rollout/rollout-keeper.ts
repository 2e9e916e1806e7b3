/**
 * The thin effectful shell around {@link reduce}: holds the current state, applies events, and
 * writes the state to storage — at once after a transition (a switch, a verdict, a pin), and at
 * most once per `throttleMs` for the per-request counters, so the hot path never waits on
 * IndexedDB. Writes are serialised; a failed write is reported and retried with the next one.
 */
import { reduce, type RolloutEvent, type RolloutState } from './reduce';
import type { OutcomeTuple, RolloutRecord } from './rollout-record';

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
  dispose(): void;
}

export function createRolloutKeeper(deps: RolloutKeeperDeps): RolloutKeeper {
  const throttleMs = deps.throttleMs ?? 1000;
  const now = deps.now ?? Date.now;
  let state = deps.initial;
  let dirty = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let disposed = false;

  const write = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!dirty) return writing;
    dirty = false;
    const snapshot: RolloutRecord = { format: 1, state, windows: deps.windows(state), savedAt: now() };
    writing = writing.then(() =>
      deps.save(snapshot).catch((e: unknown) => {
        dirty = true;
        deps.onSaveError(e);
      }),
    );
    return writing;
  };

  return {
    get state() {
      return state;
    },
    dispatch(event) {
      const next = reduce(state, event);
      if (next === state || disposed) return state;
      state = next;
      dirty = true;
      if (event.type === 'served' || event.type === 'shadowed') {
        timer ??= setTimeout(() => void write(), throttleMs);
      } else {
        void write();
      }
      return state;
    },
    flush: write,
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
