/**
 * Incremental SHA-256 (FIPS 180-4) in plain JavaScript: WebCrypto's `digest` takes one whole
 * buffer and has no update/finish, so a hash over a file that arrives in pieces — the whole-file
 * hash of a release, fed chunk by chunk as the download reaches them in order — needs its own.
 * One hot loop, written for V8: 32-bit integer arithmetic in locals, the message schedule in a
 * reused Int32Array, whole blocks hashed straight out of the caller's bytes (no copy).
 *
 * Known-answer tests against the NIST vectors: sha256-stream.test.ts.
 */
import { bytesToHex } from './encoding.js';

// prettier-ignore
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

// prettier-ignore
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/**
 * Hashes the whole 64-byte blocks of `data[pos, pos + len)` into `h`; returns the bytes consumed
 * (a multiple of 64). The hot loop: keep it monomorphic (always a Uint8Array, an Int32Array).
 */
function compress(h: Int32Array, w: Int32Array, data: Uint8Array, pos: number, len: number): number {
  let h0 = h[0]!;
  let h1 = h[1]!;
  let h2 = h[2]!;
  let h3 = h[3]!;
  let h4 = h[4]!;
  let h5 = h[5]!;
  let h6 = h[6]!;
  let h7 = h[7]!;
  const end = pos + (len & ~63);
  let p = pos;
  while (p < end) {
    for (let i = 0; i < 16; i++, p += 4) {
      w[i] = (data[p]! << 24) | (data[p + 1]! << 16) | (data[p + 2]! << 8) | data[p + 3]!;
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!;
      const y = w[i - 2]!;
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let f = h5;
    let g = h6;
    let hh = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      // Ch(e, f, g) = (e & f) ^ (~e & g), and Maj(a, b, c) below, each with one operation fewer.
      const t1 = (hh + S1 + (g ^ (e & (f ^ g))) + K[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) | (c & (a | b)))) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
    h5 = (h5 + f) | 0;
    h6 = (h6 + g) | 0;
    h7 = (h7 + hh) | 0;
  }
  h[0] = h0;
  h[1] = h1;
  h[2] = h2;
  h[3] = h3;
  h[4] = h4;
  h[5] = h5;
  h[6] = h6;
  h[7] = h7;
  return end - pos;
}

/**
 * A SHA-256 fed in pieces of any length; `digest()` finishes it (once).
 *
 * @example
 * const h = new Sha256();
 * h.update(first).update(second);
 * const hex = h.hexDigest();
 */
export class Sha256 {
  readonly #h = new Int32Array(IV);
  readonly #w = new Int32Array(64);
  /** The partial block left over from the last update (0..63 bytes). */
  readonly #block = new Uint8Array(64);
  #blockLen = 0;
  /** Bytes hashed so far: a double is exact up to 2^53, far past any model. */
  #length = 0;
  #finished = false;

  /** Bytes fed so far. */
  get length(): number {
    return this.#length;
  }

  update(data: Uint8Array): this {
    if (this.#finished) throw new TypeError('Sha256.update() after digest()');
    const n = data.length;
    this.#length += n;
    let pos = 0;
    if (this.#blockLen > 0) {
      const take = Math.min(64 - this.#blockLen, n);
      this.#block.set(data.subarray(0, take), this.#blockLen);
      this.#blockLen += take;
      pos = take;
      if (this.#blockLen < 64) return this;
      compress(this.#h, this.#w, this.#block, 0, 64);
      this.#blockLen = 0;
    }
    pos += compress(this.#h, this.#w, data, pos, n - pos);
    if (pos < n) {
      this.#block.set(data.subarray(pos), 0);
      this.#blockLen = n - pos;
    }
    return this;
  }

  /** The 32-byte digest. The hash cannot be updated afterwards. */
  digest(): Uint8Array<ArrayBuffer> {
    if (this.#finished) throw new TypeError('Sha256.digest() called twice');
    this.#finished = true;
    // Padding: 0x80, zeros to 56 mod 64, then the length in bits as a 64-bit big-endian integer.
    const block = this.#block;
    let len = this.#blockLen;
    block[len++] = 0x80;
    if (len > 56) {
      block.fill(0, len);
      compress(this.#h, this.#w, block, 0, 64);
      len = 0;
    }
    block.fill(0, len, 56);
    const bits = this.#length * 8;
    const view = new DataView(block.buffer);
    view.setUint32(56, Math.floor(bits / 2 ** 32));
    view.setUint32(60, bits >>> 0);
    compress(this.#h, this.#w, block, 0, 64);
    const out = new Uint8Array(32);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) outView.setInt32(i * 4, this.#h[i]!);
    return out;
  }

  /** The digest as lowercase hex, as manifests write it. */
  hexDigest(): string {
    return bytesToHex(this.digest());
  }
}
