/**
 * Whether WebGPU can really be used here. `navigator.gpu` existing is not enough:
 * `requestAdapter()` returns null when no adapter fits (blocklisted GPU, no GPU and no software
 * fallback), and can throw. The reason is kept, so the app is told why it runs on WASM.
 */
export interface WebGpuProbe {
  readonly available: boolean;
  readonly reason?: string;
}

interface GpuLike {
  requestAdapter(): Promise<unknown>;
}

export async function probeWebGpu(nav: { gpu?: unknown }): Promise<WebGpuProbe> {
  const gpu = nav.gpu as GpuLike | undefined;
  if (!gpu) return { available: false, reason: 'navigator.gpu is missing (no WebGPU in this browser or context)' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, reason: 'requestAdapter() returned null (no usable GPU adapter)' };
    return { available: true };
  } catch (e) {
    return { available: false, reason: `requestAdapter() failed: ${(e as Error)?.message ?? String(e)}` };
  }
}
