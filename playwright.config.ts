import { defineConfig } from '@playwright/test';
import type { BatonFixtures } from './src/testing/playwright.js';
import { chromiumLaunchOptions } from './src/testing/browser.js';

/**
 * Browser tests: real Chromium, real service worker, IndexedDB, workers and onnxruntime-web.
 * The global setup builds the harness app (e2e/harness) and the test models; each test gets a
 * fresh browser context and its own registry server (src/testing/playwright.ts).
 */
export default defineConfig<BatonFixtures>({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './e2e/global-setup.ts',
  fullyParallel: true,
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env['CI'],
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    launchOptions: chromiumLaunchOptions(),
    trace: 'retain-on-failure',
    batonAppDir: 'dist/e2e',
  },
});
