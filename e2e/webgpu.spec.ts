/**
 * The WebGPU path with --enable-unsafe-webgpu: SwiftShader gives a software adapter, so the probe
 * succeeds and the session runs on WebGPU. Its speed means nothing here; its answers must match WASM.
 */
import { test, expect } from '../src/testing/playwright.js';
import { chromiumLaunchOptions } from '../src/testing/browser.js';
import { mlpReference } from '../src/testing/models.js';
import { runtimeStatus } from '../src/testing/runtime-page.js';
import { model } from './paths.js';
import { expectMlpAnswer, expectOk, startRuntime } from './runtime-helpers.js';
import { openHarness } from './sw-helpers.js';

test.use({ launchOptions: chromiumLaunchOptions({ webgpu: true }) });

test('with a WebGPU adapter the worker runs on WebGPU and agrees with WASM', async ({ page, registry }) => {
  test.setTimeout(120_000);
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await openHarness(page, registry);
  await startRuntime(page, registry, { executionProviders: ['webgpu', 'wasm'] });
  const status = await runtimeStatus(page);
  expect(status.worker.webgpu).toEqual({ available: true });
  expect(status.serving?.ep).toBe('webgpu');
  const x = [0.5, -1, 2, 0.25];
  const r = expectOk(await page.evaluate((input) => window.harness.rt.run(input), x), 'a run on WebGPU');
  expect(r.ep).toBe('webgpu');
  // SwiftShader's float path differs from WASM in the last digits: 3 decimals.
  Array.from(mlpReference(1, Float32Array.from(x), 1)).forEach((y, i) => expect(r.output[i]).toBeCloseTo(y, 3));

  // The device is lost (as on a driver reset): the next requests run on WASM, with the same answers.
  await page.evaluate(() => window.harness.rt.loseGpuDevice());
  for (let i = 0; i < 3; i++) {
    const after = expectOk(await page.evaluate((input) => window.harness.rt.run(input), x), 'a run after the device loss');
    expect(after.ep).toBe('wasm');
    expectMlpAnswer(after.output, 1, x);
  }
  await page.evaluate(() => window.harness.rt.dispose());
});
