import { describe, expect, it } from 'vitest';
import { logBeta, logBetaInc, logBetaUpperTail, logGamma } from './beta.js';

/** ln k! for k ≤ max, by summing logarithms: independent of the Lanczos series under test. */
function logFactorials(max: number): Float64Array {
  const out = new Float64Array(max + 1);
  for (let k = 1; k <= max; k++) out[k] = out[k - 1]! + Math.log(k);
  return out;
}

/** ln Σ exp(terms), without overflow. */
function logSumExp(terms: readonly number[]): number {
  const m = Math.max(...terms);
  return m + Math.log(terms.reduce((s, t) => s + Math.exp(t - m), 0));
}

/** For whole a, b: I_x(a, b) = P(Binomial(a + b − 1, x) ≥ a), summed term by term in log space. */
function logBetaIncBySum(x: number, a: number, b: number): number {
  const n = a + b - 1;
  const lf = logFactorials(n);
  const terms: number[] = [];
  for (let j = a; j <= n; j++) terms.push(lf[n]! - lf[j]! - lf[n - j]! + j * Math.log(x) + (n - j) * Math.log1p(-x));
  return logSumExp(terms);
}

/** Composite Simpson's rule with `intervals` (even) intervals. */
function simpson(f: (t: number) => number, from: number, to: number, intervals = 20_000): number {
  const h = (to - from) / intervals;
  let sum = f(from) + f(to);
  for (let i = 1; i < intervals; i++) sum += (i % 2 === 1 ? 4 : 2) * f(from + i * h);
  return (sum * h) / 3;
}

describe('logGamma', () => {
  it('is ln((x − 1)!) at whole numbers, to 1e-13 relative', () => {
    const lf = logFactorials(200);
    for (const x of [1, 2, 3, 5, 10, 20, 50, 100, 171, 201]) {
      expect(Math.abs(logGamma(x) - lf[x - 1]!)).toBeLessThanOrEqual(1e-13 * Math.max(1, lf[x - 1]!));
    }
  });

  it('matches Γ(1/2) = √π, published constants and a high-precision reference', () => {
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    // Γ(1/3) and Γ(1/4) (Abramowitz & Stegun, table 6.1; OEIS A073005, A068466).
    expect(Math.exp(logGamma(1 / 3))).toBeCloseTo(2.6789385347077475, 13);
    expect(Math.exp(logGamma(1 / 4))).toBeCloseTo(3.625609908221908, 13);
    // Rounded to doubles from mpmath 1.3 at 40 digits: loggamma(x).
    const reference: [number, number][] = [
      [0.1, 2.252712651734206],
      [1.5, -0.12078223763524522],
      [10, 12.801827480081469],
      [100.5, 361.4355404677776],
      [1e5, 1051287.7089736569],
      [1e7, 151180949.3694739],
    ];
    for (const [x, lg] of reference) expect(Math.abs(logGamma(x) - lg), `x = ${x}`).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(lg)));
  });

  it('agrees with the Stirling series at large x', () => {
    const stirling = (x: number) => (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
    for (const x of [50.25, 1234.5, 98_765.4321]) expect(Math.abs(logGamma(x) - stirling(x))).toBeLessThanOrEqual(1e-14 * stirling(x));
  });

  it('refuses x ≤ 0 and non-finite x', () => {
    for (const x of [0, -1, Number.NaN, Infinity]) expect(() => logGamma(x)).toThrow(RangeError);
  });
});

