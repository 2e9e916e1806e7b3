/**
 * The delta of each update case under Baton's fixed 4 MiB chunks and the alternatives (smaller
 * fixed chunks, content-defined chunks), computed in Node on the very files the bench publishes.
 * The fixed 4 MiB row must equal what the browser measured (a check on the simulation).
 */
import { readFile } from 'node:fs/promises';
import { cdcChunks, fixedChunks, type Boundaries } from './chunkers.js';
import { delta, hashes, type DeltaFigures } from './delta.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export const CHUNKINGS: Readonly<Record<string, (b: Uint8Array) => Boundaries>> = {
  'fixed 4 MiB (Baton default)': (b) => fixedChunks(b.length, 4 * MiB),
  'fixed 1 MiB': (b) => fixedChunks(b.length, MiB),
  'fixed 256 KiB': (b) => fixedChunks(b.length, 256 * KiB),
  'fixed 64 KiB': (b) => fixedChunks(b.length, 64 * KiB),
  'CDC avg 1 MiB': (b) => cdcChunks(b, MiB),
  'CDC avg 256 KiB': (b) => cdcChunks(b, 256 * KiB),
  'CDC avg 64 KiB': (b) => cdcChunks(b, 64 * KiB),
};

/** chunking → case → figures. */
export type ChunkingComparison = Record<string, Record<string, DeltaFigures>>;

export async function compareChunkings(v1File: string, v2Files: Readonly<Record<string, string>>): Promise<ChunkingComparison> {
  const v1 = new Uint8Array(await readFile(v1File));
  const v2 = Object.fromEntries(await Promise.all(Object.entries(v2Files).map(async ([c, f]) => [c, new Uint8Array(await readFile(f))] as const)));
  const out: ChunkingComparison = {};
  for (const [name, chunk] of Object.entries(CHUNKINGS)) {
    const held = new Set(hashes(v1, chunk(v1)).map((c) => c.sha));
    out[name] = Object.fromEntries(Object.entries(v2).map(([c, bytes]) => [c, delta(held, bytes, chunk)]));
  }
  return out;
}

/** The comparison as a Markdown table: one row per chunking, the fetched share per case. */
export function comparisonTable(cmp: ChunkingComparison): string {
  const cases = Object.keys(Object.values(cmp)[0] ?? {});
  const header = ['chunking', 'chunks', ...cases.map((c) => `${c} ÷ size`)];
  const rows = Object.entries(cmp).map(([name, byCase]) => [
    name,
    String(Object.values(byCase)[0]?.chunks ?? ''),
    ...cases.map((c) => byCase[c]!.ratio.toFixed(3)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}
