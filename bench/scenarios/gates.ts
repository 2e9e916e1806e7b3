/**
 * gates.*: the health gates (issue #15, item 2) in simulated trials, in Node — no page, no model.
 * Trials run as the runtime drives them (src/health/simulate.ts: a verdict on every failure and
 * every 8th success through HealthMonitor.judge, to promotion after 500 requests, the default
 * policy, a baseline window of 200 outcomes), the new sequential gates and the old gates on the
 * very same outcomes. Each repetition is a fresh Monte-Carlo run (its own seed).
 *
 * Error gate: false rollbacks per 10 000 healthy trials (candidate = baseline = 1 %, and at the
 * edge of healthy: 6 % = 1 % + maxErrorRateIncrease), and requests to roll back candidates
 * failing 100 %, 30 % and 10 % of requests. Latency gate: paired runs (10 % of requests also run
 * on the kept version, both under a shared, bursty load factor, each with its own jitter).
 */
import { DEFAULT_HEALTH } from '../../src/health/defaults.js';
import { mulberry32, simulateErrorTrial, simulateLatencyTrial, type GateOutcomes, type LatencyTrialSpec } from '../../src/health/simulate.js';
import type { BenchEnv } from '../env.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { median, percentile } from '../stats.js';

const policy = DEFAULT_HEALTH;
const HEALTHY_TRIALS = 10_000;
const PER_RATE = 10_000 / HEALTHY_TRIALS;

/** Requests to detect: median and p90 over all trials, a trial that was promoted counting as never (Infinity). */
const detection = (xs: readonly (number | undefined)[]) => {
  const all = xs.map((x) => x ?? Infinity);
  return { median: median(all), p90: percentile(all, 0.9), share: xs.filter((x) => x !== undefined).length / xs.length };
};

function errorTrials(runs: number, candidateRate: number, random: () => number, promoteAfterRequests = policy.promoteAfterRequests): GateOutcomes[] {
  const p = { ...policy, promoteAfterRequests };
  return Array.from({ length: runs }, () => simulateErrorTrial({ candidateRate, baselineRate: 0.01, baselineRequests: p.windowRequests, policy: p }, random));
}

/** A neighbour on the cores 30 % of the time, slowing both runs of a request alike by 1–4×. */
const burstyLoad = (random: () => number) => (random() < 0.7 ? 1 : 1 + 3 * random());
/** Contention for the whole trial (2–3×), none while the kept version served before the switch. */
const busy = (random: () => number) => 2 + random();
const idle = () => 1;

const latencySpec = (slowdown: number, extra: Partial<LatencyTrialSpec> = {}): LatencyTrialSpec => ({
  baseMs: 20,
  slowdown,
  jitter: 0.15,
  load: burstyLoad,
  pairedShare: 0.1,
  policy,
  ...extra,
});

