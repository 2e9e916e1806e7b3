/**
 * The app's device tests on baton-ml's kit: each test gets a fresh registry server that serves
 * the built app at `/` and signs with the key the build pins (tests/global-setup.ts makes both).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';
import { chromiumLaunchOptions, type BatonFixtures } from 'baton-ml/testing';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig<BatonFixtures>({
  testDir: here('./tests'),
  testMatch: '**/*.spec.ts',
  globalSetup: here('./tests/global-setup.ts'),
  fullyParallel: true,
  workers: 2,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env['CI'],
  retries: 0,
  reporter: 'list',
  outputDir: here('./test-results'),
  use: {
    browserName: 'chromium',
    launchOptions: chromiumLaunchOptions(),
    trace: 'retain-on-failure',
    batonAppDir: here('./dist'),
    batonModel: 'mlp',
    batonKeys: { privatePath: here('./keys/baton-private.json'), publicPath: here('./keys/baton-public.json') },
  },
});
