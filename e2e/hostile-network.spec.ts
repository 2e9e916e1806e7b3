/**
 * The service worker against a hostile registry (issue #13), in real Chromium: a manifest or a
 * chunk trickled a byte at a time, a manifest body that stops after its headers, a check held by
 * a trickle while a newer release is published, a gzip-encoded chunk, a chunk that fails its hash,
 * a 503 with Retry-After, a 404.
 *
 * Every attack test proves: (1) the typed error reaches the page (`timeout` / `too-slow` /
 * `hash-mismatch` / `http-error`); (2) v1 keeps serving, bit-exact; (3) nothing partial is marked
 * ready; (4) what the server saw; (5) once the attack ends, a good newer release is adopted within
 * ONE further check. Settings are small so each test takes seconds; waits are on events and on the
 * server's log, never on sleeps.
 */
import type { Page } from '@playwright/test';
import { mlpModel, mlpReference } from '../src/testing/models.js';
import { test, expect } from '../src/testing/playwright.js';
import type { TestRegistry } from '../src/testing/registry.js';
import type { Release } from '../src/types.js';
import { DEFAULT_DOWNLOAD, type DownloadSettings } from '../src/update/config.js';
import type { UpdateEvent } from '../src/update/messages.js';
import { model } from './paths.js';
import { expectOk } from './runtime-helpers.js';
import { check, connect, errorCode, events, openHarness, runStored, status, waitForEventAfter } from './sw-helpers.js';

test.use({ batonModel: 'mlp' });

const X = [0.5, -1, 2, 0.25];
const V1 = '1.0.0';
const V2 = '2.0.0';
const V3 = '3.0.0';

/**
 * The defaults' rules at a scale a test can wait for: a request is judged on its throughput after
 * 1 s, over 1 s; a manifest has 3 s; a check 30 s. Loopback delivers an honest 500-byte model in
 * milliseconds, far inside all of them.
 */
const HOSTILE: Partial<DownloadSettings> = {
  concurrency: 2,
  stallTimeoutMs: 1_500,
  retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 },
  minBytesPerSecond: 1024,
  throughputWindowMs: 1_000,
  throughputGraceMs: 1_000,
  manifestDeadlineMs: 3_000,
  chunkDeadlineSlackMs: 3_000,
  checkDeadlineMs: 30_000,
  checkBytesPerSecond: 1_000_000,
};
const ATTEMPTS = HOSTILE.retry!.attempts;
/** A byte every 100 ms: 10 B/s, a hundredth of the minimum. */
const TRICKLE = { kind: 'trickle', everyMs: 100 } as const;

type CheckOutcome = Awaited<ReturnType<typeof check>>;

function expectOutput(actual: number[], variant: number): void {
  const expected = Array.from(mlpReference(variant, Float32Array.from(X), 1));
  expect(actual).toHaveLength(expected.length);
  expected.forEach((y, i) => expect(actual[i]).toBeCloseTo(y, 5));
}

async function installV1(page: Page, registry: TestRegistry, download: Partial<DownloadSettings> = HOSTILE, chunkSize = 256): Promise<void> {
  await registry.publish(model('mlp-v1.onnx'), { version: V1, chunkSize });
  await openHarness(page, registry);
  await connect(page, registry, 'mlp', download);
  const installed = await check(page);
  expect(installed.ok && installed.value.ready, JSON.stringify(installed)).toEqual([V1]);
  expect((await status(page)).active).toBe(V1);
}

/** Publishes v2 as the candidate for every device; returns the chunks v1 does not share. */
async function publishV2(registry: TestRegistry, chunkSize = 256): Promise<Release['chunks']> {
  await registry.publish(model('mlp-v2.onnx'), { version: V2, chunkSize });
  const fresh = await registry.newChunks(V2, V1);
  expect(fresh.length).toBeGreaterThan(1);
  return fresh;
}

/** Runs a check with a clean request log; returns its outcome and the events heard before it. */
async function attackedCheck(page: Page, registry: TestRegistry): Promise<{ result: CheckOutcome; since: number; ms: number }> {
  registry.resetRequests();
  const since = (await events(page)).length;
  const started = Date.now();
  const result = await check(page);
  return { result, since, ms: Date.now() - started };
}

