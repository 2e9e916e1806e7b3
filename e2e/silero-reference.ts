/**
 * What Silero VAD answers, computed in Node by onnxruntime-web (WASM, as in the page) from the
 * same model file the registry serves: the reference a browser answer is compared with.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-web';
import { uniform } from '../src/testing/models-reference.js';
import { sileroModelPath } from '../src/testing/models.js';

/** One 512-sample frame at 16 kHz: a 440 Hz tone in deterministic noise. */
export const SILERO_FRAME: readonly number[] = (() => {
  const noise = uniform(7);
  return Array.from({ length: 512 }, (_, i) => Math.fround(0.4 * Math.sin((2 * Math.PI * 440 * i) / 16_000) + 0.2 * (noise() - 0.5)));
})();

export interface SileroAnswer {
  /** The speech probability. */
  readonly output: number[];
  /** The next recurrent state, [2, 1, 128]. */
  readonly stateN: number[];
}

/** Silero `which` on `frame` from a zero state, as onnxruntime-web computes it in Node. */
export async function sileroReference(which: 'v5' | 'v6', frame: readonly number[] = SILERO_FRAME): Promise<SileroAnswer> {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(new Uint8Array(await readFile(sileroModelPath(which))), { executionProviders: ['wasm'] });
  try {
    const out = await session.run({
      input: new ort.Tensor('float32', Float32Array.from(frame), [1, frame.length]),
      state: new ort.Tensor('float32', new Float32Array(2 * 128), [2, 1, 128]),
      sr: new ort.Tensor('int64', BigInt64Array.of(16_000n), []),
    });
    return { output: Array.from(out['output']!.data as Float32Array), stateN: Array.from(out['stateN']!.data as Float32Array) };
  } finally {
    await session.release();
  }
}

/** The largest difference between two answers, element by element (Infinity when their shapes differ). */
export function maxDifference(a: SileroAnswer, b: SileroAnswer): number {
  const pairs = [
    [a.output, b.output],
    [a.stateN, b.stateN],
  ] as const;
  if (pairs.some(([x, y]) => x.length !== y.length)) return Infinity;
  return Math.max(...pairs.flatMap(([x, y]) => x.map((v, i) => Math.abs(v - y[i]!))));
}
