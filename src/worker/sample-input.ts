/**
 * A warm-up input made from a model's declared inputs: zeros, symbolic dimensions set to 1.
 * Enough to compile kernels and allocate buffers for most models; models that reject zeros (e.g.
 * a sample-rate input that must be 8000 or 16000) need the app's own warm-up feeds.
 */
import type { TensorElementType, TensorSpec } from '../types.js';
import type { Feeds, TensorData } from './protocol.js';

export function sampleFeeds(inputs: readonly TensorSpec[]): Feeds {
  const feeds: Record<string, { type: TensorElementType; data: TensorData; dims: number[] }> = {};
  for (const spec of inputs) {
    const dims = spec.shape.map((d) => (typeof d === 'number' ? d : 1));
    const size = dims.reduce((a, b) => a * b, 1);
    feeds[spec.name] = { type: spec.type, data: zeros(spec.type, size), dims };
  }
  return feeds;
}

function zeros(type: TensorElementType, size: number): TensorData {
  switch (type) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'float16':
    case 'uint16':
    case 'bfloat16':
      return new Uint16Array(size);
    case 'int8':
      return new Int8Array(size);
    case 'uint8':
    case 'bool':
      return new Uint8Array(size);
    case 'int16':
      return new Int16Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'uint32':
      return new Uint32Array(size);
    case 'int64':
      return new BigInt64Array(size);
    case 'uint64':
      return new BigUint64Array(size);
    case 'string':
      return Array.from({ length: size }, () => '');
  }
}
