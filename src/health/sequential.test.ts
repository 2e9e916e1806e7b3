import { describe, expect, it } from 'vitest';
import { logMixtureLikelihoodRatio, rateUpperBound, sequentialTest } from './sequential.js';
import { mulberry32 } from './simulate.js';

/** Composite Simpson's rule with `intervals` (even) intervals. */
function simpson(f: (t: number) => number, from: number, to: number, intervals = 20_000): number {
  const h = (to - from) / intervals;
  let sum = f(from) + f(to);
  for (let i = 1; i < intervals; i++) sum += (i % 2 === 1 ? 4 : 2) * f(from + i * h);
  return (sum * h) / 3;
}

/**
 * Λ_n straight from its definition: the product of the per-observation ratios f_p(x_i)/f_p0(x_i)
 * over the observations in order, integrated over the uniform prior on (p0, 1] numerically.
 */
function mixtureByDefinition(observations: readonly (0 | 1)[], p0: number): number {
  const integrand = (p: number) => observations.reduce<number>((product, x) => product * (x === 1 ? p / p0 : (1 - p) / (1 - p0)), 1) / (1 - p0);
  return simpson(integrand, p0, 1);
}

/**
 * The same, by expanding and integrating term by term (exact for small n): (1 − p)^m for
 * p0 ≤ 1/2, else p^k over s = 1 − p from 0 to 1 − p0 (so the alternating terms shrink).
 */
function mixtureByExpansion(k: number, n: number, p0: number): number {
  const m = n - k;
  const q0 = 1 - p0;
  let integral = 0;
  let choose = 1;
  if (p0 <= 0.5) {
    for (let j = 0; j <= m; j++) {
      integral += ((j % 2 === 0 ? 1 : -1) * choose * (1 - p0 ** (k + j + 1))) / (k + j + 1);
      choose = (choose * (m - j)) / (j + 1);
    }
  } else {
    for (let i = 0; i <= k; i++) {
      integral += ((i % 2 === 0 ? 1 : -1) * choose * q0 ** (m + i + 1)) / (m + i + 1);
      choose = (choose * (k - i)) / (i + 1);
    }
  }
  return integral / (p0 ** k * q0 ** m * q0);
}

/** ln of the binomial pmf, with log-factorials by summation. */
function binomialPmf(n: number): (k: number) => number {
  const lf = new Float64Array(n + 1);
  for (let i = 1; i <= n; i++) lf[i] = lf[i - 1]! + Math.log(i);
  return (k) => lf[n]! - lf[k]! - lf[n - k]!;
}

/** The smallest c with P(Binomial(n, p) ≤ c) ≥ q. */
function binomialQuantile(n: number, p: number, q: number): number {
  const ln = binomialPmf(n);
  let cdf = 0;
  for (let c = 0; c <= n; c++) {
    cdf += Math.exp(ln(c) + c * Math.log(p) + (n - c) * Math.log1p(-p));
    if (cdf >= q) return c;
  }
  return n;
}

describe('logMixtureLikelihoodRatio', () => {
  it('equals the mixture of per-observation likelihood ratios, computed from its definition', () => {
    const random = mulberry32(15);
    for (const p0 of [0.06, 0.2, 0.5]) {
      for (const n of [1, 2, 5, 12, 30]) {
        const observations = Array.from({ length: n }, () => (random() < 0.3 ? 1 : 0) as 0 | 1);
        const k = observations.reduce<number>((s, x) => s + x, 0);
        const byDefinition = Math.log(mixtureByDefinition(observations, p0));
        expect(Math.abs(logMixtureLikelihoodRatio(k, n, p0) - byDefinition), `k = ${k}, n = ${n}, p0 = ${p0}`).toBeLessThan(1e-9);
      }
    }
  });

  it('equals the exact term-by-term integral at small n, for every k', () => {
    for (const p0 of [0.01, 0.06, 0.5, 0.9]) {
      for (let n = 0; n <= 12; n++) {
        for (let k = 0; k <= n; k++) {
          const exact = Math.log(mixtureByExpansion(k, n, p0));
          expect(Math.abs(logMixtureLikelihoodRatio(k, n, p0) - exact), `k = ${k}, n = ${n}, p0 = ${p0}`).toBeLessThan(1e-8 * Math.max(1, Math.abs(exact)));
        }
      }
    }
  });

  it('matches closed forms: all failures, no failures, and the ends of p0', () => {
    // k = n: ∫_{p0}^1 p^n dp / (p0^n (1 − p0)) = (1 − p0^(n+1)) / ((n + 1) p0^n (1 − p0)).
    expect(logMixtureLikelihoodRatio(3, 3, 0.06)).toBeCloseTo(Math.log((1 - 0.06 ** 4) / (4 * 0.06 ** 3 * 0.94)), 12);
    // k = 0: ∫_{p0}^1 (1 − p)^n dp / (1 − p0)^(n+1) = 1/(n + 1).
    expect(logMixtureLikelihoodRatio(0, 40, 0.3)).toBeCloseTo(-Math.log(41), 12);
    expect(logMixtureLikelihoodRatio(0, 0, 0.3)).toBe(0);
    expect(logMixtureLikelihoodRatio(1, 5, 0)).toBe(Infinity);
    expect(logMixtureLikelihoodRatio(0, 5, 0)).toBeCloseTo(-Math.log(6), 12);
    expect(logMixtureLikelihoodRatio(5, 5, 1)).toBe(-Infinity);
  });

  it('is finite and cheap at n = 100 000 and beyond, whatever the share of failures', () => {
    const started = performance.now();
    let evaluations = 0;
    for (const n of [100_000, 10_000_000]) {
      for (const share of [0, 0.001, 0.06, 0.0601, 0.07, 0.5, 1]) {
        const k = Math.round(share * n);
        const v = logMixtureLikelihoodRatio(k, n, 0.06);
        evaluations++;
        expect(Number.isFinite(v), `k = ${k}, n = ${n}: ${v}`).toBe(true);
      }
    }
    // All 1 000 000 failing against p0 = 0.06: ln Λ ≈ n ln(1/p0), no overflow.
    expect(logMixtureLikelihoodRatio(1_000_000, 1_000_000, 0.06)).toBeCloseTo(1_000_000 * -Math.log(0.06) - Math.log(1_000_001 * 0.94), 3);
    // Generous for a loaded machine: each is a microsecond or so.
    expect((performance.now() - started) / evaluations).toBeLessThan(5);
  });

  it('is below 0 (Λ < 1) whenever k/n ≤ p0', () => {
    for (const n of [1, 10, 100, 1000]) for (let k = 0; k <= n * 0.2; k++) expect(logMixtureLikelihoodRatio(k, n, 0.2)).toBeLessThan(1e-12);
  });

  it('refuses counts that are not counts', () => {
    expect(() => logMixtureLikelihoodRatio(3, 2, 0.1)).toThrow(RangeError);
    expect(() => logMixtureLikelihoodRatio(1.5, 2, 0.1)).toThrow(RangeError);
    expect(() => logMixtureLikelihoodRatio(1, 2, 1.1)).toThrow(RangeError);
    expect(() => sequentialTest(1, 2, 0.1, 0)).toThrow(RangeError);
  });
});

