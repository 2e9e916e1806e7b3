/**
 * Steps the service-worker tests share: open the harness, connect to its service worker and
 * configure a model against the test's registry; read what the page was told.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { runCli } from '../src/cli/run';
import { expect } from '../src/testing/playwright';
import type { CliResult, TestRegistry } from '../src/testing/registry';
import type { Manifest, Release } from '../src/types';
import type { DownloadSettings } from '../src/update/config';
import type { UpdateEvent } from '../src/update/messages';

/** Quick retries so fault tests finish in seconds; the defaults are for real networks. */
export const FAST_DOWNLOAD: Partial<DownloadSettings> = {
  concurrency: 2,
  stallTimeoutMs: 1_500,
  retry: { attempts: 3, baseDelayMs: 50, maxDelayMs: 200 },
};

export async function openHarness(page: Page, registry: TestRegistry): Promise<void> {
  await page.goto(`${registry.server.url}/index.html`);
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
}

/** Connects the page to the service worker and configures `name` against the test registry. */
export async function connect(page: Page, registry: TestRegistry, name = 'mlp', download: Partial<DownloadSettings> = FAST_DOWNLOAD, extra: Record<string, unknown> = {}) {
  const connected = await page.evaluate(() => window.harness.sw.connect());
  expect(connected.ok, JSON.stringify(connected)).toBe(true);
  const config = { name, manifestUrl: `${registry.url}/${name}/manifest.json`, publicKeys: [registry.publicKey], download, ...extra };
  const configured = await page.evaluate((c) => window.harness.sw.configure(c), config);
  expect(configured.ok, JSON.stringify(configured)).toBe(true);
}

export function check(page: Page, name = 'mlp') {
  return page.evaluate((n) => window.harness.sw.check(n), name);
}

export async function status(page: Page, name = 'mlp') {
  const r = await page.evaluate((n) => window.harness.sw.status(n), name);
  if (!r.ok) throw new Error(`status failed: ${JSON.stringify(r.error)}`);
  return r.value;
}

export function events(page: Page): Promise<UpdateEvent[]> {
  return page.evaluate(() => window.harness.sw.events());
}

/** Waits (with the expect timeout) until the page has been told an event matching `pred`. */
export async function waitForEvent(page: Page, pred: (e: UpdateEvent) => boolean, what: string): Promise<UpdateEvent> {
  let found: UpdateEvent | undefined;
  await expect
    .poll(async () => {
      found = (await events(page)).find(pred);
      return found !== undefined;
    }, { message: `waiting for ${what}` })
    .toBe(true);
  return found!;
}

export function runStored(page: Page, input: number[], batch: number, version?: string, name = 'mlp') {
  return page.evaluate(([n, i, b, v]) => window.harness.sw.runStored(n, i, b, v ?? undefined), [name, input, batch, version ?? null] as const);
}

// ---------------------------------------------------------------------------------------------
// Fault tests (sw-faults.spec.ts): reading outcomes, the registry on disk, and a CLI with a clock.

/** The BatonError code of a failed harness call (the error's name for anything else); undefined on success. */
export function errorCode(outcome: { ok: true } | { ok: false; error: { name: string } }): string | undefined {
  if (outcome.ok) return undefined;
  return 'code' in outcome.error ? String(outcome.error.code) : outcome.error.name;
}

/** Like {@link waitForEvent}, among the events the page heard after the first `since` only. */
export async function waitForEventAfter(page: Page, since: number, pred: (e: UpdateEvent) => boolean, what: string): Promise<UpdateEvent> {
  let found: UpdateEvent | undefined;
  await expect
    .poll(async () => {
      found = (await events(page)).slice(since).find(pred);
      return found !== undefined;
    }, { message: `waiting for ${what}` })
    .toBe(true);
  return found!;
}

/** The payload of the manifest on disk, unverified: for tests that read or tamper with what they published. */
export async function readManifest(registry: TestRegistry, name = 'mlp'): Promise<Manifest> {
  const envelope = JSON.parse(await readFile(join(registry.dir, name, 'manifest.json'), 'utf8')) as { payload: string };
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Manifest;
}

/** One release as the manifest on disk lists it. */
export async function readRelease(registry: TestRegistry, version: string, name = 'mlp'): Promise<Release> {
  const release = (await readManifest(registry, name)).versions.find((r) => r.version === version);
  if (!release) throw new Error(`the manifest of ${name} on disk does not list ${version}`);
  return release;
}

/** The path under which the test server serves (and logs) a chunk. */
export function chunkPath(sha256: string, name = 'mlp'): string {
  return `/registry/${name}/chunks/${sha256}`;
}

/**
 * A signing `baton` command (publish or a policy command) against the test registry, as
 * `registry.cli` runs it, but with the CLI's clock at `nowMs`: e.g. a manifest signed ten days ago.
 */
export async function cliAt(registry: TestRegistry, nowMs: number, command: string, ...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli([command, ...args, '--registry', registry.dir, '--key', registry.privateKeyPath], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    now: () => nowMs,
  });
  return { code, stdout, stderr };
}
