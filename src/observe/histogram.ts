/**
 * A streaming latency histogram with bounded relative error (DDSketch's logarithmic mapping):
 * value v > 0 falls in bucket ⌈log_γ v⌉ with γ = (1 + α)/(1 − α), so every quantile it reports
 * is within α (1 %) of the true one, in O(1) per value and a few hundred buckets for any range
 * from microseconds to minutes. Written here rather than taken from @datadog/sketches-js, which
 * bundles protobufjs (65 kB minified) for the same dozen lines.
 */
export const RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or under this (ms) count as zero: below any timer's resolution. */
const MIN_VALUE = 1e-4;

export interface HistogramSummary {
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

export class LogHistogram {
  private readonly buckets = new Map<number, number>();
  private zeros = 0;
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  add(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value <= MIN_VALUE) {
      this.zeros++;
      return;
    }
    const key = Math.ceil(Math.log(value) / LOG_GAMMA);
    this.buckets.set(key, (this.buckets.get(key) ?? 0) + 1);
  }

  /** The value at quantile q (0–1), within 1 % relative error; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    // The extremes are known exactly.
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const rank = Math.max(0, Math.min(this.count - 1, Math.floor(q * (this.count - 1))));
    if (rank < this.zeros) return 0;
    let seen = this.zeros;
    for (const key of [...this.buckets.keys()].sort((a, b) => a - b)) {
      seen += this.buckets.get(key)!;
      if (seen > rank) {
        // The bucket's midpoint in relative terms: 2γ^k/(γ+1) is within α of every value in it.
        const estimate = (2 * Math.pow(GAMMA, key)) / (GAMMA + 1);
        return Math.min(this.max, Math.max(this.min, estimate));
      }
    }
    return this.max;
  }

  merge(other: LogHistogram): void {
    for (const [key, n] of other.buckets) this.buckets.set(key, (this.buckets.get(key) ?? 0) + n);
    this.zeros += other.zeros;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  summary(): HistogramSummary {
    if (this.count === 0) return { count: 0, mean: 0, min: 0, max: 0, p50: 0, p95: 0, p99: 0 };
    return {
      count: this.count,
      mean: this.sum / this.count,
      min: this.min,
      max: this.max,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
    };
  }
}
