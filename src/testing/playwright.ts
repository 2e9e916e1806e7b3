/**
 * Playwright fixtures for testing an app that embeds Baton: `registry` is a fresh signed
 * registry with its own fault-injecting server for every test (see registry.ts), serving the
 * app under test at `/`. `expect` carries the update claims of matchers.ts.
 *
 * @example
 * import { test, expect } from 'baton-ml/testing';
 * test.use({ batonAppDir: 'dist', batonModel: 'mlp' });
 * test('serves v1', async ({ page, registry }) => {
 *   await registry.publish('models/v1.onnx', { version: '1' });
 *   await page.goto(registry.server.url);
 * });
 */
import { test as base } from '@playwright/test';
import { createTestRegistry, type KeyFiles, type TestRegistry } from './registry.js';

export interface BatonFixtures {
  /** The built app the registry server serves at `/` (e.g. Vite's `dist`; an absolute path is safest). */
  batonAppDir: string | undefined;
  /** Serve with COOP/COEP (default true): needed for multi-threaded WASM and precise timers. */
  batonCrossOriginIsolation: boolean;
  /** The model name registry helpers use when not given one (default 'model'). */
  batonModel: string;
  /** Sign with this key pair (the one the app under test pins) instead of a fresh one per test. */
  batonKeys: KeyFiles | undefined;
  registry: TestRegistry;
}

export const test = base.extend<BatonFixtures>({
  batonAppDir: [undefined, { option: true }],
  batonCrossOriginIsolation: [true, { option: true }],
  batonModel: ['model', { option: true }],
  batonKeys: [undefined, { option: true }],
  registry: async ({ batonAppDir, batonCrossOriginIsolation, batonModel, batonKeys }, use, testInfo) => {
    const registry = await createTestRegistry({
      ...(batonAppDir === undefined ? {} : { appDir: batonAppDir }),
      ...(batonKeys === undefined ? {} : { keys: batonKeys }),
      crossOriginIsolation: batonCrossOriginIsolation,
      model: batonModel,
    });
    try {
      await use(registry);
    } finally {
      // What the server saw is the first thing to read when a test fails.
      if (testInfo.status !== testInfo.expectedStatus) {
        await testInfo.attach('server-requests.json', { body: JSON.stringify(registry.server.requests(), null, 2), contentType: 'application/json' });
      }
      await registry.dispose();
    }
  },
});

export { expect } from './matchers.js';
