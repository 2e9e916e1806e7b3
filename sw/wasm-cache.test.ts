import { describe, expect, it } from 'vitest';
import { wasmStem } from './wasm-cache.js';

describe('wasmStem', () => {
  it('drops the build hash, so a newer onnxruntime-web wasm replaces the older copy of the same file', () => {
    expect(wasmStem('https://app.test/assets/ort-wasm-simd-threaded.jsep-MDYUKy93.wasm')).toBe('ort-wasm-simd-threaded.jsep');
    expect(wasmStem('https://app.test/assets/ort-wasm-simd-threaded-DcHrbrbl.wasm')).toBe('ort-wasm-simd-threaded');
    // webpack names assets by hash alone: each is its own stem.
    expect(wasmStem('https://app.test/b02e3fb2583c4795d628.wasm')).toBe('b02e3fb2583c4795d628');
    expect(wasmStem('https://app.test/x/plain.wasm?v=1')).toBe('plain');
  });
});