/** (1) A check that failed as a whole with `code`: the page heard it, and status() says it. */
async function expectCheckFailed(
  page: Page,
  { result, since }: { result: CheckOutcome; since: number },
  code: string,
): Promise<Extract<UpdateEvent, { type: 'update-failed' }>> {
  expect(errorCode(result), JSON.stringify(result)).toBe(code);
  const heard = await waitForEventAfter(
    page,
    since,
    (e) => e.type === 'update-failed' && e.version === undefined && e.error.code === code,
    `update-failed ${code}`,
  );
  expect((await status(page)).lastError?.code).toBe(code);
  return heard as Extract<UpdateEvent, { type: 'update-failed' }>;
}

/** (1) A check whose manifest was fine and whose v2 failed with `code`. */
async function expectV2Failed(page: Page, { result, since }: { result: CheckOutcome; since: number }, code: string) {
  expect(result.ok && result.value.failed.map((f) => [f.version, f.error.code]), JSON.stringify(result)).toEqual([[V2, code]]);
  expect(result.ok && result.value.ready).toEqual([V1]);
  await waitForEventAfter(page, since, (e) => e.type === 'update-failed' && e.version === V2 && e.error.code === code, `update-failed ${V2} ${code}`);
  expect((await status(page)).versions.find((v) => v.version === V2)).toMatchObject({ state: 'failed', error: { code } });
  return result.ok ? result.value.failed[0]!.error : undefined;
}

/** (2) v1 active and bit-exact; (3) no other version ready, and none loadable. */
async function expectStillServingV1(page: Page): Promise<void> {
  const s = await status(page);
  expect(s.active).toBe(V1);
  expect(s.versions.filter((v) => v.state === 'ready').map((v) => v.version)).toEqual([V1]);
  const served = expectOk(await runStored(page, X, 1), 'running the stored active version').value;
  expect(served.version).toBe(V1);
  expectOutput(served.output, 1);
  for (const other of [V2, V3]) expect(errorCode(await runStored(page, X, 1, other))).toBe('version-unavailable');
}

/** (5) ONE check brings `version` ready, and it runs; v1 stays active (switching is the runtime's call). */
async function expectAdoptedInOneCheck(page: Page, version = V2, variant = 2): Promise<void> {
  const result = await check(page);
  expect(result.ok && result.value.ready, JSON.stringify(result)).toEqual([version, V1]);
  const s = await status(page);
  expect(s.active).toBe(V1);
  expect(s.lastError).toBeUndefined();
  expect(s.versions.find((v) => v.version === version)).toMatchObject({ state: 'ready' });
  const run = expectOk(await runStored(page, X, 1, version), `running stored ${version}`).value;
  expect(run.version).toBe(version);
  expectOutput(run.output, variant);
}

/** (4) Waits until the server has closed every request for `path`, and returns them. */
async function settledRequests(registry: TestRegistry, path: string) {
  await expect.poll(() => registry.requests({ path }).every((r) => !r.pending), { message: `requests for ${path} settle` }).toBe(true);
  return registry.requests({ path });
}

// ---------------------------------------------------------------------------------------------
// The manifest

test('a manifest trickled at 10 B/s is abandoned with too-slow once the grace period is over; v1 keeps serving; the next check adopts v2', async ({
  page,
  registry,
}) => {
  await installV1(page, registry);
  await publishV2(registry);
  registry.fault(registry.paths.manifest(), TRICKLE);

  const attacked = await attackedCheck(page, registry);
  const heard = await expectCheckFailed(page, attacked, 'too-slow');
  expect(heard.error.details).toMatchObject({ minBytesPerSecond: 1024 });
  expect(Number(heard.error.details?.['bytesPerSecond'])).toBeLessThan(100);
  // One request, hung up on by the device long before the body could end (~20 s at this pace).
  const [manifest, ...more] = await settledRequests(registry, registry.paths.manifest());
  expect(more).toEqual([]);
  expect(manifest).toMatchObject({ fault: 'trickle', status: 200, aborted: true });
  expect(manifest!.bytesSent).toBeLessThan(100);
  expect(registry.requests({ path: registry.paths.chunks() })).toEqual([]);
  await expectStillServingV1(page);

  registry.clearFaults();
  await expectAdoptedInOneCheck(page);
});

test('a manifest body that stops after its headers fails with timeout at the manifest deadline, not never', async ({ page, registry }) => {
  // Stalls allowed for a minute: what ends this request is the manifest's own deadline (3 s).
  const patient = { ...HOSTILE, stallTimeoutMs: 60_000 };
  await installV1(page, registry, patient);
  await publishV2(registry);
  registry.fault(registry.paths.manifest(), { kind: 'stall', afterBytes: 0 });

  const attacked = await attackedCheck(page, registry);
  const heard = await expectCheckFailed(page, attacked, 'timeout');
  expect(heard.error.details).toMatchObject({ deadline: 3_000 });
  const [manifest, ...more] = await settledRequests(registry, registry.paths.manifest());
  expect(more).toEqual([]);
  expect(manifest).toMatchObject({ fault: 'stall', status: 200, bytesSent: 0, aborted: true });
  expect(registry.requests({ path: registry.paths.chunks() })).toEqual([]);
  await expectStillServingV1(page);

  registry.clearFaults();
  await expectAdoptedInOneCheck(page);
});

