/**
 * swap.failed, swap.stalled, swap.p99Ratio: a page issues inference continuously (200/s) while
 * v1 → v2 is published and swapped, for the tiny MLP and the real Silero VAD (v5 → v6).
 *
 * Steady state: the requests issued before the check (the first 50, the engine's tier-up,
 * excluded) and as many as half of those after v1's release (before the standby is replaced,
 * 5 s later): steady on both sides of the window, so a burst from a neighbour on a shared
 * machine weighs on both alike. The swap window: from the check's start (manifest, download, verify, store, load,
 * warm, switch, trial) to the `released` event of v1, whose worker is then terminated. Stalled:
 * a request in the window slower than 2 × the steady p99. Per repetition, counts are summed
 * over the two models and the ratio is the worse of the two.
 *
 * swap.mainLongestMs: the longest task the page's main thread ran from the check to the end of
 * the load (v1's release and its worker's termination included), from a Chromium trace
 * (bench/main-thread.ts); per model with the steady state's longest for comparison, and the
 * longest tasks described by what ran inside them. The worse model's figure per repetition.
 */
import type { Page } from '@playwright/test';
import { openPage, uniqueName, type BenchEnv } from '../env.js';
import type { ModelKind } from '../page/feeds.js';
import type { LoadRecord } from '../../src/testing/expose-load.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { percentile } from '../stats.js';
import { waitUntil } from '../wait.js';
import { mainThreadWindow, traceMainThread } from '../main-thread.js';

/** Requests at the start of the load left out of the steady state: JIT tier-up. */
const TIER_UP = 50;

export interface SwapRecordsAnalysis {
  readonly failed: number;
  readonly stalled: number;
  readonly steadyP50Ms: number;
  readonly steadyP99Ms: number;
  readonly swapP99Ms: number;
  readonly swapMaxMs: number;
  readonly p99Ratio: number;
  readonly swapRequests: number;
  readonly perSecond: number;
  /** v1 answers to requests issued after v2 first answered (must be 0: no reordering). */
  readonly outOfOrder: number;
  /** Stalled requests issued before the switch: while v2 was fetched, loaded and warmed beside v1. */
  readonly stalledBeforeSwitch: number;
}

/** The figures of one load's records, given when the check started and when v1 was released. */
export function analyseSwap(records: readonly LoadRecord[], checkAt: number, releasedAt: number, switchAt: number): SwapRecordsAnalysis {
  const ms = (rs: readonly LoadRecord[]) => rs.map((r) => r.ms);
  const steady = ms(records.slice(TIER_UP).filter((r) => r.at < checkAt || r.at > releasedAt));
  const window = ms(records.filter((r) => r.at >= checkAt && r.at <= releasedAt));
  const steadyP99Ms = percentile(steady, 0.99);
  const swapP99Ms = percentile(window, 0.99);
  const firstV2 = records.findIndex((r) => r.version === '2');
  const spanS = (records.at(-1)!.at - records[0]!.at) / 1000;
  return {
    failed: records.filter((r) => !r.ok).length,
    stalled: window.filter((d) => d > 2 * steadyP99Ms).length,
    stalledBeforeSwitch: records.filter((r) => r.at >= checkAt && r.at < switchAt && r.ms > 2 * steadyP99Ms).length,
    steadyP50Ms: percentile(steady, 0.5),
    steadyP99Ms,
    swapP99Ms,
    swapMaxMs: Math.max(...window),
    p99Ratio: swapP99Ms / steadyP99Ms,
    swapRequests: window.length,
    perSecond: records.length / spanS,
    outOfOrder: firstV2 < 0 ? 0 : records.slice(firstV2).filter((r) => r.version === '1').length,
  };
}

const MODELS: Record<'mlp' | 'silero', (env: BenchEnv) => [string, string]> = {
  mlp: (env) => [env.models.mlpV1, env.models.mlpV2],
  silero: (env) => [env.models.sileroV5, env.models.sileroV6],
};

async function events(page: Page) {
  return page.evaluate(() => window.bench.rt.events());
}

