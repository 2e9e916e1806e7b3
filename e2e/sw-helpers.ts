/**
 * Steps the service-worker tests share, specific to the harness app (e2e/harness): open it,
 * connect to its service worker and configure a model against the test's registry; read what
 * the page was told. Everything not tied to the harness is in the kit (src/testing).
 */
import type { Page } from '@playwright/test';
import { FAST_DOWNLOAD } from '../src/testing/expose.js';
import { expect } from '../src/testing/playwright.js';
import type { TestRegistry } from '../src/testing/registry.js';
import type { DownloadSettings } from '../src/update/config.js';
import type { UpdateEvent } from '../src/update/messages.js';

export async function openHarness(page: Page, registry: TestRegistry): Promise<void> {
  await page.goto(`${registry.server.url}/index.html`);
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
}

/** Connects the page to the service worker and configures `name` against the test registry. */
export async function connect(
  page: Page,
  registry: TestRegistry,
  name = 'mlp',
  download: Partial<DownloadSettings> = FAST_DOWNLOAD,
  extra: Record<string, unknown> = {},
) {
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
export function waitForEvent(page: Page, pred: (e: UpdateEvent) => boolean, what: string): Promise<UpdateEvent> {
  return waitForEventAfter(page, 0, pred, what);
}

/** Like {@link waitForEvent}, among the events the page heard after the first `since` only. */
export async function waitForEventAfter(page: Page, since: number, pred: (e: UpdateEvent) => boolean, what: string): Promise<UpdateEvent> {
  let found: UpdateEvent | undefined;
  await expect
    .poll(
      async () => {
        found = (await events(page)).slice(since).find(pred);
        return found !== undefined;
      },
      { message: `waiting for ${what}` },
    )
    .toBe(true);
  return found!;
}

export function runStored(page: Page, input: number[], batch: number, version?: string, name = 'mlp') {
  return page.evaluate(([n, i, b, v]) => window.harness.sw.runStored(n, i, b, v ?? undefined), [name, input, batch, version ?? null] as const);
}

// ---------------------------------------------------------------------------------------------
// Fault tests (sw-faults.spec.ts): reading outcomes. The registry on disk, chunk paths and a
// signer's clock are the kit's (registry.release, registry.paths, publish({ at, expires })).

/** The BatonError code of a failed harness call (the error's name for anything else); undefined on success. */
export function errorCode(outcome: { ok: true } | { ok: false; error: { name: string } }): string | undefined {
  if (outcome.ok) return undefined;
  return 'code' in outcome.error ? String(outcome.error.code) : outcome.error.name;
}
