/** Builds the bench pages (bench/vite.config.ts) into dist/bench with Vite's JS API. */
import { build } from 'vite';
import { BENCH_OUT_DIR } from './vite.config.js';

export async function buildBenchPages(): Promise<string> {
  await build({ configFile: new URL('./vite.config.ts', import.meta.url).pathname, logLevel: 'warn' });
  return BENCH_OUT_DIR;
}
