/**
 * The demo, as a newcomer sees it: `startDemo()` (what `npm run demo` runs) on a free port, the
 * dashboard opened in Chromium, "Play whole scenario" pressed. The assertions read what the
 * dashboard shows — the serving version, the rollout bucket, the timeline, the versions on the
 * device — and the requests chart's own data (`window.demo.chart()`), then check that the app
 * reloads offline and still serves.
 */
import { fileURLToPath } from 'node:url';
import type { Page, TestInfo } from '@playwright/test';
import type { Demo } from '../demo/server/start-demo.js';
import { startDemo } from '../demo/server/start-demo.js';
import type {} from '../demo/handle.js';
import { waitForServiceWorkerControl } from '../src/testing/page.js';
import { test, expect } from '../src/testing/playwright.js';

const root = fileURLToPath(new URL('..', import.meta.url));

let demo: Demo | undefined;

test.beforeAll(async () => {
  // The build (vite, ~10–20 s here) is the hook's, not the test's. Its own directories, so a
  // running `npm run demo` (dist/app, .cache/demo) is left alone.
  test.setTimeout(180_000);
  demo = await startDemo({ appDir: `${root}dist/demo-e2e`, cacheDir: `${root}.cache/e2e/demo` });
});

test.afterAll(async () => {
  await demo?.close();
});

test.afterEach(async ({ page }, testInfo) => {
  // The device's own account of what happened is the first thing to read when this fails.
  if (testInfo.status !== testInfo.expectedStatus) {
    const log = await page.evaluate(() => window.demo?.log()).catch(() => undefined);
    await testInfo.attach('runtime-log.json', { body: JSON.stringify(log ?? null, null, 2), contentType: 'application/json' });
  }
});

/** A full-page screenshot kept in the test's output directory and attached to the report. */
async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(name);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

const serving = (page: Page) => page.locator('#serving-version');
const timeline = (page: Page, type: string, version: string) => page.locator(`#timeline li[data-type="${type}"][data-version="${version}"]`);

