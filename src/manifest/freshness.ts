/**
 * How fresh the device's manifest is. A mirror that keeps serving an old, still valid manifest
 * (a freeze attack) looks exactly like "no update", so freshness is read from what the
 * publisher signed: the held manifest's `issuedAt` and `expires`. A publisher that re-signs on a
 * schedule (`baton resign --expires 1d` from a cron job, TUF's timestamp role) bounds how old an
 * honest manifest can be; an app that knows that schedule sets the age limit, and an older
 * manifest means the device is being frozen, or cannot reach the registry.
 */
import type { Manifest } from '../types.js';

export interface Freshness {
  /** The device holds a manifest signed longer ago than the limit, or an expired one. */
  readonly stale: boolean;
  /** Why: `expired` (past its `expires`), `too-old` (signed longer ago than the limit), `none` (no manifest yet). */
  readonly reason?: 'expired' | 'too-old' | 'none';
  /** When the publisher signed the held manifest, and until when it is valid. */
  readonly issuedAt?: string;
  readonly expires?: string;
  /** How long ago it was signed. */
  readonly ageMs?: number;
  /** When a check last verified a manifest here: recent with an old manifest means the registry itself is old (or frozen). */
  readonly verifiedAt?: number;
  /** The limit in force (`maxManifestAgeMs`); without one only expiry makes a manifest stale. */
  readonly maxAgeMs?: number;
}

export function freshnessOf(
  manifest: Pick<Manifest, 'issuedAt' | 'expires'> | undefined,
  opts: { readonly now: number; readonly verifiedAt?: number; readonly maxAgeMs?: number },
): Freshness {
  const common = {
    ...(opts.verifiedAt === undefined ? {} : { verifiedAt: opts.verifiedAt }),
    ...(opts.maxAgeMs === undefined ? {} : { maxAgeMs: opts.maxAgeMs }),
  };
  if (!manifest) return { stale: false, reason: 'none', ...common };
  const ageMs = opts.now - Date.parse(manifest.issuedAt);
  const held = { issuedAt: manifest.issuedAt, expires: manifest.expires, ageMs, ...common };
  if (opts.now >= Date.parse(manifest.expires)) return { stale: true, reason: 'expired', ...held };
  if (opts.maxAgeMs !== undefined && ageMs > opts.maxAgeMs) return { stale: true, reason: 'too-old', ...held };
  return { stale: false, ...held };
}
