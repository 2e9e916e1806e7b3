/**
 * hop.overheadMs and its floor hop.postMessageMs: the 1 KB-input model run sequentially through
 * Baton's `rt.run` (page → inference worker → page) and through a direct onnxruntime-web
 * session in the page, with bare postMessage round trips to a worker (and the same through
 * comlink, which Baton's worker client uses), interleaved in blocks.
 * Overhead = median(rt.run) − median(session.run).
 */
import { openPage, serveRaw, uniqueName, type BenchEnv } from '../env.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { median } from '../stats.js';
import { withTimeout } from '../wait.js';

export async function hopScenario(env: BenchEnv): Promise<ScenarioOutput> {
  const { blocks, perBlock } = env.settings.hop;
  env.progress.section('hop', `1 KB input, ${blocks} × ${perBlock} sequential runs each: rt.run, direct session.run, postMessage`);
  const modelUrl = await serveRaw(env.registry, env.models.tiny);
  const samples = await repeat(env, async (rep) => {
    const name = uniqueName('hop');
    await env.registry.publish(env.models.tiny, { name, version: '1' });
    const { context, page } = await openPage(env);
    try {
      const created = await page.evaluate((o) => window.bench.rt.create(o), {
        kind: 'tiny' as const,
        model: name,
        manifestUrl: `${env.registry.url}/${name}/manifest.json`,
        publicKey: env.registry.publicKey,
        serviceWorker: false,
      });
      if (!created.ok) throw new Error(`createRuntime failed: ${created.error}`);
      const s = await withTimeout(
        page.evaluate((o) => window.bench.hop(o), { modelUrl, blocks, perBlock }),
        120_000,
        'the hop measurement',
      );
      const direct = median(s.directMs);
      const baton = median(s.batonMs);
      const post = median(s.postMessageMs);
      const comlink = median(s.comlinkMs);
      env.progress.log(
        `${rep}/${env.settings.reps}: rt.run ${fmt(baton, 3)} ms, session.run ${fmt(direct, 3)} ms → overhead ${fmt(baton - direct, 3)} ms; postMessage ${fmt(post, 3)} ms, comlink ${fmt(comlink, 3)} ms`,
      );
      return { 'hop.overheadMs': baton - direct, 'hop.postMessageMs': post, 'hop.batonMs': baton, 'hop.directMs': direct, 'hop.comlinkMs': comlink };
    } finally {
      await page.evaluate(() => window.bench.rt.dispose()).catch(() => {});
      await context.close();
    }
  });
  return { samples };
}
