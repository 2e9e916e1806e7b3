/** baton-ml's Node entries (the Vite plugin, the test kit) as a consumer imports them. */
import { baton, type BatonPluginOptions } from 'baton-ml/vite';
import { chromiumLaunchOptions, createTestRegistry, mlpModel, test } from 'baton-ml/testing';

const options: BatonPluginOptions = { publicKey: 'keys/baton-public.json', precacheWasm: 'wasm', crossOriginIsolated: true };
export const plugin = baton(options);
// @ts-expect-error precacheWasm takes 'wasm' | 'webgpu' | 'both' | false
baton({ publicKey: 'k.json', precacheWasm: 'all' });
export const launch: { args: string[] } = chromiumLaunchOptions();
export const bytes: Uint8Array = mlpModel(1);
export const make: typeof createTestRegistry = createTestRegistry;
export const kit: typeof test = test;
