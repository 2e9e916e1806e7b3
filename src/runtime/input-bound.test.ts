import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../types.js';
import type { Feeds } from '../worker/protocol.js';
import { checkInputSize, DEFAULT_MAX_INPUT_ELEMENTS, inputLimits } from './input-bound.js';

const silero: TensorSpec[] = [
  { name: 'input', type: 'float32', shape: ['batch', 'samples'] },
  { name: 'state', type: 'float32', shape: [2, 1, 128] },
  { name: 'sr', type: 'int64', shape: [] },
];
const f32 = (n: number, dims: number[]): Feeds[string] => ({ type: 'float32', data: new Float32Array(n), dims });

describe('inputLimits', () => {
  it('takes a static declared shape as the bound, and 64 Mi elements for a symbolic one', () => {
    const limits = inputLimits(silero);
    expect(limits.byName.get('state')).toBe(256);
    expect(limits.byName.get('sr')).toBe(1); // a scalar
    expect(limits.byName.get('input')).toBe(DEFAULT_MAX_INPUT_ELEMENTS);
    expect(limits.other).toBe(DEFAULT_MAX_INPUT_ELEMENTS);
    expect(DEFAULT_MAX_INPUT_ELEMENTS).toBe(67_108_864);
  });

  it("uses the app's maxInputElements for every tensor when it is given", () => {
    const limits = inputLimits(silero, 1000);
    expect([...limits.byName.values()]).toEqual([1000, 1000, 1000]);
    expect(limits.other).toBe(1000);
  });

  it('treats a dimension that is not a positive integer as symbolic', () => {
    expect(inputLimits([{ name: 'x', type: 'float32', shape: [-1, 4] }]).byName.get('x')).toBe(DEFAULT_MAX_INPUT_ELEMENTS);
  });
});

describe('checkInputSize', () => {
  const limits = inputLimits(silero, undefined);

  it('lets through tensors within their bounds', () => {
    expect(() =>
      checkInputSize({ input: f32(512, [1, 512]), state: f32(256, [2, 1, 128]), sr: { type: 'int64', data: BigInt64Array.of(16000n), dims: [] } }, limits),
    ).not.toThrow();
  });

  it('refuses the first tensor over its bound with input-too-large, naming it and the figures', () => {
    const feeds = { input: f32(512, [1, 512]), state: f32(512, [4, 1, 128]) };
    expect(() => checkInputSize(feeds, limits)).toThrow(
      expect.objectContaining({ code: 'input-too-large', details: { input: 'state', elements: 512, limit: 256 } }),
    );
  });

  it('counts by dims or data, whichever is larger (a lying dims cannot slip a big buffer through)', () => {
    const small = inputLimits(silero, 100);
    expect(() => checkInputSize({ input: f32(101, [1, 1]) }, small)).toThrow(expect.objectContaining({ code: 'input-too-large' }));
    // dims of 10⁹ elements over an empty buffer: refused without allocating anything.
    expect(() => checkInputSize({ input: { type: 'float32', data: new Float32Array(0), dims: [1000, 1000, 1000] } }, small)).toThrow(
      expect.objectContaining({ code: 'input-too-large' }),
    );
  });

  it('bounds a name the model does not declare by the general bound', () => {
    expect(() => checkInputSize({ extra: f32(101, [101]) }, inputLimits(silero, 100))).toThrow(expect.objectContaining({ code: 'input-too-large' }));
    expect(() => checkInputSize({ extra: f32(100, [100]) }, inputLimits(silero, 100))).not.toThrow();
  });
});
