/** The shape every scenario returns, and the repetition loop they share. */
import type { BenchEnv } from './env.js';

export interface ScenarioOutput {
  /** Samples per figure key (bench/figures.ts), one per repetition. */
  readonly samples: Record<string, number[]>;
  /** Facts about this run worth printing under the table (e.g. what a figure consists of). */
  readonly notes?: readonly string[];
  /** Structured results that are not per-repetition figures (e.g. a chunking comparison). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export type Scenario = (env: BenchEnv) => Promise<ScenarioOutput>;

/** Runs `once` env.settings.reps times and gathers its figures by key. */
export async function repeat(env: BenchEnv, once: (rep: number) => Promise<Record<string, number>>): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = {};
  for (let rep = 1; rep <= env.settings.reps; rep++) {
    const figures = await once(rep);
    for (const [key, value] of Object.entries(figures)) (samples[key] ??= []).push(value);
  }
  return samples;
}

/** `x` rounded to `digits` decimals, for progress lines. */
export const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
