/**
 * How a device's rollout is kept in IndexedDB (the `meta` store, key `rollout:<model>`): the
 * reducer's state plus the health windows of the versions on trial, so a reload resumes a trial
 * with its figures and its baseline's. The page writes it; the updater (in the service worker
 * too) reads the local pin and the healthy-run counts, so what it downloads agrees with what the
 * page will serve. Read back through a schema: an older or damaged record is dropped, never trusted.
 */
import * as z from 'zod/mini';
import type { OutcomeTuple } from '../health/window.js';
import type { BatonDb } from '../store/db.js';
import { INITIAL_ROLLOUT, MAX_DECISIONS, type RolloutState } from './reduce.js';

export interface RolloutRecord {
  readonly format: 1;
  readonly state: RolloutState;
  /** Recent outcomes per version (the trial's and its baseline's), oldest first. */
  readonly windows: Readonly<Record<string, readonly OutcomeTuple[]>>;
  readonly savedAt: number;
}

export const rolloutKey = (model: string) => `rollout:${model}`;

/** A window is bounded by the policy (≤ 100 000 requests); this bounds a damaged record. */
const MAX_OUTCOMES = 100_000;
const version = z.string().check(z.minLength(1), z.maxLength(64));
const count = z.int().check(z.gte(0));
const epoch = z.number().check(z.gte(0));

const record = z.object({
  format: z.literal(1),
  state: z.object({
    phase: z.enum(['steady', 'trial']),
    serving: z.optional(version),
    trial: z.optional(
      z.object({
        version,
        baseline: z.optional(version),
        startedAt: epoch,
        served: count,
        failed: count,
        pairs: z.optional(count),
        slowPairs: z.optional(count),
      }),
    ),
    promoted: z.array(version).check(z.maxLength(64)),
    healthyRuns: z.record(version, count),
    localPin: z.optional(version),
    held: z.optional(z.record(version, z.object({ until: epoch, strikes: count }))),
    decisions: z
      .array(
        z.object({ kind: z.enum(['promoted', 'rolled-back', 'shadow-rejected']), version, at: epoch, reason: z.optional(z.string().check(z.maxLength(256))) }),
      )
      .check(z.maxLength(MAX_DECISIONS)),
  }),
  windows: z.record(version, z.array(z.tuple([z.number(), z.number(), z.number()])).check(z.maxLength(MAX_OUTCOMES))),
  savedAt: epoch,
});

/** The stored record if it is one this code wrote; undefined for none or anything else. */
export function parseRolloutRecord(value: unknown): RolloutRecord | undefined {
  const parsed = record.safeParse(value);
  return parsed.success ? (parsed.data as RolloutRecord) : undefined;
}

export async function loadRolloutRecord(db: BatonDb, model: string): Promise<RolloutRecord | undefined> {
  return parseRolloutRecord(await db.get('meta', rolloutKey(model)));
}

export async function saveRolloutRecord(db: BatonDb, model: string, rec: RolloutRecord): Promise<void> {
  await db.put('meta', rec, rolloutKey(model));
}

/** What the updater needs of the page's rollout: the local pin and the healthy-run counts. */
export async function loadRolloutState(db: BatonDb, model: string): Promise<RolloutState> {
  return (await loadRolloutRecord(db, model))?.state ?? INITIAL_ROLLOUT;
}
