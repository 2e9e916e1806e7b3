/**
 * Playwright fixtures for testing an app that embeds Baton: `registry` is a fresh signed
 * registry with its own fault-injecting server for every test (see registry.ts).
 *
 * @example
 * import { test, expect } from 'baton/testing';
 * test.use({ batonAppDir: 'dist' });
 * test('serves v1', async ({ page, registry }) => {
 *   await registry.publish('models/v1.onnx', { name: 'mlp', version: '1' });
 *   await page.goto(registry.server.url);
 * });
 */
import { test as base } from '@playwright/test';
import { createTestRegistry, type TestRegistry } from './registry';

export interface BatonFixtures {
  /** The built app the registry server serves at `/` (e.g. Vite's `dist`). */
  batonAppDir: string | undefined;
  /** Serve with COOP/COEP (default true): needed for multi-threaded WASM and precise timers. */
  batonCrossOriginIsolation: boolean;
  registry: TestRegistry;
}

export const test = base.extend<BatonFixtures>({
  batonAppDir: [undefined, { option: true }],
  batonCrossOriginIsolation: [true, { option: true }],
  registry: async ({ batonAppDir, batonCrossOriginIsolation }, use, testInfo) => {
    const registry = await createTestRegistry({
      ...(batonAppDir === undefined ? {} : { appDir: batonAppDir }),
      crossOriginIsolation: batonCrossOriginIsolation,
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

export { expect } from '@playwright/test';
