/**
 * The lifecycle log: a bounded ring of what happened to a model on this device (manifest
 * accepted or refused, download started and finished, ready, warmed, switched, promoted, rolled
 * back, quarantined, drift, errors with their codes), persisted so a reload shows the story so
 * far. Entries carry a sequence number, so an exporter can ask for what it has not sent yet.
 */
import * as z from 'zod/mini';

export type LogLevel = 'info' | 'warn' | 'error';

export interface LogEntry {
  /** Increasing across reloads. */
  readonly seq: number;
  /** Epoch ms. */
  readonly at: number;
  readonly level: LogLevel;
  /** The runtime event it records (`switch`, `rollback`, `download-started`, …). */
  readonly type: string;
  readonly version?: string;
  /** A BatonError code, for failures. */
  readonly code?: string;
  readonly message: string;
  /** Figures worth keeping (numbers and short strings only). */
  readonly data?: Readonly<Record<string, number | string | boolean>>;
}

export const DEFAULT_LOG_CAPACITY = 500;

export class EventLog {
  private entries: LogEntry[] = [];
  private nextSeq = 1;

  constructor(readonly capacity = DEFAULT_LOG_CAPACITY) {}

  append(entry: Omit<LogEntry, 'seq'>): LogEntry {
    const full = { ...entry, seq: this.nextSeq++ };
    this.entries.push(full);
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
    return full;
  }

  /** Entries after `afterSeq` (default: all kept), oldest first. */
  list(afterSeq = 0): LogEntry[] {
    return this.entries.filter((e) => e.seq > afterSeq);
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** Puts back entries from storage ahead of anything logged since. */
  restore(saved: readonly LogEntry[]): void {
    const merged = [...saved, ...this.entries.map((e, i) => ({ ...e, seq: (saved.at(-1)?.seq ?? 0) + i + 1 }))];
    this.entries = merged.slice(-this.capacity);
    this.nextSeq = (this.entries.at(-1)?.seq ?? 0) + 1;
  }
}

const entry = z.object({
  seq: z.int().check(z.gte(1)),
  at: z.number(),
  level: z.enum(['info', 'warn', 'error']),
  type: z.string().check(z.maxLength(64)),
  version: z.optional(z.string().check(z.maxLength(64))),
  code: z.optional(z.string().check(z.maxLength(64))),
  message: z.string().check(z.maxLength(2048)),
  data: z.optional(z.record(z.string(), z.union([z.number(), z.string(), z.boolean()]))),
});
const saved = z.array(entry).check(z.maxLength(100_000));

/** Entries read back from storage; anything this code did not write is dropped. */
export function parseLogEntries(value: unknown): LogEntry[] {
  const parsed = saved.safeParse(value);
  return parsed.success ? (parsed.data as LogEntry[]) : [];
}
