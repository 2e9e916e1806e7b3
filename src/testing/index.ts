/**
 * `baton-ml/testing`: a Playwright kit for testing an app's model updates in a real browser, and
 * what Baton's own suite runs on.
 *
 * - Fixtures: `test` gives each test a `registry` — a fresh signed registry on its own
 *   fault-injecting server that also serves the app — with `publish`, `setPolicy`, `fault`,
 *   `requests`, `findDeviceId`; `expect` carries the update claims as matchers.
 * - Page helpers: service-worker control, offline and back, a forced device id, clearing
 *   Baton's state; and, through the hook the app installs with `exposeRuntimeForTests(rt)`
 *   (from `src/testing/expose.ts`, browser-safe), the runtime's status, metrics, events, update
 *   checks and a recorded request load.
 * - Claims over the recorded requests: no request failed, the version switched once, the device
 *   rolled back within N requests (`check*` verdicts, `assert*` throwers, `expect` matchers).
 * - Deterministic test models and Chromium launch options.
 *
 * @example
 * import { test, expect, runOnce, startLoad, stopLoad, checkForUpdate, waitForVersion } from 'baton-ml/testing';
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

export { createTestRegistry, createTestKeys, manifestBytes } from './registry.js';
export type { TestRegistry, TestRegistryOptions, PublishArgs, SigningOptions, CliResult, RegistryPaths, KeyFiles } from './registry.js';
export { applyPolicyChange } from './policy.js';
export type { PolicyChange, ArmChange } from './policy.js';
export { startTestServer, requestFailed } from './server.js';
export type { TestServer, TestServerOptions, RequestRecord, RequestFilter, FaultHandle, Fault, FaultKind, PathPattern } from './server.js';
export { describeFault, parseFault, FAULT_KINDS, ENDLESS } from './faults.js';

export { clearBrowserState, readBrowserState, waitForServiceWorkerControl, goOffline, goOnline } from './page.js';
export type { BrowserState } from './page.js';
export { setDeviceId, findDeviceId, DEVICE_ID_KEY } from './device.js';
export type { DeviceWish } from './device.js';
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
export { BATON_TEST_GLOBAL, FAST_DOWNLOAD } from './expose.js';
export type { BatonTestHook, ExposeOptions, RunRecord, RunResult, RecordedEvent, PlainTensor, PageOutcome, WireError, RuntimeMetrics } from './expose.js';

export {
  checkNoFailedRequests,
  checkSwitchedOnce,
  checkRolledBackWithin,
  assertNoFailedRequests,
  assertSwitchedOnce,
  assertRolledBackWithin,
  ClaimError,
} from './assertions.js';
export type { RequestOutcome, Verdict, RollbackVerdict, Window } from './assertions.js';

export { chromiumExecutable, chromiumLaunchOptions, CHROMIUM_ARGS } from './browser.js';
export {
  mlpModel,
  mlpReference,
  brokenModel,
  failingRunModel,
  failingRunInput,
  nanModel,
  slowModel,
  largeModel,
  sileroModelPath,
  writeTestModels,
  MLP_FEATURES,
  MLP_INPUT,
  MLP_OUTPUT,
  MLP_OUTPUTS,
} from './models.js';
export type { LargeModelOptions, TestModelName } from './models.js';
