/**
 * Serves the registry folder from `vite` and `vite preview` as a CDN would: read at request time
 * (a publish is seen by the next check, with no rebuild), content-addressed chunks immutable,
 * the manifest revalidated (an ETag, so an unchanged manifest costs a 304), and a plain 404 for
 * what is not there — never the SPA's index.html, which a device would read as a corrupt manifest.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve, sep } from 'node:path';

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/** `dir`'s files under the URL path `mount` (e.g. `/registry/`). */
export function registryMiddleware(dir: string, mount: string): Middleware {
  const root = resolve(dir);
  return (req, res, next) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (!pathname.startsWith(mount)) return next();
    void serve(root, pathname.slice(mount.length), req, res).catch((e: unknown) => {
      res.statusCode = 500;
      res.end(`registry: ${(e as Error).message}\n`);
    });
  };
}

async function serve(root: string, rest: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const fail = (status: number, why: string) => {
    res.statusCode = status;
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(`${why}\n`);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, 'registry: GET only');
  let segments: string[];
  try {
    segments = rest.split('/').map(decodeURIComponent);
  } catch {
    return fail(400, 'registry: malformed path');
  }
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('/') || s.includes('\\') || s.includes('\0') || s.startsWith('.')))
    return fail(404, `registry: no file ${rest}`);
  const file = join(root, ...segments);
  if (!file.startsWith(root + sep)) return fail(404, `registry: no file ${rest}`);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return fail(404, `registry: no file ${rest}`);
  const chunk = segments.length === 3 && segments[1] === 'chunks';
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  res.setHeader('Content-Type', segments.at(-1)!.endsWith('.json') ? 'application/json' : 'application/octet-stream');
  res.setHeader('Cache-Control', chunk ? 'public, max-age=31536000, immutable' : 'no-cache');
  res.setHeader('ETag', etag);
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    return void res.end();
  }
  res.setHeader('Content-Length', String(info.size));
  if (req.method === 'HEAD') return void res.end();
  createReadStream(file).pipe(res);
}
