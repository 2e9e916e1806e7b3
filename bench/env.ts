/**
 * What every scenario gets: the browser, the signed test registry that also serves the bench
 * pages, the model files, the settings of this run (full or quick), and progress output.
 */
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Browser, BrowserContext, LaunchOptions, Page } from '@playwright/test';
import type { TestRegistry } from '../src/testing/registry.js';
import type { Release } from '../src/types.js';
import type { BenchModels } from './models.js';
import type { Progress } from './progress.js';
import { waitUntil } from './wait.js';

export interface Settings {
  readonly quick: boolean;
  /** Repetitions of every scenario (each figure is min/median/max over them). */
  readonly reps: number;
  /** The models the swap and its reload baseline run: the tiny MLP and the real Silero VAD. */
  readonly loadModels: readonly ('mlp' | 'silero')[];
  /** The load's request interval: 5 ms = 200 requests/s. */
  readonly loadIntervalMs: number;
  /** Requests served before the update starts (the steady state). */
  readonly steadyRequests: number;
  readonly hop: { readonly blocks: number; readonly perBlock: number };
  readonly downloadMegabytes: number;
  readonly deltaMegabytes: number;
  /** Also measure the delta of the spread and shifted updates in the browser (not only in Node). */
  readonly deltaAllCases: boolean;
  readonly swaps: number;
  readonly verifyMegabytes: number;
}

export const FULL: Settings = {
  quick: false,
  reps: 3,
  loadModels: ['mlp', 'silero'],
  loadIntervalMs: 5,
  steadyRequests: 1000,
  hop: { blocks: 20, perBlock: 100 },
  downloadMegabytes: 100,
  deltaMegabytes: 100,
  deltaAllCases: true,
  swaps: 50,
  verifyMegabytes: 100,
};

/**
 * `--quick`, what CI may run: every scenario once, smaller and shorter (the MLP only where the
 * full run also loads Silero) — a check that the bench and what it drives work, not figures to
 * report (one repetition has no spread).
 */
export const QUICK: Settings = {
  quick: true,
  reps: 1,
  loadModels: ['mlp'],
  loadIntervalMs: 5,
  steadyRequests: 300,
  hop: { blocks: 5, perBlock: 100 },
  downloadMegabytes: 16,
  deltaMegabytes: 16,
  deltaAllCases: false,
  swaps: 5,
  verifyMegabytes: 32,
};

export interface BenchEnv {
  readonly settings: Settings;
  readonly browser: Browser;
  /** How `browser` was launched: for scenarios that start browsers of their own (cold starts). */
  readonly launchOptions: LaunchOptions;
  readonly registry: TestRegistry;
  readonly models: BenchModels;
  readonly progress: Progress;
  /** Where scenarios may put temporary files (browser profiles). */
  readonly tmpDir: string;
}

let names = 0;
/** A model name no earlier scenario or repetition used (each gets its own registry entry). */
export const uniqueName = (prefix: string) => `${prefix}-${++names}`;

/** Serves `file` as a plain static file of the registry server: `${registry.url}/raw/<name>`. */
export async function serveRaw(registry: TestRegistry, file: string): Promise<string> {
  const dir = join(registry.dir, 'raw');
  await mkdir(dir, { recursive: true });
  await copyFile(file, join(dir, basename(file)));
  return `${registry.url}/raw/${basename(file)}`;
}

/** A fresh context (empty storage, no service worker) with `path` of the bench pages open. */
export async function openPage(env: BenchEnv, path = 'index.html'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => env.progress.log(`page error: ${e.message}`));
  await page.goto(`${env.registry.server.url}/${path}`);
  if (path.startsWith('index.html')) {
    await waitUntil(() => page.evaluate(() => document.body.dataset['ready'] === 'true'), { timeoutMs: 15_000, what: 'the bench page' });
  }
  return { context, page };
}

/** A release as the manifest on disk lists it (the payload read without verifying: the bench wrote it). */
export async function releaseOnDisk(registry: TestRegistry, name: string, version: string): Promise<Release> {
  const envelope = JSON.parse(await readFile(join(registry.dir, name, 'manifest.json'), 'utf8')) as { payload: string };
  const manifest = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { versions: Release[] };
  const release = manifest.versions.find((r) => r.version === version);
  if (!release) throw new Error(`${name} has no version ${version} on disk`);
  return release;
}
