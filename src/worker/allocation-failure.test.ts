import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { isAllocationFailure, wasAllocationFailure } from './allocation-failure.js';

describe('isAllocationFailure', () => {
  it("recognises onnxruntime-web's allocation failures", () => {
    for (const message of [
      // Seen from onnxruntime-web 1.30 (src/testing/models.ts: allocModel with x0 = 2^30).
      'failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: /onnxruntime/core/common/safeint.h:17 static void SafeIntExceptionHandler<onnxruntime::OnnxRuntimeException>::SafeIntOnOverflow() Integer overflow',
      'failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: std::bad_alloc',
      'Failed to allocate memory for requested buffer of size 4294967296',
      'Aborted(OOM)',
      'Cannot enlarge memory arrays to size 4294971392 bytes (OOM).',
      'RangeError: Array buffer allocation failed',
    ]) {
      expect(isAllocationFailure(message), message).toBe(true);
    }
  });

  it('leaves other run failures alone, a shape refused before allocating too', () => {
    for (const message of [
      'failed to call OrtRun(). ERROR_CODE: 2, ERROR_MESSAGE: indices element out of data bounds, idx=16 must be within the inclusive range [-16,15]',
      'failed to call OrtRun(). ERROR_CODE: 2, ERROR_MESSAGE: op_kernel.cc:83 [ONNXRuntimeError] : 2 : INVALID_ARGUMENT : Tensor shape is too large',
      'Got invalid dimensions for input: x for the following indices',
    ]) {
      expect(isAllocationFailure(message), message).toBe(false);
    }
  });

  it('reads the mark the worker puts on a run-failed error, and nothing else', () => {
    expect(wasAllocationFailure(new BatonError('run-failed', 'x', { allocationFailure: true }))).toBe(true);
    expect(wasAllocationFailure(new BatonError('run-failed', 'x'))).toBe(false);
    expect(wasAllocationFailure(new BatonError('timeout', 'x', { allocationFailure: true }))).toBe(false);
    expect(wasAllocationFailure(new Error('std::bad_alloc'))).toBe(false);
  });
});
