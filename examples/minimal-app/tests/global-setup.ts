/**
 * Before the tests: a fresh signing key pair (the registry signs with it, the build pins its
 * public half), then the app's test build (MODE 'test': the runtime is exposed to the kit).
 */
import { fileURLToPath } from 'node:url';
import { createTestKeys } from 'baton/testing';
import { build } from 'vite';
import { KEYS_DIR } from '../vite.config.js';

export default async function globalSetup(): Promise<void> {
  await createTestKeys(KEYS_DIR);
  await build({ configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)), mode: 'test', logLevel: 'warn' });
}
