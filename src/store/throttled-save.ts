/**
 * Writes a value that changes often (per request) without writing per change: at once when asked
 * (`urgent`), else at most once per `throttleMs`. Writes are serialised; a failed write is
 * reported and retried with the next one, so the latest value is never lost to one bad write.
 */
export interface ThrottledSave {
  /** Marks the value changed; writes now when urgent, else within `throttleMs`. */
  changed(urgent?: boolean): void;
  /** Writes now if anything changed since the last write; resolves when written. */
  flush(): Promise<void>;
  dispose(): void;
}

export function createThrottledSave(write: () => Promise<void>, opts: { throttleMs: number; onError: (e: unknown) => void }): ThrottledSave {
  let dirty = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  let disposed = false;

  const flush = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (!dirty) return writing;
    dirty = false;
    writing = writing.then(() =>
      write().catch((e: unknown) => {
        dirty = true;
        opts.onError(e);
      }),
    );
    return writing;
  };

  return {
    changed(urgent = false) {
      if (disposed) return;
      dirty = true;
      if (urgent) void flush();
      else timer ??= setTimeout(() => void flush(), opts.throttleMs);
    },
    flush,
    dispose() {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}
