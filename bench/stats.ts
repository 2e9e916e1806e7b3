/** Order statistics over samples; nothing here knows what is being measured. */

export const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);

/** The nearest-rank percentile (`p` in [0, 1]) of `xs`; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

export const median = (xs: readonly number[]) => {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export const spread = (xs: readonly number[]): Spread => ({ min: Math.min(...xs), median: median(xs), max: Math.max(...xs) });
