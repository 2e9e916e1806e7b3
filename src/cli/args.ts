/** Parsing of the CLI's value formats (sizes, durations, percentages, stages, health gates) with usage errors that name the flag. */
import type { HealthPolicy } from '../types.js';

/** A mistake in how the CLI was called: reported with usage help and exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/** `4194304`, `4MiB`, `512k` → bytes. */
export function parseSize(flag: string, text: string): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`--${flag} must be a size such as 4MiB, 512k or 1048576; got "${text}"`);
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new UsageError(`--${flag} must be at least 1 byte; got "${text}"`);
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30d`, `12h`, `90m`, `45s` → milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new UsageError(`--${flag} must be a duration such as 30d, 12h, 90m or 45s; got "${text}"`);
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

/** `25`, `12.5`, `25%` → a number in [0, 100]. */
export function parsePercent(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const value = m ? Number(m[1]) : NaN;
  if (!(value >= 0 && value <= 100)) throw new UsageError(`--${flag} must be a percentage from 0 to 100; got "${text}"`);
  return value;
}

/** Renders rows as an aligned plain-text table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/**
 * A rolling-schedule stage: `<percent>[@<ISO time | +duration>][/<runs>runs]`, e.g. `1`,
 * `10@+1d`, `50@2026-12-02T00:00:00Z/100runs`. A `+duration` counts from `now`.
 */
export function parseStage(text: string, now: number): { percent: number; after?: string; minHealthyRuns?: number } {
  const m = /^([^@/]+)(?:@([^/]+))?(?:\/(\d+)runs)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--stage takes <percent>[@<time|+duration>][/<runs>runs], e.g. 10@+1d or 50@2026-12-02T00:00:00Z/100runs; got "${text}"`);
  const percent = parsePercent('stage', m[1]!);
  let after: string | undefined;
  if (m[2] !== undefined) {
    const at = m[2].startsWith('+') ? now + parseDuration('stage', m[2].slice(1)) : Date.parse(m[2]);
    if (Number.isNaN(at)) throw new UsageError(`--stage: "${m[2]}" is neither an ISO time nor +<duration>`);
    after = new Date(at).toISOString();
  }
  return { percent, ...(after === undefined ? {} : { after }), ...(m[3] === undefined ? {} : { minHealthyRuns: Number(m[3]) }) };
}

/** The `baton health` flags, each setting one gate of the signed health policy. */
export const HEALTH_FLAGS = [
  'promote-after',
  'min-requests',
  'window-requests',
  'window',
  'max-error-increase',
  'max-p95-ratio',
  'min-shadow-agreement',
  'alpha',
] as const;

/** The health gates named by flags (`get` reads one flag's text); gates not named are left out. */
export function parseHealthFlags(get: (flag: string) => string | undefined): Partial<HealthPolicy> {
  const num = (flag: string): number | undefined => {
    const text = get(flag);
    if (text === undefined) return undefined;
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} must be a number; got "${text}"`);
    return n;
  };
  const window = get('window');
  const alpha = num('alpha');
  if (alpha !== undefined && !(alpha > 0 && alpha < 1))
    throw new UsageError(`--alpha must be a false-rollback rate between 0 and 1 (exclusive), e.g. 0.01; got "${get('alpha')}"`);
  const entries: [keyof HealthPolicy, number | undefined][] = [
    ['promoteAfterRequests', num('promote-after')],
    ['minRequests', num('min-requests')],
    ['windowRequests', num('window-requests')],
    ['windowMs', window === undefined ? undefined : parseDuration('window', window)],
    ['maxErrorRateIncrease', num('max-error-increase')],
    ['maxP95Ratio', num('max-p95-ratio')],
    ['minShadowAgreement', num('min-shadow-agreement')],
    ['alpha', alpha],
  ];
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
}
