/**
 * A sliding window of request outcomes for one version: the last `maxCount` requests, and of
 * those only the ones younger than `maxAgeMs`, so a verdict is always about recent behaviour.
 */
export interface Outcome {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** When it finished (ms, the runtime's clock). */
  readonly at: number;
}

export interface WindowStats {
  readonly n: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
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

  stats(now: number): WindowStats {
    const live = this.items.slice(this.start).filter((o) => now - o.at <= this.maxAgeMs);
    const errors = live.filter((o) => !o.ok).length;
    const latencies = live.filter((o) => o.ok).map((o) => o.latencyMs).sort((a, b) => a - b);
    const q = (p: number) => (latencies.length === 0 ? 0 : latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
    return { n: live.length, errors, errorRate: live.length === 0 ? 0 : errors / live.length, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
  }
}
