/**
 * How the test server makes responses: safe URL → file mapping, content types, validators and cache
 * policy, response plans with body-level faults applied, and one writer that cuts, flips, extends,
 * trickles or stalls a body while honouring backpressure. Files are read at request time, never
 * cached: tests rewrite the registry between requests and the next request must see the new bytes.
 */
import { open, readdir, readFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { describeFault, ENDLESS } from './faults.js';
import type { Fault } from './faults.js';

const OCTET_STREAM = 'application/octet-stream';

const CONTENT_TYPES = new Map<string, string>([
  ['.html', 'text/html; charset=utf-8'],
  ['.js', 'text/javascript; charset=utf-8'],
  ['.mjs', 'text/javascript; charset=utf-8'],
  ['.css', 'text/css; charset=utf-8'],
  ['.json', 'application/json; charset=utf-8'],
  ['.map', 'application/json; charset=utf-8'],
  ['.txt', 'text/plain; charset=utf-8'],
  ['.wasm', 'application/wasm'],
  ['.svg', 'image/svg+xml'],
  ['.png', 'image/png'],
  ['.ico', 'image/x-icon'],
  ['.webmanifest', 'application/manifest+json'],
  ['.onnx', OCTET_STREAM],
]);

/** Content type by extension; chunk files (no extension) and anything unknown are octet-stream. */
export function contentTypeFor(filePath: string): string {
  return CONTENT_TYPES.get(path.extname(filePath).toLowerCase()) ?? OCTET_STREAM;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Cache-Control by URL path: content-addressed chunks and Vite's hashed `/assets/` files never
 * change; everything else (manifests, html, the service worker script, history) is revalidated on
 * every use so a rewritten file is seen at once.
 */
export function cacheControlFor(pathname: string): string {
  if (/^\/registry\/[^/]+\/chunks\/[^/]+$/.test(pathname)) return IMMUTABLE;
  if (/^\/assets\/(?:.+\/)?[^/]+[-.][\w-]{8,}\.\w+$/.test(pathname)) return IMMUTABLE;
  return 'no-cache';
}

/** Where a request path points: a file to try, or why there is none. */
export type Target = { file: string } | { status: 400 | 404; reason: string };

/**
 * Maps a raw (percent-encoded) pathname to a file under `appDir` (at `/`) or `registryDir` (at
 * `/registry/`). Refuses `.` and `..` segments after decoding — so `%2e%2e` and `..%2f` too — NUL and
 * backslashes with 400; a path ending in `/` means its `index.html` in the app only (no listings).
 */
export function mapRequestPath(pathname: string, roots: { appDir?: string; registryDir: string }): Target {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return { status: 400, reason: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return { status: 400, reason: 'forbidden character' };
  const segments = decoded.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.')) return { status: 400, reason: 'path traversal' };

  const inRegistry = segments[0] === 'registry';
  const root = inRegistry ? roots.registryDir : roots.appDir;
  if (root === undefined) return { status: 404, reason: 'no app directory' };
  const rest = inRegistry ? segments.slice(1) : segments;
  if (rest.length === 0 || rest.slice(0, -1).includes('')) return { status: 404, reason: 'not found' };
  if (rest[rest.length - 1] === '') {
    if (inRegistry) return { status: 404, reason: 'no directory listing' };
    rest[rest.length - 1] = 'index.html';
  }
  const file = path.join(root, ...rest);
  // Belt and braces: the segment check above already makes this impossible.
  if (!file.startsWith(root + path.sep)) return { status: 400, reason: 'path traversal' };
  return { file };
}

/** A response body: bytes in memory, or an open file read piece by piece. */
export type Body = { size: number; data: Buffer } | { size: number; handle: FileHandle };

/** A file opened for one request. `close()` must be called (idempotent). */
export interface StaticFile {
  body: Body;
  /** Strong validator, quoted. */
  etag: string;
  close(): Promise<void>;
}

// Files up to this size are read whole: one consistent snapshot, and a content hash as ETag.
const READ_WHOLE_LIMIT = 1024 * 1024;

/**
 * Opens a regular file for serving, or returns null (missing, a directory, unreadable).
 *
 * ETag: the file name for content-addressed chunks (it is their SHA-256); a content hash for small
 * files, because Linux file times tick every few ms and a manifest rewritten in place with the same
 * length would otherwise keep its ETag and be answered 304; size + mtime + inode for big files.
 */
export async function openStaticFile(file: string): Promise<StaticFile | null> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch {
    return null;
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  try {
    const stat = await handle.stat({ bigint: true });
    if (!stat.isFile()) {
      await close();
      return null;
    }
    const size = Number(stat.size);
    const name = path.basename(file);
    if (size <= READ_WHOLE_LIMIT) {
      const data = await handle.readFile();
      await close();
      const etag = /^[0-9a-f]{64}$/.test(name) ? `"${name}"` : `"${data.length.toString(16)}-${hash53(data)}"`;
      return { body: { size: data.length, data }, etag, close };
    }
    const etag = /^[0-9a-f]{64}$/.test(name) ? `"${name}"` : `"${size.toString(16)}-${stat.mtimeNs.toString(16)}-${stat.ino.toString(16)}"`;
    return { body: { size, handle }, etag, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** cyrb53 (public domain): a fast 53-bit non-cryptographic hash, enough to tell file versions apart. */
function hash53(data: Uint8Array): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i] ?? 0;
    h1 = Math.imul(h1 ^ byte, 2654435761);
    h2 = Math.imul(h2 ^ byte, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16);
}

/** If-None-Match (a list, `*`, weak or strong entries) against our strong ETag. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

/**
 * For a `stale-manifest` fault: the history file to serve instead of `manifestFile`. With no
 * `sequence`, the highest `history/<n>.json` below the current manifest's payload sequence.
 * Returns `{ error }` (served as a 500 with that text) when there is no such file.
 */
export async function findStaleManifest(manifestFile: string, sequence?: number): Promise<{ file: string } | { error: string }> {
  if (path.basename(manifestFile) !== 'manifest.json') {
    return { error: `stale-manifest applies to manifest.json paths only, not ${path.basename(manifestFile)}` };
  }
  const historyDir = path.join(path.dirname(manifestFile), 'history');
  if (sequence === undefined) {
    let current: number;
    try {
      current = readEnvelopeSequence(await readFile(manifestFile, 'utf8'));
    } catch (err) {
      return { error: `stale-manifest: cannot read the current manifest's sequence: ${(err as Error).message}` };
    }
    const known = await readdir(historyDir).catch(() => [] as string[]);
    const older = known
      .map((name) => /^([1-9]\d*)\.json$/.exec(name)?.[1])
      .map(Number)
      .filter((n) => Number.isSafeInteger(n) && n < current);
    if (older.length === 0) return { error: `stale-manifest: no history file below sequence ${current} in ${historyDir}` };
    return { file: path.join(historyDir, `${Math.max(...older)}.json`) };
  }
  const file = path.join(historyDir, `${sequence}.json`);
  const exists = await open(file, 'r').then(
    async (h) => {
      await h.close();
      return true;
    },
    () => false,
  );
  return exists ? { file } : { error: `stale-manifest: ${file} does not exist` };
}

/** The `sequence` inside a signed envelope `{ payloadType, payload: base64(JSON), signatures }`. */
function readEnvelopeSequence(envelopeJson: string): number {
  const envelope = JSON.parse(envelopeJson) as { payload?: unknown };
  if (typeof envelope.payload !== 'string') throw new Error('envelope has no base64 payload');
  const payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as { sequence?: unknown };
  if (typeof payload.sequence !== 'number') throw new Error('payload has no numeric sequence');
  return payload.sequence;
}

/** Everything needed to write one response; faults are expressed by changing these fields. */
export interface ResponsePlan {
  status: number;
  headers: OutgoingHttpHeaders;
  /** May be null for bodiless responses (304, HEAD-only paths). */
  body: Body | null;
  /** How many bytes of `body` to send, from its start. */
  sendBytes: number;
  /** Offset of the one body byte to XOR with 0xff. */
  flipAt?: number;
  /** Filler bytes after the body; -1 = until the connection goes away. */
  extraBytes: number;
  /** From byte `from` on (filler included), `bytes` bytes every `everyMs`; headers go out at once. */
  pace?: { bytes: number; everyMs: number; from: number };
  /** After the bytes: finish normally, keep the response open forever, or destroy the socket. */
  after: 'end' | 'stall' | 'drop';
}

const gzipAsync = promisify(gzip);

/**
 * The file as a `gzip` fault serves it: the whole body gzip-encoded in memory. The one async step
 * of a body fault; {@link filePlan} then labels it. Other faults get the file unchanged.
 */
export async function encodeFile(found: StaticFile, fault: Fault | undefined): Promise<StaticFile> {
  if (fault?.kind !== 'gzip') return found;
  const raw = 'data' in found.body ? found.body.data : await found.body.handle.readFile();
  const data = await gzipAsync(raw);
  return { ...found, body: { size: data.length, data } };
}

/**
 * The plan for a file found on disk, with a body-level fault applied (`stall`, `drop`, `flip-byte`,
 * `truncate`, `extend`, `trickle`, `gzip`; `stale-manifest` has already swapped the file, and
 * {@link encodeFile} compressed a `gzip` one). Unfaulted responses carry the ETag and cache
 * policy, and answer a matching If-None-Match with 304.
 */
export function filePlan(found: StaticFile, pathname: string, file: string, fault: Fault | undefined, ifNoneMatch: string | undefined): ResponsePlan {
  const size = found.body.size;
  const headers: OutgoingHttpHeaders = { 'Content-Type': contentTypeFor(file), 'X-Content-Type-Options': 'nosniff' };
  if (fault === undefined) {
    headers['ETag'] = found.etag;
    headers['Cache-Control'] = cacheControlFor(pathname);
    if (etagMatches(ifNoneMatch, found.etag)) return { status: 304, headers, body: null, sendBytes: 0, extraBytes: 0, after: 'end' };
    headers['Content-Length'] = size;
    return { status: 200, headers, body: found.body, sendBytes: size, extraBytes: 0, after: 'end' };
  }
  // A faulted response ignores If-None-Match, has no ETag and is never stored: a corrupted chunk
  // cached as "immutable" by the browser would poison every later attempt to fetch it.
  Object.assign(headers, faultHeaders(fault));
  const plan: ResponsePlan = { status: 200, headers, body: found.body, sendBytes: size, extraBytes: 0, after: 'end' };
  switch (fault.kind) {
    case 'stall':
    case 'drop':
      plan.sendBytes = Math.min(fault.afterBytes, size);
      plan.after = fault.kind;
      break;
    case 'flip-byte': {
      const at = fault.offset ?? Math.floor(size / 2);
      // Serving the body unchanged would let a test "pass" without any corruption happening.
      if (at >= size) return textPlan(500, `flip-byte: offset ${at} is outside the ${size}-byte body`, faultHeaders(fault));
      plan.flipAt = at;
      break;
    }
    case 'truncate':
      plan.sendBytes = Math.min(fault.bytes, size);
      break;
    case 'extend':
      plan.extraBytes = fault.bytes;
      break;
    case 'trickle':
      plan.pace = { bytes: fault.bytes ?? 1, everyMs: fault.everyMs, from: Math.min(fault.afterBytes ?? 0, size) };
      if (fault.endless) plan.extraBytes = ENDLESS;
      break;
    case 'gzip':
      // The body is already the compressed one (encodeFile): its size is the Content-Length below.
      headers['Content-Encoding'] = 'gzip';
      headers['Vary'] = 'Accept-Encoding';
      break;
    default:
      break; // stale-manifest: the substituted file, whole
  }
  // No Content-Length for `extend` and an endless `trickle`: Node then uses chunked encoding, so
  // the body may run on. stall and drop promise the whole body and break the promise; truncate is
  // a clean short body; a finite trickle keeps its promise, slowly.
  const chunked = fault.kind === 'extend' || (fault.kind === 'trickle' && fault.endless === true);
  if (!chunked) headers['Content-Length'] = fault.kind === 'truncate' ? plan.sendBytes : size;
  return plan;
}

/** Headers of every faulted response: never stored, and labelled for whoever reads a HAR file. */
export function faultHeaders(fault: Fault): OutgoingHttpHeaders {
  return { 'Cache-Control': 'no-store', 'X-Baton-Fault': describeFault(fault) };
}

/** A whole in-memory body. */
export function bufferPlan(status: number, body: Buffer, headers: OutgoingHttpHeaders): ResponsePlan {
  // 204 and 304 must not carry a body (RFC 9110 §15.3.5, §15.4.5).
  if (status === 204 || status === 304) return { status, headers, body: null, sendBytes: 0, extraBytes: 0, after: 'end' };
  return {
    status,
    headers: { ...headers, 'Content-Length': body.length },
    body: { size: body.length, data: body },
    sendBytes: body.length,
    extraBytes: 0,
    after: 'end',
  };
}

/** A short plain-text body (errors, injected statuses), never stored. */
export function textPlan(status: number, text: string, headers: OutgoingHttpHeaders = {}): ResponsePlan {
  return bufferPlan(status, Buffer.from(`${text}\n`), { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
}

const PIECE = 256 * 1024;
const FILLER = Buffer.alloc(64 * 1024, 0x20);

/**
 * Writes a plan. Resolves when the response is finished, stalled, dropped or abandoned by the client;
 * never rejects for a client that went away. `onWritten(n)` reports body bytes handed to the kernel.
 * Reads the next piece only after the previous one drained, so a 100 MB file costs ~256 KiB of memory.
 */
export async function writePlan(res: ServerResponse, plan: ResponsePlan, headOnly: boolean, onWritten: (bytes: number) => void): Promise<void> {
  res.writeHead(plan.status, plan.headers);
  if (!headOnly && plan.body !== null) {
    // A paced body shows its headers before its first byte, which may be a long wait away.
    if (plan.pace !== undefined) res.flushHeaders();
    const send = (chunk: Buffer, offset: number) => (plan.pace === undefined ? write(res, chunk, onWritten) : paced(res, chunk, offset, plan.pace, onWritten));
    for await (const piece of pieces(plan.body, plan.sendBytes)) {
      let chunk = piece.data;
      if (plan.flipAt !== undefined && plan.flipAt >= piece.offset && plan.flipAt < piece.offset + chunk.length) {
        chunk = Buffer.from(chunk); // in-memory bodies are shared views: never corrupt the source
        const i = plan.flipAt - piece.offset;
        chunk[i] = (chunk[i] ?? 0) ^ 0xff;
      }
      if (!(await send(chunk, piece.offset))) return;
    }
    // extraBytes < 0 never reaches 0: endless, until write() reports the connection gone.
    for (let left = plan.extraBytes, offset = plan.sendBytes; left !== 0;) {
      const chunk = left > 0 && left < FILLER.length ? FILLER.subarray(0, left) : FILLER;
      if (!(await send(chunk, offset))) return;
      offset += chunk.length;
      if (left > 0) left -= chunk.length;
    }
  }
  switch (plan.after) {
    case 'end':
      res.end();
      return;
    case 'stall':
      // Headers must reach the client even when no body byte does; then leave it open on purpose.
      res.flushHeaders();
      return;
    case 'drop':
      res.flushHeaders();
      // destroySoon = end the socket once every queued byte is out, then destroy it: the client
      // gets exactly the bytes written and then a closed connection short of Content-Length.
      res.socket?.destroySoon();
      return;
  }
}

async function* pieces(body: Body, length: number): AsyncGenerator<{ offset: number; data: Buffer }> {
  if ('data' in body) {
    if (length > 0) yield { offset: 0, data: body.data.subarray(0, length) };
    return;
  }
  for (let offset = 0; offset < length;) {
    const want = Math.min(PIECE, length - offset);
    // A fresh buffer per piece: res.write may hold it until it is flushed.
    const buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await body.handle.read(buf, 0, want, offset);
    if (bytesRead === 0) throw new Error('file shrank while being served');
    yield { offset, data: bytesRead === want ? buf : buf.subarray(0, bytesRead) };
    offset += bytesRead;
  }
}

/** Writes `chunk` (at body offset `offset`) at the plan's pace; resolves false when the response is gone. */
async function paced(
  res: ServerResponse,
  chunk: Buffer,
  offset: number,
  pace: NonNullable<ResponsePlan['pace']>,
  onWritten: (bytes: number) => void,
): Promise<boolean> {
  let at = Math.max(0, Math.min(chunk.length, pace.from - offset));
  if (at > 0 && !(await write(res, chunk.subarray(0, at), onWritten))) return false;
  for (; at < chunk.length; at += pace.bytes) {
    if (!(await waitUnlessClosed(res, pace.everyMs))) return false;
    if (!(await write(res, chunk.subarray(at, at + pace.bytes), onWritten))) return false;
  }
  return true;
}

/** Resolves true after `ms`, or false as soon as the response closes (client gone, server closing). */
export function waitUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

/** Writes one chunk; resolves false when the response is gone, after 'drain' when the buffer is full. */
function write(res: ServerResponse, chunk: Buffer, onWritten: (bytes: number) => void): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  const ok = res.write(chunk, (err) => {
    if (!err) onWritten(chunk.length);
  });
  if (ok) return Promise.resolve(true);
  return new Promise((resolve) => {
    const settle = (alive: boolean) => () => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(alive);
    };
    const onDrain = settle(true);
    const onClose = settle(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
