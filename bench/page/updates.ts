/**
 * Baton's update pipeline without the runtime (download → verify → store → ready), in the service
 * worker or in the page, next to a raw `fetch().arrayBuffer()` of the same bytes: the download
 * and delta figures.
 */
import * as ort from 'onnxruntime-web/wasm';
import type { DownloadTimings } from '../../src/download/download-release.js';
import type { PublicKeyJson } from '../../src/index.js';
import type { RuntimeInfo } from '../../src/update/config.js';
import { createPageUpdateClient } from '../../src/update/page-client.js';
import { connectServiceWorker, type UpdateClient } from '../../src/update/sw-client.js';
import { errorCode } from '../../src/testing/expose-load.js';

export interface CheckTiming {
  readonly ms: number;
  /** From the 'verifying' progress event (all chunks stored) to the end of the check. */
  readonly verifyMs?: number;
  /** Where the download's time went, as the service worker measured it (the last progress event). */
  readonly download?: DownloadTimings;
  /** From that last progress event (the whole file verified) to the end of the check: marking the version ready, and the reply. */
  readonly commitMs?: number;
  readonly ready: string[];
  readonly failed: string[];
}

const runtime: RuntimeInfo = { onnxruntimeWeb: ort.env.versions.web ?? ort.env.versions.common, executionProviders: ['wasm'] };
let client: UpdateClient | undefined;
let verifyingAt: number | undefined;
interface Verified {
  readonly at: number;
  readonly timings: DownloadTimings;
}
let verified: Verified | undefined;

export const updates = {
  async connect(via: 'sw' | 'page'): Promise<void> {
    client = via === 'sw' ? await connectServiceWorker({ scriptUrl: './sw.js' }) : await createPageUpdateClient();
    client.on((e) => {
      if (e.type !== 'progress' || e.phase !== 'verifying') return;
      if (e.timings) verified = { at: performance.now(), timings: e.timings };
      else verifyingAt = performance.now();
    });
  },
  async configure(model: string, manifestUrl: string, publicKey: PublicKeyJson): Promise<void> {
    await client!.configure({ name: model, manifestUrl, publicKeys: [publicKey], runtime });
  },
  /** One check, timed: for a new version, its download, verification and storage. */
  async check(model: string): Promise<CheckTiming | { error: string }> {
    verifyingAt = undefined;
    verified = undefined;
    const t = performance.now();
    try {
      const result = await client!.check(model);
      const end = performance.now();
      // Set by the event listener meanwhile (TypeScript cannot see that across the await).
      const last = verified as Verified | undefined;
      return {
        ms: end - t,
        ...(verifyingAt === undefined ? {} : { verifyMs: end - verifyingAt }),
        ...(last === undefined ? {} : { download: last.timings, commitMs: end - last.at }),
        ready: result.ready,
        failed: result.failed.map((f) => `${f.version}: ${f.error.code}`),
      };
    } catch (e) {
      return { error: errorCode(e) };
    }
  },
  close(): void {
    client?.close();
    client = undefined;
  },
};

/** The baseline: the same bytes in one plain request, into one ArrayBuffer. */
export async function rawFetch(url: string): Promise<{ ms: number; bytes: number }> {
  const t = performance.now();
  // no-store, as Baton fetches chunks: neither may be served from the HTTP cache.
  const buffer = await (await fetch(url, { cache: 'no-store' })).arrayBuffer();
  return { ms: performance.now() - t, bytes: buffer.byteLength };
}

/**
 * A second baseline, to tell chunking from hashing and storing: the release's chunk URLs fetched
 * `concurrency` at a time into ArrayBuffers, as Baton's downloader schedules them, and nothing else.
 */
export async function chunkedFetch(urls: readonly string[], concurrency: number): Promise<{ ms: number; bytes: number }> {
  const queue = [...urls];
  let bytes = 0;
  const t = performance.now();
  const worker = async () => {
    for (let url = queue.shift(); url !== undefined; url = queue.shift()) bytes += (await (await fetch(url, { cache: 'no-store' })).arrayBuffer()).byteLength;
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ms: performance.now() - t, bytes };
}
