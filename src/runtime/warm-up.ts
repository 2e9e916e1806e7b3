/**
 * Warming a new version beside the live one without taking the live version's cores. The worker
 * loads the new version with one warm-up run (it compiles the kernels and proves the model runs);
 * the rest run from here, one at a time, each only once the live version has no request running
 * or queued, so on a small device they fill the gaps between requests instead of overlapping
 * them. The runs go on until the run time settles (the engine has tiered up the hot path), as the
 * worker's own warm-up does at a cold start: a version that takes over while its runs are still
 * several times slower than its steady ones shows as stalled requests right after the switch.
 */

export interface WarmUpPolicy {
  /** Runs here at least (after the worker's first). */
  readonly minRuns: number;
  /** It stops once a run is within this factor of the fastest so far, either way… */
  readonly settled: number;
  /** …or after this many runs. */
  readonly maxRuns: number;
}

export const COOPERATIVE_WARMUP: WarmUpPolicy = { minRuns: 2, settled: 1.25, maxRuns: 11 };

export interface WarmUpDeps {
  /** One warm-up run on the new version; resolves with its time in the worker (ms). */
  run(): Promise<number>;
  /** Settles when the live version has no request running or queued. */
  idle(): Promise<void>;
  /** Stop early (the runtime is disposed, the version no longer wanted). */
  readonly cancelled?: () => boolean;
}

/** Runs the warm-up; resolves with the number of runs and their times. A failed run rejects. */
export async function warmUpBeside(deps: WarmUpDeps, policy: WarmUpPolicy = COOPERATIVE_WARMUP): Promise<{ runs: number; runMs: number[] }> {
  const runMs: number[] = [];
  let fastest = Infinity;
  for (let i = 0; i < policy.maxRuns; i++) {
    await deps.idle();
    if (deps.cancelled?.()) break;
    const ms = await deps.run();
    runMs.push(ms);
    // Settled: neither much slower than the fastest so far (a hiccup) nor much faster (still tiering up).
    if (i >= policy.minRuns - 1 && ms <= fastest * policy.settled && ms >= fastest / policy.settled) break;
    fastest = Math.min(fastest, ms);
  }
  return { runs: runMs.length, runMs };
}
