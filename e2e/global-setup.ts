/**
 * Runs once before the browser tests: builds the harness app with Vite (the same bundling an
 * app embedding Baton gets, onnxruntime-web's wasm emitted as a self-hosted asset) and writes
 * the deterministic test models.
 */
import { build } from 'vite';
import { writeTestModels } from '../src/testing/models.js';
import { MODELS_DIR } from './paths.js';

export default async function globalSetup(): Promise<void> {
  await Promise.all([
    build({ configFile: new URL('../vite.config.ts', import.meta.url).pathname, mode: 'e2e', logLevel: 'warn' }),
    writeTestModels(MODELS_DIR, { largeMegabytes: 8 }),
  ]);
}
