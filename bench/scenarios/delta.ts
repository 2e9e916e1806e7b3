/**
 * delta.ratio: the bytes a device fetches (manifest and chunks, as the server counted them) for
 * an update that changes 5 % of a large model's weights, ÷ the new version's size. Three kinds
 * of update (bench/models.ts): one layer retrained (the figure), 5 % of every layer changed, and
 * one layer retrained with a byte shift in front. Then, in Node, what smaller fixed chunks and
 * content-defined chunking would fetch for the same files.
 */
import { stat } from 'node:fs/promises';
import { comparisonTable, compareChunkings } from '../chunking/compare.js';
import { openPage, uniqueName, type BenchEnv } from '../env.js';
import { DELTA_CASES, type DeltaCase } from '../models.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { withTimeout } from '../wait.js';

const KEY: Record<DeltaCase, string> = { layer: 'delta.ratio', spread: 'delta.spreadRatio', shifted: 'delta.shiftedRatio' };

async function deltaOnce(env: BenchEnv, c: DeltaCase): Promise<{ bytes: number; size: number }> {
  const name = uniqueName(`delta-${c}`);
  await env.registry.publish(env.models.layeredV1, { name, version: '1' });
  const { context, page } = await openPage(env);
  try {
    await page.evaluate(() => window.bench.updates.connect('sw'));
    await page.evaluate((a) => window.bench.updates.configure(a.name, a.manifestUrl, a.publicKey), {
      name,
      manifestUrl: `${env.registry.url}/${name}/manifest.json`,
      publicKey: env.registry.publicKey,
    });
    const check = async (version: string) => {
      const r = await withTimeout(
        page.evaluate((n) => window.bench.updates.check(n), name),
        300_000,
        `downloading ${name} v${version}`,
      );
      if ('error' in r || !r.ready.includes(version)) throw new Error(`${name} v${version} is not ready: ${JSON.stringify(r)}`);
    };
    await check('1');
    await env.registry.publish(env.models.layeredV2[c], { name, version: '2' });
    const path = `/registry/${name}/**`;
    const before = env.registry.server.requests({ path }).length;
    await check('2');
    const bytes = env.registry.server
      .requests({ path })
      .slice(before)
      .reduce((n, r) => n + r.bytesSent, 0);
    return { bytes, size: (await stat(env.models.layeredV2[c])).size };
  } finally {
    await page.evaluate(() => window.bench.updates.close()).catch(() => {});
    await context.close();
  }
}

export async function deltaScenario(env: BenchEnv): Promise<ScenarioOutput> {
  env.progress.section('delta', `${env.settings.deltaMegabytes} MiB layered model, v1 on the device, then v2 changing 5 % of the weights`);
  const samples = await repeat(env, async (rep) => {
    const out: Record<string, number> = {};
    // The other cases fetch exactly the same bytes every time: once is enough.
    for (const c of rep === 1 && env.settings.deltaAllCases ? (Object.keys(DELTA_CASES) as DeltaCase[]) : ['layer' as const]) {
      const { bytes, size } = await deltaOnce(env, c);
      out[KEY[c]] = bytes / size;
      env.progress.log(`${rep}/${env.settings.reps} ${c}: fetched ${fmt(bytes / 2 ** 20, 1)} of ${fmt(size / 2 ** 20, 1)} MiB (×${fmt(bytes / size, 3)})`);
    }
    return out;
  });
  env.progress.log('comparing chunkings on the same files (Node)…');
  const chunking = await compareChunkings(env.models.layeredV1, env.models.layeredV2);
  const table = comparisonTable(chunking);
  return {
    samples,
    notes: [
      `delta: ${Object.entries(DELTA_CASES)
        .map(([c, what]) => `${c} = ${what}`)
        .join('; ')}. delta.ratio is "layer", measured every repetition; spread and shifted (deterministic) once.`,
      `delta, what other chunkings would fetch (share of the new version's size; same files, computed in Node):\n\n${table}\n`,
    ],
    extra: { chunking },
  };
}
