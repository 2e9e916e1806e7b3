/**
 * Chunking strategies a registry could publish with, as pure functions from a file's bytes to
 * its chunk boundaries: Baton's fixed-size chunks, and content-defined chunking (a Gear rolling
 * hash, as FastCDC), whose boundaries follow the content so an insertion shifts nothing after
 * the next boundary. Used to set what Baton fetches beside what each alternative would.
 */

/** End offsets of the chunks (the last is `length`). */
export type Boundaries = number[];

export function fixedChunks(length: number, size: number): Boundaries {
  const ends: number[] = [];
  for (let end = size; end < length; end += size) ends.push(end);
  ends.push(length);
  return ends;
}

/** 256 pseudo-random 32-bit values (splitmix-style), fixed so boundaries are reproducible. */
const GEAR = (() => {
  const table = new Uint32Array(256);
  let x = 0x2545f491;
  for (let i = 0; i < 256; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    table[i] = (z ^ (z >>> 16)) >>> 0;
  }
  return table;
})();

/**
 * Content-defined chunks averaging ~`avg` bytes (a power of two), between avg/4 and avg×4: a
 * boundary wherever the Gear hash of the last 32 bytes has its top log2(avg) bits zero.
 * Bytes before min are skipped (FastCDC's cut-point skipping).
 */
export function cdcChunks(bytes: Uint8Array, avg: number): Boundaries {
  const bits = Math.round(Math.log2(avg));
  if (2 ** bits !== avg) throw new RangeError(`cdcChunks: avg must be a power of two, got ${avg}`);
  const mask = (~0 << (32 - bits)) >>> 0;
  const min = avg >> 2;
  const max = avg * 4;
  const ends: number[] = [];
  let start = 0;
  while (start < bytes.length) {
    const limit = Math.min(start + max, bytes.length);
    let end = limit;
    let h = 0;
    for (let i = start + min; i < limit; i++) {
      h = ((h << 1) + GEAR[bytes[i]!]!) >>> 0;
      if ((h & mask) === 0) {
        end = i + 1;
        break;
      }
    }
    ends.push(end);
    start = end;
  }
  return ends;
}