describe('logBetaInc', () => {
  it('matches the binomial tail sum for whole a and b, deep into the tails', () => {
    const cases: [number, number, number][] = [
      [0.3, 2, 5],
      [0.5, 50, 50],
      [0.06, 3, 28],
      [0.01, 200, 1801], // ≈ e^-292: a double would underflow to 0
      [0.94, 1001, 30], // x above the switch point: computed as 1 − I_{1−x}(b, a)
      [0.2, 1, 1],
    ];
    for (const [x, a, b] of cases) {
      const expected = logBetaIncBySum(x, a, b);
      expect(Math.abs(logBetaInc(x, a, b) - expected), `I_${x}(${a}, ${b})`).toBeLessThanOrEqual(1e-11 * Math.max(1, Math.abs(expected)));
    }
  });

  it('matches numeric integration for fractional a and b', () => {
    // t = u² smooths the integrand at 0: ∫_0^x t^(a−1)(1−t)^(b−1) dt = 2 ∫_0^√x u^(2a−1)(1−u²)^(b−1) du.
    for (const [x, a, b] of [
      [0.2, 1.5, 2.5],
      [0.7, 2.5, 3.25],
      [0.4, 3.5, 1.5],
    ] as const) {
      // B(a, b) likewise in two halves, with 1 − t = v² on the upper one.
      const f = (u: number) => 2 * u ** (2 * a - 1) * (1 - u * u) ** (b - 1);
      const g = (v: number) => 2 * v ** (2 * b - 1) * (1 - v * v) ** (a - 1);
      const whole = simpson(f, 0, Math.SQRT1_2) + simpson(g, 0, Math.SQRT1_2);
      const expected = Math.log(simpson(f, 0, Math.sqrt(x))) - Math.log(whole);
      expect(Math.abs(logBetaInc(x, a, b) - expected), `I_${x}(${a}, ${b})`).toBeLessThanOrEqual(1e-12);
    }
  });

  it('matches high-precision references, also near the mean at n = 100 000 (the slowest case)', () => {
    // Rounded to doubles from mpmath 1.3 at 60 digits: log(betainc(a, b, 0, x, regularized=True)), or the exact binomial sum.
    const reference: [number, number, number, number][] = [
      [0.3, 2, 5, -0.545028945107489],
      [0.5, 0.5, 0.5, -0.6931471805599453],
      [0.01, 200, 1801, -292.379774727593],
      [0.94, 99_001, 1001, -3343.1697171403753],
      [0.06, 6001, 94_001, -0.699399473379844],
      [0.2, 1.5, 2.5, -1.382189738952167],
      [0.999, 3, 0.2, -0.40265682916565604],
      [1e-5, 0.7, 40, -5.383805660144708],
    ];
    for (const [x, a, b, expected] of reference) {
      expect(Math.abs(logBetaInc(x, a, b) - expected), `I_${x}(${a}, ${b})`).toBeLessThanOrEqual(1e-11 * Math.max(1, Math.abs(expected)));
    }
  });

  it('is exact at the ends, symmetric, and monotone in x', () => {
    expect(logBetaInc(0, 2, 3)).toBe(-Infinity);
    expect(logBetaInc(1, 2, 3)).toBe(0);
    expect(Math.exp(logBetaInc(0.5, 7, 7))).toBeCloseTo(0.5, 14);
    expect(Math.exp(logBetaInc(0.3, 4, 9)) + Math.exp(logBetaInc(0.7, 9, 4))).toBeCloseTo(1, 14);
    let last = -Infinity;
    for (let x = 0.001; x < 1; x += 0.001) {
      const v = logBetaInc(x, 30, 470);
      expect(v).toBeGreaterThanOrEqual(last);
      last = v;
    }
  });

  it('never returns NaN, and never overflows, over extreme arguments', () => {
    for (const n of [1, 10, 1000, 100_000, 10_000_000]) {
      for (const share of [0, 1e-6, 0.01, 0.06, 0.5, 0.94, 1]) {
        const k = Math.round(share * n);
        for (const x of [1e-12, 1e-4, 0.06, 0.5, 0.94, 1 - 1e-12]) {
          const v = logBetaInc(x, k + 1, n - k + 1);
          const tail = logBetaUpperTail(x, k + 1, n - k + 1);
          expect(Number.isNaN(v) || v > 0, `I_${x}(${k + 1}, ${n - k + 1}) = ${v}`).toBe(false);
          expect(Number.isFinite(tail), `tail at ${x}, ${k + 1}, ${n - k + 1} = ${tail}`).toBe(true);
        }
      }
    }
    expect(() => logBetaInc(0.5, 0, 1)).toThrow(RangeError);
    expect(() => logBetaInc(1.5, 1, 1)).toThrow(RangeError);
  });
});

describe('logBetaUpperTail', () => {
  it('is ln B(a, b) + ln(1 − I_x(a, b)), on both sides of the switch point', () => {
    for (const [x, a, b] of [
      [0.06, 4, 28],
      [0.5, 4, 28],
      [0.9, 3, 2],
      [0.06, 1001, 99_001],
    ] as const) {
      const direct = logBeta(a, b) + Math.log1p(-Math.exp(logBetaInc(x, a, b)));
      const viaComplement = logBeta(a, b) + logBetaInc(1 - x, b, a);
      expect(logBetaUpperTail(x, a, b)).toBeCloseTo(viaComplement, 9);
      if (Number.isFinite(direct)) expect(logBetaUpperTail(x, a, b)).toBeCloseTo(direct, 9);
    }
    expect(logBetaUpperTail(0, 2, 3)).toBeCloseTo(logBeta(2, 3), 14);
    expect(logBetaUpperTail(1, 2, 3)).toBe(-Infinity);
    // ∫_{1/2}^1 t dt = 3/8.
    expect(Math.exp(logBetaUpperTail(0.5, 2, 1))).toBeCloseTo(3 / 8, 14);
  });
});

describe('logBeta', () => {
  it('matches ln Γ sums where they are exact, and high-precision references where they cancel', () => {
    const lf = logFactorials(300);
    // B(a, b) = (a − 1)! (b − 1)! / (a + b − 1)! for whole a, b: on each side of the Stirling switch.
    for (const [a, b] of [
      [3, 5],
      [19, 25],
      [20, 20],
      [2, 250],
      [120, 150],
    ] as const) {
      expect(logBeta(a, b)).toBeCloseTo(lf[a - 1]! + lf[b - 1]! - lf[a + b - 1]!, 10);
    }
    // Rounded to doubles from mpmath 1.3 at 40 digits: log(beta(a, b)).
    expect(Math.abs(logBeta(6001, 94_001) - -22703.02741337783)).toBeLessThan(1e-11);
    expect(Math.abs(logBeta(3, 99_999) - -33.84562921425074)).toBeLessThan(1e-12);
    expect(Math.abs(logBeta(0.5, 1e6) - -6.335390211057437)).toBeLessThan(1e-12);
  });
});
