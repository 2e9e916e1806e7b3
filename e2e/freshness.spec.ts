/**
 * Freshness: a device whose manifest expired, or was signed longer ago than the app allows,
 * keeps serving what it has and says so — once per page load — until a fresh manifest arrives.
 */
import type { Page } from '@playwright/test';
import { test, expect } from '../src/testing/playwright.js';
import { checkForUpdate, runOnce, runtimeEvents, runtimeStatus, waitForRuntimeEvent } from '../src/testing/runtime-page.js';
import { model } from './paths.js';
import { startRuntime } from './runtime-helpers.js';
import { openHarness } from './sw-helpers.js';

const DAY = 86_400_000;
const run = (page: Page) => runOnce(page);
const freshness = async (page: Page) => (await runtimeStatus(page)).freshness;
const staleEvents = (page: Page) => runtimeEvents(page, { type: 'manifest-stale' });

test.beforeEach(async ({ page, registry }) => {
  await openHarness(page, registry);
});

test('a manifest signed longer ago than maxManifestAgeMs: served, said to be stale once, fresh again after baton resign', async ({ page, registry }) => {
  // Signed two days ago, valid for thirty: a mirror that kept re-serving it would look just like this.
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1', at: Date.now() - 2 * DAY });
  await startRuntime(page, registry, { maxManifestAgeMs: DAY, checkOnStart: true });
  expect(await run(page)).toMatchObject({ ok: true, version: '1' });
  await expect.poll(() => staleEvents(page)).toHaveLength(1);
  expect((await staleEvents(page))[0]!.event).toMatchObject({ stale: true, reason: 'too-old', maxAgeMs: DAY });
  expect(await freshness(page)).toMatchObject({ stale: true, reason: 'too-old' });
  expect((await freshness(page)).ageMs).toBeGreaterThan(2 * DAY - 60_000);

  // More checks while nothing changes: still stale, said no more.
  expect(await checkForUpdate(page)).toMatchObject({ ok: true });
  expect(await staleEvents(page)).toHaveLength(1);

  // The publisher re-signs, as a cron job would: the next check makes the device fresh.
  expect((await registry.cli('resign', '--name', 'mlp', '--expires', '2d')).code).toBe(0);
  expect(await checkForUpdate(page)).toMatchObject({ ok: true });
  expect(await freshness(page)).toMatchObject({ stale: false });
  expect((await freshness(page)).ageMs).toBeLessThan(60_000);
  expect(await run(page)).toMatchObject({ ok: true, version: '1' });
});

test('an expired manifest: the model keeps serving, the check fails with manifest-expired, and every page load says it once', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1', expires: '4s' });
  await startRuntime(page, registry);
  expect(await run(page)).toMatchObject({ ok: true, version: '1' });
  expect(await freshness(page)).toMatchObject({ stale: false });

  // The registry keeps serving the same manifest past its expiry (a frozen mirror, or no publisher).
  await expect
    .poll(
      async () => {
        await checkForUpdate(page);
        return (await freshness(page)).reason;
      },
      { timeout: 20_000, intervals: [500] },
    )
    .toBe('expired');
  const failed = await checkForUpdate(page);
  expect(failed).toMatchObject({ ok: false, error: { code: 'manifest-expired' } });
  expect(await run(page)).toMatchObject({ ok: true, version: '1' });
  await expect.poll(() => staleEvents(page)).toHaveLength(1);

  // A reload: the device starts from what it holds, serves, and says it is stale again, once.
  await page.evaluate(() => window.harness.rt.dispose());
  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
  await startRuntime(page, registry, { checkOnStart: true });
  expect(await run(page)).toMatchObject({ ok: true, version: '1' });
  await expect.poll(() => staleEvents(page)).toHaveLength(1);
  expect((await staleEvents(page))[0]!.event).toMatchObject({ reason: 'expired' });
  // The start-up check, against the expired manifest, ends first: a check asked for while one
  // runs shares its outcome (one check per model at a time), and this one must see the resign.
  expect((await waitForRuntimeEvent(page, 'update-failed')).event).toMatchObject({ error: { code: 'manifest-expired' } });

  expect((await registry.cli('resign', '--name', 'mlp')).code).toBe(0);
  expect(await checkForUpdate(page)).toMatchObject({ ok: true });
  expect(await freshness(page)).toMatchObject({ stale: false });
});
