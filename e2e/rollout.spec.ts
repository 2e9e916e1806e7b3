/**
 * Staged rollout across devices: 20 browser contexts (20 installs) with distinct device ids meet
 * a 25 % rollout; exactly the devices whose bucket is inside it adopt the candidate. Which ones
 * those are is known in advance (src/testing/internal/bucket-vectors.ts, computed outside Baton),
 * so a change to the bucket function that would reshuffle live rollouts fails here.
 */
import { test, expect } from '../src/testing/playwright.js';
import { checkForUpdate, runOnce, runtimeStatus } from '../src/testing/runtime-page.js';
import { ROLLOUT_DEVICES, ROLLOUT_SALT } from '../src/testing/internal/bucket-vectors.js';
import { model } from './paths.js';
import { expectOk, startRuntime } from './runtime-helpers.js';
import { openHarness } from './sw-helpers.js';

test('20 devices, a 25 % rollout: exactly the devices whose known bucket is below 2 500 adopt v2', async ({ browser, registry }) => {
  test.setTimeout(120_000);
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2', rollout: 25, salt: ROLLOUT_SALT });
  const expected = ROLLOUT_DEVICES.filter((v) => v.bucket < 2500).map((v) => v.deviceId);
  expect(expected).toEqual(['device-7', 'device-10', 'device-11', 'device-14', 'device-17']);

  const adopted: string[] = [];
  for (const { deviceId } of ROLLOUT_DEVICES) {
    const context = await browser.newContext(); // a fresh install: its own storage
    try {
      const page = await context.newPage();
      await openHarness(page, registry);
      const result = await page.evaluate((config) => window.harness.pageUpdates.check(config), {
        name: 'mlp',
        manifestUrl: `${registry.url}/mlp/manifest.json`,
        publicKeys: [registry.publicKey],
        deviceId,
      });
      const { ready } = expectOk(result, `${deviceId}'s check`).value;
      expect(ready, deviceId).toContain('1');
      if (ready.includes('2')) adopted.push(deviceId);
    } finally {
      await context.close();
    }
  }
  expect(adopted).toEqual(expected);
});

test('an A/B test assigns this install one arm and keeps it across reloads', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2', rollout: 0 });
  const ab = await registry.cli('ab', '--arm', 'a=1:1', '--arm', 'b=2:1', '--salt', 'exp-1', '--name', 'mlp');
  expect(ab.code, ab.stderr).toBe(0);
  const seen: { arm: string; version: string }[] = [];
  for (let visit = 0; visit < 3; visit++) {
    if (visit === 0) await openHarness(page, registry);
    else {
      await page.reload();
      await expect(page.locator('body[data-ready=true]')).toBeAttached();
    }
    // No deviceId in the config: the install's own random id, persisted in IndexedDB.
    await startRuntime(page, registry);
    await checkForUpdate(page);
    const r = await runOnce(page);
    expect(r, JSON.stringify(r)).toMatchObject({ ok: true, arm: expect.stringMatching(/^[ab]$/) });
    seen.push({ arm: r.arm!, version: r.version! });
    expect((await runtimeStatus(page)).arm).toBe(r.arm);
    await page.evaluate(() => window.harness.rt.dispose());
  }
  expect(seen[0]!.version).toBe(seen[0]!.arm === 'a' ? '1' : '2');
  expect(seen).toEqual([seen[0], seen[0], seen[0]]);
});
