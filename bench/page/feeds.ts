/** Inputs for the bench's models, fresh for every request (Baton transfers, and so detaches, them). */
import type { Feeds, Release } from '../../src/index.js';

/** The models a load can run: the tiny generated MLP, Silero VAD (v5/v6), the 1 KB-input hop model. */
export type ModelKind = 'mlp' | 'silero' | 'tiny';

/** Floats in the hop model's input: 256 × 4 bytes = 1 KB. */
export const TINY_FLOATS = 256;

const MLP_X = [0.5, -1, 2, 0.25];

export function feedsFor(kind: ModelKind): Feeds {
  switch (kind) {
    case 'mlp':
      return { x: { type: 'float32', data: Float32Array.from(MLP_X), dims: [1, 4] } };
    case 'silero':
      return {
        input: { type: 'float32', data: new Float32Array(512), dims: [1, 512] },
        state: { type: 'float32', data: new Float32Array(2 * 128), dims: [2, 1, 128] },
        sr: { type: 'int64', data: BigInt64Array.of(16000n), dims: [] },
      };
    case 'tiny':
      return { x: { type: 'float32', data: new Float32Array(TINY_FLOATS).fill(0.5), dims: [1, TINY_FLOATS] } };
  }
}

/** Silero refuses zeros for `sr`, so it needs real warm-up feeds; the others warm up on Baton's zeros. */
export const warmupFor = (kind: ModelKind) => (_release: Release) => (kind === 'silero' ? feedsFor('silero') : undefined);
