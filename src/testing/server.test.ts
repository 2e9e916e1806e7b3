import http from 'node:http';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compilePattern, describeFault, FAULT_KINDS, parseFault } from './faults.js';
import type { Fault } from './faults.js';
import { startTestServer } from './server.js';
import type { RequestRecord, TestServer } from './server.js';

const CHUNK = 'ab'.repeat(32); // a 64-hex "sha256" file name
const CHUNK_BYTES = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7) & 0xff));
const BIG = 'cd'.repeat(32);
const BIG_BYTES = Buffer.from(Array.from({ length: 5 * 1024 * 1024 }, (_, i) => (i * 13 + (i >> 8)) & 0xff));

/** A signed-manifest envelope as `baton publish` writes it (signature content irrelevant here). */
function envelope(sequence: number, extra = ''): string {
  const payload = Buffer.from(JSON.stringify({ name: 'mlp', sequence, extra })).toString('base64');
  return JSON.stringify({ payloadType: 'application/vnd.baton.manifest+json', payload, signatures: [] });
}

let root: string;
let registryDir: string;
let appDir: string;
let server: TestServer;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'baton-server-test-'));
  registryDir = path.join(root, 'registry');
  appDir = path.join(root, 'app');
  const mlp = path.join(registryDir, 'mlp');
  await mkdir(path.join(mlp, 'chunks'), { recursive: true });
  await mkdir(path.join(mlp, 'history'), { recursive: true });
  await mkdir(path.join(registryDir, 'solo', 'history'), { recursive: true });
  await mkdir(path.join(appDir, 'assets'), { recursive: true });
  await Promise.all([
    writeFile(path.join(mlp, 'manifest.json'), envelope(3)),
    writeFile(path.join(mlp, 'history', '1.json'), envelope(1)),
    writeFile(path.join(mlp, 'history', '2.json'), envelope(2)),
    writeFile(path.join(mlp, 'history', '3.json'), envelope(3)),
    writeFile(path.join(mlp, 'chunks', CHUNK), CHUNK_BYTES),
    writeFile(path.join(mlp, 'chunks', BIG), BIG_BYTES),
    writeFile(path.join(registryDir, 'solo', 'manifest.json'), envelope(1)),
    writeFile(path.join(registryDir, 'solo', 'history', '1.json'), envelope(1)),
    writeFile(path.join(appDir, 'index.html'), '<!doctype html><title>Baton</title>'),
    writeFile(path.join(appDir, 'assets', 'index-AbCd12_3.js'), 'export const x = 1;'),
    writeFile(path.join(appDir, 'worker.mjs'), 'self.onmessage = () => {};'),
    writeFile(path.join(appDir, 'ort.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d])),
    writeFile(path.join(root, 'secret.txt'), 'TOP SECRET'),
  ]);
  server = await startTestServer({ registryDir, appDir });
});

afterEach(() => {
  server.clearFaults();
  server.resetRequests();
});

afterAll(async () => {
  await server?.close();
  await rm(root, { recursive: true, force: true });
});

const chunkPath = `/registry/mlp/chunks/${CHUNK}`;
const get = (p: string, init?: RequestInit): Promise<Response> => fetch(server.url + p, init);

/** Polls `probe` until it returns a value that is not undefined; fails after `timeoutMs`. */
async function waitFor<T>(probe: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The one logged request for `p` once it satisfies `done`. */
function recordFor(p: string, done: (r: RequestRecord) => boolean = (r) => !r.pending): Promise<RequestRecord> {
  return waitFor(() => server.requests({ path: p }).find(done));
}

/** A raw HTTP/1.1 GET with the target sent byte for byte (fetch would normalise `..`). */
function rawGet(target: string, base = server.url): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.get(base + '/', { path: target, timeout: 3000 }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('rawGet timed out')));
    req.on('error', reject);
  });
}

