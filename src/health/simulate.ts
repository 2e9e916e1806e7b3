/**
 * Trials simulated as the runtime drives the gates (src/runtime/trial.ts): a verdict on every
 * failure and on every JUDGE_EVERY-th success through the real HealthMonitor, a latency verdict
 * on every paired run, and the OLD gates (wilson-gate.ts) judged on the very same outcomes. Pure
 * and seeded; for the Monte-Carlo test (gates.simulation.test.ts) and bench/scenarios/gates.ts,
 * not used by the runtime. Windows are count windows here (every outcome within `windowMs`).
 */
import type { HealthPolicy } from '../types.js';
import { createHealthMonitor, JUDGE_EVERY } from './monitor.js';
import { isSlowPair, judgePaired } from './verdict.js';
import { oldWilsonJudge } from './wilson-gate.js';
import { SlidingWindow, type WindowStats } from './window.js';

/**
 * mulberry32: a 32-bit seeded PRNG yielding uint32 values. Integer-only arithmetic (`Math.imul`,
 * shifts), so a seed gives the same sequence on every engine, unlike `Math.random` (the test
 * kit's generated models use it too: src/testing/models-reference.ts).
 */
export function mulberry32Uint32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** {@link mulberry32Uint32} as floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  const next = mulberry32Uint32(seed);
  return () => next() / 4_294_967_296;
}

/** One standard normal draw (Box–Muller). */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface ErrorTrialSpec {
  /** The candidate's true error rate. */
  readonly candidateRate: number;
  /** The replaced version's true error rate. */
  readonly baselineRate: number;
  /** Outcomes in the replaced version's window when the trial starts. */
  readonly baselineRequests: number;
  readonly policy: HealthPolicy;
}

/** Requests the candidate served when each gate rolled it back; undefined: it was promoted. */
export interface GateOutcomes {
  readonly sequential: number | undefined;
  readonly wilson: number | undefined;
}

const windowStats = (n: number, errors: number): WindowStats => ({
  n,
  errors,
  errorRate: n === 0 ? 0 : errors / n,
  p50: 0,
  p95: 0,
  p99: 0,
  p95Older: 0,
  p95Newer: 0,
});

/** One trial of the error gates: the new one through HealthMonitor.judge, the old Wilson gate beside it. */
export function simulateErrorTrial(spec: ErrorTrialSpec, random: () => number): GateOutcomes {
  const { policy } = spec;
  const monitor = createHealthMonitor(() => 0);
  let baselineErrors = 0;
  for (let i = 0; i < spec.baselineRequests; i++) {
    const ok = random() >= spec.baselineRate;
    if (!ok) baselineErrors++;
    monitor.record('1', ok, 1, policy);
  }
  const baseline = windowStats(spec.baselineRequests, baselineErrors);
  // The old gate's candidate window: the last windowRequests outcomes.
  const ring = new Uint8Array(policy.windowRequests);
  let windowErrors = 0;
  let failed = 0;
  let sequential: number | undefined;
  let wilson: number | undefined;
  let sequentialDone = false;
  let wilsonDone = false;
  for (let served = 1; !(sequentialDone && wilsonDone); served++) {
    const ok = random() >= spec.candidateRate;
    const slot = (served - 1) % ring.length;
    if (served > ring.length) windowErrors -= ring[slot]!;
    ring[slot] = ok ? 0 : 1;
    if (!ok) {
      windowErrors++;
      failed++;
    }
    if (ok && served % JUDGE_EVERY !== 0) continue;
    if (!sequentialDone) {
      const v = monitor.judge({ version: '2', baseline: '1', served, failed }, policy);
      if (v) sequentialDone = true;
      if (v?.kind === 'rollback') sequential = served;
    }
    if (!wilsonDone) {
      const v = oldWilsonJudge({ candidate: windowStats(Math.min(served, ring.length), windowErrors), baseline, served }, policy);
      if (v.kind !== 'continue') wilsonDone = true;
      if (v.kind === 'rollback') wilson = served;
    }
  }
  return { sequential, wilson };
}

export interface LatencyTrialSpec {
  /** The kept version's own run time on an idle machine (ms). */
  readonly baseMs: number;
  /** The candidate's own run time as a multiple of the kept version's. */
  readonly slowdown: number;
  /** σ of each run's independent log-normal noise (the same input, two runs: not the same time). */
  readonly jitter: number;
  /** The load factor of one request during the trial, shared by both runs of a pair. */
  readonly load: (random: () => number) => number;
  /** The load factor while the kept version served before the switch (default: `load`). */
  readonly loadBefore?: (random: () => number) => number;
  /** Share of the candidate's requests also timed on the kept version. */
  readonly pairedShare: number;
  readonly policy: HealthPolicy;
  /** Also judge the old windowed p95 gate (sorts the window at each verdict: slower). */
  readonly windowed?: boolean;
}

export interface LatencyOutcomes {
  /** Requests (and pairs) when the paired gate rolled the candidate back; undefined: promoted. */
  readonly paired: { readonly requests: number; readonly pairs: number } | undefined;
  /** Requests when the old windowed p95 gate rolled it back (when judged). */
  readonly windowed: number | undefined;
}

/** One trial of the latency gates, from the switch to promotion (or a rollback by each gate). */
export function simulateLatencyTrial(spec: LatencyTrialSpec, random: () => number): LatencyOutcomes {
  const { policy } = spec;
  const runMs = (ownMs: number, load: number) => ownMs * load * Math.exp(spec.jitter * normal(random));
  const before = new SlidingWindow(policy.windowRequests, Number.MAX_SAFE_INTEGER);
  const candidate = new SlidingWindow(policy.windowRequests, Number.MAX_SAFE_INTEGER);
  if (spec.windowed)
    for (let i = 0; i < policy.windowRequests; i++) before.add({ ok: true, latencyMs: runMs(spec.baseMs, (spec.loadBefore ?? spec.load)(random)), at: 0 });
  const baselineStats = spec.windowed ? before.stats(0) : undefined;
  let paired: LatencyOutcomes['paired'];
  let windowed: number | undefined;
  let pairs = 0;
  let slow = 0;
  for (let served = 1; ; served++) {
    const load = spec.load(random);
    const candidateMs = runMs(spec.baseMs * spec.slowdown, load);
    if (paired === undefined && random() < spec.pairedShare) {
      pairs++;
      if (isSlowPair(candidateMs, runMs(spec.baseMs, load), policy)) slow++;
      if (judgePaired(slow, pairs, policy)) paired = { requests: served, pairs };
    }
    if (spec.windowed && windowed === undefined) {
      candidate.add({ ok: true, latencyMs: candidateMs, at: 0 });
      if (
        served % JUDGE_EVERY === 0 &&
        oldWilsonJudge({ candidate: candidate.stats(0), ...(baselineStats ? { baseline: baselineStats } : {}), served }, policy).kind === 'rollback'
      )
        windowed = served;
    }
    const pairedDone = paired !== undefined;
    const windowedDone = !spec.windowed || windowed !== undefined;
    // Promotion: the runtime judges it on a JUDGE_EVERY-th success.
    const promoted = served >= policy.promoteAfterRequests && served % JUDGE_EVERY === 0;
    if ((pairedDone && windowedDone) || promoted) return { paired, windowed };
  }
}
