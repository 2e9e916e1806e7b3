/**
 * Steps the runtime tests share, specific to the harness app (e2e/harness): create a runtime for
 * the test's registry in the page, with the defaults these tests want (WASM, no check at start),
 * exposed to the kit's page helpers; check an answer of the test MLP.
 */
import type { Page } from '@playwright/test';
import { mlpReference } from '../src/testing/models.js';
import { expect } from '../src/testing/playwright.js';
import type { TestRegistry } from '../src/testing/registry.js';

/** An input every test MLP accepts (the failing-run model fails on x0 ≥ 16 only). */
export const MLP_X = [0.5, -1, 2, 0.25];

/**
 * Creates the harness's runtime and exposes it to the kit (`runtimeStatus`, `startLoad`, …).
 * `extra` overrides the defaults: any RuntimeConfig field, plus the harness's own options.
 */
export async function startRuntime(page: Page, registry: TestRegistry, extra: Record<string, unknown> = {}, name = 'mlp'): Promise<void> {
  const created = await page.evaluate((config) => window.harness.rt.create(config as never), {
    model: name,
    manifestUrl: `${registry.url}/${name}/manifest.json`,
    publicKeys: [registry.publicKey],
    executionProviders: ['wasm'],
    checkOnStart: false,
    ...extra,
  });
  expect(created.ok, JSON.stringify(created)).toBe(true);
}

/** Narrows an outcome to its success; a failure fails the test, showing the whole outcome. */
export function expectOk<T extends { readonly ok: boolean }>(outcome: T, what = 'the call'): T & { readonly ok: true } {
  expect(outcome.ok, `${what} failed: ${JSON.stringify(outcome)}`).toBe(true);
  return outcome as T & { readonly ok: true };
}

/** `output` is the test MLP `variant`'s answer to `x`, to 5 decimals. */
export function expectMlpAnswer(output: readonly number[] | undefined, variant: number, x: readonly number[] = MLP_X): void {
  const expected = Array.from(mlpReference(variant, Float32Array.from(x), 1));
  expect(output, 'the answer has no output y').toHaveLength(expected.length);
  expected.forEach((y, i) => expect(output![i], `y[${i}]`).toBeCloseTo(y, 5));
}
