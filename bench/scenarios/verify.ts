/**
 * verify.MBps: SHA-256 verification throughput of Baton's own code (each 4 MiB chunk hashed as
 * fetchChunk does, then verifyAssembled: the file reassembled from its chunk Blobs and hashed
 * whole), next to verify.digestMBps, one crypto.subtle.digest over the same bytes in one buffer
 * (the practical ceiling). In the page, on the same buffer, alternating which runs first.
 */
import { openPage, type BenchEnv } from '../env.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { withTimeout } from '../wait.js';

const CHUNK = 4 * 1024 * 1024;

export async function verifyScenario(env: BenchEnv): Promise<ScenarioOutput> {
  const mb = env.settings.verifyMegabytes;
  env.progress.section('verify', `${mb} MiB: Baton's chunk hashes + verifyAssembled vs one crypto.subtle.digest`);
  const { context, page } = await openPage(env);
  try {
    const samples = await repeat(env, async (rep) => {
      const t = await withTimeout(
        page.evaluate((o) => window.bench.measureVerify(o), { megabytes: mb, chunkBytes: CHUNK, digestFirst: rep % 2 === 1 }),
        120_000,
        'the hashing',
      );
      const MB = t.bytes / 1e6;
      const rate = (ms: number) => MB / (ms / 1000);
      const baton = rate(t.chunksMs + t.assembledMs);
      env.progress.log(
        `${rep}/${env.settings.reps}: Baton ${fmt(baton, 0)} MB/s (chunks ${fmt(rate(t.chunksMs), 0)} MB/s, assembled file ${fmt(rate(t.assembledMs), 0)} MB/s); one digest ${fmt(rate(t.digestMs), 0)} MB/s`,
      );
      return {
        'verify.MBps': baton,
        'verify.digestMBps': rate(t.digestMs),
        'verify.chunksMBps': rate(t.chunksMs),
        'verify.assembledMBps': rate(t.assembledMs),
      };
    });
    return {
      samples,
      notes: [
        "verify: MB/s = 10^6 bytes per second; Baton hashes every byte twice (per chunk on arrival, then the whole file), so its rate is about half the digest's at best.",
      ],
    };
  } finally {
    await context.close();
  }
}
