/**
 * reload.gapMs, reload.lost: the baseline for the swap — an app without Baton updates its
 * model the usual way, by loading the page again with the new model's URL, under the same load
 * (200 requests/s, requests queued one at a time on the page's session).
 *
 * Gap: from the old page's last answer to the new page's first (epoch clock, across the
 * reload). Lost: requests queued on the old page when it unloaded, plus the request slots while
 * no page ran (unload → the new page's script), plus those the new page could not serve before
 * its session existed.
 */
import type { Page } from '@playwright/test';
import { openPage, serveRaw, type BenchEnv } from '../env.js';
import type { PrevPage } from '../page/plain.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { WaitAborted, waitUntil } from '../wait.js';

const plainUrl = (modelUrl: string, kind: string, loadMs: number) => `plain.html?model=${encodeURIComponent(modelUrl)}&kind=${kind}&load=${loadMs}`;

async function reloadOnce(env: BenchEnv, kind: 'mlp' | 'silero', urls: [string, string]) {
  const interval = env.settings.loadIntervalMs;
  const { context, page } = await openPage(env, plainUrl(urls[0], kind, interval));
  try {
    const state = (p: Page) => p.evaluate(() => window.plain?.state());
    // A second of steady serving first.
    await waitUntil(
      async () => {
        const s = await state(page);
        if (s?.error) throw new WaitAborted(`the plain page failed: ${s.error}`);
        return (s?.completed ?? 0) >= 1000 / interval;
      },
      { timeoutMs: 30_000, what: 'the old page to serve' },
    );
    await page.evaluate((u) => window.plain.navigate(u), plainUrl(urls[1], kind, interval));
    const fresh = await waitUntil(
      async () => {
        const s = await state(page);
        if (s?.error) throw new WaitAborted(`the reloaded page failed: ${s.error}`);
        return s?.prev && s.firstOkAt !== undefined ? s : undefined;
      },
      { timeoutMs: 30_000, what: 'the reloaded page to serve' },
    );
    const prev = fresh.prev as PrevPage;
    if (prev.lastOkAt === undefined) throw new Error('the old page never answered');
    const gapMs = fresh.firstOkAt! - prev.lastOkAt;
    const queued = prev.issued - prev.completed;
    const noPage = Math.floor((fresh.scriptAt - prev.unloadAt) / interval);
    return { gapMs, lost: queued + noPage + fresh.lost, queued, noPage, noSession: fresh.lost };
  } finally {
    await context.close();
  }
}

export async function reloadScenario(env: BenchEnv): Promise<ScenarioOutput> {
  env.progress.section('reload', 'baseline: plain onnxruntime-web, update = navigate to the new model URL, same load');
  const urls = {
    mlp: [await serveRaw(env.registry, env.models.mlpV1), await serveRaw(env.registry, env.models.mlpV2)] as [string, string],
    silero: [await serveRaw(env.registry, env.models.sileroV5), await serveRaw(env.registry, env.models.sileroV6)] as [string, string],
  };
  const samples = await repeat(env, async (rep) => {
    const out: Record<string, number> = { 'reload.gapMs': 0, 'reload.lost': 0 };
    for (const kind of env.settings.loadModels) {
      const r = await reloadOnce(env, kind, urls[kind]);
      env.progress.log(
        `${rep}/${env.settings.reps} ${kind}: no inference for ${fmt(r.gapMs, 0)} ms, ${r.lost} requests lost (${r.queued} queued at unload, ${r.noPage} with no page, ${r.noSession} before the session)`,
      );
      // The worse of the two models, as for the swap.
      out['reload.gapMs'] = Math.max(out['reload.gapMs']!, r.gapMs);
      out['reload.lost'] = Math.max(out['reload.lost']!, r.lost);
      out[`reload.${kind}.gapMs`] = r.gapMs;
      out[`reload.${kind}.lost`] = r.lost;
    }
    return out;
  });
  return {
    samples,
    notes: [
      `reload: ${env.settings.loadModels.join(' + ')}, the worse per repetition; lost = queued at unload + slots with no page + requests before the new session.`,
    ],
  };
}
