/**
 * The tree reads as the data flow, and every import points down it: a module may import from
 * its own folder and from folders below it, never above. Type imports count too: they are how
 * cycles start. The order, bottom up:
 *
 *   types.ts, errors.ts   the nouns and the one error class
 *   crypto → manifest     hashing and signatures; the signed format, parse and verify
 *   router                pure routing (buckets, stages, A/B)
 *   download → store      fetch and verify chunks; keep them (IndexedDB)
 *   health → rollout      windows and verdicts; the device's persisted rollout state
 *   update                the check (in the service worker or the page)
 *   worker                the inference worker and its client
 *   observe               metrics, the lifecycle log, drift, telemetry
 *   runtime → index.ts    the one composition root; the page API
 *   sw                    baton-ml/sw
 *   publish → cli         the publisher's side: the registry on disk; the `baton` command
 *   vite, testing         the Vite plugin; the test kit
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const LAYERS: readonly (readonly string[])[] = [
  ['src/types.ts', 'src/errors.ts'],
  ['src/crypto'],
  ['src/manifest'],
  ['src/router'],
  ['src/download'],
  ['src/store'],
  ['src/health'],
  ['src/rollout'],
  ['src/update'],
  ['src/worker'],
  ['src/observe'],
  ['src/runtime'],
  ['src/index.ts'],
  ['sw'],
  ['src/publish'],
  ['src/cli'],
  ['src/vite'],
  ['src/testing'],
];

/** The layer of a file: the index of the entry that is the file or a folder holding it. */
function layerOf(file: string): number {
  const i = LAYERS.findIndex((entries) => entries.some((e) => file === e || file.startsWith(`${e}/`)));
  if (i < 0) throw new Error(`${file} is in no layer: add its folder to LAYERS`);
  return i;
}

const sources = (dir: string): string[] =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });

/** Every relative import (static, dynamic, type-only, re-export) of `file`, as repository paths. */
function importsOf(file: string): string[] {
  const code = readFileSync(join(root, file), 'utf8');
  return [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) =>
    normalize(join(dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
  );
}

describe('the import graph', () => {
  const files = [...sources('src'), ...sources('sw')];

  it('knows every source folder', () => {
    for (const f of files) expect(() => layerOf(f), f).not.toThrow();
  });

  it('points down: no module imports from a folder above its own', () => {
    const up: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file)) {
        if (layerOf(target) > layerOf(file)) up.push(`${file} → ${relative(root, join(root, target))}`);
      }
    }
    expect(up).toEqual([]);
  });

  it('keeps the publisher’s code out of what a page loads', () => {
    const page = files.filter((f) => layerOf(f) <= layerOf('src/index.ts'));
    const seen = new Set<string>();
    const visit = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      importsOf(f).forEach(visit);
    };
    visit('src/index.ts');
    expect([...seen].filter((f) => !page.includes(f))).toEqual([]);
  });
});