describe('sequentialTest, watched after every observation', () => {
  /** Runs that rejected within `horizon` observations of a rate `p`, judged after each one. */
  function rejections(p: number, p0: number, level: number, runs: number, horizon: number, seed: number): number {
    const random = mulberry32(seed);
    let rejected = 0;
    for (let r = 0; r < runs; r++) {
      let k = 0;
      for (let n = 1; n <= horizon; n++) {
        if (random() < p) k++;
        // Below k = n·p0, Λ < 1 (tested above): the evaluation could not reject.
        if (k > n * p0 && sequentialTest(k, n, p0, level).reject) {
          rejected++;
          break;
        }
      }
    }
    return rejected;
  }

  it('rejects a true rate of exactly p0 in at most `level` of runs (Ville), at p0 = 6 % and 50 %', () => {
    const runs = 4000;
    const level = 0.05;
    const tolerance = binomialQuantile(runs, level, 0.999);
    for (const p0 of [0.06, 0.5]) {
      const rejected = rejections(p0, p0, level, runs, 500, 7);
      expect(rejected, `p0 = ${p0}: ${rejected} of ${runs} (allowed ${tolerance})`).toBeLessThanOrEqual(tolerance);
    }
  });

  it('rejects a rate below p0 (the composite null) more rarely still, and a rate far above it fast', () => {
    expect(rejections(0.03, 0.06, 0.05, 2000, 500, 8)).toBeLessThanOrEqual(binomialQuantile(2000, 0.005, 0.999));
    expect(rejections(0.5, 0.06, 0.005, 200, 40, 9)).toBe(200);
  });

  it('reports the log-likelihood ratio beside the threshold it is held to', () => {
    const t = sequentialTest(3, 3, 0.06, 0.005);
    expect(t).toMatchObject({ reject: true });
    expect(t.logThreshold).toBeCloseTo(Math.log(200), 12);
    expect(t.logLikelihoodRatio).toBeCloseTo(Math.log((1 - 0.06 ** 4) / (4 * 0.06 ** 3 * 0.94)), 12);
    expect(sequentialTest(2, 2, 0.06, 0.005).reject).toBe(false);
  });
});

describe('rateUpperBound', () => {
  it('has P(Binomial(n, u) ≤ k) = level at its bound u (Clopper–Pearson)', () => {
    for (const [k, n, level] of [
      [0, 30, 0.005],
      [2, 200, 0.005],
      [10, 30, 0.025],
      [150, 1000, 0.05],
    ] as const) {
      const u = rateUpperBound(k, n, level);
      const ln = binomialPmf(n);
      let cdf = 0;
      for (let j = 0; j <= k; j++) cdf += Math.exp(ln(j) + j * Math.log(u) + (n - j) * Math.log1p(-u));
      expect(cdf, `k = ${k}, n = ${n}`).toBeCloseTo(level, 10);
      expect(u).toBeGreaterThan(k / n);
    }
  });

  it('matches the closed form for k = 0 and is 1 where nothing bounds the rate', () => {
    expect(rateUpperBound(0, 200, 0.005)).toBeCloseTo(1 - 0.005 ** (1 / 200), 12);
    expect(rateUpperBound(0, 0, 0.005)).toBe(1);
    expect(rateUpperBound(7, 7, 0.005)).toBe(1);
  });
});
