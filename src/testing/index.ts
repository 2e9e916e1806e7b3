/**
 * `baton/testing`: what Baton's own test suite uses, for apps to test their update paths:
 * a fault-injecting registry server, Playwright fixtures, browser launch options and
 * deterministic test models.
 */
export { startTestServer } from './server';
export type { TestServer, TestServerOptions, RequestRecord, FaultHandle, Fault, FaultKind, PathPattern } from './server';
export { createTestRegistry, manifestBytes } from './registry';
export type { TestRegistry, PublishArgs, CliResult } from './registry';
export { test, expect } from './playwright';
export type { BatonFixtures } from './playwright';
export { chromiumExecutable, chromiumLaunchOptions, CHROMIUM_ARGS } from './browser';
export { clearBrowserState, readBrowserState } from './page';
export type { BrowserState } from './page';
