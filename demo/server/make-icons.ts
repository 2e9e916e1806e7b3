/**
 * Writes the PWA icons in public/ (icon-192.png, icon-512.png, icon-maskable-512.png) from the
 * favicon's design — a baton on a navy tile — with no image library: shapes are rasterised with
 * 4×4 supersampling and encoded as PNG with node:zlib. The icons are committed; rerun with
 * `npx tsx demo/server/make-icons.ts` after changing the design.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

type Rgb = readonly [number, number, number];
const NAVY: Rgb = [0x1d, 0x2b, 0x53];
const GOLD: Rgb = [0xff, 0xcc, 0x33];
const RED: Rgb = [0xff, 0x5a, 0x5f];

/** Coverage tests in the favicon's 64-unit coordinates; later shapes paint over earlier ones. */
function shapes(maskable: boolean): { inside: (x: number, y: number) => boolean; color: Rgb }[] {
  // A maskable icon's safe zone is the central 80 %: draw the baton smaller on a full-bleed tile.
  const k = maskable ? 0.75 : 1;
  const at = (x: number, y: number) => [32 + (x - 32) / k, 32 + (y - 32) / k] as const;
  const tile = (x: number, y: number) => {
    if (maskable) return true;
    const r = 14;
    const dx = Math.max(r - x, 0, x - (64 - r));
    const dy = Math.max(r - y, 0, y - (64 - r));
    return x >= 0 && x <= 64 && y >= 0 && y <= 64 && dx * dx + dy * dy <= r * r;
  };
  const bar = (px: number, py: number) => {
    const [x, y] = at(px, py);
    // The favicon's rect (14, 28, 36 × 8, rx 4) rotated by -35° about (32, 32).
    const a = (35 * Math.PI) / 180;
    const u = (x - 32) * Math.cos(a) - (y - 32) * Math.sin(a);
    const v = (x - 32) * Math.sin(a) + (y - 32) * Math.cos(a);
    const du = Math.max(Math.abs(u) - 14, 0);
    const dv = Math.max(Math.abs(v) - 0, 0);
    return du * du + dv * dv <= 16;
  };
  const ball = (px: number, py: number) => {
    const [x, y] = at(px, py);
    return (x - 47) ** 2 + (y - 21) ** 2 <= 25;
  };
  return [
    { inside: tile, color: NAVY },
    { inside: bar, color: GOLD },
    { inside: ball, color: RED },
  ];
}

function render(size: number, maskable: boolean): Uint8Array {
  const layers = shapes(maskable);
  const rgba = new Uint8Array(size * size * 4);
  const s = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < s; sy++) {
        for (let sx = 0; sx < s; sx++) {
          const x = ((px + (sx + 0.5) / s) * 64) / size;
          const y = ((py + (sy + 0.5) / s) * 64) / size;
          let hit: Rgb | undefined;
          for (const layer of layers) if (layer.inside(x, y)) hit = layer.color;
          if (hit) {
            r += hit[0];
            g += hit[1];
            b += hit[2];
            a++;
          }
        }
      }
      const o = (py * size + px) * 4;
      // Premultiplied sums over the covered samples: un-premultiply, coverage becomes alpha.
      rgba[o] = a ? Math.round(r / a) : 0;
      rgba[o + 1] = a ? Math.round(g / a) : 0;
      rgba[o + 2] = a ? Math.round(b / a) : 0;
      rgba[o + 3] = Math.round((255 * a) / (s * s));
    }
  }
  return rgba;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** An 8-bit RGBA PNG (color type 6), each row with filter 0. */
export function encodePng(size: number, rgba: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) raw.set(rgba.subarray(y * size * 4, (y + 1) * size * 4), y * (size * 4 + 1) + 1);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array()),
  ]);
}

const publicDir = fileURLToPath(new URL('../../public/', import.meta.url));
for (const [name, size, maskable] of [
  ['icon-192.png', 192, false],
  ['icon-512.png', 512, false],
  ['icon-maskable-512.png', 512, true],
] as const) {
  await writeFile(`${publicDir}${name}`, encodePng(size, render(size, maskable)));
  console.log(`wrote public/${name}`);
}