async function swapOnce(env: BenchEnv, kind: 'mlp' | 'silero') {
  const name = uniqueName(`swap-${kind}`);
  const [v1, v2] = MODELS[kind](env);
  await env.registry.publish(v1, { name, version: '1' });
  const { context, page } = await openPage(env);
  try {
    const created = await page.evaluate((o) => window.bench.rt.create(o), {
      kind: kind as ModelKind,
      model: name,
      manifestUrl: `${env.registry.url}/${name}/manifest.json`,
      publicKey: env.registry.publicKey,
      serviceWorker: true,
    });
    if (!created.ok) throw new Error(`createRuntime failed: ${created.error}`);
    // The standby worker (onnxruntime-web initialised) is what hosts v2: wait for it, as a page
    // that has been open a few seconds would have it.
    await waitUntil(() => page.evaluate(() => window.bench.rt.standby() === 'ready'), { timeoutMs: 30_000, what: 'the standby worker' });
    await page.evaluate((ms) => window.bench.rt.startLoad(ms), env.settings.loadIntervalMs);
    const steady = TIER_UP + env.settings.steadyRequests;
    await waitUntil(() => page.evaluate((n) => window.bench.rt.loadCompleted() >= n, steady), { timeoutMs: 60_000, what: `${steady} steady requests` });
    const { result, trace } = await traceMainThread(env.browser, page, () => updateUnderLoad(env, page, name, v2));
    const { checkAt, released, records, seen } = result;
    const switchAt = seen.find((e) => e.type === 'switch' && e.version === '2')?.at ?? Number.NaN;
    const a = analyseSwap(records, checkAt, released.at, switchAt);
    const rollback = seen.find((e) => e.type === 'rollback');
    // The main thread: steady (before the check) against the whole update, from the check to the
    // end of the load (v1's release and its worker's termination included).
    const steadyMain = mainThreadWindow(trace, 'bench:steady', 'bench:check');
    const swapMain = mainThreadWindow(trace, 'bench:check', 'bench:end');
    return {
      ...a,
      checkToSwitchMs: switchAt - checkAt,
      switchToReleasedMs: released.at - switchAt,
      servedAfter: await page.evaluate(() => window.bench.rt.serving()),
      rolledBack: rollback ? (rollback.detail ?? 'yes') : undefined,
      mainLongestMs: swapMain.longestMs,
      mainOver2Ms: swapMain.over2Ms,
      mainSteadyLongestMs: steadyMain.longestMs,
      mainLongestCpuMs: swapMain.longestCpuMs,
      mainLongest: swapMain.longest,
    };
  } finally {
    await page.evaluate(() => window.bench.rt.dispose()).catch(() => {});
    await context.close();
  }
}

/** Publishes v2 and lets the page find, load and switch to it under the running load, to v1's release and a steady tail. */
async function updateUnderLoad(env: BenchEnv, page: Page, name: string, v2: string) {
  // The steady main thread: from here (the trace has started) while the registry publishes.
  await page.evaluate(() => performance.mark('bench:steady'));
  await env.registry.publish(v2, { name, version: '2' });
  const checkAt = await page.evaluate(() => window.bench.rt.startCheck());
  // The swap is over when the version that lost is released: v1 once v2 is promoted, or v2 if
  // its trial rolled it back (the health gate judging latency on a busy machine, say).
  const released = await waitUntil(async () => (await events(page)).find((e) => e.type === 'released'), {
    timeoutMs: 60_000,
    what: 'v1 to be released (v2 switched in, on trial, promoted)',
  }).catch(async (e: unknown) => {
    const seen = (await events(page)).filter((x) => x.type !== 'progress').map((x) => `${x.type}${x.version ? ` ${x.version}` : ''}`);
    const trial = await page.evaluate(() => window.bench.rt.trial());
    throw new Error(`${(e as Error).message}; events: ${seen.join(', ')}; trial: ${JSON.stringify(trial)}`);
  });
  const checkError = await page.evaluate(() => window.bench.rt.checkDone());
  if (checkError) throw new Error(`the update check failed: ${checkError}`);
  const tail = (await page.evaluate(() => window.bench.rt.loadCompleted())) + env.settings.steadyRequests / 2;
  await waitUntil(() => page.evaluate((n) => window.bench.rt.loadCompleted() >= n, tail), { timeoutMs: 30_000, what: 'the steady requests after the swap' });
  await page.evaluate(() => performance.mark('bench:end'));
  const records = await page.evaluate(() => window.bench.rt.stopLoad());
  return { checkAt, released, records, seen: await events(page) };
}

