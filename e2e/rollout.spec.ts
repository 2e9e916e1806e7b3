/**
 * Staged rollout across devices: 20 browser contexts (20 installs) with distinct device ids meet
 * a 25 % rollout; exactly the devices whose bucket is inside it adopt the candidate.
 */
import { readFile } from 'node:fs/promises';
import { test, expect } from '../src/testing/playwright';
import { deviceBucket, inRollout } from '../src/router/bucket';
import { model } from './paths';
import { openHarness } from './sw-helpers';

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
