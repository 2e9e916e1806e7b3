/**
 * Fault vocabulary of Baton's test server: what can go wrong with a response, and which requests a
 * rule applies to. Pure (no Node imports) so a page or a Playwright test can build, validate and
 * describe the faults it posts to the server's `/__baton/faults` endpoint.
 */

/**
 * One way a response can go wrong. JSON-serialisable: it crosses the HTTP control endpoint as is.
 *
 * - `delay`: wait `ms`, then serve normally.
 * - `stall`: correct headers and the first `afterBytes` body bytes, then nothing, ever.
 * - `drop`: correct headers and `afterBytes` body bytes, then the socket is destroyed.
 * - `status`: that HTTP status with a short text body, and a `Retry-After` header when
 *   `retryAfter` is given (delay-seconds, or a string such as an HTTP date, sent as is).
 * - `flip-byte`: one body byte XOR 0xff at `offset` (default: the middle); same length.
 * - `truncate`: the first `bytes` bytes with a matching Content-Length (a clean short body).
 * - `extend`: the body plus `bytes` filler bytes, chunked (no Content-Length); `-1` = endless.
 * - `stale-manifest`: a `manifest.json` answered with `history/<sequence>.json` (default: the
 *   previous one).
 * - `garbage`: 200, the original content type, a non-JSON body.
 * - `reset`: the connection is reset with no response at all.
 * - `trickle`: correct headers at once, the first `afterBytes` body bytes (default 0) at full
 *   speed, then `bytes` bytes (default 1) every `everyMs` until the body is done — or, with
 *   `endless`, filler after it, until the client gives up. 1 byte every 1000 ms is 1 B/s.
 * - `gzip`: the body gzip-encoded, with `Content-Encoding: gzip` and the compressed length as
 *   `Content-Length` (what a CDN that compresses on the fly sends); not a corruption: a client
 *   must accept it.
 */
export type Fault =
  | { kind: 'delay'; ms: number }
  | { kind: 'stall'; afterBytes: number }
  | { kind: 'drop'; afterBytes: number }
  | { kind: 'status'; status: number; retryAfter?: number | string }
  | { kind: 'flip-byte'; offset?: number }
  | { kind: 'truncate'; bytes: number }
  | { kind: 'extend'; bytes: number }
  | { kind: 'stale-manifest'; sequence?: number }
  | { kind: 'garbage'; body?: string }
  | { kind: 'reset' }
  | { kind: 'trickle'; everyMs: number; bytes?: number; afterBytes?: number; endless?: boolean }
  | { kind: 'gzip' };

/** The discriminant of {@link Fault}. */
export type FaultKind = Fault['kind'];

/** Every fault kind, in the order they are documented. */
export const FAULT_KINDS: readonly FaultKind[] = [
  'delay',
  'stall',
  'drop',
  'status',
  'flip-byte',
  'truncate',
  'extend',
  'stale-manifest',
  'garbage',
  'reset',
  'trickle',
  'gzip',
];

/** `extend.bytes` value meaning "keep streaming filler until the client or the server gives up". */
export const ENDLESS = -1;

/** Body of a `garbage` fault when none is given: what a misconfigured CDN or captive portal sends. */
export const DEFAULT_GARBAGE = '<html>not a manifest';

// setTimeout fires after 1 ms for anything above this, which would turn a long delay into none.
const MAX_DELAY_MS = 2_147_483_647;

/**
 * Validates untrusted JSON (the control endpoint's body) as a {@link Fault}, dropping unknown fields.
 * Throws a `TypeError` naming the bad field.
 *
 * @example
 * parseFault({ kind: 'stall', afterBytes: 1024 }); // → { kind: 'stall', afterBytes: 1024 }
 * parseFault({ kind: 'stall' }); // TypeError: fault.afterBytes must be an integer >= 0, got undefined
 */
