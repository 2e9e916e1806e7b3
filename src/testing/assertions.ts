/**
 * The claims an update test makes, as pure functions over what each inference request saw:
 * "no request failed during the update", "the served version changed from A to B exactly once",
 * "the device rolled back within N requests". Each `check*` returns a verdict with a message that
 * says what happened. They are the kit's implementation, not its API: a user meets them as the
 * `expect` matchers of matchers.ts (see there why that is the one form offered).
 *
 * Records are ordered by `at` (ties keep their given order). A failed request carries no version:
 * the runtime does not say which version failed, so claims place it by its position. A request
 * the version on trial failed and the version it replaced answered (`fallback`) counts as the
 * trial version's: that is where the device sent it, and what the switch and rollback claims are
 * about; it is no failed request (the app got its answer).
 */
import type { LoadRecord } from './expose-load.js';

/** The part of a {@link LoadRecord} the claims read: any request log with these fields works. */
export type RequestOutcome = Pick<LoadRecord, 'at' | 'ok'> & Partial<Pick<LoadRecord, 'version' | 'code' | 'i' | 'fallback'>>;

/** The version that handled a successful request: the trial version a fallback answered for, or the one that answered. */
const handledBy = (r: RequestOutcome): string | undefined => (r.ok ? (r.fallback?.from ?? r.version) : undefined);

/** A claim's verdict; `message` describes what the records show, true or not. */
export interface Verdict {
  readonly pass: boolean;
  readonly message: string;
}

/** A rollback claim's verdict, with where the rollback happened when there was one. */
export interface RollbackVerdict extends Verdict {
  /** Requests from the first on the bad version to the last before the good one served again. */
  readonly onBadVersion?: number;
  /** `at` of the first request served by the good version after the bad one. */
  readonly rolledBackAt?: number;
}

export interface TimeWindow {
  /** Only requests with `at >= from`. */
  readonly from?: number;
  /** Only requests with `at <= to`. */
  readonly to?: number;
}

const MAX_LISTED = 5;

function ordered<T extends RequestOutcome>(records: readonly T[]): T[] {
  if (!Array.isArray(records)) throw new TypeError(`records must be an array of request records, got ${typeof records}`);
  for (const r of records) {
    if (typeof r !== 'object' || r === null || typeof r.at !== 'number' || typeof r.ok !== 'boolean') {
      throw new TypeError(`each record needs a numeric at and a boolean ok, got ${JSON.stringify(r)}`);
    }
  }
  return [...records].sort((a, b) => a.at - b.at);
}

/** `Array.prototype.findLastIndex`, which the ES2022 library this code compiles against lacks. */
function lastIndex<T>(items: readonly T[], pred: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (pred(items[i]!)) return i;
  return -1;
}

const label = (r: RequestOutcome, index: number) => `#${r.i ?? index}`;

/**
 * No request in the window failed. Fails on an empty window too: zero requests prove nothing
 * about an update, and a load that never ran must not pass for one that never failed.
 *
 * @example
 * checkNoFailedRequests(records, { from: publishedAt }); // → { pass: true, message: 'none of 214 requests failed' }
 */
export function checkNoFailedRequests(records: readonly RequestOutcome[], window: TimeWindow = {}): Verdict {
  const inWindow = ordered(records).filter((r) => (window.from === undefined || r.at >= window.from) && (window.to === undefined || r.at <= window.to));
  if (inWindow.length === 0)
    return { pass: false, message: `no request in the window (${records.length} records in all): nothing shows the update was served without failures` };
  const failed = inWindow.map((r, i) => ({ r, i })).filter(({ r }) => !r.ok);
  if (failed.length === 0) return { pass: true, message: `none of ${inWindow.length} requests failed` };
  const listed = failed.slice(0, MAX_LISTED).map(({ r, i }) => `${label(r, i)} ${r.code ?? 'failed'}`);
  const more = failed.length > MAX_LISTED ? `, and ${failed.length - MAX_LISTED} more` : '';
  return { pass: false, message: `${failed.length} of ${inWindow.length} requests failed: ${listed.join(', ')}${more}` };
}

