/**
 * The input bound: an input tensor larger than a version can take is refused in the page, before
 * its buffer is transferred, with `input-too-large` — instead of making the worker's WASM heap
 * grow for it (a heap never shrinks: PLATFORM.md).
 */
import { BatonError } from '../errors.js';
import type { TensorSpec } from '../types.js';
import type { Feeds } from '../worker/protocol.js';

/** Per tensor, for an input whose declared shape has a symbolic dimension: 64 Mi elements (256 MiB of float32). */
export const DEFAULT_MAX_INPUT_ELEMENTS = 64 * 2 ** 20;

/** The most elements each declared input may have, and the bound for any other name. */
export interface InputLimits {
  readonly byName: ReadonlyMap<string, number>;
  readonly other: number;
}

/**
 * `maxInputElements` (the app's `createRuntime` option) bounds every tensor. Without it, an input
 * whose declared shape is static may hold exactly that many elements (onnxruntime refuses any
 * other size anyway), and any other one {@link DEFAULT_MAX_INPUT_ELEMENTS}.
 */
export function inputLimits(inputs: readonly TensorSpec[], maxInputElements?: number): InputLimits {
  const other = maxInputElements ?? DEFAULT_MAX_INPUT_ELEMENTS;
  const byName = new Map<string, number>();
  for (const spec of inputs) {
    const fixed = spec.shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0);
    byName.set(spec.name, maxInputElements ?? (fixed ? (spec.shape as readonly number[]).reduce((a, b) => a * b, 1) : DEFAULT_MAX_INPUT_ELEMENTS));
  }
  return { byName, other };
}

/** Throws `input-too-large` for the first tensor over its bound (by its dims or its data, whichever is larger). */
export function checkInputSize(feeds: Feeds, limits: InputLimits): void {
  for (const [name, t] of Object.entries(feeds)) {
    // Malformed feeds are the worker's to refuse (run-failed, with onnxruntime's message).
    const dims: readonly number[] = Array.isArray(t?.dims) ? t.dims : [];
    const elements = Math.max(
      t?.data?.length ?? 0,
      dims.reduce((a, b) => a * b, 1),
    );
    const limit = limits.byName.get(name) ?? limits.other;
    if (elements > limit) {
      throw new BatonError('input-too-large', `input "${name}" has ${elements} elements; this runtime allows at most ${limit} (maxInputElements)`, {
        input: name,
        elements,
        limit,
      });
    }
  }
}