test('the demo shows a staged rollout, a hot swap and an automatic rollback, then works offline', async ({ page, context }, testInfo) => {
  test.setTimeout(120_000);
  // A fresh round (a new model name with only v1), whatever an earlier test left.
  await demo!.control.reset();
  await page.goto(demo!.url);
  await expect(page.locator('body[data-ready=true]')).toBeAttached({ timeout: 30_000 });
  await expect(serving(page)).toHaveAttribute('data-version', '1.0.0');
  await expect(serving(page)).toHaveText('v1.0.0');
  await expect(page.locator('#ep-detail')).toContainText('WASM');

  await page.getByRole('button', { name: 'Play whole scenario' }).click();

  // Staged rollout: v2 goes to 50 % of devices, with a salt that puts this device inside.
  await expect(page.locator('#rollout-candidate')).toContainText('v2.0.0 is rolled out to 50 %', { timeout: 20_000 });
  await expect(page.locator('#rollout-bucket')).toHaveAttribute('data-inside', 'true');
  const bucket = Number(await page.locator('#rollout-bucket').getAttribute('data-bucket'));
  expect(bucket).toBeLessThan(5_000);
  await expect(page.locator('#rollout-bucket')).toContainText(`${bucket.toLocaleString('en')} of 10 000`);
  await expect(page.locator('#rollout-fleet')).toContainText(/\d+ of 1000 simulated devices/);

  // Hot swap: v2 serves, the timeline says so, and no request failed on the way.
  await expect(serving(page)).toHaveAttribute('data-version', '2.0.0', { timeout: 30_000 });
  await expect(timeline(page, 'switch', '2.0.0')).toBeVisible();
  await expect(timeline(page, 'download-started', '2.0.0')).toBeVisible();
  await expect(page.locator('#download-title')).toHaveText('v2.0.0: done');
  await expect(page.locator('#download-detail')).toContainText(/2\.22 MiB fetched of 2\.22 MiB \(100 %\) · \d+ chunks fetched/);
  await expect(timeline(page, 'promoted', '2.0.0')).toBeVisible({ timeout: 30_000 });
  expect(await page.evaluate(() => window.demo!.load.rejected())).toBe(0);

  // The chart's data show the switch: a marker, and buckets served by v1 then by v2.
  await expect.poll(async () => (await page.evaluate(() => window.demo!.chart())).version.lastIndexOf('2.0.0')).toBeGreaterThan(0);
  const chart = await page.evaluate(() => window.demo!.chart());
  const switchMarker = chart.markers.find((m) => m.kind === 'switch' && m.version === '2.0.0');
  expect(switchMarker, JSON.stringify(chart.markers)).toBeDefined();
  const firstV2 = chart.version.indexOf('2.0.0');
  const lastV1 = chart.version.lastIndexOf('1.0.0');
  expect(lastV1).toBeGreaterThanOrEqual(0);
  expect(lastV1).toBeLessThanOrEqual(firstV2);
  expect(Math.abs(chart.t[firstV2]! - switchMarker!.at / 1000)).toBeLessThanOrEqual(2);
  // Requests kept flowing through the switch: no empty second between v1's and v2's.
  expect(chart.rps.slice(lastV1, firstV2 + 1).every((r) => r > 0)).toBe(true);
  await screenshot(page, testInfo, 'dashboard-after-switch.png');

  // Automatic rollback: the broken v3 serves NaN, is rolled back to v2 and quarantined.
  await expect(timeline(page, 'rollback', '3.0.0')).toBeVisible({ timeout: 40_000 });
  await expect(timeline(page, 'rollback', '3.0.0')).toContainText('error-rate');
  await expect(timeline(page, 'quarantined', '3.0.0')).toBeVisible();
  await expect(page.locator('#device-versions tr[data-version="3.0.0"]')).toHaveAttribute('data-state', 'quarantined');
  await expect(page.locator('#device-versions tr[data-version="3.0.0"]')).toContainText('quarantined');
  await expect(serving(page)).toHaveAttribute('data-version', '2.0.0');
  await expect(page.locator('#scenario-status')).toHaveAttribute('data-phase', 'done');
  await expect(page.locator('#scenario-status')).toContainText('Automatic rollback');
  await expect(page.locator('#health tr[data-version="3.0.0"]')).toContainText('100.0 %');

  // The chart has the rollback marker and a complete second of v2 after it (for the screenshot).
  await expect
    .poll(async () => {
      const c = await page.evaluate(() => window.demo!.chart());
      const rollback = c.markers.find((m) => m.kind === 'rollback' && m.version === '3.0.0');
      return rollback !== undefined && (c.t.at(-1) ?? 0) > rollback.at / 1000 && c.version.at(-1) === '2.0.0';
    })
    .toBe(true);
  const after = await page.evaluate(() => window.demo!.chart());
  // v3's NaN answers never reached the listener: v2, kept loaded during the trial, answered
  // those requests instead (the chart's purple series), and no request failed in the window.
  expect(after.rescued.some((r) => r > 0)).toBe(true);
  expect(after.errors.filter((e) => e > 0)).toEqual([]);
  expect(after.markers.some((m) => m.kind === 'switch' && m.version === '3.0.0')).toBe(true);
  await screenshot(page, testInfo, 'dashboard-after-rollback.png');

  // Offline: the shell comes from the service worker's precache, the model from IndexedDB.
  await waitForServiceWorkerControl(page);
  await context.setOffline(true);
  try {
    await page.reload();
    await expect(page.locator('body[data-ready=true]')).toBeAttached({ timeout: 30_000 });
    await expect(serving(page)).toHaveAttribute('data-version', '2.0.0');
    await expect(page.locator('#chip-net')).toHaveText('offline', { timeout: 5_000 });
    // Still serving: requests complete on v2 after the offline reload.
    await expect.poll(() => page.evaluate(() => window.demo!.metrics().versions.find((v) => v.version === '2.0.0')?.requests ?? 0)).toBeGreaterThan(30);
    await expect(page.locator('#device-versions tr[data-version="3.0.0"]')).toHaveAttribute('data-state', 'quarantined');
  } finally {
    await context.setOffline(false);
  }
});
