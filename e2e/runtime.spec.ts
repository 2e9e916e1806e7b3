/**
 * The runtime end to end in Chromium: a worker per version, the switch between two requests,
 * failures that never serve, crash recovery, provider selection, the real Silero update.
 */
import type { Page } from '@playwright/test';
import { test, expect } from '../src/testing/playwright.js';
import { mlpReference, sileroModelPath } from '../src/testing/models.js';
import { model } from './paths.js';
import { MLP_X, startRuntime } from './runtime-helpers.js';
import { openHarness } from './sw-helpers.js';

const X = MLP_X;


const run = (page: Page, x = X) => page.evaluate((input) => window.harness.rt.run(input), x);
const events = (page: Page) => page.evaluate(() => window.harness.rt.events());

function expectMlp(output: number[], variant: number, x = X) {
  Array.from(mlpReference(variant, Float32Array.from(x), 1)).forEach((y, i) => expect(output[i]).toBeCloseTo(y, 5));
}

test.beforeEach(async ({ page, registry }) => {
  await openHarness(page, registry);
});

test.afterEach(async ({ page }) => {
  await page.evaluate(() => window.harness.rt.dispose());
});

test.describe('under continuous load', () => {
  // The stall bound (2 × the steady p99) is a timing figure taken on a shared 2-core machine while
  // the other test worker runs; one retry absorbs a noisy neighbour. Playwright reports a pass on
  // retry as "flaky", so it stays visible. The benchmark measures the same figures without noise.
  test.describe.configure({ retries: 1 });

test('serves v1, then switches to v2 between requests under continuous load: none failed, none stalled', async ({ page, registry }, testInfo) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await startRuntime(page, registry);
  const first = await run(page);
  expect(first.ok && first.version).toBe('1');
  if (first.ok) expectMlp(first.output, 1);
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).standby).toBe('ready');

  // 200 requests/s. Steady state first (the first 50 requests include the engine's tier-up), then
  // publish; the runtime finds, downloads, loads, warms and switches with the load running.
  await page.evaluate((x) => window.harness.rt.startLoad(x, 5), X);
  await expect.poll(() => page.evaluate(() => window.harness.rt.loadCompleted())).toBeGreaterThanOrEqual(650);
  // This test is about the switch, not the latency gate (unit-tested in src/health): v2's p95 is
  // compared with v1's from before the swap, and a neighbour taking the 2 cores meanwhile (the
  // other test worker) can triple it. A wide gate keeps that noise from rolling v2 back here.
  const gate = await registry.cli('health', '--name', 'mlp', '--max-p95-ratio', '50');
  expect(gate.code, gate.stderr).toBe(0);
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2' });
  // The swap window starts when the device starts the update (publishing is the server's work).
  const [publishedAt, update] = await page.evaluate(async () => [performance.now(), await window.harness.rt.checkForUpdate()] as const);
  expect(update.ok, JSON.stringify(update)).toBe(true);
  await expect.poll(async () => (await events(page)).some((e) => e.type === 'switch' && (e.event as { to: string }).to === '2')).toBe(true);
  const switchedAt = (await events(page)).find((e) => e.type === 'switch' && (e.event as { to: string }).to === '2')!.at;
  // v2 is on trial with v1 kept warm for an instant rollback; once v2 has served its healthy
  // requests it is promoted and v1 is released.
  const promoted = async () => (await events(page)).some((e) => e.type === 'promoted' && (e.event as { version: string }).version === '2');
  await expect.poll(promoted, { timeout: 30_000 }).toBe(true).catch(async (e: unknown) => {
    const st = await page.evaluate(() => window.harness.rt.status());
    const seen = (await events(page)).filter((x) => x.type !== 'progress').map((x) => [x.type, x.event]);
    throw new Error(`v2 was not promoted: trial ${JSON.stringify(st.trial)}, load ${await page.evaluate(() => window.harness.rt.loadCompleted())}, events ${JSON.stringify(seen)}; ${String(e)}`);
  });
  await expect.poll(async () => (await events(page)).some((e) => e.type === 'released' && (e.event as { version: string }).version === '1')).toBe(true);
  const releasedAt = (await events(page)).find((e) => e.type === 'released')!.at;
  const settled = await page.evaluate(() => window.harness.rt.loadCompleted());
  await expect.poll(() => page.evaluate(() => window.harness.rt.loadCompleted())).toBeGreaterThanOrEqual(settled + 50);
  const records = await page.evaluate(() => window.harness.rt.stopLoad());
  const after = await run(page);
  expect(after.ok && after.version).toBe('2');
  if (after.ok) expectMlp(after.output, 2);

  expect(records.filter((r) => r.code !== undefined)).toEqual([]);
  const versions = records.map((r) => r.version);
  const flip = versions.indexOf('2');
  expect(flip).toBeGreaterThan(0);
  expect(versions.slice(0, flip).every((v) => v === '1')).toBe(true);
  expect(versions.slice(flip).every((v) => v === '2')).toBe(true);

  const ms = (rs: typeof records) => rs.map((r) => r.end - r.start).sort((a, b) => a - b);
  const steady = ms(records.slice(50).filter((r) => r.start < publishedAt));
  // The swap's work is done once v1 has drained (its last request ended): the window ends there.
  const drainedAt = Math.max(switchedAt, ...records.filter((r) => r.version === '1').map((r) => r.end));
  const window_ = ms(records.filter((r) => r.start >= publishedAt && r.start <= drainedAt));
  const p99 = steady[Math.floor(steady.length * 0.99)]!;
  const spanS = (records.at(-1)!.start - records[0]!.start) / 1000;
  const figures = {
    requests: records.length,
    perSecond: Math.round(records.length / spanS),
    steadyP50Ms: steady[Math.floor(steady.length / 2)],
    steadyP99Ms: p99,
    swapWindowP99Ms: window_[Math.floor(window_.length * 0.99)],
    swapWindowMaxMs: window_.at(-1),
    stalled: window_.filter((d) => d > 2 * p99).length,
    swapWindowRequests: window_.length,
    checkToSwitchMs: Math.round(switchedAt - publishedAt),
    switchToDrainedMs: Math.round(drainedAt - switchedAt),
    switchToReleasedMs: Math.round(releasedAt - switchedAt),
  };
  testInfo.annotations.push({ type: 'figures', description: JSON.stringify(figures) });
  console.log('switch under load:', figures);
  // Which requests were slow, relative to the check and the switch, for whoever reads a failure.
  const slow = records.filter((r) => r.start >= publishedAt && r.start <= drainedAt && r.end - r.start > 2 * p99);
  testInfo.annotations.push({ type: 'slow requests', description: JSON.stringify(slow.map((r) => ({ fromCheckMs: Math.round(r.start - publishedAt), fromSwitchMs: Math.round(r.start - switchedAt), ms: +(r.end - r.start).toFixed(1), version: r.version }))) });
  expect(figures.perSecond).toBeGreaterThanOrEqual(100);
  expect(figures.stalled, `requests slower than 2 × steady p99 (${p99.toFixed(2)} ms) during the swap`).toBe(0);
});
});

