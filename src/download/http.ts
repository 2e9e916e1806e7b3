/**
 * What an HTTP response says beyond its bytes: an error status with the server's `Retry-After`,
 * and whether `Content-Length` counts the bytes the body stream will yield.
 */
import { BatonError } from '../errors.js';

/**
 * `Retry-After` as a delay in ms: delay-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable. A date in the past is 0.
 *
 * @example
 * parseRetryAfter('120', 0); // → 120000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2015-10-21T07:27:00Z')); // → 60000
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The `http-error` for a response that is not ok, with `details.status` and, when the server sent
 * one, `details.retryAfterMs`. A cross-origin registry must list `Retry-After` in
 * `Access-Control-Expose-Headers` for the browser to show it (it is not CORS-safelisted).
 */
export function httpError(response: Response, what: string, url: string, now: number): BatonError {
  const retryAfterMs = parseRetryAfter(response.headers.get('Retry-After'), now);
  return new BatonError('http-error', `${what}: HTTP ${response.status}`, {
    url,
    status: response.status,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/**
 * Whether `Content-Length` is the length of what the body stream yields. With a `Content-Encoding`
 * the browser decodes the body and `Content-Length` is the encoded length (gzip makes
 * incompressible bytes slightly longer); a cross-origin (`cors`) response hides
 * `Content-Encoding` unless the server exposes it, so there the length proves nothing either.
 */
export function lengthIsDecoded(response: Response): boolean {
  if (response.type !== 'basic' && response.type !== 'default') return false;
  const encoding = response.headers.get('Content-Encoding')?.trim().toLowerCase();
  return encoding === undefined || encoding === '' || encoding === 'identity';
}
