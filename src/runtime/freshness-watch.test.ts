import { describe, expect, it } from 'vitest';
import type { ModelStatus } from '../update/messages.js';
import { sampleManifest } from '../testing/sample-manifest.js';
import { createFreshnessWatch } from './freshness-watch.js';

const DAY = 86_400_000;
const issued = Date.parse('2026-06-01T00:00:00Z');
const status = (issuedAt: number, expires: number): ModelStatus => ({
  model: 'mlp',
  deviceId: 'd',
  manifest: { ...sampleManifest(), issuedAt: new Date(issuedAt).toISOString(), expires: new Date(expires).toISOString() },
  versions: [],
});

function watch(maxAgeMs?: number) {
  let t = issued;
  const said: unknown[] = [];
  const deferred: (() => void)[] = [];
  const w = createFreshnessWatch({
    ...(maxAgeMs === undefined ? {} : { maxAgeMs }),
    now: () => t,
    onStale: (f) => said.push(f),
    defer: (fn) => deferred.push(fn),
  });
  const flush = () => deferred.splice(0).forEach((fn) => fn());
  return { w, said, flush, at: (ms: number) => (t = ms) };
}

describe('the freshness watch', () => {
  it('says once when the held manifest expires, after the caller’s turn, and again only after it was fresh', () => {
    const { w, said, flush, at } = watch();
    const s = status(issued, issued + 30 * DAY);
    expect(w.observe(s).stale).toBe(false);
    at(issued + 30 * DAY);
    expect(w.observe(s)).toMatchObject({ stale: true, reason: 'expired' });
    expect(said).toEqual([]);
    flush();
    expect(said).toEqual([expect.objectContaining({ stale: true, reason: 'expired' })]);
    w.observe(s);
    flush();
    expect(said).toHaveLength(1);
    // A newer manifest arrives: fresh; it expires too: said again.
    const newer = status(issued + 30 * DAY, issued + 31 * DAY);
    expect(w.observe(newer).stale).toBe(false);
    at(issued + 31 * DAY);
    w.observe(newer);
    flush();
    expect(said).toHaveLength(2);
  });

  it('with an age limit, a manifest signed longer ago is stale (too-old)', () => {
    const { w, said, flush, at } = watch(2 * DAY);
    const s = status(issued, issued + 30 * DAY);
    at(issued + 2 * DAY + 1);
    expect(w.observe(s)).toMatchObject({ stale: true, reason: 'too-old', maxAgeMs: 2 * DAY });
    flush();
    expect(said).toHaveLength(1);
    expect(w.current.stale).toBe(true);
  });
});
