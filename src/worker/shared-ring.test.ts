/** The ring's slot encoding: tensors round-trip with their types, array classes and shapes, or are refused. */
import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import type { Feeds } from '../types.js';
import { createRing, decodeError, decodeReply, decodeTensors, encodeError, encodeReply, encodeTensors, ringOf } from './shared-ring.js';

describe('the shared ring', () => {
  it('round-trips every numeric type, scalars and empty tensors included', () => {
    const ring = createRing(2, 1024);
    const feeds: Feeds = {
      input: { type: 'float32', data: Float32Array.of(0.5, -1), dims: [1, 2] },
      state: { type: 'float64', data: Float64Array.of(Math.PI), dims: [1] },
      sr: { type: 'int64', data: BigInt64Array.of(16000n), dims: [] },
      u: { type: 'uint64', data: BigUint64Array.of(2n ** 63n), dims: [1] },
      mask: { type: 'bool', data: Uint8Array.of(1, 0, 1), dims: [3] },
      half: { type: 'float16', data: Uint16Array.of(0x3c00), dims: [1] },
      none: { type: 'int32', data: new Int32Array(0), dims: [0, 4] },
      'ünïcode name': { type: 'int8', data: Int8Array.of(-3), dims: [1] },
    };
    const slot = ring.slots[1]!;
    const end = encodeTensors(feeds, slot);
    expect(end).toBeGreaterThan(0);
    const copied = decodeTensors(slot, 0, true);
    expect(copied.end).toBe(end);
    expect(copied.tensors).toEqual(feeds);
    for (const [name, t] of Object.entries(copied.tensors)) {
      expect(t.data.constructor).toBe(feeds[name]!.data.constructor);
      expect((t.data as Float32Array).buffer).toBeInstanceOf(ArrayBuffer);
    }
    // The worker reads views on the slot, not copies.
    expect((decodeTensors(slot, 0, false).tensors['input']!.data as Float32Array).buffer).toBe(ring.buffer);
  });

  it('refuses what does not fit a slot, and strings', () => {
    const slot = createRing(1, 256).slots[0]!;
    expect(encodeTensors({ x: { type: 'float32', data: new Float32Array(64), dims: [64] } }, slot)).toBeUndefined();
    expect(encodeTensors({ x: { type: 'float32', data: new Float32Array(32), dims: [32] } }, slot)).toBeGreaterThan(128);
    expect(encodeTensors({ s: { type: 'string', data: ['a'], dims: [1] } }, slot)).toBeUndefined();
  });

  it('carries a reply’s run time and provider, and an error as its wire form', () => {
    const ring = createRing(1, 512);
    const other = ringOf(ring.buffer, 512); // the worker's views on the same memory
    const outputs: Feeds = { y: { type: 'float32', data: Float32Array.of(1, 2), dims: [2] } };
    expect(encodeReply(other.slots[0]!, outputs, 0.25, 'webgpu')).toBeGreaterThan(0);
    expect(decodeReply(ring.slots[0]!)).toEqual({ outputs, runMs: 0.25, ep: 'webgpu' });
    const wire = new BatonError('run-failed', 'x'.repeat(2000), { allocationFailure: true }).toWire();
    const length = encodeError(other.slots[0]!, wire);
    expect(length).toBeLessThanOrEqual(512);
    expect(decodeError(ring.slots[0]!, length)).toMatchObject({ name: 'BatonError', code: 'run-failed' });
  });
});