export async function swapScenario(env: BenchEnv): Promise<ScenarioOutput> {
  env.progress.section('swap', `v1 → v2 under ${1000 / env.settings.loadIntervalMs} requests/s, ${env.settings.loadModels.join(' and ')}, service worker mode`);
  const samples = await repeat(env, async (rep) => {
    const out: Record<string, number> = { 'swap.failed': 0, 'swap.stalled': 0, 'swap.p99Ratio': 0, 'swap.mainLongestMs': 0 };
    for (const kind of env.settings.loadModels) {
      const s = await swapOnce(env, kind);
      const expected = s.rolledBack ? '1' : '2';
      if (s.servedAfter !== expected) throw new Error(`after the swap the runtime serves ${s.servedAfter}, not ${expected}`);
      if (s.rolledBack)
        env.progress.log(`${rep}/${env.settings.reps} ${kind}: v2 was ROLLED BACK by the health gate (${s.rolledBack}); the window ends at its release`);
      env.progress.log(
        `${rep}/${env.settings.reps} ${kind}: ${s.failed} failed, ${s.stalled} stalled (${s.stalledBeforeSwitch} before the switch) of ${s.swapRequests} in the swap; p99 ${fmt(s.steadyP99Ms, 3)} → ${fmt(s.swapP99Ms, 3)} ms (×${fmt(s.p99Ratio)}), max ${fmt(s.swapMaxMs, 1)} ms; ${Math.round(s.perSecond)}/s; check→switch ${Math.round(s.checkToSwitchMs)} ms, →released ${Math.round(s.switchToReleasedMs)} ms`,
      );
      out['swap.failed']! += s.failed;
      out['swap.rollbacks'] = (out['swap.rollbacks'] ?? 0) + (s.rolledBack ? 1 : 0);
      out['swap.stalled']! += s.stalled;
      out['swap.p99Ratio'] = Math.max(out['swap.p99Ratio']!, s.p99Ratio);
      out['swap.mainLongestMs'] = Math.max(out['swap.mainLongestMs'] ?? 0, s.mainLongestMs);
      out['swap.mainLongestCpuMs'] = Math.max(out['swap.mainLongestCpuMs'] ?? 0, s.mainLongestCpuMs);
      env.progress.log(
        `${rep}/${env.settings.reps} ${kind}: main thread longest task ${fmt(s.mainLongestMs, 1)} ms in the update (steady ${fmt(s.mainSteadyLongestMs, 1)} ms; longest on CPU ${fmt(s.mainLongestCpuMs, 1)} ms), ${s.mainOver2Ms} over 2 ms; longest: ${s.mainLongest.map((t) => `${fmt(t.ms, 1)} ms (CPU ${fmt(t.cpuMs, 1)}) at +${Math.round(t.atMs)} [${t.inside.join('; ')}]`).join(' | ')}`,
      );
      for (const k of [
        'steadyP99Ms',
        'swapP99Ms',
        'swapMaxMs',
        'perSecond',
        'outOfOrder',
        'stalledBeforeSwitch',
        'checkToSwitchMs',
        'switchToReleasedMs',
        'mainLongestMs',
        'mainOver2Ms',
        'mainSteadyLongestMs',
        'mainLongestCpuMs',
      ] as const)
        out[`swap.${kind}.${k}`] = s[k];
    }
    return out;
  });
  return {
    samples,
    notes: [
      `swap: ${env.settings.loadModels.join(' + ')}; counts summed over the models per repetition, p99 ratio the worse; window = check start → v1 released (v2 on trial until promoted after 500 requests); steady = before the check and after the release.`,
    ],
  };
}
