/**
 * Steps the runtime tests share, specific to the harness app (e2e/harness): create a runtime for
 * the test's registry in the page, with the defaults these tests want (WASM, no check at start).
 */
import type { Page } from '@playwright/test';
import { expect } from '../src/testing/playwright.js';
import type { TestRegistry } from '../src/testing/registry.js';

/** An input every test MLP accepts (the failing-run model fails on x0 ≥ 16 only). */
export const MLP_X = [0.5, -1, 2, 0.25];

/** `extra` overrides the defaults: any RuntimeConfig field, plus the harness's own options. */
export async function startRuntime(page: Page, registry: TestRegistry, extra: Record<string, unknown> = {}, name = 'mlp'): Promise<void> {
  const created = await page.evaluate(
    (config) => window.harness.rt.create(config as never),
    { model: name, manifestUrl: `${registry.url}/${name}/manifest.json`, publicKeys: [registry.publicKey], executionProviders: ['wasm'], checkOnStart: false, ...extra },
  );
  expect(created.ok, JSON.stringify(created)).toBe(true);
}
