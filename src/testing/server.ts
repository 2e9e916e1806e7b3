/**
 * Baton's test server: serves a built app at `/` and a `baton publish` registry at `/registry/` on
 * 127.0.0.1, with switchable fault injection and a log of every request it saw. The e2e suite and the
 * demo drive it in-process (the returned {@link TestServer}) or over HTTP (`/__baton/*`).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { compilePattern, createFaultRules, DEFAULT_GARBAGE, describeFault, parseFault } from './faults.js';
import type { Fault, FaultKind, FaultRules, PathPattern } from './faults.js';
import {
  bufferPlan,
  contentTypeFor,
  encodeFile,
  faultHeaders,
  filePlan,
  findStaleManifest,
  mapRequestPath,
  openStaticFile,
  textPlan,
  waitUnlessClosed,
  writePlan,
} from './static-files.js';
import type { ResponsePlan } from './static-files.js';
import { COLLECTOR_PREFIX, readCollected, type CollectedPayload } from './collector.js';

export type { Fault, FaultKind, PathPattern } from './faults.js';

/** Options of {@link startTestServer}. */
export interface TestServerOptions {
  /** Built app (Vite output) served at `/`; `/` itself is its `index.html`. Omit to serve no app. */
  appDir?: string;
  /** Registry served under `/registry/`: `<model>/manifest.json`, `<model>/chunks/<sha256>`, `<model>/history/<n>.json`. */
  registryDir: string;
  /** Default 0: a free port. The host is always 127.0.0.1. */
  port?: number;
  /**
   * Default true: `Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Embedder-Policy:
   * require-corp` and `Cross-Origin-Resource-Policy: same-origin` on every response, which
   * multi-threaded onnxruntime-web needs. False sends none of the three.
   */
  crossOriginIsolation?: boolean;
  /**
   * Runs before static serving (after `/__baton/*`); return true if it handled the request. Requests
   * it handles are neither faulted nor logged: it is meant for control endpoints such as the demo's.
   */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
}

/** What the server saw of one request (control and `extraRoutes` requests are not recorded). */
export interface RequestRecord {
  method: string;
  /** Pathname as received (percent-encoded, dot segments not resolved). */
  path: string;
  /** Raw query string without the `?`; '' if none. */
  query: string;
  /** HTTP status sent; 0 while headers are not sent yet, or never (a `reset`). */
  status: number;
  /** Body bytes handed to the socket so far (final once `pending` is false). */
  bytesSent: number;
  /** The injected fault, if a rule matched. */
  fault?: FaultKind;
  /** `Date.now()` when the request arrived. */
  startedAt: number;
  /** `Date.now()` when the response finished or the connection closed; absent while pending. */
  endedAt?: number;
  /** The client or the server cut the connection before the response was complete. */
  aborted: boolean;
  /** The response is still in progress (e.g. stalled, or an endless body being read). */
  pending: boolean;
}

/** Which logged requests {@link TestServer.requests} returns; every field given must match. */
export interface RequestFilter {
  /** The pathname matches this exact path, glob or RegExp (as for faults). */
  path?: PathPattern;
  /** e.g. 'GET' (case-insensitive). */
  method?: string;
  /** Arrived at or after this `Date.now()` time. */
  since?: number;
  /** Failed (true: a status of 400 or more, no status at all, or a cut connection) or not (false). */
  failed?: boolean;
}

/** Whether the server failed to deliver a complete, successful response (so far, for a pending one). */
export function requestFailed(r: RequestRecord): boolean {
  return r.aborted || r.status >= 400 || (r.status === 0 && !r.pending);
}

/** A registered fault rule. */
export interface FaultHandle {
  readonly id: number;
  /** Requests it has been applied to. */
  readonly hits: number;
  /** False once removed, cleared, or expired after `times` hits. */
  readonly active: boolean;
  /** Stops the fault (later requests are served normally). Idempotent. */
  remove(): void;
}

