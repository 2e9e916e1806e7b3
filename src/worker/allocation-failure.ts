/**
 * Recognises onnxruntime-web's ways of saying that a run could not allocate its memory. After
 * one, the worker's WASM heap stays at its high-water mark (it can grow but never shrink,
 * onnxruntime issue #21673), so the runtime replaces the worker; the worker marks such a
 * `run-failed` error with `details.allocationFailure`, which survives `postMessage`.
 */
import { isBatonError } from '../errors.js';

/**
 * The messages, as onnxruntime-web 1.30 words them (all seen in "failed to call OrtRun(). …"):
 * - `std::bad_alloc`: the heap could not grow to what a tensor needs;
 * - SafeInt's `Integer overflow`: a buffer size past what 32-bit WASM can address (≥ 4 GiB);
 * - `Failed to allocate memory`: onnxruntime's own allocator (BFC arena, CPU allocator);
 * - Emscripten's `Aborted(OOM)` / `Cannot enlarge memory`, and V8's `Array buffer allocation
 *   failed` / `Out of memory` when the output copies cannot be made.
 * Not `Tensor shape is too large`: onnxruntime refuses that shape before allocating anything.
 */
const ALLOCATION_FAILURE =
  /bad_alloc|SafeIntOnOverflow|Integer overflow|Failed to allocate memory|Aborted\(OOM\)|Cannot enlarge memory|Array buffer allocation failed|out of memory/i;

export function isAllocationFailure(message: string): boolean {
  return ALLOCATION_FAILURE.test(message);
}

/** True for the page-side error of a run that failed to allocate (see the worker's `run`). */
export function wasAllocationFailure(e: unknown): boolean {
  return isBatonError(e, 'run-failed') && e.details?.['allocationFailure'] === true;
}