/** Consecutive runs of the same served version among successful requests. */
function servedRuns(records: readonly RequestOutcome[]): { version: string; first: number; count: number }[] {
  const runs: { version: string; first: number; count: number }[] = [];
  records.forEach((r, index) => {
    const version = handledBy(r);
    if (version === undefined) return;
    const last = runs.at(-1);
    if (last?.version === version) last.count++;
    else runs.push({ version, first: index, count: 1 });
  });
  return runs;
}

/**
 * The successful requests were served by `from`, then by `to`, with exactly one switch between
 * them: no other version, no flip back and forth, at least one request on each side.
 *
 * @example
 * checkSwitchedOnce(records, '1', '2'); // → { pass: false, message: 'served 1 → 2 → 1: expected 1 → 2 exactly once (… #57 …)' }
 */
export function checkSwitchedOnce(records: readonly RequestOutcome[], from: string, to: string): Verdict {
  if (from === to) throw new TypeError(`from and to must differ, both are ${from}`);
  const sorted = ordered(records);
  const runs = servedRuns(sorted);
  if (runs.length === 0) return { pass: false, message: `no request was served (${sorted.length} records, all failed or empty)` };
  const path = runs.map((r) => r.version).join(' → ');
  const where = runs.map((r) => `${r.version} from ${label(sorted[r.first]!, r.first)} (${r.count})`).join(', ');
  const pass = runs.length === 2 && runs[0]!.version === from && runs[1]!.version === to;
  if (pass) return { pass, message: `served ${from} then ${to}, switching once at ${label(sorted[runs[1]!.first]!, runs[1]!.first)}` };
  return { pass, message: `served ${path}: expected ${from} → ${to} exactly once (${where})` };
}

/**
 * The device served `bad`, then `good` again within `maxRequests` requests, and never `bad` after.
 * Counted: every request from the one after the last good one before `bad` first served, to the
 * last one before `good` served again, failed ones included (a failure has no version, and the
 * failures of a bad version are the point).
 *
 * @example
 * checkRolledBackWithin(records, 50, { from: '2', to: '1' }); // → { pass: true, onBadVersion: 31, … }
 */
export function checkRolledBackWithin(
  records: readonly RequestOutcome[],
  maxRequests: number,
  versions: { readonly from: string; readonly to: string },
): RollbackVerdict {
  if (!Number.isInteger(maxRequests) || maxRequests < 1) throw new RangeError(`maxRequests must be a positive integer, got ${maxRequests}`);
  const { from: bad, to: good } = versions;
  if (bad === good) throw new TypeError(`from and to must differ, both are ${bad}`);
  const sorted = ordered(records);
  const firstBad = sorted.findIndex((r) => handledBy(r) === bad);
  if (firstBad === -1) return { pass: false, message: `${bad} never served a request (${sorted.length} records): there was nothing to roll back` };
  const lastBad = lastIndex(sorted, (r) => handledBy(r) === bad);
  const back = sorted.findIndex((r, i) => i > lastBad && handledBy(r) !== undefined);
  if (back === -1) return { pass: false, message: `still on ${bad} at the last served request (${label(sorted[lastBad]!, lastBad)}): no rollback to ${good}` };
  const backTo = sorted[back]!;
  if (handledBy(backTo) !== good) return { pass: false, message: `left ${bad} for ${handledBy(backTo)} at ${label(backTo, back)}, not for ${good}` };
  const before = lastIndex(sorted.slice(0, firstBad), (r) => handledBy(r) !== undefined);
  const onBadVersion = back - (before + 1);
  const inBad = sorted.slice(before + 1, back);
  const failed = inBad.filter((r) => !r.ok).length;
  const answered = inBad.filter((r) => r.ok && r.fallback !== undefined).length;
  const figures = `${onBadVersion} requests (${failed} failed${answered > 0 ? `, ${answered} answered by the kept version` : ''}) from ${label(sorted[before + 1]!, before + 1)} to ${label(sorted[back - 1]!, back - 1)}`;
  const common = { onBadVersion, rolledBackAt: backTo.at };
  if (onBadVersion > maxRequests)
    return { ...common, pass: false, message: `rolled back from ${bad} to ${good} only after ${figures}; the limit is ${maxRequests}` };
  return { ...common, pass: true, message: `rolled back from ${bad} to ${good} after ${figures} (limit ${maxRequests})` };
}