// ---------------------------------------------------------------------------------------------
// Chunks

test('a chunk trickled at 10 B/s fails with too-slow on each attempt, each abandoned after about a second; v2 is adopted once it stops', async ({
  page,
  registry,
}) => {
  await installV1(page, registry);
  const target = (await publishV2(registry))[0]!;
  registry.fault(registry.paths.chunk(target.sha256), TRICKLE);

  const attacked = await attackedCheck(page, registry);
  const error = await expectV2Failed(page, attacked, 'too-slow');
  expect(error?.details).toMatchObject({ minBytesPerSecond: 1024 });
  // too-slow is retried (another attempt may reach a better edge): every attempt, each cut short.
  const sent = await settledRequests(registry, registry.paths.chunk(target.sha256));
  expect(sent.map((r) => [r.fault, r.aborted])).toEqual(Array(ATTEMPTS).fill(['trickle', true]));
  for (const r of sent) expect(r.bytesSent).toBeLessThan(target.size);
  await expectStillServingV1(page);

  registry.clearFaults();
  await expectAdoptedInOneCheck(page);
});

test('a check held by a chunk that trickles just fast enough hits the check deadline; a release published meanwhile is adopted by the next check', async ({
  page,
  registry,
}) => {
  // 2 B/s passes a 1 B/s minimum and never stalls: only the check's own deadline (4 s) ends it.
  const held = { ...HOSTILE, minBytesPerSecond: 1, checkDeadlineMs: 4_000 };
  await installV1(page, registry, held);
  const target = (await publishV2(registry))[0]!;
  const path = registry.paths.chunk(target.sha256);
  registry.fault(path, { kind: 'trickle', everyMs: 500 });

  registry.resetRequests();
  const since = (await events(page)).length;
  const pending = check(page);
  await expect.poll(() => registry.requests({ path }).length, { message: 'the trickled chunk is asked for' }).toBe(1);
  // The publisher ships v3 during the attack.
  await registry.publish(mlpModel(3), { version: V3, chunkSize: 256 });
  expect((await registry.release(V3)).chunks.map((c) => c.sha256)).not.toContain(target.sha256);

  const heard = await expectCheckFailed(page, { result: await pending, since }, 'timeout');
  expect(heard.error.details).toMatchObject({ scope: 'check', deadline: expect.any(Number) });
  const [trickled, ...more] = await settledRequests(registry, path);
  expect(more).toEqual([]);
  expect(trickled).toMatchObject({ fault: 'trickle', aborted: true });
  expect(trickled!.bytesSent).toBeLessThan(target.size);
  await expectStillServingV1(page);

  // The attack on v2's chunk goes on; v3 does not need it. One check adopts v3.
  await expectAdoptedInOneCheck(page, V3, 3);
  expect(registry.requests({ path })).toHaveLength(1);
});

test('a check() that finds a check held by a trickle, older than the manifest deadline, supersedes it for a newer manifest: both callers get v3', async ({
  page,
  registry,
}) => {
  const held = { ...HOSTILE, minBytesPerSecond: 1, manifestDeadlineMs: 1_000 };
  await installV1(page, registry, held);
  const target = (await publishV2(registry))[0]!;
  const path = registry.paths.chunk(target.sha256);
  registry.fault(path, { kind: 'trickle', everyMs: 500 });

  registry.resetRequests();
  const since = (await events(page)).length;
  const first = check(page);
  // Three bytes at 500 ms each: the check has run longer than its 1 s manifest deadline.
  await expect.poll(() => registry.requests({ path })[0]?.bytesSent ?? 0, { message: 'the trickle is under way' }).toBeGreaterThanOrEqual(3);
  await registry.publish(mlpModel(3), { version: V3, chunkSize: 256 });
  const second = check(page);

  for (const result of [await second, await first]) expect(result.ok && result.value.ready, JSON.stringify(result)).toEqual([V3, V1]);
  // The held check was abandoned quietly: its callers got the fresh check's result instead.
  expect((await events(page)).slice(since).filter((e) => e.type === 'update-failed')).toEqual([]);
  const [trickled, ...more] = await settledRequests(registry, path);
  expect(more).toEqual([]);
  expect(trickled).toMatchObject({ aborted: true });
  // The held check's manifest, the look at the registry, the fresh check's.
  expect(registry.requests({ path: registry.paths.manifest() })).toHaveLength(3);
  const s = await status(page);
  expect(s).toMatchObject({ active: V1, sequence: 3 });
  expect(s.versions.find((v) => v.version === V3)?.state).toBe('ready');
  expect(s.versions.find((v) => v.version === V2)?.state).not.toBe('ready');
});

