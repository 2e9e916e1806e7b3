/**
 * `npm run bench [-- --quick] [-- --only swap,hop] [-- --reps 5]`: Baton against what users
 * would do instead, side by side in one headless Chromium session (issue #7). Builds the bench
 * pages, writes the models, starts a signed test registry that serves both, runs every
 * scenario with progress on stderr, prints the table and writes bench/results.json.
 *
 * Exits 1 only if a scenario crashed; a figure that misses its target is reported, not fatal.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../src/testing/browser.js';
import { createTestRegistry } from '../src/testing/registry.js';
import { buildBenchPages } from './build.js';
import { FULL, QUICK, type BenchEnv, type Settings } from './env.js';
import { writeBenchModels } from './models.js';
import { createProgress } from './progress.js';
import { buildResults, detailsTable, figuresTable, toJson } from './report.js';
import type { Scenario } from './scenario.js';
import { coldOfflineScenario } from './scenarios/cold-offline.js';
import { deltaScenario } from './scenarios/delta.js';
import { downloadScenario } from './scenarios/download.js';
import { gatesScenario } from './scenarios/gates.js';
import { hopScenario } from './scenarios/hop.js';
import { memoryScenario } from './scenarios/memory.js';
import { reloadScenario } from './scenarios/reload.js';
import { storageScenario } from './scenarios/storage.js';
import { swapScenario } from './scenarios/swap.js';
import { verifyScenario } from './scenarios/verify.js';

const SCENARIOS: Record<string, Scenario> = {
  swap: swapScenario,
  reload: reloadScenario,
  hop: hopScenario,
  download: downloadScenario,
  delta: deltaScenario,
  memory: memoryScenario,
  coldOffline: coldOfflineScenario,
  verify: verifyScenario,
  gates: gatesScenario,
  storage: storageScenario,
};

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = join(ROOT, 'bench', 'results.json');

function parseArgs(argv: readonly string[]): { settings: Settings; only: string[] } {
  let settings = argv.includes('--quick') ? QUICK : FULL;
  let only = Object.keys(SCENARIOS);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new TypeError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--quick') continue;
    else if (arg === '--only') only = value().split(',');
    else if (arg === '--reps') settings = { ...settings, reps: Number(value()) };
    else throw new TypeError(`unknown argument ${arg}; use --quick, --only ${Object.keys(SCENARIOS).join(',')}, --reps <n>`);
  }
  const unknown = only.filter((s) => !(s in SCENARIOS));
  if (unknown.length > 0) throw new TypeError(`unknown scenario(s) ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}`);
  if (!(settings.reps >= 1)) throw new RangeError(`--reps must be at least 1, got ${settings.reps}`);
  return { settings, only };
}

async function main(): Promise<number> {
  const { settings, only } = parseArgs(process.argv.slice(2));
  const progress = createProgress();
  const loadBefore = loadavg()[0]!;
  progress.section('setup', `${settings.quick ? 'quick' : 'full'} run, ${settings.reps} repetitions, scenarios ${only.join(', ')}`);
  const [appDir, models] = await Promise.all([
    buildBenchPages(),
    writeBenchModels(join(ROOT, '.cache', 'bench', 'models'), { downloadMegabytes: settings.downloadMegabytes, deltaMegabytes: settings.deltaMegabytes }),
  ]);
  progress.log('pages built (dist/bench), models written (.cache/bench/models)');
  const registry = await createTestRegistry({ appDir, crossOriginIsolation: true });
  const base = chromiumLaunchOptions();
  // Without it, measureUserAgentSpecificMemory waits up to 20 s for a garbage collection.
  const launchOptions = { ...base, args: [...base.args, '--enable-blink-features=ForceEagerMeasureMemory'] };
  const browser = await chromium.launch(launchOptions);
  const tmpDir = await mkdtemp(join(tmpdir(), 'baton-bench-'));
  const env: BenchEnv = { settings, browser, launchOptions, registry, models, progress, tmpDir };
  progress.log(`Chromium ${browser.version()}, registry and pages at ${registry.server.url}`);

  const samples: Record<string, number[]> = {};
  const notes: string[] = [];
  const extra: Record<string, unknown> = {};
  const crashed: string[] = [];
  try {
    for (const name of only) {
      try {
        const out = await SCENARIOS[name]!(env);
        Object.assign(samples, out.samples);
        notes.push(...(out.notes ?? []));
        Object.assign(extra, out.extra ?? {});
      } catch (e) {
        crashed.push(`${name}: ${(e as Error)?.stack ?? String(e)}`);
        progress.log(`CRASHED: ${(e as Error)?.message ?? String(e)}`);
      }
    }
  } finally {
    await browser.close();
    await registry.dispose();
    await rm(tmpDir, { recursive: true, force: true });
  }

  const results = buildResults(
    samples,
    {
      date: new Date().toISOString(),
      mode: settings.quick ? 'quick' : 'full',
      settings,
      chromium: browser.version(),
      node: process.version,
      cpus: cpus().length,
      // The 1-minute load average before and after: above the core count, the machine was shared.
      loadAverage: { before: +loadBefore.toFixed(2), after: +loadavg()[0]!.toFixed(2) },
      durationS: Math.round(progress.elapsedS()),
      crashed,
    },
    notes,
    extra,
  );
  await writeFile(RESULTS, `${toJson(results)}\n`);
  const out = [figuresTable(results), '', detailsTable(results), '', ...notes.map((n) => `- ${n}`)];
  const load = `load average ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`;
  process.stdout.write(`\n${out.join('\n')}\n\nWritten to bench/results.json in ${Math.round(progress.elapsedS())} s (${load}).\n`);
  if (crashed.length > 0) process.stderr.write(`\n${crashed.length} scenario(s) crashed:\n${crashed.join('\n')}\n`);
  return crashed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