/** A running test server. */
export interface TestServer {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** `${url}/registry` */
  registryUrl: string;
  /**
   * Injects `fault` into requests whose pathname matches `pattern` (exact, glob with `*` / `**`, or
   * RegExp); the newest matching rule wins. `times` = only the next N matching requests.
   *
   * @example
   * server.fault('/registry/mlp/chunks/*', { kind: 'drop', afterBytes: 1024 }, { times: 1 });
   */
  fault(pattern: PathPattern, fault: Fault, opts?: { times?: number }): FaultHandle;
  clearFaults(): void;
  /** Requests seen, in arrival order, including those still in progress (snapshots). */
  requests(filter?: RequestFilter): RequestRecord[];
  resetRequests(): void;
  /** OTLP JSON payloads received at `POST /collector/v1/{logs,metrics}`, in arrival order (the newest 1000). */
  telemetry(): CollectedPayload[];
  /** Stops listening and destroys every connection, stalled ones included; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a test server on 127.0.0.1.
 *
 * @example
 * const server = await startTestServer({ registryDir, appDir: 'dist' });
 * server.fault('**\/manifest.json', { kind: 'status', status: 503 }, { times: 2 });
 * // … drive the page at server.url …
 * expect(server.requests({ path: '**\/manifest.json' })).toHaveLength(3);
 * await server.close();
 */
export async function startTestServer(opts: TestServerOptions): Promise<TestServer> {
  if (typeof opts.registryDir !== 'string') throw new TypeError(`registryDir must be a path, got ${String(opts.registryDir)}`);
  const roots = {
    registryDir: path.resolve(opts.registryDir),
    ...(opts.appDir === undefined ? {} : { appDir: path.resolve(opts.appDir) }),
  };
  const isolate = opts.crossOriginIsolation ?? true;
  const rules = createFaultRules();
  const log = createRequestLog();
  let origin = '';

  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A client that goes away mid-response is routine here, not a reason to crash the test run.
    res.on('error', () => {});
    if (isolate) {
      res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
      res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    }
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const pathname = q === -1 ? target : target.slice(0, q);
    try {
      if (!pathname.startsWith('/')) return sendJson(res, 400, { error: 'request target must be a path' });
      // origin + target, not new URL(target, origin): '//host/x' must stay a path, not a host.
      const url = new URL(origin + target);
      if (pathname.startsWith('/__baton/')) return await handleControl(req, res, pathname, url, rules, log);
      if (opts.extraRoutes !== undefined && (await opts.extraRoutes(req, res, url))) return;
      const record = log.begin(req.method ?? 'GET', pathname, q === -1 ? '' : target.slice(q + 1), res);
      if (pathname.startsWith(COLLECTOR_PREFIX)) return await collect(req, res, pathname, record);
      await serve(req, res, pathname, record);
    } catch (err) {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: `test server: ${(err as Error).message}` });
    }
  }

  const collected: CollectedPayload[] = [];
  const MAX_COLLECTED = 1000;
  /** The collector: faults of kind status, delay and reset apply, as for any other path. */
  async function collect(req: IncomingMessage, res: ServerResponse, pathname: string, record: RequestRecord): Promise<void> {
    const send = (plan: ResponsePlan) => writePlan(res, plan, false, (n) => void (record.bytesSent += n));
    const fault = rules.take(pathname)?.fault;
    if (fault !== undefined) record.fault = fault.kind;
    if (fault?.kind === 'reset') return void req.socket.resetAndDestroy();
    if (fault?.kind === 'status') return send(textPlan(fault.status, `injected fault: ${describeFault(fault)}`));
    if (fault?.kind === 'delay' && !(await waitUnlessClosed(res, fault.ms))) return;
    const payload = await readCollected(req, pathname);
    if ('error' in payload) return send(textPlan(payload.status, payload.error));
    collected.push(payload);
    // A long-running demo posts every few seconds: keep the newest, bounded.
    if (collected.length > MAX_COLLECTED) collected.splice(0, collected.length - MAX_COLLECTED);
    return send(textPlan(200, '{}'));
  }

  async function serve(req: IncomingMessage, res: ServerResponse, pathname: string, record: RequestRecord): Promise<void> {
    const headOnly = req.method === 'HEAD';
    const send = (plan: ResponsePlan): Promise<void> =>
      writePlan(res, plan, headOnly, (n) => {
        record.bytesSent += n;
      });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(textPlan(405, 'method not allowed', { Allow: 'GET, HEAD' }));

    const fault = rules.take(pathname)?.fault;
    if (fault !== undefined) record.fault = fault.kind;
    switch (fault?.kind) {
      case 'reset':
        // RST, not FIN: the client sees a connection reset and no response at all.
        req.socket.resetAndDestroy();
        return;
      case 'delay':
        if (!(await waitUnlessClosed(res, fault.ms))) return;
        break;
      case 'status': {
        const retryAfter = fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
        return send(textPlan(fault.status, `injected fault: ${describeFault(fault)}`, { ...faultHeaders(fault), ...retryAfter }));
      }
      case 'garbage': {
        const body = Buffer.from(fault.body ?? DEFAULT_GARBAGE);
        return send(bufferPlan(200, body, { 'Content-Type': contentTypeFor(pathname), ...faultHeaders(fault) }));
      }
      default:
        break;
    }
    // A delay only postpones a normal response; every other fault is about the bytes.
    const bodyFault = fault?.kind === 'delay' ? undefined : fault;

    const target = mapRequestPath(pathname, roots);
    if ('status' in target) return send(textPlan(target.status, target.reason));
    let file = target.file;
    if (bodyFault?.kind === 'stale-manifest') {
      const stale = await findStaleManifest(file, bodyFault.sequence);
      if ('error' in stale) return send(textPlan(500, stale.error, faultHeaders(bodyFault)));
      file = stale.file;
    }
    const found = await openStaticFile(file);
    if (found === null) return send(textPlan(404, 'not found'));
    try {
      await send(filePlan(await encodeFile(found, bodyFault), pathname, file, bodyFault, req.headers['if-none-match']));
    } finally {
      await found.close();
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('test server: no TCP address');
  origin = `http://127.0.0.1:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url: origin,
    registryUrl: `${origin}/registry`,
    fault(pattern, fault, faultOpts) {
      const info = rules.add(pattern, fault, faultOpts?.times);
      return {
        id: info.id,
        get hits() {
          return info.hits;
        },
        get active() {
          return rules.get(info.id) !== undefined;
        },
        remove() {
          rules.remove(info.id);
        },
      };
    },
    clearFaults: () => rules.clear(),
    requests: (filter) => log.list(filter),
    resetRequests: () => log.reset(),
    telemetry: () => collected.slice(),
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // close() alone waits for in-flight responses, and a stalled one never finishes.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function createRequestLog() {
  let entries: { record: RequestRecord; res: ServerResponse | null }[] = [];
  return {
    begin(method: string, pathname: string, query: string, res: ServerResponse): RequestRecord {
      const record: RequestRecord = { method, path: pathname, query, status: 0, bytesSent: 0, startedAt: Date.now(), aborted: false, pending: true };
      const entry = { record, res: res as ServerResponse | null };
      entries.push(entry);
      // 'close' follows 'finish' on a complete response and comes alone when the connection died.
      res.once('close', () => {
        record.status = res.headersSent ? res.statusCode : 0;
        record.aborted = !res.writableFinished;
        record.pending = false;
        record.endedAt = Date.now();
        entry.res = null;
      });
      return record;
    },
    list(filter: RequestFilter = {}): RequestRecord[] {
      const matches = filter.path === undefined ? () => true : compilePattern(filter.path);
      const method = filter.method?.toUpperCase();
      return entries
        .filter(
          ({ record }) =>
            matches(record.path) && (method === undefined || record.method === method) && (filter.since === undefined || record.startedAt >= filter.since),
        )
        .map(({ record, res }) => ({ ...record, ...(res !== null && { status: res.headersSent ? res.statusCode : 0 }) }))
        .filter((record) => filter.failed === undefined || requestFailed(record) === filter.failed);
    },
    reset(): void {
      entries = [];
    },
  };
}
type RequestLog = ReturnType<typeof createRequestLog>;

class BadRequest extends Error {}

/** `/__baton/requests` and `/__baton/faults[/<id>]`: the in-process API over HTTP, not logged. */
async function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string, url: URL, rules: FaultRules, log: RequestLog): Promise<void> {
  const route = pathname.slice('/__baton/'.length);
  const method = req.method ?? 'GET';
  try {
    if (route === 'requests') {
      if (method === 'GET') {
        const param = (name: string) => url.searchParams.get(name) ?? undefined;
        const since = param('since');
        const failed = param('failed');
        if (since !== undefined && !Number.isFinite(Number(since))) throw new BadRequest('since must be a Date.now() time in ms');
        if (failed !== undefined && failed !== 'true' && failed !== 'false') throw new BadRequest('failed must be true or false');
        const filter: RequestFilter = {
          ...(param('path') === undefined ? {} : { path: param('path')! }),
          ...(param('method') === undefined ? {} : { method: param('method')! }),
          ...(since === undefined ? {} : { since: Number(since) }),
          ...(failed === undefined ? {} : { failed: failed === 'true' }),
        };
        return sendJson(res, 200, log.list(filter));
      }
      if (method === 'DELETE') {
        log.reset();
        return sendJson(res, 204, undefined);
      }
      return notAllowed(res, 'GET, DELETE');
    }
    if (route === 'faults') {
      if (method === 'GET') return sendJson(res, 200, rules.list());
      if (method === 'DELETE') {
        rules.clear();
        return sendJson(res, 204, undefined);
      }
      if (method === 'POST') {
        const body = await readJson(req);
        if (typeof body !== 'object' || body === null) throw new BadRequest('body must be { pattern, fault, times? }');
        const { pattern, fault, times } = body as Record<string, unknown>;
        if (typeof pattern !== 'string') throw new BadRequest('pattern must be a string (exact path or glob)');
        if (times !== undefined && typeof times !== 'number') throw new BadRequest('times must be a number');
        const info = rules.add(pattern, parseFault(fault), times);
        return sendJson(res, 201, { id: info.id });
      }
      return notAllowed(res, 'GET, POST, DELETE');
    }
    const one = /^faults\/(\d+)$/.exec(route);
    if (one !== null) {
      if (method !== 'DELETE') return notAllowed(res, 'DELETE');
      return rules.remove(Number(one[1])) ? sendJson(res, 204, undefined) : sendJson(res, 404, { error: `no fault rule ${one[1]}` });
    }
    return sendJson(res, 404, { error: `unknown control endpoint ${pathname}` });
  } catch (err) {
    if (err instanceof BadRequest || err instanceof TypeError) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}

const MAX_CONTROL_BODY = 64 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    size += part.length;
    if (size > MAX_CONTROL_BODY) throw new BadRequest(`body over ${MAX_CONTROL_BODY} bytes`);
    parts.push(part);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  } catch (err) {
    throw new BadRequest(`bad JSON: ${(err as Error).message}`);
  }
}

function notAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendJson(res, 405, { error: `method not allowed; use ${allow}` });
}

/** A small JSON response, or an empty one for 204. */
function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = status === 204 ? '' : JSON.stringify(value);
  res.writeHead(status, {
    'Cache-Control': 'no-store',
    ...(status !== 204 && { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }),
  });
  res.end(body);
}
