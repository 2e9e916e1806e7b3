import { describe, expect, it } from 'vitest';
import { transferablesOf, type Feeds } from './protocol.js';

describe('transferablesOf', () => {
  it('lists each ArrayBuffer once, skips strings and shared buffers (which postMessage shares, and cannot transfer)', () => {
    const shared = new Float32Array(new SharedArrayBuffer(16));
    const own = new ArrayBuffer(32);
    const feeds: Feeds = {
      a: { type: 'float32', data: new Float32Array(own, 0, 4), dims: [4] },
      b: { type: 'float32', data: new Float32Array(own, 16, 4), dims: [4] },
      s: { type: 'float32', data: shared, dims: [4] },
      t: { type: 'string', data: ['x'], dims: [1] },
      n: { type: 'int64', data: BigInt64Array.of(1n), dims: [1] },
    };
    const out = transferablesOf(feeds);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe(own);
    expect(out[1]).toBe((feeds['n']!.data as BigInt64Array).buffer);
  });
});
