/**
 * Health-gated local rollback: a candidate that fails on 30 % of real inputs is rolled back by the
 * device itself within its health window, stays quarantined across a reload, and a later good
 * version is still adopted.
 */
import type { Page } from '@playwright/test';
import { test, expect } from '../src/testing/playwright.js';
import { slowModel } from '../src/testing/models.js';
import { model } from './paths.js';
import { MLP_X, startRuntime } from './runtime-helpers.js';
import { openHarness } from './sw-helpers.js';

const X = MLP_X;

const events = (page: Page) => page.evaluate(() => window.harness.rt.events());
const find = async (page: Page, type: string) => (await events(page)).find((e) => e.type === type);

test('a candidate failing on 30 % of inputs is rolled back within its window; no request fails after the rollback', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await openHarness(page, registry);
  // Telemetry every 10 minutes: only the immediate report of a rollback can reach the collector.
  await startRuntime(page, registry, { telemetryEndpoint: `${registry.server.url}/collector`, telemetryIntervalMs: 600_000 });
  // Baseline: v1 serves every input, the "bad" ones too.
  await page.evaluate((x) => window.harness.rt.startLoad(x, 5, 'mlp', 0.3), X);
  await expect.poll(() => page.evaluate(() => window.harness.rt.loadCompleted())).toBeGreaterThanOrEqual(100);

  await registry.publish(model('failing-run.onnx'), { name: 'mlp', version: '2' });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await find(page, 'rollback'))?.event).toMatchObject({ from: '2', reason: 'error-rate', error: { code: 'unhealthy' } });
  await expect.poll(async () => (await events(page)).filter((e) => e.type === 'switch').map((e) => (e.event as { to: string }).to)).toEqual(['2', '1']);
  const backAt = (await events(page)).filter((e) => e.type === 'switch').at(-1)!.at;
  const done = await page.evaluate(() => window.harness.rt.loadCompleted());
  await expect.poll(() => page.evaluate(() => window.harness.rt.loadCompleted())).toBeGreaterThanOrEqual(done + 100);
  const records = await page.evaluate(() => window.harness.rt.stopLoad());

  const onV2 = records.filter((r) => r.version === '2' || (r.code !== undefined && r.start < backAt));
  const failed = records.filter((r) => r.code !== undefined);
  // Every failure was v2's own (run-failed on a bad input), and all of them before the switch back.
  expect(failed.length).toBeGreaterThan(0);
  expect(failed.every((r) => r.code === 'run-failed' && r.start < backAt)).toBe(true);
  expect(records.filter((r) => r.start > backAt).every((r) => r.code === undefined && r.version === '1')).toBe(true);
  // Within the window: v2 saw fewer requests than its health window holds (200 by default).
  expect(onV2.length).toBeLessThan(200);
  const rollback = (await find(page, 'rollback'))!.event as { figures: Record<string, number> };
  console.log('rollback after', onV2.length, 'requests on v2:', rollback.figures);

  const status = await page.evaluate(() => window.harness.rt.status());
  expect(status.serving?.version).toBe('1');
  expect(status.device?.versions.find((v) => v.version === '2')).toMatchObject({ state: 'quarantined', error: { code: 'unhealthy' } });
  // Reported through the telemetry hook at once, with its reason and figures.
  const reported = () => registry.server.telemetry().filter((p) => p.signal === 'logs').map((p) => JSON.stringify(p.body));
  await expect.poll(() => reported().some((body) => body.includes('"baton.rollback"'))).toBe(true);
  const report = reported().find((body) => body.includes('"baton.rollback"'))!;
  expect(report).toContain('{"key":"baton.reason","value":{"stringValue":"error-rate"}}');
  expect(report).toContain('{"key":"baton.version","value":{"stringValue":"2"}}');

  // After a reload the device still refuses v2, and a later good version is adopted.
  await page.evaluate(() => window.harness.rt.dispose());
  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
  await startRuntime(page, registry);
  expect((await page.evaluate(() => window.harness.rt.status())).serving?.version).toBe('1');
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  expect((await page.evaluate(() => window.harness.rt.status())).serving?.version).toBe('1');
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '3' });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).serving?.version).toBe('3');
  await page.evaluate(() => window.harness.rt.dispose());
});