export async function gatesScenario(env: BenchEnv): Promise<ScenarioOutput> {
  const detectRuns = env.settings.quick ? 300 : 1000;
  const windowedRuns = env.settings.quick ? 100 : 400;
  const longRuns = env.settings.quick ? 100 : 300;
  env.progress.section(
    'gates',
    `simulated trials in Node: ${HEALTHY_TRIALS} healthy, ${detectRuns} per failing rate; alpha ${policy.alpha}, promote after ${policy.promoteAfterRequests}`,
  );
  // Synchronous work (~15 s a repetition); `repeat` takes an async step.
  const samples = await repeat(env, async (rep) => {
    const random = mulberry32(0x15_0002 + rep);
    const out: Record<string, number> = {};

    for (const [name, rate] of [
      ['healthy', 0.01],
      ['edge', 0.01 + policy.maxErrorRateIncrease],
    ] as const) {
      const trials = errorTrials(HEALTHY_TRIALS, rate, random);
      out[`gates.${name}.sequential.rollbacks`] = trials.filter((t) => t.sequential !== undefined).length * PER_RATE;
      out[`gates.${name}.wilson.rollbacks`] = trials.filter((t) => t.wilson !== undefined).length * PER_RATE;
    }
    out['gates.edgeRollbacks'] = out['gates.edge.sequential.rollbacks']!;
    out['gates.edgeWilsonRollbacks'] = out['gates.edge.wilson.rollbacks']!;

    for (const [name, rate] of [
      ['fail100', 1],
      ['fail30', 0.3],
    ] as const) {
      const trials = errorTrials(detectRuns, rate, random);
      for (const gate of ['sequential', 'wilson'] as const) {
        const d = detection(trials.map((t) => t[gate]));
        out[`gates.${name}.${gate}Median`] = d.median;
        out[`gates.${name}.${gate}P90`] = d.p90;
      }
    }
    // 10 % failing (9 points over the baseline, 4 over what the policy allows, about the slack of
    // the baseline's bound over 200 outcomes): the share caught within the 500-request trial, how
    // long each gate needs when the trial runs on, and with a policy tuned to catch it
    // (--window-requests 1000 --max-error-increase 0.02: a tighter baseline bound, a lower p0).
    const within = errorTrials(detectRuns, 0.1, random);
    const long = errorTrials(longRuns, 0.1, random, 50_000);
    const tuned = { ...policy, windowRequests: 1000, maxErrorRateIncrease: 0.02 };
    const tight = Array.from({ length: detectRuns }, () =>
      simulateErrorTrial({ candidateRate: 0.1, baselineRate: 0.01, baselineRequests: tuned.windowRequests, policy: tuned }, random),
    );
    for (const gate of ['sequential', 'wilson'] as const) {
      out[`gates.fail10.${gate}DetectedRatio`] = detection(within.map((t) => t[gate])).share;
      const d = detection(long.map((t) => t[gate]));
      out[`gates.fail10.${gate}Median`] = d.median;
      out[`gates.fail10.${gate}P90`] = d.p90;
      const t = detection(tight.map((o) => o[gate]));
      out[`gates.fail10Tuned.${gate}Median`] = t.median;
      out[`gates.fail10Tuned.${gate}P90`] = t.p90;
      out[`gates.fail10Tuned.${gate}DetectedRatio`] = t.share;
    }
    out['gates.fail100Requests'] = out['gates.fail100.sequentialP90']!;

    const paired = (runs: number, spec: LatencyTrialSpec) => Array.from({ length: runs }, () => simulateLatencyTrial(spec, random));
    const sameSpeed = paired(HEALTHY_TRIALS, latencySpec(1));
    const atRatio = paired(HEALTHY_TRIALS, latencySpec(policy.maxP95Ratio));
    out['gates.latency.sameSpeed.rollbacks'] = sameSpeed.filter((t) => t.paired).length * PER_RATE;
    out['gates.latency.atRatio.rollbacks'] = atRatio.filter((t) => t.paired).length * PER_RATE;
    out['gates.latencyEdgeRollbacks'] = out['gates.latency.atRatio.rollbacks'];
    // The old windowed gate beside it, where it is weak: contention that starts at the switch.
    const contended = paired(windowedRuns, latencySpec(1, { load: busy, loadBefore: idle, windowed: true }));
    out['gates.latency.contended.paired.rollbacks'] = (contended.filter((t) => t.paired).length / windowedRuns) * 10_000;
    out['gates.latency.contended.windowed.rollbacks'] = (contended.filter((t) => t.windowed !== undefined).length / windowedRuns) * 10_000;
    const slower = paired(windowedRuns, latencySpec(3, { windowed: true }));
    const pairedDetect = detection(slower.map((t) => t.paired?.requests));
    const windowedDetect = detection(slower.map((t) => t.windowed));
    out['gates.latency3x.pairedMedian'] = pairedDetect.median;
    out['gates.latency3x.pairedP90'] = pairedDetect.p90;
    out['gates.latency3x.pairsMedian'] = median(slower.map((t) => t.paired?.pairs ?? Infinity));
    out['gates.latency3x.windowedMedian'] = windowedDetect.median;
    out['gates.latency3x.windowedP90'] = windowedDetect.p90;

    const side = (key: string) =>
      `${fmt(out[`${key}.sequentialMedian`]!, 0)}/${fmt(out[`${key}.sequentialP90`]!, 0)} vs ${fmt(out[`${key}.wilsonMedian`]!, 0)}/${fmt(out[`${key}.wilsonP90`]!, 0)}`;
    env.progress.log(
      `${rep}/${env.settings.reps}: false rollbacks per 10 000 (new vs old): healthy ${out['gates.healthy.sequential.rollbacks']} vs ${out['gates.healthy.wilson.rollbacks']}, edge ${out['gates.edge.sequential.rollbacks']} vs ${out['gates.edge.wilson.rollbacks']}`,
    );
    env.progress.log(
      `requests to roll back, median/p90 (new vs old): 100 % ${side('gates.fail100')}, 30 % ${side('gates.fail30')}, 10 % ${side('gates.fail10')} if the trial ran on (caught within it: ${fmt(out['gates.fail10.sequentialDetectedRatio']! * 100, 1)} % vs ${fmt(out['gates.fail10.wilsonDetectedRatio']! * 100, 1)} %); 10 % under the tuned policy: ${side('gates.fail10Tuned')} (caught within the trial: ${fmt(out['gates.fail10Tuned.sequentialDetectedRatio']! * 100, 1)} %)`,
    );
    env.progress.log(
      `latency: false rollbacks per 10 000: same speed ${out['gates.latency.sameSpeed.rollbacks']}, at the ratio ${out['gates.latency.atRatio.rollbacks']}; contention from the switch on: paired ${fmt(out['gates.latency.contended.paired.rollbacks']!, 0)} vs windowed ${fmt(out['gates.latency.contended.windowed.rollbacks']!, 0)}; 3× slower: ${fmt(pairedDetect.median, 0)}/${fmt(pairedDetect.p90, 0)} requests (${fmt(out['gates.latency3x.pairsMedian']!, 0)} pairs) vs windowed ${fmt(windowedDetect.median, 0)}/${fmt(windowedDetect.p90, 0)}`,
    );
    return out;
  });
  return {
    samples,
    notes: [
      `gates: simulated, not measured in a browser (src/health/simulate.ts). Rollbacks are per 10 000 trials; 10 % failing: the share caught within the trial, and median/p90 requests with the trial running on (promotion after 50 000); fail10Tuned: --window-requests 1000 --max-error-increase 0.02, within the trial (Infinity: promoted first in over half, or a tenth, of the trials). latency3x.pairsMedian counts pairs. Baseline: 1 % errors, a window of ${policy.windowRequests}. Latency: 10 % of requests paired, shared load 1–4× on 30 % of requests, jitter σ = 0.15, 20 ms model.`,
    ],
  };
}
