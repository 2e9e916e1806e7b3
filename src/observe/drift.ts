/**
 * Drift: statistics of each input and output tensor over its newest ~8 000 sampled values
 * (mean and variance, counts over the reference's bins) per version, compared with the reference profile the manifest
 * may carry for that version (`baton publish --profile samples.json`). The comparison is the
 * population stability index, PSI = Σ (live − ref) · ln(live / ref) over the bins; by the usual
 * reading < 0.1 is stable, 0.1–0.2 a shift worth watching, ≥ 0.2 a significant shift. Only
 * these aggregates exist: no input ever leaves the device or is kept.
 */
import type { Feeds, ReleaseProfile, TensorProfile } from '../types.js';

export const DEFAULT_DRIFT_THRESHOLD = 0.2;
/** Values per tensor per observed request: a strided sample keeps the cost fixed for big tensors. */
export const VALUES_PER_TENSOR = 256;
/** No PSI on fewer values: a histogram over a handful of values is mostly noise. */
export const MIN_DRIFT_VALUES = 2_000;
const EPSILON = 1e-4;
export const PROFILE_BINS = 10;

export interface DriftMetrics {
  readonly version: string;
  readonly side: 'input' | 'output';
  readonly tensor: string;
  /** Sampled values the statistics cover now (the newest ~8 000), and seen in all. */
  readonly n: number;
  readonly total: number;
  readonly mean: number;
  readonly std: number;
  /** Against the reference profile, once enough values were seen; absent without a profile. */
  readonly psi?: number;
  readonly reference?: { readonly mean: number; readonly std: number };
  readonly drifted: boolean;
}

export interface DriftSignal {
  readonly version: string;
  readonly side: 'input' | 'output';
  readonly tensor: string;
  readonly psi: number;
  readonly threshold: number;
}

/** A reference profile of one tensor from sample values: equal-frequency bins (deciles). */
export function profileTensor(name: string, values: ArrayLike<number>, bins = PROFILE_BINS): TensorProfile {
  const finite = Array.from(values).filter(Number.isFinite);
  if (finite.length === 0) throw new RangeError(`tensor ${name}: no finite values to profile`);
  const sorted = [...finite].sort((a, b) => a - b);
  const edges = [...new Set(Array.from({ length: bins - 1 }, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / bins)]!))];
  const counts = binCounts(finite, edges);
  const mean = finite.reduce((s, v) => s + v, 0) / finite.length;
  const variance = finite.reduce((s, v) => s + (v - mean) ** 2, 0) / finite.length;
  return { name, mean, std: Math.sqrt(variance), edges, freq: counts.map((c) => c / finite.length) };
}

