/**
 * What the runtime reports, seen from outside: metrics per version after a swap, a lifecycle
 * log that survives a reload, telemetry batches arriving at a local collector (and inference
 * untouched when the collector is down or hangs), and a drift event when inputs move away from
 * the reference profile published with the version.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from '../src/testing/playwright.js';
import { checkForUpdate, runtimeEvents, runtimeMetrics, waitForRuntimeEvent, waitForVersion } from '../src/testing/runtime-page.js';
import { model } from './paths.js';
import { MLP_X, startRuntime } from './runtime-helpers.js';
import { openHarness } from './sw-helpers.js';

const X = MLP_X;

const metrics = (page: Page) => runtimeMetrics(page);
const logTypes = async (page: Page) => (await page.evaluate(() => window.harness.rt.log())).map((e) => `${e.type}${e.version ? `:${e.version}` : ''}`);
async function burst(page: Page, n: number, x = X) {
  const results = await page.evaluate(([input, count]) => window.harness.rt.burst(input, count), [x, n] as const);
  expect(results.filter((r) => !r.ok)).toEqual([]);
  return results;
}

test('metrics per version after a swap, and a lifecycle log that survives a reload', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await openHarness(page, registry);
  await startRuntime(page, registry);
  await burst(page, 30);
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2' });
  await checkForUpdate(page);
  await waitForVersion(page, '2');
  await burst(page, 20);

  const m = await metrics(page);
  expect(m.serving).toMatchObject({ version: '2', ep: 'wasm' });
  const row = (v: string) => m.versions.find((r) => r.version === v);
  expect(row('1')).toMatchObject({ ep: 'wasm', requests: 30, errors: 0, errorRate: 0 });
  expect(row('2')).toMatchObject({ ep: 'wasm', requests: 20, errors: 0 });
  expect(row('2')!.latencyMs.count).toBe(20);
  expect(row('2')!.latencyMs.p99).toBeGreaterThanOrEqual(row('2')!.latencyMs.p50);
  // v2 shares no chunk with v1 here: every one of its chunks was fetched.
  expect(m.downloads.find((d) => d.version === '2')).toMatchObject({ state: 'done', chunksReused: 0 });
  expect(m.downloads.find((d) => d.version === '2')!.chunksFetched).toBe(m.downloads.find((d) => d.version === '2')!.chunksTotal);

  const before = await logTypes(page);
  for (const step of ['manifest-accepted', 'download-started:2', 'download-verifying:2', 'version-ready:2', 'warmed:2', 'switch:2'])
    expect(before).toContain(step);
  expect(before.indexOf('warmed:2')).toBeLessThan(before.indexOf('switch:2'));

  await page.evaluate(() => window.harness.rt.dispose());
  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
  await startRuntime(page, registry);
  const after = await logTypes(page);
  // The story so far is still there, and this load's own steps follow it.
  expect(after.slice(0, before.length)).toEqual(before);
  expect(after.slice(before.length)).toContain('switch:2');
  await page.evaluate(() => window.harness.rt.dispose());
});

test('telemetry batches reach the collector; a collector that fails or hangs never holds up a request', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await openHarness(page, registry);
  await startRuntime(page, registry, { telemetryEndpoint: `${registry.server.url}/collector`, telemetryIntervalMs: 300 });
  await burst(page, 25);

  const logs = () => registry.server.telemetry().filter((p) => p.signal === 'logs');
  const metricPayloads = () => registry.server.telemetry().filter((p) => p.signal === 'metrics');
  // Batches go out every 300 ms: one after the burst counts all 25 requests.
  await expect.poll(() => metricPayloads().some((p) => JSON.stringify(p.body).includes('"asInt":"25"')), { timeout: 10_000 }).toBe(true);
  const logText = JSON.stringify(logs().map((p) => p.body));
  expect(logText).toContain('"baton.switch"');
  const lastMetrics = JSON.stringify(metricPayloads().at(-1)!.body);
  expect(lastMetrics).toContain('"baton.requests"');
  expect(lastMetrics).toContain('{"key":"baton.version","value":{"stringValue":"1"}}');

  // The collector answers 503: requests go on, the exporter counts its failures and keeps the batch.
  const down = registry.server.fault('/collector/**', { kind: 'status', status: 503 });
  const sentBefore = registry.server.telemetry().length;
  await burst(page, 100);
  await expect.poll(async () => (await metrics(page)).telemetry[0]?.failed ?? 0, { timeout: 10_000 }).toBeGreaterThan(0);
  expect(registry.server.telemetry().length).toBe(sentBefore);
  down.remove();

  // The collector hangs for a minute: a burst of requests still completes at once.
  registry.server.fault('/collector/**', { kind: 'delay', ms: 60_000 });
  await page.evaluate(() => void window.harness.rt.flushTelemetry());
  const t0 = Date.now();
  await burst(page, 100);
  expect(Date.now() - t0).toBeLessThan(15_000);
  expect((await metrics(page)).versions.find((v) => v.version === '1')).toMatchObject({ requests: 225, errors: 0 });
  registry.server.clearFaults();
  await page.evaluate(() => window.harness.rt.dispose());
});

test('inputs that move away from the published reference profile raise a drift event', async ({ page, registry }, testInfo) => {
  // The reference: inputs around X, as the app normally sees them.
  const samples = {
    inputs: Array.from({ length: 200 }, (_, i) => ({ x: { type: 'float32', dims: [1, 4], data: X.map((v, j) => v + Math.sin(i * 7 + j) * 0.5) } })),
  };
  await mkdir(testInfo.outputDir, { recursive: true });
  const samplesPath = join(testInfo.outputDir, 'samples.json');
  await writeFile(samplesPath, JSON.stringify(samples));
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1', extraArgs: ['--profile', samplesPath] });
  await openHarness(page, registry);
  // Every request sampled, so the test needs few of them.
  await startRuntime(page, registry, { drift: { sampleRate: 1 } });

  // In-distribution traffic (the same process as the samples, other draws): no drift.
  const typical = (i: number) => X.map((v, j) => v + Math.sin(i * 7 + j) * 0.5);
  for (let b = 0; b < 6; b++) {
    const results = await page.evaluate(
      (xs) => window.harness.rt.burstEach(xs),
      Array.from({ length: 100 }, (_, k) => typical(1000 + b * 100 + k)),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
  }
  let m = await metrics(page);
  expect(m.drift.find((d) => d.side === 'input' && d.tensor === 'x')).toMatchObject({ drifted: false, n: 2400 });
  expect(m.drift.find((d) => d.side === 'input')!.psi).toBeLessThan(0.2);
  expect(await runtimeEvents(page, { type: 'drift' })).toEqual([]);

  // The inputs shift by +3: the input's PSI (and the outputs') crosses 0.2 and a drift event fires.
  for (let i = 0; i < 6; i++)
    await burst(
      page,
      100,
      X.map((v) => v + 3),
    );
  expect((await waitForRuntimeEvent(page, 'drift')).event).toMatchObject({ version: '1', side: 'input', tensor: 'x', threshold: 0.2 });
  m = await metrics(page);
  expect(m.drift.find((d) => d.side === 'input' && d.tensor === 'x')).toMatchObject({ drifted: true });
  expect(await logTypes(page)).toContain('drift:1');
  await page.evaluate(() => window.harness.rt.dispose());
});
