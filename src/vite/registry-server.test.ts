import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registryMiddleware } from './registry-server.js';

let dir: string;
let server: Server;
let base: string;
const CHUNK = 'a'.repeat(64);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-registry-server-'));
  await mkdir(join(dir, 'mlp', 'chunks'), { recursive: true });
  await writeFile(join(dir, 'mlp', 'manifest.json'), '{"payload":"x"}');
  await writeFile(join(dir, 'mlp', 'chunks', CHUNK), new Uint8Array([1, 2, 3]));
  await writeFile(join(dir, 'mlp', '.lock'), '123');
  await writeFile(join(tmpdir(), 'baton-outside.txt'), 'secret');
  const mw = registryMiddleware(dir, '/app/registry/');
  server = createServer((req, res) => mw(req, res, () => res.end('app:' + req.url)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the registry as the dev and preview servers serve it', () => {
  it('serves the manifest revalidated, with an ETag that answers 304 while it is unchanged', async () => {
    const res = await fetch(`${base}/app/registry/mlp/manifest.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe('{"payload":"x"}');
    const again = await fetch(`${base}/app/registry/mlp/manifest.json`, { headers: { 'If-None-Match': res.headers.get('etag')! } });
    expect(again.status).toBe(304);
  });

  it('a publish is seen by the next request (no caching in the server)', async () => {
    const before = await fetch(`${base}/app/registry/mlp/manifest.json`);
    await new Promise((r) => setTimeout(r, 20));
    await writeFile(join(dir, 'mlp', 'manifest.json'), '{"payload":"y, longer"}');
    const after = await fetch(`${base}/app/registry/mlp/manifest.json`, { headers: { 'If-None-Match': before.headers.get('etag')! } });
    expect(after.status).toBe(200);
    expect(await after.text()).toBe('{"payload":"y, longer"}');
  });

  it('serves chunks as immutable bytes', async () => {
    const res = await fetch(`${base}/app/registry/mlp/chunks/${CHUNK}`);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('answers a plain 404 (never the app’s index.html) for what is not there, hidden files and paths out of the folder', async () => {
    for (const path of [
      'mlp/manifest.jsn',
      'nope/manifest.json',
      'mlp/.lock',
      '..%2fbaton-outside.txt',
      'mlp%2f..%2f..%2fbaton-outside.txt',
      'mlp/chunks/',
      '',
    ]) {
      const res = await fetch(`${base}/app/registry/${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toMatch(/^registry: no file/);
    }
  });

  it('leaves everything outside its mount to the app, and refuses writes', async () => {
    expect(await (await fetch(`${base}/app/index.html`)).text()).toBe('app:/app/index.html');
    expect(await (await fetch(`${base}/registry/mlp/manifest.json`)).text()).toBe('app:/registry/mlp/manifest.json');
    expect((await fetch(`${base}/app/registry/mlp/manifest.json`, { method: 'PUT', body: 'x' })).status).toBe(405);
  });
});
