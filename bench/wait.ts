/** Thrown by a probe to stop waiting at once (the page reported a failure); other errors are retried. */
export class WaitAborted extends Error {}

/** Waiting on the page with a deadline: every wait in the bench ends, with a message saying for what. */
export async function waitUntil<T>(probe: () => Promise<T | undefined | false>, opts: { timeoutMs: number; what: string; everyMs?: number }): Promise<T> {
  const deadline = performance.now() + opts.timeoutMs;
  let last: Error | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (e) {
      if (e instanceof WaitAborted) throw e;
      last = e instanceof Error ? e : new Error(String(e));
    }
    if (performance.now() > deadline) {
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${last ? `: ${last.message}` : ''}`);
    }
    // Polling interval, not a measurement.
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 50));
  }
}

export class TimeoutError extends Error {}

/** Rejects (TimeoutError) with `what` if `promise` takes longer than `timeoutMs` (its own late rejection is then ignored). */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  promise.catch(() => {});
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
