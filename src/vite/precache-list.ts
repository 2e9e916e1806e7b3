/**
 * The list the service worker precaches (`self.__WB_MANIFEST`): every file of the build, each
 * with a content revision, except source maps, the service worker itself, the registry (models
 * are Baton's, downloaded and verified in the background, never part of `install`: one quota
 * error there would strand users on the old service worker, Workbox issue #1312) and the
 * onnxruntime-web wasm builds the app did not ask to precache.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { PrecacheWasm } from './options.js';

export interface PrecacheListEntry {
  readonly url: string;
  readonly revision: string;
}

/** onnxruntime-web's WebGPU build (JSEP), as opposed to its plain WASM build. */
const WEBGPU_WASM = /ort-wasm[\w-]*\.jsep[.-]/;
const ORT_WASM = /ort-wasm[\w.-]*\.wasm$/;

/** Whether an onnxruntime-web wasm file is precached under `which`; other files are not its business. */
export function wantsWasm(file: string, which: PrecacheWasm): boolean {
  if (!ORT_WASM.test(file)) return true;
  if (which === false) return false;
  if (which === 'both') return true;
  return WEBGPU_WASM.test(file) === (which === 'webgpu');
}

export async function precacheList(outDir: string, opts: { exclude: readonly string[]; precacheWasm: PrecacheWasm }): Promise<PrecacheListEntry[]> {
  const entries: PrecacheListEntry[] = [];
  for (const file of (await filesUnder(outDir)).sort()) {
    const url = relative(outDir, file).split(sep).join('/');
    if (url.endsWith('.map') || url.startsWith('.vite/') || opts.exclude.some((x) => url === x || url.startsWith(`${x.replace(/\/$/, '')}/`))) continue;
    if (!wantsWasm(url, opts.precacheWasm)) continue;
    // A content revision for every file, hashed name or not: always right, and cheap (SHA-256
    // runs at hundreds of MB/s; the largest file is the 28 MB wasm).
    entries.push({
      url,
      revision: createHash('sha256')
        .update(await readFile(file))
        .digest('hex')
        .slice(0, 16),
    });
  }
  return entries;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}
