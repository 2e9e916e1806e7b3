/**
 * `baton-ml/testing`: a Playwright kit for testing an app's model updates in a real browser, and
 * what Baton's own suite runs on. Node code; its browser half, which a test build of the app
 * installs, is `baton-ml/testing/app` (expose.ts).
 *
 * - Fixtures: `test` gives each test a `registry` — a fresh signed registry on its own
 *   fault-injecting server that also serves the app — with `publish`, `setPolicy`, `fault`,
 *   `requests`, `findDeviceId`; `expect` carries the update claims as matchers
 *   (`toHaveNoFailedRequests`, `toSwitchOnce`, `toRollBackWithin`).
 * - Page helpers: service-worker control, offline and back, a forced device id, clearing
 *   Baton's state; and, through the hook the app installs with `exposeRuntimeForTests(rt)`, the
 *   runtime's status, metrics, events, update checks and a recorded request load.
 * - Deterministic test models (an MLP in two versions, and one that fails each way an update
 *   can) and Chromium launch options.
 *
 * This file is the kit's whole public surface (src/testing/surface.test.ts pins it). Everything
 * else in src/testing is its implementation or Baton's own test support (internal/), imported by
 * path by Baton's tests and never by an app.
 *
 * @example
 * import { test, expect, startLoad, stopLoad, checkForUpdate, waitForVersion } from 'baton-ml/testing';
 * test('v2 takes over with no failed request', async ({ page, registry }) => {
 *   await registry.publish(v1Bytes, { version: '1' });
 *   await page.goto(registry.server.url);
 *   await waitForVersion(page, '1');
 *   await startLoad(page);
 *   await registry.publish(v2Bytes, { version: '2' });
 *   await checkForUpdate(page);
 *   await waitForVersion(page, '2');
 *   const records = await stopLoad(page);
 *   expect(records).toHaveNoFailedRequests();
 *   expect(records).toSwitchOnce('1', '2');
 * });
 */
export { test, expect } from './playwright.js';
export type { BatonFixtures } from './playwright.js';
export { batonMatchers } from './matchers.js';
export type { RequestOutcome, TimeWindow } from './assertions.js';

export { createTestRegistry, createTestKeys } from './registry.js';
export type { TestRegistry, TestRegistryOptions, PublishArgs, SigningOptions, CliResult, RegistryPaths, KeyFiles } from './registry.js';
export type { PolicyChange, ArmChange } from './policy.js';
export type { DeviceWish } from './device.js';
export { startTestServer } from './server.js';
export type { TestServer, TestServerOptions, RequestRecord, RequestFilter, FaultHandle, Fault, FaultKind, PathPattern } from './server.js';

export { clearBrowserState, readBrowserState, waitForServiceWorkerControl, goOffline, goOnline } from './page.js';
export type { BrowserState } from './page.js';
export { setDeviceId } from './device.js';
export {
  waitForRuntime,
  runtimeStatus,
  runtimeMetrics,
  runtimeEvents,
  waitForRuntimeEvent,
  waitForVersion,
  checkForUpdate,
  runOnce,
  startLoad,
  loadRecords,
  waitForLoad,
  stopLoad,
} from './runtime-page.js';
export type { HookOptions, WaitOptions } from './runtime-page.js';
export type { AsData, LoadMode, LoadRecord, LoadSettings, PageOutcome, PlainTensor, RecordedEvent, RecordedEventOf, RunResult, WireError } from './expose.js';

export { chromiumLaunchOptions } from './browser.js';
export { mlpModel, mlpReference, brokenModel, failingRunModel, nanModel, slowModel } from './models.js';
