/**
 * A continuous load: one request every `intervalMs`, never waiting for the previous one (an app
 * with a steady stream of inputs), recording what each saw. Times are the page's clock.
 */
export interface LoadRecord {
  readonly i: number;
  readonly start: number;
  readonly end: number;
  /** The version that answered; absent when the request failed. */
  readonly version?: string;
  /** The error code (BatonError) or message of a failed request. */
  readonly code?: string;
}

export interface Load {
  completed(): number;
  /** Stops issuing, waits for the requests in flight, returns every record in issue order. */
  stop(): Promise<LoadRecord[]>;
}

export function startLoad(run: () => Promise<{ version: string }>, intervalMs: number): Load {
  const records: LoadRecord[] = [];
  const inflight = new Set<Promise<void>>();
  let i = 0;
  const fire = () => {
    const n = i++;
    const start = performance.now();
    const p = run()
      .then(
        (r) => void records.push({ i: n, start, end: performance.now(), version: r.version }),
        (e: unknown) => void records.push({ i: n, start, end: performance.now(), code: errorCode(e) }),
      )
      .finally(() => inflight.delete(p));
    inflight.add(p);
  };
  const timer = setInterval(fire, intervalMs);
  return {
    completed: () => records.length,
    async stop() {
      clearInterval(timer);
      await Promise.all(inflight);
      return records.sort((a, b) => a.i - b.i);
    },
  };
}

export function errorCode(e: unknown): string {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' ? code : String((e as Error)?.message ?? e);
}