test('requests issued all at once are serialised per session: none fails with "Session already started"', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await startRuntime(page, registry);
  const results = await page.evaluate((x) => window.harness.rt.burst(x, 64), X);
  expect(results.filter((r) => !r.ok)).toEqual([]);
  expect(results).toHaveLength(64);
});

test('a version that fails to load never serves, is quarantined, and v1 keeps serving', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await startRuntime(page, registry);
  await registry.publish(model('broken.onnx'), { name: 'mlp', version: '2' });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await events(page)).find((e) => e.type === 'load-failed')?.event).toMatchObject({ version: '2', error: { code: 'model-load-failed' } });
  const r = await run(page);
  expect(r.ok && r.version).toBe('1');
  const status = await page.evaluate(() => window.harness.rt.status());
  expect(status.serving?.version).toBe('1');
  expect(status.device?.versions.find((v) => v.version === '2')?.state).toBe('quarantined');
  expect((await events(page)).some((e) => e.type === 'switch' && (e.event as { to: string }).to === '2')).toBe(false);
});

test('a version that fails its warm-up never serves', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await startRuntime(page, registry, { failWarmupOf: '2' });
  await registry.publish(model('failing-run.onnx'), { name: 'mlp', version: '2' });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await events(page)).find((e) => e.type === 'load-failed')?.event).toMatchObject({ version: '2', error: { code: 'warmup-failed' } });
  const r = await run(page);
  expect(r.ok && r.version).toBe('1');
});

