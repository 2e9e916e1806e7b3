/**
 * A local OpenTelemetry-style collector for tests: the test server accepts OTLP/HTTP JSON at
 * `POST /collector/v1/logs` and `/collector/v1/metrics` and keeps what arrived, so a test can
 * assert that batches reach it — and, with a fault on `/collector/**`, that an unreachable
 * collector never slows inference down.
 */
import type { IncomingMessage } from 'node:http';

export interface CollectedPayload {
  readonly signal: 'logs' | 'metrics';
  /** The parsed JSON body. */
  readonly body: unknown;
  /** `Date.now()` on arrival. */
  readonly receivedAt: number;
}

export const COLLECTOR_PREFIX = '/collector/v1/';
const MAX_BODY = 4 * 1024 * 1024;

/** Reads and parses one OTLP JSON body; rejects bodies over 4 MiB or not JSON. */
export async function readCollected(req: IncomingMessage, pathname: string): Promise<CollectedPayload | { error: string; status: number }> {
  const signal = pathname.slice(COLLECTOR_PREFIX.length);
  if (signal !== 'logs' && signal !== 'metrics') return { status: 404, error: `no such signal: ${signal}` };
  if (req.method !== 'POST') return { status: 405, error: 'POST only' };
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) return { status: 413, error: 'payload too large' };
    parts.push(chunk);
  }
  try {
    return { signal, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown, receivedAt: Date.now() };
  } catch {
    return { status: 400, error: 'body is not JSON' };
  }
}
