/**
 * onnxruntime-web's wasm that the build did not precache, kept cache-first once a device has
 * fetched it (see precache.ts). Only the newest copy of each file is kept.
 */
export const WASM_CACHE = 'baton-wasm';

export async function cacheFirstWasm(request: Request): Promise<Response> {
  const cache = await caches.open(WASM_CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) {
    const stem = wasmStem(request.url);
    for (const old of await cache.keys()) if (wasmStem(old.url) === stem) await cache.delete(old);
    await cache.put(request, response.clone());
  }
  return response;
}

/** `…/ort-wasm-simd-threaded.jsep-MDYUKy93.wasm` → `ort-wasm-simd-threaded.jsep`: the file without its build hash. */
export function wasmStem(url: string): string {
  const name = new URL(url).pathname.split('/').pop() ?? '';
  return name.replace(/\.wasm$/, '').replace(/-[\w-]{8}$/, '');
}