test('NaN outputs: resolved as the model gave them by default, rejected with run-failed under rejectNonFinite; errors either way', async ({ page, registry }) => {
  await registry.publish(model('nan.onnx'), { name: 'mlp', version: '1' });
  await startRuntime(page, registry);
  const plain = await run(page);
  expect(plain.ok).toBe(true);
  if (plain.ok) expect(plain.output.every((y) => Number.isNaN(y))).toBe(true);
  await page.evaluate(() => window.harness.rt.dispose());

  await startRuntime(page, registry, { rejectNonFinite: true });
  expect(await run(page)).toMatchObject({ ok: false, error: { code: 'run-failed', details: { nonFinite: true, version: '1' } } });
  const row = (await page.evaluate(() => window.harness.rt.metrics())).versions.find((v) => v.version === '1');
  expect(row).toMatchObject({ requests: 1, errors: 1 });
});

test('a crashed worker is replaced and later requests succeed on the same version', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await startRuntime(page, registry);
  // The standby starts a moment after a cold start: count once it is there.
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).standby).toBe('ready');
  const workersBefore = page.workers().length;
  await page.evaluate(() => window.harness.rt.crashWorker());
  await expect.poll(async () => (await events(page)).find((e) => e.type === 'worker-restarted')?.event).toMatchObject({ version: '1', reason: { code: 'worker-crashed' } });
  for (let i = 0; i < 5; i++) {
    const r = await run(page);
    expect(r.ok && r.version, JSON.stringify(r)).toBe('1');
    if (r.ok) expectMlp(r.output, 1);
  }
  await expect.poll(() => page.workers().length).toBe(workersBefore);
});

test('without WebGPU the worker says why and runs on WASM', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await startRuntime(page, registry, { executionProviders: ['webgpu', 'wasm'] });
  const status = await page.evaluate(() => window.harness.rt.status());
  expect(status.worker).toMatchObject({ ep: 'wasm', webgpu: { available: false } });
  expect(status.worker.fallbackReason).toMatch(/navigator\.gpu|requestAdapter/);
  const r = await run(page);
  expect(r.ok && r.ep).toBe('wasm');
});

test('the real Silero VAD v5 → v6 update works end to end', async ({ page, registry }) => {
  await registry.publish(sileroModelPath('v5'), { name: 'vad', version: '5' });
  await startRuntime(page, registry, { silero: true }, 'vad');
  const v5 = await page.evaluate(() => window.harness.rt.runSilero());
  expect(v5.ok && v5.version, JSON.stringify(v5)).toBe('5');
  await registry.publish(sileroModelPath('v6'), { name: 'vad', version: '6' });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await events(page)).some((e) => e.type === 'switch' && (e.event as { to: string }).to === '6')).toBe(true);
  const v6 = await page.evaluate(() => window.harness.rt.runSilero());
  expect(v6.ok && v6.version).toBe('6');
  if (v6.ok) expect(v6.output[0]).toBeGreaterThanOrEqual(0);
});

test('an incompatible update (Silero legacy → v5 changes the inputs) is refused before switching', async ({ page, registry }) => {
  await registry.publish(sileroModelPath('legacy'), { name: 'vad', version: 'legacy' });
  await startRuntime(page, registry, { silero: true }, 'vad');
  // The publisher refuses this without --allow-incompatible; a publisher who overrides it must
  // not break the devices still running the old interface.
  await expect(registry.publish(sileroModelPath('v5'), { name: 'vad', version: '5' })).rejects.toThrow(/incompatible-model/);
  await registry.publish(sileroModelPath('v5'), { name: 'vad', version: '5', extraArgs: ['--allow-incompatible'] });
  const check = await page.evaluate(() => window.harness.rt.checkForUpdate());
  expect(check.ok && check.value.failed).toEqual([{ version: '5', error: expect.objectContaining({ code: 'incompatible-model' }) }]);
  expect(registry.server.requests({ path: '/registry/vad/chunks/*' }).length).toBe(1); // legacy's one chunk only
  expect((await page.evaluate(() => window.harness.rt.status())).serving?.version).toBe('legacy');
});

