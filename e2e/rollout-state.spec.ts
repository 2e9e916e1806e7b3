/**
 * The device's rollout state is persisted: a reload resumes a trial where it stood (its request
 * count, its baseline and its health window), a promotion survives a reload (no second trial),
 * and a schedule stage that requires healthy runs opens once this device has seen them.
 */
import type { Page } from '@playwright/test';
import { test, expect } from '../src/testing/playwright.js';
import { model } from './paths.js';
import { MLP_X, startRuntime } from './runtime-helpers.js';
import { openHarness } from './sw-helpers.js';

const X = MLP_X;

const status = (page: Page) => page.evaluate(() => window.harness.rt.status());
const events = (page: Page) => page.evaluate(() => window.harness.rt.events());

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
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await status(page)).serving?.version).toBe('2');
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
  expect((await events(page)).some((e) => e.type === 'promoted')).toBe(false);

  // 40 more requests reach the 120 the policy asks for: promoted, without starting over.
  await serveRequests(page, 40, '2');
  await expect.poll(async () => (await events(page)).find((e) => e.type === 'promoted')?.event).toMatchObject({ version: '2', served: 120 });
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
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await status(page)).shadow?.version).toBe('1.1');

  // One request at a time: each shadow run is counted before the next request.
  const served: string[] = [];
  for (let i = 0; i < 19; i++) {
    const r = await page.evaluate((x) => window.harness.rt.run(x), X);
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (r.ok) served.push(r.version);
    await expect.poll(async () => (await status(page)).shadow?.n).toBe(i + 1);
  }
  expect(new Set(served)).toEqual(new Set(['1']));
  expect((await status(page)).rollout.healthyRuns).toEqual({ '1.1': 19 });
  expect((await events(page)).some((e) => e.type === 'switch' && (e.event as { to: string }).to === '1.1')).toBe(false);

  // The 20th agreeing run opens the stage: the device adopts 1.1, on trial against 1.
  expect(await page.evaluate((x) => window.harness.rt.run(x), X)).toMatchObject({ ok: true, version: '1' });
  await expect.poll(async () => (await status(page)).serving?.version).toBe('1.1');
  expect((await status(page)).trial).toMatchObject({ version: '1.1', baseline: '1' });
  expect(await page.evaluate((x) => window.harness.rt.run(x), X)).toMatchObject({ ok: true, version: '1.1' });
  await page.evaluate(() => window.harness.rt.dispose());
});
