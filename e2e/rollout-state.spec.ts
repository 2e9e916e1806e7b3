/**
 * The device's rollout state is persisted: a reload resumes a trial where it stood (its request
 * count, its baseline and its health window), a promotion survives a reload (no second trial),
 * and a schedule stage that requires healthy runs opens once this device has seen them.
 */
import type { Page } from '@playwright/test';
import { test, expect } from '../src/testing/playwright.js';
import { checkForUpdate, runOnce, runtimeEvents, runtimeStatus, waitForRuntimeEvent, waitForVersion } from '../src/testing/runtime-page.js';
import { model } from './paths.js';
import { MLP_X, startRuntime } from './runtime-helpers.js';
import { openHarness } from './sw-helpers.js';

const X = MLP_X;

const status = (page: Page) => runtimeStatus(page);

/** The rollout record as stored in IndexedDB (what the next page load will read). */
const stored = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<{ state?: { trial?: { served: number } } } | undefined>((resolve, reject) => {
        const open = indexedDB.open('baton');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('meta').objectStore('meta').get('rollout:mlp');
          get.onsuccess = () => {
            open.result.close();
            resolve(get.result as never);
          };
          get.onerror = () => reject(get.error);
        };
      }),
  );

async function serveRequests(page: Page, n: number, version: string) {
  const results = await page.evaluate(([x, count]) => window.harness.rt.burst(x, count), [X, n] as const);
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results.every((r) => r.ok && r.version === version)).toBe(true);
}

test('a reload resumes the trial where it stood, and a promotion survives the next reload', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  const health = await registry.cli('health', '--name', 'mlp', '--promote-after', '120');
  expect(health.code, health.stderr).toBe(0);
  await openHarness(page, registry);
  await startRuntime(page, registry);
  await serveRequests(page, 40, '1');

  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2' });
  await checkForUpdate(page);
  await waitForVersion(page, '2');
  await serveRequests(page, 80, '2');
  const before = (await status(page)).trial;
  expect(before).toMatchObject({ version: '2', baseline: '1', served: 80, failed: 0, n: 80 });
  // The counters are written at most once a second: a reload right now loses nothing once written.
  await expect.poll(async () => (await stored(page))?.state?.trial?.served, { timeout: 5_000 }).toBe(80);

  // A plain reload (no dispose): the page is gone, the trial is not.
  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
  await startRuntime(page, registry);
  const resumed = await status(page);
  expect(resumed.serving?.version).toBe('2');
  expect(resumed.trial).toMatchObject({ version: '2', baseline: '1', served: 80, startedAt: before!.startedAt, n: 80 });
  expect(await runtimeEvents(page, { type: 'promoted' })).toEqual([]);

  // 40 more requests reach the 120 the policy asks for: promoted, without starting over.
  await serveRequests(page, 40, '2');
  expect((await waitForRuntimeEvent(page, 'promoted')).event).toMatchObject({ version: '2', served: 120 });
  expect((await status(page)).rollout).toMatchObject({ phase: 'steady', promoted: ['2'], decisions: [{ kind: 'promoted', version: '2' }] });

  await page.evaluate(() => window.harness.rt.dispose());
  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
  await startRuntime(page, registry);
  const after = await status(page);
  expect(after.serving?.version).toBe('2');
  expect(after.trial).toBeUndefined();
  expect(after.rollout.phase).toBe('steady');
  await page.evaluate(() => window.harness.rt.dispose());
});

test('a stage that requires healthy runs opens once this device has seen them in the shadow', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await openHarness(page, registry);
  await startRuntime(page, registry);
  // 1.1 has v1's weights (it agrees); every device may serve it after 20 healthy runs of its own.
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1.1', rollout: 0, extraArgs: ['--shadow', '1'] });
  const staged = await registry.cli('rollout', '--name', 'mlp', '--stage', '100/20runs');
  expect(staged.code, staged.stderr).toBe(0);
  await checkForUpdate(page);
  await expect.poll(async () => (await status(page)).shadow?.version).toBe('1.1');

  // One request at a time: each shadow run is counted before the next request.
  for (let i = 0; i < 19; i++) {
    expect(await runOnce(page)).toMatchObject({ ok: true, version: '1' });
    await expect.poll(async () => (await status(page)).shadow?.n).toBe(i + 1);
  }
  expect((await status(page)).rollout.healthyRuns).toEqual({ '1.1': 19 });
  expect(await runtimeEvents(page, { type: 'switch' })).toEqual([]);

  // The 20th agreeing run opens the stage: the device adopts 1.1, on trial against 1.
  expect(await runOnce(page)).toMatchObject({ ok: true, version: '1' });
  await waitForVersion(page, '1.1');
  expect((await status(page)).trial).toMatchObject({ version: '1.1', baseline: '1' });
  expect(await runOnce(page)).toMatchObject({ ok: true, version: '1.1' });
  await page.evaluate(() => window.harness.rt.dispose());
});
