// Pure-JS twin of the generated test MLP: the seeded PRNG, the weights it draws, and the forward
// pass, so tests can check onnxruntime's output against numbers computed without it.

import { mulberry32 as mulberry32Float, mulberry32Uint32 } from '../health/simulate.js';

/** Name of the single input of every generated test model. */
export const MLP_INPUT = 'x';
/** Name of the single output of every generated test model. */
export const MLP_OUTPUT = 'y';
/** Width of the input `x`: shape `['batch', MLP_FEATURES]`. */
export const MLP_FEATURES = 4;
/** Width of the output `y`: shape `['batch', MLP_OUTPUTS]`. */
export const MLP_OUTPUTS = 2;
/** Width of the hidden layer (4 → 8 → 2). */
export const MLP_HIDDEN = 8;

/** The seeded PRNG (uint32 values) the kit's models and clips are generated from: one for the project. */
export const mulberry32 = mulberry32Uint32;

/** {@link mulberry32} as floats in [0, 1): deterministic noise for generated models, clips and tests. */
export const uniform = mulberry32Float;

/**
 * Maps a uint32 to a float32-exact value in [-1, 1). Taking the top 24 bits keeps the result
 * exactly representable in float32, so the stored weights and the JS reference agree bit for bit.
 */
export function uint32ToUnit(u: number): number {
  return (u >>> 8) / 0x800000 - 1;
}

/** Weights of the test MLP, row-major as ONNX Gemm expects with `transB = 0`. */
export interface MlpWeights {
  /** [MLP_FEATURES, MLP_HIDDEN] */
  w1: Float32Array;
  /** [MLP_HIDDEN] */
  b1: Float32Array;
  /** [MLP_HIDDEN, MLP_OUTPUTS] */
  w2: Float32Array;
  /** [MLP_OUTPUTS] */
  b2: Float32Array;
}

/** Draws the MLP weights for `variant`; the same variant always gives the same weights. */
export function mlpWeights(variant: number): MlpWeights {
  const next = mulberry32(variant);
  const draw = (n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = uint32ToUnit(next());
    return out;
  };
  // Order matters: it fixes which PRNG draws land in which tensor.
  const w1 = draw(MLP_FEATURES * MLP_HIDDEN);
  const b1 = draw(MLP_HIDDEN);
  const w2 = draw(MLP_HIDDEN * MLP_OUTPUTS);
  const b2 = draw(MLP_OUTPUTS);
  return { w1, b1, w2, b2 };
}

/**
 * Computes `y = Gemm(Relu(Gemm(x, w1, b1)), w2, b2)` for the MLP of `variant`, exactly the
 * graph {@link mlpModel} builds. Accumulates in float64, so it matches onnxruntime's float32
 * result to ~1e-6 for inputs of moderate size.
 *
 * @param x row-major `[batch, MLP_FEATURES]`
 * @returns row-major `[batch, MLP_OUTPUTS]`
 * @example
 * mlpReference(1, new Float32Array([1, 2, 3, 4]), 1); // Float32Array(2)
 */
export function mlpReference(variant: number, x: Float32Array, batch: number): Float32Array {
  if (x.length !== batch * MLP_FEATURES) {
    throw new RangeError(`mlpReference: x has ${x.length} values, expected batch (${batch}) × ${MLP_FEATURES}`);
  }
  const { w1, b1, w2, b2 } = mlpWeights(variant);
  const y = new Float32Array(batch * MLP_OUTPUTS);
  const hidden = new Float64Array(MLP_HIDDEN);
  for (let r = 0; r < batch; r++) {
    for (let h = 0; h < MLP_HIDDEN; h++) {
      let sum = b1[h]!;
      for (let f = 0; f < MLP_FEATURES; f++) sum += x[r * MLP_FEATURES + f]! * w1[f * MLP_HIDDEN + h]!;
      hidden[h] = Math.max(0, sum);
    }
    for (let o = 0; o < MLP_OUTPUTS; o++) {
      let sum = b2[o]!;
      for (let h = 0; h < MLP_HIDDEN; h++) sum += hidden[h]! * w2[h * MLP_OUTPUTS + o]!;
      y[r * MLP_OUTPUTS + o] = sum;
    }
  }
  return y;
}
