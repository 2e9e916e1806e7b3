/**
 * Staged rollout across devices: 20 browser contexts (20 installs) with distinct device ids meet
 * a 25 % rollout; exactly the devices whose bucket is inside it adopt the candidate.
 */
import { readFile } from 'node:fs/promises';
import { test, expect } from '../src/testing/playwright.js';
import { deviceBucket, inRollout } from '../src/router/bucket.js';
import { model } from './paths.js';
import { openHarness } from './sw-helpers.js';

test('20 devices, a 25 % rollout: the devices that adopt v2 are exactly those the bucket puts inside', async ({ browser, registry }) => {
  test.setTimeout(120_000);
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2', rollout: 25 });
  const envelope = JSON.parse(await readFile(`${registry.dir}/mlp/manifest.json`, 'utf8')) as { payload: string };
  const salt = (JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as { policy: { candidate: { salt: string } } }).policy.candidate.salt;

  const adopted: string[] = [];
  const expected: string[] = [];
  for (let i = 0; i < 20; i++) {
    const deviceId = `device-${i}`;
    if (inRollout(await deviceBucket(deviceId, salt), 25)) expected.push(deviceId);
    const context = await browser.newContext(); // a fresh install: its own storage
    try {
      const page = await context.newPage();
      await openHarness(page, registry);
      const result = await page.evaluate(
        (config) => window.harness.pageUpdates.check(config),
        { name: 'mlp', manifestUrl: `${registry.url}/mlp/manifest.json`, publicKeys: [registry.publicKey], deviceId },
      );
      expect(result.ok, JSON.stringify(result)).toBe(true);
      if (result.ok && result.value.ready.includes('2')) adopted.push(deviceId);
    } finally {
      await context.close();
    }
  }
  console.log(`25 % rollout: ${adopted.length} of 20 devices adopted v2`);
  expect(adopted).toEqual(expected);
  expect(adopted.length).toBeGreaterThan(0);
  expect(adopted.length).toBeLessThan(20);
});

test('an A/B test assigns this install one arm and keeps it across reloads', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2', rollout: 0 });
  const ab = await registry.cli('ab', '--arm', 'a=1:1', '--arm', 'b=2:1', '--salt', 'exp-1', '--name', 'mlp');
  expect(ab.code, ab.stderr).toBe(0);
  const seen: { arm?: string; version: string }[] = [];
  for (let visit = 0; visit < 3; visit++) {
    if (visit === 0) await openHarness(page, registry);
    else {
      await page.reload();
      await expect(page.locator('body[data-ready=true]')).toBeAttached();
    }
    // No deviceId in the config: the install's own random id, persisted in IndexedDB.
    const created = await page.evaluate(
      (config) => window.harness.rt.create(config as never),
      { model: 'mlp', manifestUrl: `${registry.url}/mlp/manifest.json`, publicKeys: [registry.publicKey], executionProviders: ['wasm'], checkOnStart: false },
    );
    expect(created.ok, JSON.stringify(created)).toBe(true);
    await page.evaluate(() => window.harness.rt.checkForUpdate());
    const r = await page.evaluate(() => window.harness.rt.run([0.5, -1, 2, 0.25]));
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (r.ok) seen.push({ ...(r.arm ? { arm: r.arm } : {}), version: r.version });
    expect((await page.evaluate(() => window.harness.rt.status())).arm).toBe(r.ok ? r.arm : undefined);
    await page.evaluate(() => window.harness.rt.dispose());
  }
  expect(seen[0]!.arm).toMatch(/^[ab]$/);
  expect(seen[0]!.version).toBe(seen[0]!.arm === 'a' ? '1' : '2');
  expect(seen).toEqual([seen[0], seen[0], seen[0]]);
});
