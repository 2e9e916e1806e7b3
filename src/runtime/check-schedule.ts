/**
 * When an open page checks for an update on its own. A browser stops an idle service worker
 * within a minute, so its interval alone would leave a tab that stays open for hours on the
 * version it started with. The page checks every `intervalMs` ± 20 % (so a fleet that started
 * together does not poll the CDN in step), never while hidden (a background tab costs nothing),
 * at once when it becomes visible again after missing a check or a minute, and at once when
 * the network comes back. Checks never overlap; a failed one is simply tried at the next tick.
 */

/** A visible page checks again on becoming visible only if its last check is older than this. */
export const VISIBLE_RECHECK_MS = 60_000;
/** Each wait is `intervalMs` × (1 ± JITTER). */
export const JITTER = 0.2;

export interface CheckScheduleDeps {
  readonly check: () => Promise<unknown>;
  readonly intervalMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly setTimeout?: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout?: (handle: unknown) => void;
  /** Where `visibilitychange` fires and `visibilityState` is read (the page's `document`). */
  readonly document?: Pick<Document, 'visibilityState' | 'addEventListener' | 'removeEventListener'>;
  /** Where `online` fires (the page's `window`). */
  readonly window?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
}

export interface CheckSchedule {
  /** Records a check made elsewhere (`rt.checkForUpdate()`): the next tick counts from it. */
  noteCheck(): void;
  dispose(): void;
}

export function startCheckSchedule(deps: CheckScheduleDeps): CheckSchedule {
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  const set = deps.setTimeout ?? ((fn, ms) => globalThis.setTimeout(fn, ms));
  const clear = deps.clearTimeout ?? ((h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>));
  const doc = deps.document ?? globalThis.document;
  const win = deps.window ?? (globalThis.window as Window | undefined);
  let timer: unknown;
  let lastCheck = now();
  let running = false;
  /** A tick came while the page was hidden: check as soon as it is visible. */
  let missed = false;
  let disposed = false;

  const hidden = () => doc?.visibilityState === 'hidden';
  const arm = () => {
    if (timer !== undefined) clear(timer);
    timer = disposed ? undefined : set(tick, deps.intervalMs * (1 - JITTER + 2 * JITTER * random()));
  };
  const run = () => {
    if (disposed) return;
    // One at a time: a tick that finds a check still running waits for the next one.
    if (running) {
      arm();
      return;
    }
    running = true;
    missed = false;
    lastCheck = now();
    arm();
    void deps
      .check()
      .catch(() => {})
      .finally(() => (running = false));
  };
  function tick() {
    timer = undefined;
    if (hidden()) {
      missed = true;
      return;
    }
    run();
  }
  const onVisibility = () => {
    if (!hidden() && (missed || now() - lastCheck >= VISIBLE_RECHECK_MS)) run();
  };
  const onOnline = () => run();

  doc?.addEventListener('visibilitychange', onVisibility);
  win?.addEventListener('online', onOnline);
  arm();
  return {
    noteCheck() {
      lastCheck = now();
      missed = false;
      arm();
    },
    dispose() {
      disposed = true;
      if (timer !== undefined) clear(timer);
      timer = undefined;
      doc?.removeEventListener('visibilitychange', onVisibility);
      win?.removeEventListener('online', onOnline);
    },
  };
}