test('a candidate whose own compute time is far above the baseline’s is rolled back for latency', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await openHarness(page, registry);
  await startRuntime(page, registry);
  const burst = (n: number) => page.evaluate(([x, count]) => window.harness.rt.burst(x, count), [X, n] as const);
  expect((await burst(150)).every((r) => r.ok && r.version === '1')).toBe(true);

  // Same interface and answers as v1, but a 640×640 matrix product per request (~50 ms or more
  // here): far beyond what a busy neighbour on the cores can do to v1's sub-millisecond runs.
  await registry.publish(slowModel(640), { name: 'mlp', version: '2' });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).serving?.version).toBe('2');
  const served = await burst(120);
  expect(served.filter((r) => !r.ok)).toEqual([]);
  await expect.poll(async () => (await find(page, 'rollback'))?.event).toMatchObject({ from: '2', reason: 'latency' });
  const { figures } = (await find(page, 'rollback'))!.event as { figures: Record<string, number> };
  // Both halves of v2's window were slow; v1's p95 is its compute time, well under a millisecond or so.
  expect(figures['p95Older']!).toBeGreaterThan(2 * figures['baselineP95']! + 5);
  expect(figures['p95Newer']!).toBeGreaterThan(2 * figures['baselineP95']! + 5);
  expect(figures['requests']!).toBeGreaterThanOrEqual(100);
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).serving?.version).toBe('1');
  await page.evaluate(() => window.harness.rt.dispose());
});

test('a version killed in the manifest is dropped at once and never served again', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await openHarness(page, registry);
  await startRuntime(page, registry);
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2' });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).serving?.version).toBe('2');

  const killed = await registry.cli('kill', '2', '--name', 'mlp');
  expect(killed.code, killed.stderr).toBe(0);
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  // Back to v1 without loading anything: it was still warm from v2's trial.
  await expect.poll(async () => (await events(page)).filter((e) => e.type === 'switch').map((e) => (e.event as { to: string }).to)).toEqual(['2', '1']);
  for (let i = 0; i < 5; i++) {
    const r = await page.evaluate((x) => window.harness.rt.run(x), X);
    expect(r.ok && r.version).toBe('1');
  }
  // A pin on this device cannot bring it back either.
  expect(await page.evaluate(() => window.harness.rt.pin('2'))).toMatchObject({ code: 'version-unavailable' });
  expect((await page.evaluate(() => window.harness.rt.status())).serving?.version).toBe('1');
  await page.evaluate(() => window.harness.rt.dispose());
});

test('shadow mode: the candidate runs unseen on sampled requests, every answer stays v1, and disagreement rejects it', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await openHarness(page, registry);
  await startRuntime(page, registry);
  // v2 (other weights, other outputs) at 0 %: no device serves it; every request shadows it.
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2', rollout: 0, extraArgs: ['--shadow', '1'] });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).shadow?.version).toBe('2');
  for (let i = 0; i < 40; i++) {
    const r = await page.evaluate((x) => window.harness.rt.run(x), X);
    expect(r.ok && r.version).toBe('1');
  }
  await expect.poll(async () => (await find(page, 'rollback'))?.event).toMatchObject({ from: '2', reason: 'shadow-agreement' });
  const status = await page.evaluate(() => window.harness.rt.status());
  expect(status.shadow).toBeUndefined();
  expect(status.device?.versions.find((v) => v.version === '2')?.state).toBe('quarantined');
  expect((await events(page)).some((e) => e.type === 'switch' && (e.event as { to: string }).to === '2')).toBe(false);
  await page.evaluate(() => window.harness.rt.dispose());
});

test('shadow mode: a candidate that agrees keeps running in the shadow and is never served', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await openHarness(page, registry);
  await startRuntime(page, registry);
  // The same weights under a new version: every shadow output agrees with the live one.
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1.1', rollout: 0, extraArgs: ['--shadow', '1'] });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).shadow?.version).toBe('1.1');
  for (let i = 0; i < 40; i++) {
    const r = await page.evaluate((x) => window.harness.rt.run(x), X);
    expect(r.ok && r.version).toBe('1');
  }
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).shadow).toMatchObject({ version: '1.1', n: 40, agreement: 1 });
  expect(await find(page, 'rollback')).toBeUndefined();
  await page.evaluate(() => window.harness.rt.dispose());
});
