/**
 * A sliding window of request outcomes for one version: the last `maxCount` requests, and of
 * those only the ones younger than `maxAgeMs`, so a verdict is always about recent behaviour.
 */
/** One request outcome as persisted: [ok 1/0, latency ms, finished at (epoch ms)]. */
export type OutcomeTuple = readonly [number, number, number];

export interface Outcome {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** When it finished (epoch ms, so a window persisted across a reload still ages right). */
  readonly at: number;
}

export interface WindowStats {
  readonly n: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  /** p95 of the older and of the newer half of the successful requests (chronological). */
  readonly p95Older: number;
  readonly p95Newer: number;
}

export class SlidingWindow {
  private readonly items: Outcome[] = [];
  private start = 0;
  /** Every outcome ever added, not only those still in the window. */
  total = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxAgeMs: number,
  ) {
    if (!(maxCount >= 1) || !(maxAgeMs > 0)) throw new RangeError(`window needs maxCount ≥ 1 and maxAgeMs > 0, got ${maxCount}, ${maxAgeMs}`);
  }

  add(outcome: Outcome): void {
    this.items.push(outcome);
    this.total++;
    // Amortised O(1): drop from the front by index, compact once half the array is dead.
    if (this.items.length - this.start > this.maxCount) this.start++;
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items.splice(0, this.start);
      this.start = 0;
    }
  }

  /** Outcomes and errors in the count window, however old (no time filter). */
  counts(): { n: number; errors: number } {
    let errors = 0;
    for (let i = this.start; i < this.items.length; i++) if (!this.items[i]!.ok) errors++;
    return { n: this.items.length - this.start, errors };
  }

  /** The outcomes still in the count window, oldest first (a copy). */
  entries(): Outcome[] {
    return this.items.slice(this.start);
  }

  stats(now: number): WindowStats {
    const live = this.items.slice(this.start).filter((o) => now - o.at <= this.maxAgeMs);
    const errors = live.filter((o) => !o.ok).length;
    const inOrder = live.filter((o) => o.ok).map((o) => o.latencyMs);
    const half = Math.floor(inOrder.length / 2);
    const latencies = sorted(inOrder);
    return {
      n: live.length,
      errors,
      errorRate: live.length === 0 ? 0 : errors / live.length,
      p50: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      p99: quantile(latencies, 0.99),
      p95Older: quantile(sorted(inOrder.slice(0, half)), 0.95),
      p95Newer: quantile(sorted(inOrder.slice(half)), 0.95),
    };
  }
}

const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const quantile = (ascending: readonly number[], p: number) =>
  ascending.length === 0 ? 0 : ascending[Math.min(ascending.length - 1, Math.floor(p * ascending.length))]!;
