/**
 * hop.overheadMs and its floors: the 1 KB-input model run sequentially through Baton's `rt.run`
 * (page → inference worker → page), through Baton's worker client alone (`InferenceWorker.run`,
 * no request path: hop.workerMs on the MessageChannel that `rt.run` uses, hop.workerRingMs with
 * the internal `sharedRing` option on; hop.workerSessionMs is `session.run` inside that worker) and
 * through a direct onnxruntime-web session in the page, with bare round trips to a worker —
 * postMessage (hop.postMessageMs; over a MessageChannel port, hop.portMs), SharedArrayBuffer +
 * Atomics (hop.atomicsMs with a worker blocked in `Atomics.wait`, hop.atomicsAsyncMs with one
 * in `Atomics.waitAsync`, as Baton's must be), comlink (hop.comlinkMs) — interleaved in blocks.
 * Overhead = median(rt.run) − median(session.run); hop.workerOverheadMs and
 * hop.workerRingOverheadMs the same for the client alone.
 */
import { openPage, serveRaw, uniqueName, type BenchEnv } from '../env.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { median } from '../stats.js';
import { withTimeout } from '../wait.js';

export async function hopScenario(env: BenchEnv): Promise<ScenarioOutput> {
  const { blocks, perBlock } = env.settings.hop;
  env.progress.section(
    'hop',
    `1 KB input, ${blocks} × ${perBlock} sequential runs each: rt.run, worker client, direct session.run, postMessage, atomics, comlink`,
  );
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
      const worker = median(s.workerMs);
      const port = median(s.portMs);
      // Only a cross-origin isolated page has SharedArrayBuffer: no atomics figures without it.
      const atomics = s.crossOriginIsolated
        ? {
            'hop.atomicsMs': median(s.atomicsMs),
            'hop.atomicsAsyncMs': median(s.atomicsAsyncMs),
            'hop.workerRingMs': median(s.workerRingMs),
            'hop.workerRingOverheadMs': median(s.workerRingMs) - direct,
          }
        : {};
      env.progress.log(
        `${rep}/${env.settings.reps}: rt.run ${fmt(baton, 3)} ms, session.run ${fmt(direct, 3)} ms → overhead ${fmt(baton - direct, 3)} ms ` +
          `(worker client alone ${fmt(worker - direct, 3)} ms${s.crossOriginIsolated ? `, with its shared ring ${fmt(atomics['hop.workerRingOverheadMs']!, 3)} ms` : ''}); floors: postMessage ${fmt(post, 3)} ms, port ${fmt(port, 3)} ms, ` +
          `${s.crossOriginIsolated ? `atomics ${fmt(atomics['hop.atomicsMs']!, 3)} ms (async worker ${fmt(atomics['hop.atomicsAsyncMs']!, 3)} ms)` : 'no atomics (not isolated)'}, comlink ${fmt(comlink, 3)} ms`,
      );
      return {
        'hop.overheadMs': baton - direct,
        'hop.postMessageMs': post,
        ...atomics,
        'hop.batonMs': baton,
        'hop.directMs': direct,
        'hop.comlinkMs': comlink,
        'hop.workerMs': worker,
        'hop.workerOverheadMs': worker - direct,
        'hop.workerSessionMs': median(s.workerSessionMs),
        'hop.portMs': port,
      };
    } finally {
      await page.evaluate(() => window.bench.rt.dispose()).catch(() => {});
      await context.close();
    }
  });
  return { samples };
}
