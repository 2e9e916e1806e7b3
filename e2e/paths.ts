/** Where the global setup puts what the browser tests use (all regenerated, none committed). */
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
export const HARNESS_DIR = `${root}dist/e2e`;
export const MODELS_DIR = `${root}.cache/e2e/models`;
export const model = (file: string) => `${MODELS_DIR}/${file}`;
