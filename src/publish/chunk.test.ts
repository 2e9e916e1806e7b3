import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chunkBytes } from './chunk.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);

describe('chunkBytes', () => {
  it('splits into fixed-size chunks whose concatenation is the file (round trip)', async () => {
    const file = bytes(10_000);
    const chunked = await chunkBytes(file, 4096);
    expect(chunked.chunks.map((c) => c.size)).toEqual([4096, 4096, 1808]);
    expect(chunked.chunks.map((c) => c.offset)).toEqual([0, 4096, 8192]);
    const joined = new Uint8Array(chunked.size);
    for (const c of chunked.chunks) joined.set(c.bytes, c.offset);
    expect(joined).toEqual(file);
    expect(chunked.sha256).toBe(sha(file));
    for (const c of chunked.chunks) expect(c.sha256).toBe(sha(c.bytes));
  });

  it('gives an exact multiple of the chunk size no empty tail chunk', async () => {
    const chunked = await chunkBytes(bytes(8192), 4096);
    expect(chunked.chunks).toHaveLength(2);
  });

  it('names identical content identically, so a registry stores it once (dedup)', async () => {
    const a = bytes(4096 * 4);
    const b = a.slice();
    b[4096 * 2 + 5] = b[4096 * 2 + 5]! ^ 0xff; // change one byte in the third chunk only
    const [ca, cb] = [await chunkBytes(a, 4096), await chunkBytes(b, 4096)];
    const changed = ca.chunks.filter((c, i) => c.sha256 !== cb.chunks[i]!.sha256).map((c) => c.offset / 4096);
    expect(changed).toEqual([2]);
    expect(ca.sha256).not.toBe(cb.sha256);
  });

  it('refuses an empty file and a non-positive chunk size', async () => {
    await expect(chunkBytes(new Uint8Array(0))).rejects.toThrow(RangeError);
    await expect(chunkBytes(bytes(10), 0)).rejects.toThrow(RangeError);
  });
});
