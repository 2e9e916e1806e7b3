/**
 * The printed table and bench/results.json, made from the same object so they always match:
 * the issue's figures first (with targets), then the details behind them.
 */
import { FIGURES, judge, specOf, type Figure } from './figures.js';
import { spread } from './stats.js';

export interface Results {
  readonly meta: Readonly<Record<string, unknown>>;
  readonly figures: Readonly<Record<string, Figure>>;
  readonly details: Readonly<Record<string, Figure>>;
  readonly notes: readonly string[];
  readonly extra: Readonly<Record<string, unknown>>;
}

export function buildResults(
  samples: Record<string, number[]>,
  meta: Record<string, unknown>,
  notes: readonly string[],
  extra: Record<string, unknown>,
): Results {
  const figures: Record<string, Figure> = {};
  const details: Record<string, Figure> = {};
  for (const key of Object.keys(FIGURES)) if (samples[key]) figures[key] = judge(key, { ...spread(samples[key]), samples: samples[key] });
  for (const [key, xs] of Object.entries(samples)) if (!(key in FIGURES)) details[key] = judge(key, { ...spread(xs), samples: xs });
  return { meta, figures, details, notes, extra };
}

/**
 * bench/results.json: the issue's figure keys at the top level ("swap.failed": {min, median,
 * max, samples, unit, target, met}), then meta, details, notes and extra.
 */
export const toJson = (r: Results) => JSON.stringify({ ...r.figures, meta: r.meta, details: r.details, notes: r.notes, extra: r.extra }, null, 2);

const num = (key: string, x: number) => (Number.isFinite(x) ? x.toFixed(specOf(key).digits) : String(x));

function rows(entries: [string, Figure][], withLabel: boolean): string[][] {
  return entries.map(([key, f]) => [
    key,
    ...(withLabel ? [FIGURES[key]?.label ?? ''] : []),
    num(key, f.min),
    num(key, f.median),
    num(key, f.max),
    f.unit,
    f.target ?? FIGURES[key]?.note ?? '',
    f.met === undefined ? '' : f.met ? 'met' : 'MISSED',
  ]);
}

/** A Markdown table; the columns in `right` (the numbers) are right-aligned. */
function table(header: string[], body: string[][], right: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** The figures as a Markdown table (what the README's Performance section shows). */
export function figuresTable(r: Results): string {
  return table(['figure', 'what', 'min', 'median', 'max', 'unit', 'target', ''], rows(Object.entries(r.figures), true), new Set([2, 3, 4]));
}

export function detailsTable(r: Results): string {
  return table(['detail', 'min', 'median', 'max', 'unit', 'target', ''], rows(Object.entries(r.details), false), new Set([1, 2, 3]));
}
