import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from './encoding.js';
import { Sha256 } from './sha256-stream.js';

const hex = (...parts: Uint8Array[]) => parts.reduce((h, p) => h.update(p), new Sha256()).hexDigest();

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf").
describe('Sha256 known answers', () => {
  it('hashes the empty message', () => {
    expect(hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes "abc" (one block)', () => {
    expect(hex(utf8Encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes the 448-bit message (padding spills into a second block)', () => {
    expect(hex(utf8Encode('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('hashes the 896-bit message', () => {
    const msg = 'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu';
    expect(hex(utf8Encode(msg))).toBe('cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1');
  });

  it('hashes one million "a", in one update and in uneven pieces', () => {
    const million = new Uint8Array(1_000_000).fill(0x61);
    const expected = 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0';
    expect(hex(million)).toBe(expected);
    const h = new Sha256();
    for (let i = 0, step = 1; i < million.length; i += step, step = (step * 7 + 3) % 1000) h.update(million.subarray(i, i + step));
    expect(h.hexDigest()).toBe(expected);
  });
});

describe('Sha256 incremental', () => {
  const data = Uint8Array.from({ length: 4099 }, (_, i) => (i * 131 + 7) & 0xff);
  const expected = createHash('sha256').update(data).digest('hex');

  it('gives the same digest however the input is split, at block edges and off them', () => {
    for (const cuts of [[1, 63, 64, 65, 127, 128, 129], [55, 56, 57, 63], [64, 128, 4096], [0, 0, 3, 3, 4098], [4099]]) {
      const h = new Sha256();
      let at = 0;
      for (const cut of cuts) {
        h.update(data.subarray(at, Math.max(at, cut)));
        at = Math.max(at, cut);
      }
      h.update(data.subarray(at));
      expect(h.length).toBe(data.length);
      expect(h.hexDigest(), `cuts ${cuts.join(',')}`).toBe(expected);
    }
  });

  it('matches node:crypto at every length around the padding boundaries', () => {
    for (let n = 0; n <= 200; n++) {
      const part = data.subarray(0, n);
      expect(hex(part.subarray(0, n >> 1), part.subarray(n >> 1)), `length ${n}`).toBe(createHash('sha256').update(part).digest('hex'));
    }
  });

  it('reads only its view of a larger buffer', () => {
    const padded = new Uint8Array(data.length + 10);
    padded.set(data, 5);
    expect(hex(padded.subarray(5, 5 + data.length))).toBe(expected);
  });

  it('refuses to be used after digest()', () => {
    const h = new Sha256().update(data);
    h.digest();
    expect(() => h.update(data)).toThrow(TypeError);
    expect(() => h.digest()).toThrow(TypeError);
  });
});