export function parseFault(json: unknown): Fault {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TypeError(`fault must be an object, got ${show(json)}`);
  }
  const o = json as Record<string, unknown>;
  const kind = o['kind'];
  switch (kind) {
    case 'delay':
      return { kind, ms: integer(o, 'ms', 0, MAX_DELAY_MS) };
    case 'stall':
    case 'drop':
      return { kind, afterBytes: integer(o, 'afterBytes', 0) };
    case 'status': {
      const status = integer(o, 'status', 200, 599);
      const retryAfter = o['retryAfter'];
      if (retryAfter === undefined) return { kind, status };
      if (typeof retryAfter === 'string' && /^[\x20-\x7e]+$/.test(retryAfter)) return { kind, status, retryAfter };
      if (typeof retryAfter === 'string') throw new TypeError(`fault.retryAfter must be printable ASCII, got ${show(retryAfter)}`);
      return { kind, status, retryAfter: integer(o, 'retryAfter', 0) };
    }
    case 'flip-byte':
      return o['offset'] === undefined ? { kind } : { kind, offset: integer(o, 'offset', 0) };
    case 'truncate':
      return { kind, bytes: integer(o, 'bytes', 0) };
    case 'extend':
      return { kind, bytes: integer(o, 'bytes', ENDLESS) };
    case 'stale-manifest':
      return o['sequence'] === undefined ? { kind } : { kind, sequence: integer(o, 'sequence', 1) };
    case 'garbage': {
      const body = o['body'];
      if (body === undefined) return { kind };
      if (typeof body !== 'string') throw new TypeError(`fault.body must be a string, got ${show(body)}`);
      return { kind, body };
    }
    case 'reset':
    case 'gzip':
      return { kind };
    case 'trickle': {
      const endless = o['endless'];
      if (endless !== undefined && typeof endless !== 'boolean') throw new TypeError(`fault.endless must be a boolean, got ${show(endless)}`);
      return {
        kind,
        everyMs: integer(o, 'everyMs', 1, MAX_DELAY_MS),
        ...(o['bytes'] === undefined ? {} : { bytes: integer(o, 'bytes', 1) }),
        ...(o['afterBytes'] === undefined ? {} : { afterBytes: integer(o, 'afterBytes', 0) }),
        ...(endless === undefined ? {} : { endless }),
      };
    }
    default:
      throw new TypeError(`fault.kind must be one of ${FAULT_KINDS.join(', ')}; got ${show(kind)}`);
  }
}