test('50 swaps leave one inference worker and memory near its baseline', async ({ page, registry }, testInfo) => {
  test.setTimeout(180_000);
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  // The standby is replaced at once here, so each swap finds one ready (50 swaps in seconds).
  await startRuntime(page, registry, { standbyRespawnDelayMs: 0 });
  await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2' });
  await page.evaluate(() => window.harness.rt.checkForUpdate());
  await expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).serving?.version).toBe('2');
  const standbyReady = () => expect.poll(async () => (await page.evaluate(() => window.harness.rt.status())).standby, { timeout: 20_000 }).toBe('ready');
  await standbyReady();
  // Pinned versions are not on trial, so each swap retires the old worker at once: what stays
  // is the live worker and the standby.
  const baselineWorkers = 2;
  const memory = () => page.evaluate(() => window.harness.rt.memory());
  const swapTo = async (target: string) => {
    expect(await page.evaluate((v) => window.harness.rt.pin(v), target)).toBe(true);
    const r = await run(page);
    expect(r.ok && r.version).toBe(target);
  };
  // One pinned swap first: v2's trial ends and the version it kept warm is released, so the
  // baseline holds what every later swap leaves (the live worker and the standby).
  await swapTo('1');
  await standbyReady();
  await expect.poll(() => page.workers().length).toBe(baselineWorkers);
  const afterOne = await memory();
  for (let i = 0; i < 50; i++) await swapTo(i % 2 === 0 ? '2' : '1');
  // Every retired worker was terminated: what is left is the live worker and the standby.
  await standbyReady();
  await expect.poll(() => page.workers().length).toBe(baselineWorkers);
  const switches = (await events(page)).filter((e) => e.type === 'switch').length;
  expect(switches).toBe(52);
  const afterFifty = await memory();
  const figures = { afterOneMB: afterOne && afterOne / 2 ** 20, afterFiftyMB: afterFifty && afterFifty / 2 ** 20, ratio: afterOne && afterFifty ? afterFifty / afterOne : undefined };
  testInfo.annotations.push({ type: 'figures', description: JSON.stringify(figures) });
  console.log('memory after 1 and 50 swaps:', figures);
  if (figures.ratio !== undefined) expect(figures.ratio).toBeLessThan(1.5);
});

test('with the service worker: serves, then starts offline from cache on a cold reload', async ({ page, context, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
  await startRuntime(page, registry, { serviceWorker: { scriptUrl: './sw.js' } });
  const online = await run(page);
  expect(online.ok && online.version).toBe('1');
  await page.evaluate(() => window.harness.rt.dispose());

  const seen = registry.server.requests().length;
  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
  await startRuntime(page, registry, { serviceWorker: { scriptUrl: './sw.js' }, checkOnStart: true });
  const offline = await run(page);
  expect(offline.ok && offline.version, JSON.stringify(offline)).toBe('1');
  if (offline.ok) expectMlp(offline.output, 1);
  // The start-up check failed as it must offline, with a typed error, and changed nothing.
  await expect.poll(async () => (await events(page)).find((e) => e.type === 'update-failed')?.event).toMatchObject({ error: { code: 'network-error' } });
  // Nothing of Baton's reached the server. (The browser's own update check of /sw.js can: it runs
  // in the browser process, outside Playwright's offline emulation.)
  expect(registry.server.requests().slice(seen).map((r) => r.path).filter((p) => p !== '/sw.js')).toEqual([]);
});

for (const [what, scriptUrl] of [
  ['a dev server answers the service worker URL with index.html', './index.html'],
  ['the service worker script is missing (404)', './no-such-sw.js'],
] as const) {
  test(`when ${what}, the page runs the updates itself and says so once`, async ({ page, registry }) => {
    await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1' });
    await startRuntime(page, registry, { serviceWorker: { scriptUrl } });
    const first = await run(page);
    expect(first.ok && first.version).toBe('1');
    await expect.poll(async () => (await events(page)).filter((e) => e.type === 'service-worker-unavailable')).toHaveLength(1);
    const said = (await events(page)).find((e) => e.type === 'service-worker-unavailable')!.event as { error: { code: string; message: string } };
    expect(said.error.code).toBe('unavailable');
    expect(said.error.message).toContain(scriptUrl.slice(2));
    expect((await page.evaluate(() => window.harness.rt.status())).updates).toBe('page');
    expect(await page.evaluate(() => navigator.serviceWorker.getRegistrations().then((r) => r.length))).toBe(0);

    // The page's own updater does the work: v2 arrives and takes over.
    await registry.publish(model('mlp-v2.onnx'), { name: 'mlp', version: '2' });
    const check = await page.evaluate(() => window.harness.rt.checkForUpdate());
    expect(check.ok && check.value.ready).toContain('2');
    await expect.poll(async () => (await run(page)).ok && (await run(page)).version).toBe('2');
    expect((await events(page)).filter((e) => e.type === 'service-worker-unavailable')).toHaveLength(1);
  });
}
