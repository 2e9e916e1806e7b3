/**
 * The figures the bench reports (the keys of bench/results.json), with their units and targets.
 * A target is judged on the median over the repetitions, except counts that must be zero, which
 * are judged on the worst repetition.
 */
import type { Spread } from './stats.js';

export interface FigureSpec {
  readonly label: string;
  readonly unit: 'ms' | '×' | 'requests' | 'MB/s' | 'MB' | 'req/s' | 'count';
  readonly digits: number;
  readonly target?: { readonly max?: number; readonly judge: 'median' | 'max' };
  /** What the figure is set against, for the table. */
  readonly note?: string;
}

/** The figures issue #7 asks for, in table order. */
export const FIGURES: Readonly<Record<string, FigureSpec>> = {
  'swap.failed': { label: 'failed requests, v1 → v2 under load', unit: 'requests', digits: 0, target: { max: 0, judge: 'max' } },
  'swap.stalled': { label: 'stalled (> 2 × steady p99) in the swap', unit: 'requests', digits: 0, target: { max: 0, judge: 'max' } },
  'swap.p99Ratio': { label: 'p99 in the swap ÷ steady p99', unit: '×', digits: 2, target: { max: 1.25, judge: 'median' } },
  'swap.mainLongestMs': { label: "page's longest main-thread task in the update", unit: 'ms', digits: 1, target: { max: 2, judge: 'median' } },
  'swap.mainLongestCpuMs': { label: '… of which on a CPU (the rest: waiting for a core)', unit: 'ms', digits: 1 },
  'reload.gapMs': { label: 'baseline: reload, no inference for', unit: 'ms', digits: 0, note: 'baseline' },
  'reload.lost': { label: 'baseline: reload, requests lost', unit: 'requests', digits: 0, note: 'baseline' },
  'hop.overheadMs': { label: 'rt.run − direct session.run (1 KB)', unit: 'ms', digits: 3, target: { max: 0.15, judge: 'median' } },
  'hop.postMessageMs': { label: 'floor: bare postMessage round trip', unit: 'ms', digits: 3, note: 'floor' },
  'hop.atomicsMs': { label: 'floor: bare SharedArrayBuffer + Atomics round trip', unit: 'ms', digits: 3, note: 'floor' },
  'hop.workerOverheadMs': { label: 'InferenceWorker.run − direct session.run (the hop alone)', unit: 'ms', digits: 3 },
  'download.ratio': { label: 'download+verify+store ÷ fetch().arrayBuffer()', unit: '×', digits: 2, target: { max: 1.25, judge: 'median' } },
  'delta.ratio': { label: 'bytes fetched for a 5 % update ÷ model size', unit: '×', digits: 3, target: { max: 0.1, judge: 'median' } },
  'memory.ratio': { label: 'memory after 50 swaps ÷ after 1', unit: '×', digits: 2, target: { max: 1.1, judge: 'median' } },
  'coldOffline.ratio': { label: 'offline cold start ÷ plain ORT from Cache Storage', unit: '×', digits: 2, target: { max: 1, judge: 'median' } },
  'verify.MBps': { label: 'SHA-256 verification, Baton', unit: 'MB/s', digits: 0 },
  'verify.digestMBps': { label: 'ceiling: one crypto.subtle.digest', unit: 'MB/s', digits: 0, note: 'ceiling' },
  'gates.edgeRollbacks': { label: 'false rollbacks /10 000 trials, edge of healthy', unit: 'count', digits: 0, target: { max: 100, judge: 'max' } },
  'gates.edgeWilsonRollbacks': { label: 'old Wilson gate, the same trials', unit: 'count', digits: 0, note: 'baseline' },
  'gates.fail100Requests': { label: 'requests to roll back a 100 %-failing candidate (p90)', unit: 'requests', digits: 0, target: { max: 8, judge: 'max' } },
  'gates.latencyEdgeRollbacks': { label: 'false latency rollbacks /10 000, at the ratio', unit: 'count', digits: 0, target: { max: 100, judge: 'max' } },
};

export interface Figure extends Spread {
  readonly unit: string;
  readonly samples: number[];
  /** e.g. "≤ 1.25 (median)". */
  readonly target?: string;
  readonly met?: boolean;
}

const GENERIC: FigureSpec = { label: '', unit: 'ms', digits: 2 };

export function specOf(key: string): FigureSpec {
  return FIGURES[key] ?? { ...GENERIC, unit: unitFromKey(key), digits: digitsFromKey(key) };
}

/** Details follow a naming rule: `…Ms`, `…MB`, `…MBps`, `…Ratio`/`ratio`, `…perSecond`, `…rollbacks`, else requests. */
function unitFromKey(key: string): FigureSpec['unit'] {
  if (key.endsWith('perSecond')) return 'req/s';
  if (key.endsWith('rollbacks')) return 'count';
  if (key.endsWith('MBps')) return 'MB/s';
  if (key.endsWith('Ms')) return 'ms';
  if (key.endsWith('MB')) return 'MB';
  if (key.endsWith('atio')) return '×';
  return 'requests';
}

function digitsFromKey(key: string): number {
  const unit = unitFromKey(key);
  return unit === 'ms' ? 2 : unit === '×' ? 3 : unit === 'MB' ? 1 : 0;
}

export function judge(key: string, s: Spread & { samples: number[] }): Figure {
  const spec = specOf(key);
  const t = spec.target;
  const figure: Figure = { ...s, unit: spec.unit };
  if (!t || t.max === undefined) return figure;
  const judged = t.judge === 'max' ? s.max : s.median;
  return { ...figure, target: `≤ ${t.max}${t.judge === 'max' ? ' (every run)' : ' (median)'}`, met: judged <= t.max };
}