function integer(o: Record<string, unknown>, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = o[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in ${min}..${max}`;
    throw new TypeError(`fault.${field} must be an integer ${range}, got ${show(value)}`);
  }
  return value;
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    // JSON.stringify returns undefined for functions and symbols, and throws on cycles and bigints.
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

/**
 * A one-line, human-readable description of a fault, for logs and response headers.
 *
 * @example
 * describeFault({ kind: 'extend', bytes: -1 }); // → 'extend body endlessly'
 */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'delay':
      return `delay ${f.ms} ms`;
    case 'stall':
      return `stall after ${f.afterBytes} bytes`;
    case 'drop':
      return `drop connection after ${f.afterBytes} bytes`;
    case 'status':
      return f.retryAfter === undefined ? `status ${f.status}` : `status ${f.status}, Retry-After ${f.retryAfter}`;
    case 'flip-byte':
      return f.offset === undefined ? 'flip the middle byte' : `flip byte at offset ${f.offset}`;
    case 'truncate':
      return `truncate body to ${f.bytes} bytes`;
    case 'extend':
      return f.bytes === ENDLESS ? 'extend body endlessly' : `extend body by ${f.bytes} bytes`;
    case 'stale-manifest':
      return f.sequence === undefined ? 'stale manifest (previous sequence)' : `stale manifest (sequence ${f.sequence})`;
    case 'garbage':
      return 'garbage body';
    case 'reset':
      return 'reset connection';
    case 'trickle': {
      const start = f.afterBytes ? ` after ${f.afterBytes} bytes` : '';
      return `trickle ${f.bytes ?? 1} byte(s) every ${f.everyMs} ms${start}${f.endless ? ', endlessly' : ''}`;
    }
    case 'gzip':
      return 'gzip-encode the body';
  }
}

/**
 * Which request paths a rule applies to. A string is the exact pathname or a glob — `*` matches any
 * run of characters except `/`, `**` matches anything (and `**\/` also matches no directory at all);
 * a RegExp is tested against the pathname. Pathnames are as received (still percent-encoded).
 */
export type PathPattern = string | RegExp;

/**
 * Compiles a {@link PathPattern} into a predicate. Throws a `TypeError` for a string that does not
 * start with `/` or `*`: it could never match a pathname, and a rule that silently never fires makes
 * a test pass for the wrong reason.
 *
 * @example
 * compilePattern('/registry/mlp/chunks/*')('/registry/mlp/chunks/ab12'); // → true
 * compilePattern('**\/manifest.json')('/registry/mlp/manifest.json'); // → true
 */
export function compilePattern(pattern: PathPattern): (pathname: string) => boolean {
  if (pattern instanceof RegExp) {
    return (pathname) => {
      // A /g or /y RegExp keeps lastIndex between calls; without this every other test would fail.
      pattern.lastIndex = 0;
      return pattern.test(pathname);
    };
  }
  if (typeof pattern !== 'string' || !/^[/*]/.test(pattern)) {
    throw new TypeError(`pattern must be a RegExp or a path starting with '/' or '*', got ${show(pattern)}`);
  }
  if (!pattern.includes('*')) return (pathname) => pathname === pattern;
  const re = globToRegExp(pattern);
  return (pathname) => re.test(pathname);
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob.charAt(i);
    if (ch !== '*') {
      source += ch.replace(/[\\^$.|?+()[\]{}]/, '\\$&');
    } else if (glob.charAt(i + 1) !== '*') {
      source += '[^/]*';
    } else if (glob.charAt(i + 2) === '/') {
      source += '(?:.*/)?';
      i += 2;
    } else {
      source += '.*';
      i += 1;
    }
  }
  return new RegExp(`^${source}$`);
}

/** A registered fault rule, as listed by {@link FaultRules.list}. */
export interface FaultRuleInfo {
  id: number;
  /** The string pattern, or `String(regexp)`. */
  pattern: string;
  fault: Fault;
  /** Requests it still applies to; `null` = until removed. */
  remaining: number | null;
  /** Requests it has been applied to so far. */
  hits: number;
}

/** The live rule table: newest matching rule wins; a rule with a count expires after that many hits. */
export interface FaultRules {
  /** Adds a rule; `times` (a positive integer) = apply to the next N matching requests only. */
  add(pattern: PathPattern, fault: Fault, times?: number): FaultRuleInfo;
  /** Removes one rule; false if it was already gone (expired, cleared or removed). */
  remove(id: number): boolean;
  clear(): void;
  /** The rule for this request, counted as one hit (and dropped if that was its last), or undefined. */
  take(pathname: string): FaultRuleInfo | undefined;
  /** Current rules, oldest first (copies). */
  list(): FaultRuleInfo[];
  /** The live info of a rule, or undefined once it is gone. */
  get(id: number): FaultRuleInfo | undefined;
}

/** Creates an empty {@link FaultRules} table. Ids are unique per table. */
export function createFaultRules(): FaultRules {
  let rules: { info: FaultRuleInfo; matches: (pathname: string) => boolean }[] = [];
  let nextId = 1;
  return {
    add(pattern, fault, times) {
      if (times !== undefined && (!Number.isInteger(times) || times < 1)) {
        throw new TypeError(`times must be a positive integer, got ${show(times)}`);
      }
      const matches = compilePattern(pattern);
      const info: FaultRuleInfo = {
        id: nextId++,
        pattern: typeof pattern === 'string' ? pattern : String(pattern),
        fault: parseFault(fault),
        remaining: times ?? null,
        hits: 0,
      };
      rules.push({ info, matches });
      return info;
    },
    remove(id) {
      const before = rules.length;
      rules = rules.filter((r) => r.info.id !== id);
      return rules.length !== before;
    },
    clear() {
      rules = [];
    },
    take(pathname) {
      for (let i = rules.length - 1; i >= 0; i--) {
        const rule = rules[i];
        if (rule === undefined || !rule.matches(pathname)) continue;
        rule.info.hits += 1;
        if (rule.info.remaining !== null) {
          rule.info.remaining -= 1;
          if (rule.info.remaining === 0) rules.splice(i, 1);
        }
        return rule.info;
      }
      return undefined;
    },
    list() {
      return rules.map((r) => ({ ...r.info }));
    },
    get(id) {
      return rules.find((r) => r.info.id === id)?.info;
    },
  };
}
