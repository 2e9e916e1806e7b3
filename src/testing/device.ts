/**
 * This browser context's device id, which decides its rollout bucket and A/B arm. An app that
 * passes `deviceId` to `createRuntime` decides it itself; otherwise Baton draws a random id once
 * per install and keeps it in IndexedDB (database `baton`, store `meta`, key `deviceId`), where
 * the service worker and the page both read it. {@link setDeviceId} writes it there from an init
 * script, before any script of the app runs, so a test can put a device inside or outside a
 * rollout without the app's cooperation.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { routeDevice } from '../router/device-route.js';
import type { Route } from '../router/route.js';
import { DB_NAME } from '../store/db.js';
import type { RolloutPolicy } from '../types.js';

/** The `meta` key under which the updater keeps the install's id (src/update/updater.ts). */
export const DEVICE_ID_KEY = 'deviceId';

/** Arguments of {@link seedDeviceId}: JSON, because they cross into the page. */
export interface SeedArgs {
  readonly deviceId: string;
  readonly dbName: string;
  readonly key: string;
}

/**
 * Writes the device id into Baton's database, creating the database with its version-1 schema
 * if it does not exist yet. Runs in the page (as an init script), so it is self-contained: no
 * imports, no closures. Version 1's schema is fixed for good (IndexedDB upgrades only add to
 * it), and Baton's own `upgrade` carries a database created here to any later version; a unit
 * test (device.test.ts) checks both against the real schema.
 *
 * Ordering: the open request is issued before any app script runs, and IndexedDB serves open
 * requests and overlapping transactions in order, so the app's first read sees the id.
 */
export function seedDeviceId(args: SeedArgs, factory: IDBFactory = indexedDB): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const request = factory.open(args.dbName);
    request.onupgradeneeded = (event) => {
      if (event.oldVersion !== 0) return;
      const db = request.result;
      db.createObjectStore('models', { keyPath: 'model' });
      db.createObjectStore('versions', { keyPath: ['model', 'version'] }).createIndex('byModel', 'model');
      db.createObjectStore('chunks', { keyPath: 'sha256' });
      db.createObjectStore('meta');
    };
    request.onerror = () => reject(request.error ?? new Error(`could not open ${args.dbName}`));
    request.onsuccess = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('meta')) {
        db.close();
        reject(new Error(`database ${args.dbName} has no meta store: not Baton's`));
        return;
      }
      const tx = db.transaction('meta', 'readwrite');
      tx.objectStore('meta').put(args.deviceId, args.key);
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error ?? new Error('writing the device id failed'));
    };
  });
}

/**
 * Makes every page of this context (from its next navigation on) an install whose device id is
 * `deviceId`, by seeding IndexedDB from an init script before the app starts. Call it before
 * `page.goto`. It has no effect on an app that passes its own `deviceId` to `createRuntime`, and
 * it applies to every origin the context visits (pages with an opaque origin are skipped).
 *
 * @example
 * const id = await registry.findDeviceId({ serves: '1' }); // outside the candidate's rollout
 * await setDeviceId(context, id);
 * await page.goto(registry.server.url);
 */
export async function setDeviceId(target: BrowserContext | Page, deviceId: string, opts: { dbName?: string } = {}): Promise<void> {
  if (typeof deviceId !== 'string' || deviceId === '') throw new TypeError(`deviceId must be a non-empty string, got ${JSON.stringify(deviceId)}`);
  const args: SeedArgs = { deviceId, dbName: opts.dbName ?? DB_NAME, key: DEVICE_ID_KEY };
  // Source text, not a function argument: an init script cannot import, and building it here
  // needs no eval in the page (which an app's Content-Security-Policy may forbid).
  await target.addInitScript(
    `if (typeof indexedDB !== 'undefined' && self.origin !== 'null') {\n` +
      `  (${seedDeviceId.toString()})(${JSON.stringify(args)}, indexedDB).catch((e) => console.error('baton-ml/testing setDeviceId:', e));\n` +
      `}`,
  );
}

/** What {@link findDeviceId} looks for in a device's route; every field given must match. */
export interface DeviceWish {
  /** The version the device should serve. */
  readonly serves?: string;
  /** The A/B arm it should be in. */
  readonly arm?: string;
  /** The version it should run in the shadow. */
  readonly shadow?: string;
}

/**
 * The first of `device-0`, `device-1`, … (or `${prefix}N`) that Baton's router sends where the
 * test wants under `policy`, computed with the router itself (no quarantine, no local pin, the
 * clock at `now`). Throws after `tries` ids: a wish no bucket can meet (e.g. serves the candidate
 * at 0 %) fails loudly instead of looping.
 *
 * @example
 * const inside = await findDeviceId(manifest.policy, { serves: '2' });
 */
export async function findDeviceId(
  policy: RolloutPolicy,
  wish: DeviceWish | ((route: Route) => boolean),
  opts: { prefix?: string; tries?: number; now?: number } = {},
): Promise<string> {
  const matches =
    typeof wish === 'function'
      ? wish
      : (r: Route) =>
          (wish.serves === undefined || r.serve === wish.serves) &&
          (wish.arm === undefined || r.arm === wish.arm) &&
          (wish.shadow === undefined || r.shadow === wish.shadow);
  const tries = opts.tries ?? 10_000;
  const now = opts.now ?? Date.now();
  for (let i = 0; i < tries; i++) {
    const id = `${opts.prefix ?? 'device-'}${i}`;
    if (matches(await routeDevice(policy, id, { quarantined: new Set(), now }))) return id;
  }
  throw new Error(
    `no device id among ${tries} tried gets ${typeof wish === 'function' ? 'the route asked for' : JSON.stringify(wish)} under policy ${JSON.stringify(policy)}`,
  );
}
