import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { connectUpdates } from './connect.js';
import type { UpdateClient } from './sw-client.js';

const swClient = { kind: 'sw' } as unknown as UpdateClient;
const pageClient = { kind: 'page' } as unknown as UpdateClient;
const sw = { scriptUrl: 'https://app.test/sw.js' };

describe('connectUpdates', () => {
  it('uses the page when no service worker is configured, without calling register', async () => {
    let registered = 0;
    const got = await connectUpdates(undefined, { connectServiceWorker: async () => (registered++, swClient), createPageUpdateClient: async () => pageClient });
    expect(got).toEqual({ client: pageClient, via: 'page' });
    expect(registered).toBe(0);
  });

  it('uses the service worker when it registers', async () => {
    const got = await connectUpdates(sw, { connectServiceWorker: async () => swClient, createPageUpdateClient: async () => pageClient });
    expect(got).toEqual({ client: swClient, via: 'service-worker' });
  });

  it('falls back to the page with the reason when registration fails (a dev server serving index.html for sw.js)', async () => {
    // What Chromium throws when the script is served as text/html.
    const mime = new DOMException(
      "Failed to register a ServiceWorker for scope ('https://app.test/'): The script has an unsupported MIME type ('text/html').",
      'SecurityError',
    );
    const got = await connectUpdates(sw, { connectServiceWorker: () => Promise.reject(mime), createPageUpdateClient: async () => pageClient });
    expect(got.client).toBe(pageClient);
    expect(got.via).toBe('page');
    expect(got.fallback).toBeInstanceOf(BatonError);
    expect(got.fallback?.code).toBe('unavailable');
    expect(got.fallback?.message).toMatch(/sw\.js could not be registered: .*unsupported MIME type/);
    expect(got.fallback?.details).toMatchObject({ scriptUrl: sw.scriptUrl, name: 'SecurityError' });
  });

  it('keeps a typed error as the reason (service workers unavailable, activation timed out)', async () => {
    const typed = new BatonError('unavailable', 'service workers are not available in this context');
    const got = await connectUpdates(sw, { connectServiceWorker: () => Promise.reject(typed), createPageUpdateClient: async () => pageClient });
    expect(got.fallback).toBe(typed);
  });

  it('rejects when the page cannot run updates either (IndexedDB unavailable): nothing is left to serve from', async () => {
    const idb = new BatonError('storage-failed', 'IndexedDB is unavailable');
    await expect(
      connectUpdates(sw, { connectServiceWorker: () => Promise.reject(new Error('no')), createPageUpdateClient: () => Promise.reject(idb) }),
    ).rejects.toBe(idb);
  });
});