test('a gzip-encoded chunk is accepted: the declared size holds for the decoded bytes, whatever the compressed Content-Length', async ({ page, registry }) => {
  // 32-byte chunks: gzip makes each longer than declared, which the old Content-Length check refused.
  await installV1(page, registry, HOSTILE, 32);
  const fresh = await publishV2(registry, 32);
  registry.fault(registry.paths.chunks(), { kind: 'gzip' });
  registry.resetRequests();

  await expectAdoptedInOneCheck(page);
  const sent = fresh.map((c) => registry.requests({ path: registry.paths.chunk(c.sha256) }));
  for (const requests of sent) expect(requests.map((r) => [r.fault, r.status, r.aborted])).toEqual([['gzip', 200, false]]);
  expect(fresh.filter((c, i) => sent[i]![0]!.bytesSent > c.size).length).toBeGreaterThan(0);
});

test('a chunk that fails its hash is fetched exactly twice and the check fails fast, well inside the old five attempts’ backoff', async ({
  page,
  registry,
}) => {
  // The default backoff (0.5 s doubling to 15 s): five attempts used to wait at least
  // 0.25 + 0.5 + 1 + 2 s between them before failing.
  const defaultRetry = { ...HOSTILE, retry: DEFAULT_DOWNLOAD.retry };
  await installV1(page, registry, defaultRetry);
  const target = (await publishV2(registry))[0]!;
  registry.fault(registry.paths.chunk(target.sha256), { kind: 'flip-byte' });

  const attacked = await attackedCheck(page, registry);
  await expectV2Failed(page, attacked, 'hash-mismatch');
  const [first, second, ...more] = await settledRequests(registry, registry.paths.chunk(target.sha256));
  expect(more).toEqual([]);
  expect([first?.fault, second?.fault]).toEqual(['flip-byte', 'flip-byte']);
  // One backoff of 250–500 ms between them; the whole check inside the old rule's minimum wait.
  expect(second!.startedAt - first!.startedAt).toBeLessThan(2_000);
  expect(attacked.ms).toBeLessThan(3_750);
  await expectStillServingV1(page);

  registry.clearFaults();
  await expectAdoptedInOneCheck(page);
});

test('HTTP 503 with Retry-After: 1, then OK: the chunk is asked again after at least 1 s, and v2 is adopted in that check', async ({ page, registry }) => {
  // The backoff alone would wait 25–50 ms; maxDelayMs lets the server's 1 s through.
  const patientRetry = { ...HOSTILE, retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 5_000 } };
  await installV1(page, registry, patientRetry);
  const target = (await publishV2(registry))[0]!;
  registry.fault(registry.paths.chunk(target.sha256), { kind: 'status', status: 503, retryAfter: 1 }, { times: 1 });
  registry.resetRequests();

  await expectAdoptedInOneCheck(page);
  const [busy, retried, ...more] = registry.requests({ path: registry.paths.chunk(target.sha256) });
  expect(more).toEqual([]);
  expect([busy?.status, retried?.status]).toEqual([503, 200]);
  expect(retried!.startedAt - busy!.startedAt).toBeGreaterThanOrEqual(1_000);
});

test('HTTP 404 on a chunk: fetched exactly twice, fails with http-error 404; v2 is adopted once the chunk is there', async ({ page, registry }) => {
  await installV1(page, registry);
  const target = (await publishV2(registry))[0]!;
  registry.fault(registry.paths.chunk(target.sha256), { kind: 'status', status: 404 });

  const attacked = await attackedCheck(page, registry);
  const error = await expectV2Failed(page, attacked, 'http-error');
  expect(error?.details).toMatchObject({ status: 404 });
  expect((await settledRequests(registry, registry.paths.chunk(target.sha256))).map((r) => r.status)).toEqual([404, 404]);
  await expectStillServingV1(page);

  registry.clearFaults();
  await expectAdoptedInOneCheck(page);
});