/** Which bin `v` falls in: bin i holds (edges[i-1], edges[i]]; the last is everything above. */
function binOf(v: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (v <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function binCounts(values: readonly number[], edges: readonly number[]): number[] {
  const counts = Array.from({ length: edges.length + 1 }, () => 0);
  for (const v of values) counts[binOf(v, edges)]!++;
  return counts;
}

export function psi(live: readonly number[], reference: readonly number[]): number {
  const total = live.reduce((s, c) => s + c, 0);
  if (total === 0) return 0;
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const a = Math.max(EPSILON, (live[i] ?? 0) / total);
    const e = Math.max(EPSILON, reference[i]!);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** Values per segment; the statistics cover the newest DRIFT_SEGMENTS segments (a sliding window). */
export const SEGMENT_VALUES = 1024;
export const DRIFT_SEGMENTS = 8;

interface Segment {
  n: number;
  sum: number;
  sumSq: number;
  readonly counts: number[] | undefined;
}

/**
 * Statistics over the newest ~8 000 sampled values of one tensor, in segments: a shift shows within
 * a window's length however long the version has served, instead of being diluted by everything
 * since it started.
 */
class TensorStats {
  total = 0;
  drifted = false;
  private segments: Segment[] = [];

  constructor(readonly reference: TensorProfile | undefined) {}

  private current(): Segment {
    let seg = this.segments.at(-1);
    if (!seg || seg.n >= SEGMENT_VALUES) {
      seg = { n: 0, sum: 0, sumSq: 0, counts: this.reference ? Array.from({ length: this.reference.edges.length + 1 }, () => 0) : undefined };
      this.segments.push(seg);
      if (this.segments.length > DRIFT_SEGMENTS) this.segments.shift();
    }
    return seg;
  }

  add(data: ArrayLike<number | bigint>) {
    const step = Math.max(1, Math.floor(data.length / VALUES_PER_TENSOR));
    for (let i = 0; i < data.length; i += step) {
      const v = Number(data[i]);
      if (!Number.isFinite(v)) continue;
      const seg = this.current();
      seg.n++;
      seg.sum += v;
      seg.sumSq += v * v;
      if (seg.counts) seg.counts[binOf(v, this.reference!.edges)]!++;
      this.total++;
    }
  }

  get n() {
    return this.segments.reduce((a, s) => a + s.n, 0);
  }

  get mean() {
    const n = this.n;
    return n === 0 ? 0 : this.segments.reduce((a, s) => a + s.sum, 0) / n;
  }

  get std() {
    const n = this.n;
    if (n < 2) return 0;
    const mean = this.mean;
    return Math.sqrt(Math.max(0, this.segments.reduce((a, s) => a + s.sumSq, 0) / n - mean * mean));
  }

  psi(): number | undefined {
    if (!this.reference || this.n < MIN_DRIFT_VALUES) return undefined;
    const counts = this.reference.freq.map((_, b) => this.segments.reduce((a, s) => a + s.counts![b]!, 0));
    return psi(counts, this.reference.freq);
  }
}

export interface DriftMonitor {
  observe(side: 'input' | 'output', tensors: Feeds): void;
  /** Tensors that crossed the threshold since the last call (each is signalled once until it recovers). */
  evaluate(): DriftSignal[];
  snapshot(): DriftMetrics[];
}

export function createDriftMonitor(version: string, profile: ReleaseProfile | undefined, threshold = DEFAULT_DRIFT_THRESHOLD): DriftMonitor {
  const tensors = new Map<string, TensorStats>();
  const refs = new Map<string, TensorProfile>();
  for (const t of profile?.inputs ?? []) refs.set(`input:${t.name}`, t);
  for (const t of profile?.outputs ?? []) refs.set(`output:${t.name}`, t);
  return {
    observe(side, feeds) {
      for (const [name, t] of Object.entries(feeds)) {
        if (typeof (t.data as ArrayLike<unknown>)[0] === 'string' || t.type === 'bool') continue;
        const key = `${side}:${name}`;
        let s = tensors.get(key);
        if (!s) tensors.set(key, (s = new TensorStats(refs.get(key))));
        s.add(t.data as ArrayLike<number | bigint>);
      }
    },
    evaluate() {
      const signals: DriftSignal[] = [];
      for (const [key, s] of tensors) {
        const value = s.psi();
        if (value === undefined) continue;
        const [side, tensor] = splitKey(key);
        if (!s.drifted && value >= threshold) {
          s.drifted = true;
          signals.push({ version, side, tensor, psi: value, threshold });
        } else if (s.drifted && value < threshold / 2) {
          s.drifted = false; // recovered: a later shift is signalled again
        }
      }
      return signals;
    },
    snapshot() {
      return [...tensors].map(([key, s]) => {
        const [side, tensor] = splitKey(key);
        const value = s.psi();
        return {
          version,
          side,
          tensor,
          n: s.n,
          total: s.total,
          mean: s.mean,
          std: s.std,
          ...(value === undefined ? {} : { psi: value }),
          ...(s.reference ? { reference: { mean: s.reference.mean, std: s.reference.std } } : {}),
          drifted: s.drifted,
        };
      });
    },
  };
}

function splitKey(key: string): ['input' | 'output', string] {
  const i = key.indexOf(':');
  return [key.slice(0, i) as 'input' | 'output', key.slice(i + 1)];
}