describe('static serving', () => {
  it('serves registry files with content type, cache policy and cross-origin isolation headers', async () => {
    const chunk = await get(chunkPath);
    expect(chunk.status).toBe(200);
    expect(Buffer.from(await chunk.arrayBuffer()).equals(CHUNK_BYTES)).toBe(true);
    expect(chunk.headers.get('content-type')).toBe('application/octet-stream');
    expect(chunk.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(chunk.headers.get('etag')).toBe(`"${CHUNK}"`);
    expect(chunk.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(chunk.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(chunk.headers.get('cross-origin-resource-policy')).toBe('same-origin');

    const manifest = await get('/registry/mlp/manifest.json');
    expect(manifest.headers.get('content-type')).toMatch(/^application\/json/);
    expect(manifest.headers.get('cache-control')).toBe('no-cache');
    expect(await manifest.text()).toBe(envelope(3));
  });

  it('serves the app: index.html at /, hashed assets immutable, wasm and mjs types', async () => {
    const index = await get('/');
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(await index.text()).toContain('<title>Baton</title>');
    const asset = await get('/assets/index-AbCd12_3.js');
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await get('/worker.mjs')).headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await get('/ort.wasm')).headers.get('content-type')).toBe('application/wasm');
  });

  it('streams a file larger than the in-memory limit intact', async () => {
    const res = await get(`/registry/mlp/chunks/${BIG}`);
    expect(res.headers.get('content-length')).toBe(String(BIG_BYTES.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(BIG_BYTES)).toBe(true);
  });

  it('answers HEAD with headers and no body', async () => {
    const res = await get(chunkPath, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(CHUNK_BYTES.length));
    expect((await res.arrayBuffer()).byteLength).toBe(0);
  });

  it('answers If-None-Match with 304 and sees a rewritten file at once', async () => {
    const manifestFile = path.join(registryDir, 'mlp', 'manifest.json');
    const tick = 1_700_000_000; // a whole second: utimes cannot restore a sub-ms mtime exactly
    try {
      await utimes(manifestFile, tick, tick);
      const first = await get('/registry/mlp/manifest.json');
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[^"]+"$/);
      await first.arrayBuffer();
      const again = await get('/registry/mlp/manifest.json', { headers: { 'If-None-Match': etag ?? '' } });
      expect(again.status).toBe(304);
      expect(again.headers.get('etag')).toBe(etag);

      // Same length, same inode, same mtime — what a rewrite within one file-clock tick (a few ms
      // on Linux) looks like: it must not be mistaken for the old file.
      const next = envelope(3, 'x');
      await writeFile(manifestFile, next);
      await utimes(manifestFile, tick, tick);
      const changed = await get('/registry/mlp/manifest.json', { headers: { 'If-None-Match': etag ?? '' } });
      expect(changed.status).toBe(200);
      expect(await changed.text()).toBe(next);
      expect(changed.headers.get('etag')).not.toBe(etag);
    } finally {
      await writeFile(manifestFile, envelope(3));
    }
  });

  it('404s missing files and directories, lists nothing, refuses other methods', async () => {
    expect((await get('/registry/mlp/chunks/nope')).status).toBe(404);
    expect((await get('/registry/mlp/chunks')).status).toBe(404);
    expect((await get('/registry/mlp/')).status).toBe(404);
    expect((await get('/registry/')).status).toBe(404);
    const post = await get('/registry/mlp/manifest.json', { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('refuses path traversal, encoded or not', async () => {
    for (const target of [
      '/registry/../secret.txt',
      '/registry/mlp/../../secret.txt',
      '/registry/%2e%2e/secret.txt',
      '/registry/mlp/..%2f..%2fsecret.txt',
      '/assets/%2E%2E%2F%2E%2E%2Fsecret.txt',
      '/..%5csecret.txt',
      '/registry/%00',
      '/registry/%zz',
    ]) {
      const res = await rawGet(target);
      expect([400, 404], target).toContain(res.status);
      expect(res.body.toString(), target).not.toContain('TOP SECRET');
    }
  });

  it('can serve without cross-origin isolation headers', async () => {
    const plain = await startTestServer({ registryDir, crossOriginIsolation: false });
    try {
      const res = await fetch(`${plain.registryUrl}/mlp/manifest.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('cross-origin-opener-policy')).toBeNull();
      expect(res.headers.get('cross-origin-embedder-policy')).toBeNull();
      // No appDir: nothing at '/'.
      expect((await fetch(`${plain.url}/`)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});

describe('faults', () => {
  it('delay: waits, then serves normally', async () => {
    server.fault(chunkPath, { kind: 'delay', ms: 150 });
    const start = performance.now();
    const res = await get(chunkPath);
    expect(Buffer.from(await res.arrayBuffer()).equals(CHUNK_BYTES)).toBe(true);
    expect(performance.now() - start).toBeGreaterThanOrEqual(140);
    expect((await recordFor(chunkPath)).fault).toBe('delay');
  });

  it('stall: headers and the first bytes arrive, the rest never does until the client aborts', async () => {
    server.fault(chunkPath, { kind: 'stall', afterBytes: 1000 });
    const controller = new AbortController();
    const res = await get(chunkPath, { signal: controller.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(CHUNK_BYTES.length));
    let settled = false;
    const body = res.arrayBuffer().finally(() => (settled = true));
    // The server shows the stalled request while it is still open.
    const stalled = await recordFor(chunkPath, (r) => r.pending && r.bytesSent === 1000);
    expect(stalled).toMatchObject({ status: 200, fault: 'stall', aborted: false });
    expect(settled).toBe(false);
    const timer = setTimeout(() => controller.abort(), 100);
    await expect(body).rejects.toMatchObject({ name: 'AbortError' });
    clearTimeout(timer);
    expect(await recordFor(chunkPath)).toMatchObject({ bytesSent: 1000, aborted: true, pending: false });
  });

  it('drop: the connection dies after afterBytes, short of Content-Length', async () => {
    server.fault(chunkPath, { kind: 'drop', afterBytes: 1000 });
    const res = await get(chunkPath);
    expect(res.headers.get('content-length')).toBe(String(CHUNK_BYTES.length));
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect(await recordFor(chunkPath)).toMatchObject({ status: 200, fault: 'drop', bytesSent: 1000, aborted: true });
  });

  it('drop on a streamed file keeps exactly the bytes before the cut', async () => {
    const p = `/registry/mlp/chunks/${BIG}`;
    server.fault(p, { kind: 'drop', afterBytes: 1_500_000 });
    // node:http reports the short body as an 'aborted' error or an early 'end', depending on
    // timing: count what arrived either way.
    const received = await new Promise<number>((resolve) => {
      let bytes = 0;
      const req = http.get(server.url + '/', { path: p, timeout: 3000 }, (res) => {
        res.on('data', (b: Buffer) => (bytes += b.length));
        res.on('end', () => resolve(bytes));
        res.on('error', () => resolve(bytes));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', () => resolve(bytes));
    });
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThanOrEqual(1_500_000);
    expect(await recordFor(p)).toMatchObject({ bytesSent: 1_500_000, aborted: true });
  });

  it('status: answers with the injected status and a text body', async () => {
    server.fault('/registry/mlp/manifest.json', { kind: 'status', status: 503 });
    const res = await get('/registry/mlp/manifest.json');
    expect(res.status).toBe(503);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toContain('status 503');
    expect(await recordFor('/registry/mlp/manifest.json')).toMatchObject({ status: 503, fault: 'status', aborted: false });
  });

  it('flip-byte: exactly one byte differs, by XOR 0xff, in the middle by default', async () => {
    server.fault(chunkPath, { kind: 'flip-byte' }, { times: 1 });
    const body = Buffer.from(await (await get(chunkPath)).arrayBuffer());
    expect(body.length).toBe(CHUNK_BYTES.length);
    const diffs = [...body.keys()].filter((i) => body[i] !== CHUNK_BYTES[i]);
    const mid = CHUNK_BYTES.length / 2;
    expect(diffs).toEqual([mid]);
    expect(body[mid]).toBe((CHUNK_BYTES[mid] ?? 0) ^ 0xff);
    // The source is not corrupted for the next request.
    expect(Buffer.from(await (await get(chunkPath)).arrayBuffer()).equals(CHUNK_BYTES)).toBe(true);
  });

  it('flip-byte: at an offset inside a streamed file, or 500 outside the body', async () => {
    const p = `/registry/mlp/chunks/${BIG}`;
    server.fault(p, { kind: 'flip-byte', offset: 300_001 }, { times: 1 });
    const body = Buffer.from(await (await get(p)).arrayBuffer());
    const diffs: number[] = [];
    for (let i = 0; i < body.length; i++) if (body[i] !== BIG_BYTES[i]) diffs.push(i);
    expect(diffs).toEqual([300_001]);
    server.fault(chunkPath, { kind: 'flip-byte', offset: CHUNK_BYTES.length });
    const outside = await get(chunkPath);
    expect(outside.status).toBe(500);
    expect(await outside.text()).toContain('outside');
  });

  it('truncate: a clean short body with a matching Content-Length', async () => {
    server.fault(chunkPath, { kind: 'truncate', bytes: 100 });
    const res = await get(chunkPath);
    expect(res.headers.get('content-length')).toBe('100');
    expect(Buffer.from(await res.arrayBuffer()).equals(CHUNK_BYTES.subarray(0, 100))).toBe(true);
    expect(await recordFor(chunkPath)).toMatchObject({ bytesSent: 100, aborted: false, fault: 'truncate' });
  });

  it('extend: the body and then extra bytes, chunked', async () => {
    server.fault(chunkPath, { kind: 'extend', bytes: 500 });
    const res = await get(chunkPath);
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(CHUNK_BYTES.length + 500);
    expect(body.subarray(0, CHUNK_BYTES.length).equals(CHUNK_BYTES)).toBe(true);
  });

  it('extend -1: streams forever; the client reads 10× the file and aborts', async () => {
    server.fault(chunkPath, { kind: 'extend', bytes: -1 });
    const controller = new AbortController();
    const res = await get(chunkPath, { signal: controller.signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    while (received < 10 * CHUNK_BYTES.length) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      received += value?.length ?? 0;
    }
    controller.abort();
    const record = await recordFor(chunkPath);
    expect(record).toMatchObject({ fault: 'extend', aborted: true, pending: false });
    expect(record.bytesSent).toBeGreaterThanOrEqual(10 * CHUNK_BYTES.length);
  });

  it('stale-manifest: serves the previous history entry, or a named one', async () => {
    server.fault('/registry/mlp/manifest.json', { kind: 'stale-manifest' }, { times: 1 });
    const stale = await get('/registry/mlp/manifest.json');
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(envelope(2));
    server.fault('/registry/mlp/manifest.json', { kind: 'stale-manifest', sequence: 1 }, { times: 1 });
    expect(await (await get('/registry/mlp/manifest.json')).text()).toBe(envelope(1));
    expect(await (await get('/registry/mlp/manifest.json')).text()).toBe(envelope(3));
  });

  it('stale-manifest: 500 with an explanation when there is nothing older', async () => {
    server.fault('/registry/solo/manifest.json', { kind: 'stale-manifest' });
    const res = await get('/registry/solo/manifest.json');
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('no history file below sequence 1');
    server.fault('/registry/mlp/manifest.json', { kind: 'stale-manifest', sequence: 9 });
    expect((await get('/registry/mlp/manifest.json')).status).toBe(500);
  });

  it('garbage: 200, original content type, a body that is not JSON', async () => {
    server.fault('**/manifest.json', { kind: 'garbage' });
    const res = await get('/registry/mlp/manifest.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const text = await res.text();
    expect(text).toBe('<html>not a manifest');
    expect(() => JSON.parse(text)).toThrow();
    server.fault('**/manifest.json', { kind: 'garbage', body: '\u0000\u0001' });
    expect(await (await get('/registry/mlp/manifest.json')).text()).toBe('\u0000\u0001');
  });

  it('status with retryAfter: sends Retry-After as given, seconds or a date', async () => {
    server.fault(chunkPath, { kind: 'status', status: 503, retryAfter: 1 }, { times: 1 });
    const res = await get(chunkPath);
    expect([res.status, res.headers.get('retry-after')]).toEqual([503, '1']);
    const date = 'Wed, 21 Oct 2026 07:28:00 GMT';
    server.fault(chunkPath, { kind: 'status', status: 429, retryAfter: date }, { times: 1 });
    expect((await get(chunkPath)).headers.get('retry-after')).toBe(date);
    expect((await get(chunkPath)).headers.get('retry-after')).toBeNull();
  });

  it('trickle: headers at once, the first afterBytes at full speed, then a byte at a time at the pace', async () => {
    server.fault(chunkPath, { kind: 'trickle', everyMs: 20, afterBytes: 100 });
    const controller = new AbortController();
    const started = Date.now();
    const res = await get(chunkPath, { signal: controller.signal });
    // The whole body is promised, and kept slowly.
    expect([res.status, res.headers.get('content-length'), res.headers.get('x-baton-fault')]).toEqual([
      200,
      String(CHUNK_BYTES.length),
      'trickle 1 byte(s) every 20 ms after 100 bytes',
    ]);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const parts: Uint8Array[] = [];
    let received = 0;
    while (received < 110) {
      const { value } = await reader.read();
      parts.push(value!);
      received += value!.length;
    }
    const elapsed = Date.now() - started;
    // 10 paced bytes took at least 10 × 20 ms; a byte never came before its turn.
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(received).toBeLessThanOrEqual(100 + Math.ceil(elapsed / 20) + 1);
    expect(Buffer.concat(parts).equals(CHUNK_BYTES.subarray(0, received))).toBe(true);
    controller.abort();
    const record = await recordFor(chunkPath);
    expect(record).toMatchObject({ fault: 'trickle', aborted: true, pending: false });
    expect(record.bytesSent).toBeLessThan(CHUNK_BYTES.length);
  });

  it('trickle: a finite body arrives whole, at the pace, with a Content-Length', async () => {
    const manifest = '/registry/solo/manifest.json';
    const whole = envelope(1);
    server.fault(manifest, { kind: 'trickle', everyMs: 10, bytes: 64 });
    const started = Date.now();
    const res = await get(manifest);
    expect(await res.text()).toBe(whole);
    expect(Date.now() - started).toBeGreaterThanOrEqual(Math.floor(whole.length / 64) * 10);
    expect(await recordFor(manifest)).toMatchObject({ fault: 'trickle', aborted: false, bytesSent: whole.length });
  });

  it('trickle endless: filler after the body, chunked, until the client gives up', async () => {
    const manifest = '/registry/solo/manifest.json';
    const whole = envelope(1);
    server.fault(manifest, { kind: 'trickle', everyMs: 1, bytes: 1024, endless: true });
    const controller = new AbortController();
    const res = await get(manifest, { signal: controller.signal });
    expect(res.headers.get('content-length')).toBeNull();
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    while (received < whole.length + 4096) received += (await reader.read()).value?.length ?? 0;
    controller.abort();
    expect(await recordFor(manifest)).toMatchObject({ fault: 'trickle', aborted: true, pending: false });
  });

  it('gzip: the body gzip-encoded, Content-Encoding and the compressed Content-Length; a fetch decodes it to the file', async () => {
    server.fault(chunkPath, { kind: 'gzip' });
    const raw = await rawGet(chunkPath);
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(raw.headers['content-length']).toBe(String(raw.body.length));
    expect(raw.body.length).not.toBe(CHUNK_BYTES.length);
    expect(gunzipSync(raw.body).equals(CHUNK_BYTES)).toBe(true);
    expect(await recordFor(chunkPath)).toMatchObject({ fault: 'gzip', bytesSent: raw.body.length, aborted: false });
    // fetch (undici, like a browser) decodes: the stream yields the file's own bytes.
    expect(Buffer.from(await (await get(chunkPath)).arrayBuffer()).equals(CHUNK_BYTES)).toBe(true);
  });

  it('gzip: a file too big to be read whole is compressed too, and stays untouched on disk', async () => {
    const p = `/registry/mlp/chunks/${BIG}`;
    server.fault(p, { kind: 'gzip' }, { times: 1 });
    const raw = await rawGet(p);
    expect(gunzipSync(raw.body).equals(BIG_BYTES)).toBe(true);
    expect(Buffer.from(await (await get(p)).arrayBuffer()).equals(BIG_BYTES)).toBe(true);
  });

  it('reset: the connection is reset with no response', async () => {
    server.fault(chunkPath, { kind: 'reset' });
    await expect(get(chunkPath)).rejects.toThrow();
    expect(await recordFor(chunkPath)).toMatchObject({ status: 0, fault: 'reset', aborted: true, bytesSent: 0 });
  });
});

describe('fault rules', () => {
  it('times: applies to the next N matching requests, then expires', async () => {
    const handle = server.fault(chunkPath, { kind: 'status', status: 500 }, { times: 2 });
    expect((await get(chunkPath)).status).toBe(500);
    expect(handle.active).toBe(true);
    expect((await get(chunkPath)).status).toBe(500);
    expect((await get(chunkPath)).status).toBe(200);
    expect(handle).toMatchObject({ hits: 2, active: false });
  });

  it('the newest matching rule wins; remove() restores the older one', async () => {
    server.fault('/registry/**', { kind: 'status', status: 500 });
    const newer = server.fault('/registry/mlp/*', { kind: 'status', status: 404 });
    expect((await get('/registry/mlp/manifest.json')).status).toBe(404);
    expect((await get(chunkPath)).status).toBe(500); // '*' does not cross '/'
    newer.remove();
    newer.remove();
    expect(newer.active).toBe(false);
    expect((await get('/registry/mlp/manifest.json')).status).toBe(500);
  });

  it('matches exact paths, globs and RegExps', () => {
    const m = (p: string | RegExp, path: string): boolean => compilePattern(p)(path);
    expect(m('/registry/mlp/manifest.json', '/registry/mlp/manifest.json')).toBe(true);
    expect(m('/registry/mlp/manifest.json', '/registry/mlp/manifest.jsonx')).toBe(false);
    expect(m('/registry/mlp/chunks/*', `/registry/mlp/chunks/${CHUNK}`)).toBe(true);
    expect(m('/registry/mlp/chunks/*', '/registry/mlp/chunks/a/b')).toBe(false);
    expect(m('/registry/*/manifest.json', '/registry/mlp/manifest.json')).toBe(true);
    expect(m('**/manifest.json', '/registry/mlp/manifest.json')).toBe(true);
    expect(m('**/manifest.json', '/registry/mlp/history/3.json')).toBe(false);
    expect(m('/registry/**/3.json', '/registry/mlp/history/3.json')).toBe(true);
    expect(m('/registry/**/x', '/registry/x')).toBe(true);
    expect(m('/registry/**', '/registry/a/b/c')).toBe(true);
    expect(m('/a.b', '/aXb')).toBe(false); // '.' is literal
    const sticky = /chunks/g;
    expect([m(sticky, chunkPath), m(sticky, chunkPath)]).toEqual([true, true]);
    expect(() => compilePattern('registry/mlp/manifest.json')).toThrow(TypeError);
  });

  it('validates faults and times at the call site', () => {
    expect(() => server.fault('/x', { kind: 'stall' } as unknown as Fault)).toThrow(/afterBytes/);
    expect(() => server.fault('/x', { kind: 'reset' }, { times: 0 })).toThrow(/times/);
  });
});

describe('parseFault and describeFault', () => {
  const valid: Fault[] = [
    { kind: 'delay', ms: 10 },
    { kind: 'stall', afterBytes: 0 },
    { kind: 'drop', afterBytes: 5 },
    { kind: 'status', status: 503 },
    { kind: 'status', status: 503, retryAfter: 1 },
    { kind: 'status', status: 429, retryAfter: 'Wed, 21 Oct 2026 07:28:00 GMT' },
    { kind: 'flip-byte' },
    { kind: 'flip-byte', offset: 3 },
    { kind: 'truncate', bytes: 1 },
    { kind: 'extend', bytes: -1 },
    { kind: 'stale-manifest' },
    { kind: 'stale-manifest', sequence: 2 },
    { kind: 'garbage' },
    { kind: 'garbage', body: 'x' },
    { kind: 'reset' },
    { kind: 'trickle', everyMs: 1000 },
    { kind: 'trickle', everyMs: 50, bytes: 4, afterBytes: 10, endless: true },
    { kind: 'gzip' },
  ];

  it('accepts every kind, round-trips through JSON and drops unknown fields', () => {
    for (const f of valid) expect(parseFault(JSON.parse(JSON.stringify(f)))).toEqual(f);
    expect(parseFault({ kind: 'reset', extra: 1 })).toEqual({ kind: 'reset' });
    expect(new Set(valid.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
  });

  it('throws a TypeError naming the bad field', () => {
    expect(() => parseFault(null)).toThrow(TypeError);
    expect(() => parseFault({ kind: 'explode' })).toThrow(/fault\.kind/);
    expect(() => parseFault({ kind: 'delay', ms: -1 })).toThrow(/fault\.ms/);
    expect(() => parseFault({ kind: 'delay', ms: 2 ** 31 })).toThrow(/fault\.ms/);
    expect(() => parseFault({ kind: 'status', status: 99 })).toThrow(/fault\.status/);
    expect(() => parseFault({ kind: 'truncate', bytes: 1.5 })).toThrow(/fault\.bytes/);
    expect(() => parseFault({ kind: 'extend', bytes: -2 })).toThrow(/fault\.bytes/);
    expect(() => parseFault({ kind: 'flip-byte', offset: '1' })).toThrow(/fault\.offset/);
    expect(() => parseFault({ kind: 'stale-manifest', sequence: 0 })).toThrow(/fault\.sequence/);
    expect(() => parseFault({ kind: 'garbage', body: 1 })).toThrow(/fault\.body/);
    expect(() => parseFault({ kind: 'status', status: 503, retryAfter: -1 })).toThrow(/fault\.retryAfter/);
    expect(() => parseFault({ kind: 'status', status: 503, retryAfter: '1\r\nX: y' })).toThrow(/fault\.retryAfter/);
    expect(() => parseFault({ kind: 'trickle' })).toThrow(/fault\.everyMs/);
    expect(() => parseFault({ kind: 'trickle', everyMs: 0 })).toThrow(/fault\.everyMs/);
    expect(() => parseFault({ kind: 'trickle', everyMs: 10, bytes: 0 })).toThrow(/fault\.bytes/);
    expect(() => parseFault({ kind: 'trickle', everyMs: 10, endless: 'yes' })).toThrow(/fault\.endless/);
  });

  it('describes each fault on one line', () => {
    for (const f of valid) expect(describeFault(f)).toMatch(/^[^\n]+$/);
    expect(describeFault({ kind: 'extend', bytes: -1 })).toBe('extend body endlessly');
  });
});

describe('request log', () => {
  it('records method, path, query, status, bytes and completion, in order', async () => {
    await (await get(`${chunkPath}?attempt=2`)).arrayBuffer();
    await (await get('/registry/mlp/manifest.json', { method: 'HEAD' })).arrayBuffer();
    await (await get('/registry/nope.json')).arrayBuffer();
    await waitFor(() => (server.requests().every((r) => !r.pending) && server.requests().length === 3 ? true : undefined));
    const [chunk, head, missing] = server.requests();
    expect(chunk).toMatchObject({ method: 'GET', path: chunkPath, query: 'attempt=2', status: 200, bytesSent: CHUNK_BYTES.length, aborted: false });
    expect(chunk?.fault).toBeUndefined();
    expect(chunk?.endedAt).toBeGreaterThanOrEqual(chunk?.startedAt ?? Infinity);
    expect(head).toMatchObject({ method: 'HEAD', status: 200, bytesSent: 0, aborted: false });
    expect(missing).toMatchObject({ status: 404, aborted: false });
    expect(server.requests({ path: '/registry/mlp/**' })).toHaveLength(2);
    expect(server.requests({ path: /nope/ })).toHaveLength(1);
    expect(server.requests({ method: 'head' })).toHaveLength(1);
    server.resetRequests();
    expect(server.requests()).toEqual([]);
  });

  it('records a 304 with no body bytes', async () => {
    const etag = (await get(chunkPath, { method: 'HEAD' })).headers.get('etag') ?? '';
    expect((await get(chunkPath, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    expect(await recordFor(chunkPath, (r) => r.status === 304 && !r.pending)).toMatchObject({ bytesSent: 0, aborted: false });
  });
});

describe('control endpoints', () => {
  const control = (p: string, init?: RequestInit): Promise<Response> => get(`/__baton/${p}`, init);
  const post = (body: unknown): Promise<Response> => control('faults', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('adds, lists and removes faults over HTTP', async () => {
    const added = await post({ pattern: '/registry/mlp/chunks/*', fault: { kind: 'status', status: 418 }, times: 5 });
    expect(added.status).toBe(201);
    const { id } = (await added.json()) as { id: number };
    expect((await get(chunkPath)).status).toBe(418);
    const listed = (await (await control('faults')).json()) as { id: number; remaining: number; hits: number }[];
    expect(listed).toEqual([expect.objectContaining({ id, remaining: 4, hits: 1 })]);
    expect((await control(`faults/${id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await control(`faults/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect((await get(chunkPath)).status).toBe(200);

    await post({ pattern: '**', fault: { kind: 'status', status: 500 } });
    expect((await control('faults', { method: 'DELETE' })).status).toBe(204);
    expect((await get(chunkPath)).status).toBe(200);
  });

  it('rejects bad requests with 400 and a message', async () => {
    const badJson = await post('{not json');
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: string }).error).toMatch(/bad JSON/);
    const badFault = await post({ pattern: '/x', fault: { kind: 'delay' } });
    expect(badFault.status).toBe(400);
    expect(((await badFault.json()) as { error: string }).error).toMatch(/fault\.ms/);
    expect((await post({ pattern: 'x', fault: { kind: 'reset' } })).status).toBe(400);
    expect((await post({ pattern: '/x', fault: { kind: 'reset' }, times: -1 })).status).toBe(400);
    expect((await control('faults', { method: 'PUT' })).status).toBe(405);
    expect((await control('nothing')).status).toBe(404);
  });

  it('reads and resets the request log, without logging itself', async () => {
    await (await get(chunkPath)).arrayBuffer();
    await (await get('/registry/mlp/manifest.json')).arrayBuffer();
    await waitFor(() => (server.requests().filter((r) => !r.pending).length === 2 ? true : undefined));
    const all = (await (await control('requests')).json()) as RequestRecord[];
    expect(all.map((r) => r.path)).toEqual([chunkPath, '/registry/mlp/manifest.json']);
    const some = (await (await control(`requests?path=${encodeURIComponent('**/manifest.json')}`)).json()) as RequestRecord[];
    expect(some).toHaveLength(1);
    expect((await control('requests', { method: 'DELETE' })).status).toBe(204);
    expect(server.requests()).toEqual([]);
  });
});

describe('lifecycle and hooks', () => {
  it('extraRoutes handles its own paths, unlogged; others fall through', async () => {
    const s = await startTestServer({
      registryDir,
      extraRoutes: (_req, res, url) => {
        if (url.pathname !== '/demo/ping') return false;
        res.end('pong');
        return true;
      },
    });
    try {
      const ping = await fetch(`${s.url}/demo/ping`);
      expect(await ping.text()).toBe('pong');
      expect(ping.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect((await fetch(`${s.registryUrl}/mlp/manifest.json`)).status).toBe(200);
      await waitFor(() => (s.requests().length === 1 && !s.requests()[0]?.pending ? true : undefined));
      expect(s.requests().map((r) => r.path)).toEqual(['/registry/mlp/manifest.json']);
    } finally {
      await s.close();
    }
  });

  it('close() resolves with a stalled request open, and the client sees the connection end', async () => {
    const s = await startTestServer({ registryDir });
    s.fault('**', { kind: 'stall', afterBytes: 10 });
    const res = await fetch(`${s.registryUrl}/mlp/chunks/${CHUNK}`, { signal: AbortSignal.timeout(5000) });
    const body = res.arrayBuffer();
    await waitFor(() => (s.requests()[0]?.bytesSent === 10 ? true : undefined));
    await s.close();
    await s.close(); // idempotent
    await expect(body).rejects.toThrow();
    expect(s.requests()[0]).toMatchObject({ aborted: true, pending: false, bytesSent: 10 });
  });
});
