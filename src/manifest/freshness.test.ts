import { describe, expect, it } from 'vitest';
import { freshnessOf } from './freshness.js';

const DAY = 86_400_000;
const T = Date.parse('2026-06-10T00:00:00Z');
const manifest = { issuedAt: '2026-06-08T00:00:00.000Z', expires: '2026-07-08T00:00:00.000Z' };

describe('freshnessOf', () => {
  it('without an age limit, a valid manifest is fresh however old, and an expired one is stale', () => {
    expect(freshnessOf(manifest, { now: T, verifiedAt: T - 1000 })).toEqual({
      stale: false,
      issuedAt: manifest.issuedAt,
      expires: manifest.expires,
      ageMs: 2 * DAY,
      verifiedAt: T - 1000,
    });
    expect(freshnessOf(manifest, { now: Date.parse(manifest.expires) })).toMatchObject({ stale: true, reason: 'expired', ageMs: 30 * DAY });
  });

  it('with a limit, a manifest signed longer ago is stale (a freeze, or no way to the registry)', () => {
    expect(freshnessOf(manifest, { now: T, maxAgeMs: 2 * DAY })).toMatchObject({ stale: false, maxAgeMs: 2 * DAY });
    expect(freshnessOf(manifest, { now: T + 1, maxAgeMs: 2 * DAY })).toMatchObject({ stale: true, reason: 'too-old', ageMs: 2 * DAY + 1 });
    // Expiry wins as the reason: it is the stronger statement.
    expect(freshnessOf(manifest, { now: Date.parse(manifest.expires), maxAgeMs: DAY })).toMatchObject({ reason: 'expired' });
  });

  it('before any manifest, nothing is stale yet', () => {
    expect(freshnessOf(undefined, { now: T, maxAgeMs: DAY })).toEqual({ stale: false, reason: 'none', maxAgeMs: DAY });
  });
});
