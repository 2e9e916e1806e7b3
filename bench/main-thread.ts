/**
 * The page's main thread during a swap, from a Chromium trace: every task it ran (the
 * scheduler's `RunTask` slices), so the longest is measured exactly and without a probe that
 * competes for the thread (a timer or message loop would add its own tasks and miss the inside
 * of a long one). The page marks the window with `performance.mark`, which the trace carries on
 * the same clock. The longest tasks are described by what ran inside them (script by function
 * and file, garbage collection, message handling), which is what the issue asks to find.
 */
import type { Browser, Page } from '@playwright/test';

/** Trace categories: tasks, user-timing marks, what ran inside a task, garbage collection. */
const CATEGORIES = ['toplevel', 'blink.user_timing', 'devtools.timeline', 'v8.execute', 'disabled-by-default-v8.gc'];

interface TraceEvent {
  readonly name: string;
  readonly cat: string;
  readonly ph: string;
  readonly pid: number;
  readonly tid: number;
  readonly ts: number;
  readonly dur?: number;
  /** Thread (CPU) time of a complete event. */
  readonly tdur?: number;
  readonly args?: { readonly data?: { readonly functionName?: string; readonly url?: string; readonly type?: string } };
}

export interface MainThreadTask {
  /** Start, ms after the first mark. */
  readonly atMs: number;
  readonly ms: number;
  /** Of which the thread ran on a CPU (the rest it waited for one: a busy machine, not its own work). */
  readonly cpuMs: number;
  /** The largest slices inside the task, e.g. `FunctionCall onMessage (worker-client.js) 7.1`. */
  readonly inside: readonly string[];
}

export interface MainThreadWindow {
  readonly longestMs: number;
  /** The longest task by CPU time: the main thread's own work, whatever the machine's load. */
  readonly longestCpuMs: number;
  /** Tasks over 2 ms. */
  readonly over2Ms: number;
  readonly tasks: number;
  readonly longest: readonly MainThreadTask[];
}

/** Runs `body` with the page traced; the caller's page code marks windows with `performance.mark(name)`. */
export async function traceMainThread<T>(browser: Browser, page: Page, body: () => Promise<T>): Promise<{ result: T; trace: TraceEvent[] }> {
  await browser.startTracing(page, { categories: CATEGORIES });
  let result: T;
  try {
    result = await body();
  } catch (e) {
    await browser.stopTracing().catch(() => undefined);
    throw e;
  }
  const buffer = await browser.stopTracing();
  return { result, trace: (JSON.parse(buffer.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents };
}

/** The tasks of the thread that emitted `fromMark`, between the two marks (`toMark` undefined: to the end). */
export function mainThreadWindow(trace: readonly TraceEvent[], fromMark: string, toMark?: string, keep = 3): MainThreadWindow {
  const from = trace.find((e) => e.name === fromMark && e.cat.includes('blink.user_timing'));
  if (!from) throw new Error(`the trace has no mark ${fromMark}`);
  const to = toMark === undefined ? undefined : trace.find((e) => e.name === toMark && e.cat.includes('blink.user_timing'));
  if (toMark !== undefined && !to) throw new Error(`the trace has no mark ${toMark}`);
  const thread = trace.filter((e) => e.pid === from.pid && e.tid === from.tid && e.ph === 'X' && e.dur !== undefined);
  const end = to?.ts ?? Infinity;
  // A task overlapping the window's start counts (it still blocked the window); the task that
  // set the closing mark does not (it is the bench's, after the window).
  const tasks = thread.filter((e) => e.name === 'ThreadControllerImpl::RunTask' && e.ts + e.dur! >= from.ts && e.ts + e.dur! <= end);
  const sorted = [...tasks].sort((a, b) => b.dur! - a.dur!);
  const describe = (task: TraceEvent): MainThreadTask => ({
    atMs: (task.ts - from.ts) / 1000,
    ms: task.dur! / 1000,
    cpuMs: (task.tdur ?? task.dur!) / 1000,
    inside: thread
      .filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur! <= task.ts + task.dur! && e.dur! >= 200)
      .sort((a, b) => b.dur! - a.dur!)
      .slice(0, 4)
      .map((e) => `${e.name}${label(e)} ${(e.dur! / 1000).toFixed(1)}`),
  });
  return {
    longestMs: (sorted[0]?.dur ?? 0) / 1000,
    longestCpuMs: Math.max(0, ...tasks.map((e) => e.tdur ?? e.dur!)) / 1000,
    over2Ms: tasks.filter((e) => e.dur! > 2000).length,
    tasks: tasks.length,
    longest: sorted.slice(0, keep).map(describe),
  };
}

function label(e: TraceEvent): string {
  const data = e.args?.data;
  if (!data) return '';
  const file = data.url ? data.url.slice(data.url.lastIndexOf('/') + 1) : '';
  const what = [data.functionName || undefined, file ? `(${file})` : undefined, data.type].filter(Boolean).join(' ');
  return what ? ` ${what}` : '';
}
