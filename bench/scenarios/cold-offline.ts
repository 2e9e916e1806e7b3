/**
 * coldOffline.ratio: a new browser process, offline, opening an app that has been used once —
 * navigation start to the first inference's answer. With Baton: the shell from the service
 * worker's precache, createRuntime (service worker mode), the model from IndexedDB into a new
 * inference worker, loaded and warmed, then `rt.run`. Without: the same shell, plain
 * onnxruntime-web in the page, the model from Cache Storage, `InferenceSession.create`, `run`.
 * Both with the real Silero VAD v5; each app has its own profile, used once online first.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type BrowserContext } from '@playwright/test';
import { serveRaw, uniqueName, type BenchEnv } from '../env.js';
import { fmt, repeat, type ScenarioOutput } from '../scenario.js';
import { WaitAborted, waitUntil } from '../wait.js';

interface AppState {
  readonly ready: boolean;
  readonly error?: string;
  readonly firstInferenceMs?: number;
}

/** Opens `url` in a browser using `profile`, waits for the app, closes the browser. */
async function visit(
  env: BenchEnv,
  profile: string,
  url: string,
  opts: { offline: boolean; app: 'app' | 'plain'; ready: (s: AppState & Record<string, unknown>) => boolean },
): Promise<AppState & Record<string, unknown>> {
  const context: BrowserContext = await chromium.launchPersistentContext(profile, { ...env.launchOptions, offline: opts.offline });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(url);
    return await waitUntil(
      async () => {
        const s = (await page.evaluate((which) => (which === 'app' ? window.app?.state() : window.plain?.state()), opts.app)) as
          (AppState & Record<string, unknown>) | undefined;
        if (s?.error) throw new WaitAborted(`${opts.app} page failed${opts.offline ? ' offline' : ''}: ${s.error}`);
        return s && opts.ready(s) ? s : undefined;
      },
      { timeoutMs: 60_000, what: `the ${opts.app} page${opts.offline ? ' (offline)' : ''}` },
    );
  } finally {
    await context.close();
  }
}

export async function coldOfflineScenario(env: BenchEnv): Promise<ScenarioOutput> {
  env.progress.section('coldOffline', 'new browser process, offline: Baton (service worker, IndexedDB, worker) vs plain ORT from Cache Storage, Silero VAD v5');
  const name = uniqueName('cold');
  await env.registry.publish(env.models.sileroV5, { name, version: '5' });
  const base = env.registry.server.url;
  const key = Buffer.from(JSON.stringify(env.registry.publicKey)).toString('base64');
  const batonUrl = `${base}/baton.html?model=${name}&manifest=${encodeURIComponent(`${env.registry.url}/${name}/manifest.json`)}&key=${encodeURIComponent(key)}&kind=silero`;
  const plainUrl = `${base}/plain.html?model=${encodeURIComponent(await serveRaw(env.registry, env.models.sileroV5))}&kind=silero&store=cache&sw=1`;

  // One profile per app, used once online: the service worker installs (shell and wasm
  // precached) and the model is stored. Every repetition is then a new browser process on it.
  const urls = { app: batonUrl, plain: plainUrl } as const;
  const profiles = { app: await mkdtemp(join(env.tmpDir, 'cold-app-')), plain: await mkdtemp(join(env.tmpDir, 'cold-plain-')) };
  for (const app of ['app', 'plain'] as const) {
    await visit(env, profiles[app], urls[app], {
      offline: false,
      app,
      ready: (s) => s.ready && (app === 'app' ? s['controlled'] === true : s['swReady'] === true),
    });
  }
  const coldStart = async (app: 'app' | 'plain') => {
    const s = await visit(env, profiles[app], urls[app], { offline: true, app, ready: (st) => st.ready });
    if (app === 'plain' && s['source'] !== 'cache') throw new Error(`the plain page read its model from ${String(s['source'])}, not Cache Storage`);
    return s;
  };

  const samples = await repeat(env, async (rep) => {
    const order = rep % 2 === 1 ? (['app', 'plain'] as const) : (['plain', 'app'] as const);
    const seen: Partial<Record<'app' | 'plain', AppState & Record<string, unknown>>> = {};
    for (const app of order) seen[app] = await coldStart(app);
    const baton = seen.app!;
    const plain = seen.plain!;
    const n = (x: unknown) => (typeof x === 'number' ? x : Number.NaN);
    const [b, p] = [baton.firstInferenceMs!, plain.firstInferenceMs!];
    env.progress.log(
      `${rep}/${env.settings.reps}: Baton ${fmt(b, 0)} ms (createRuntime resolved at ${fmt(n(baton['createdMs']), 0)}, of which session ${fmt(n(baton['loadMs']), 0)} + warm-up ${fmt(n(baton['warmupMs']), 0)}), plain ORT + Cache Storage ${fmt(p, 0)} ms (session at ${fmt(n(plain['sessionMs']), 0)}) → ×${fmt(b / p)}`,
    );
    return {
      'coldOffline.ratio': b / p,
      'coldOffline.batonMs': b,
      'coldOffline.plainMs': p,
      'coldOffline.batonCreatedMs': n(baton['createdMs']),
      'coldOffline.batonSessionMs': n(baton['loadMs']),
      'coldOffline.batonWarmupMs': n(baton['warmupMs']),
      'coldOffline.plainSessionMs': n(plain['sessionMs']),
    };
  });
  await Promise.all(Object.values(profiles).map((p) => rm(p, { recursive: true, force: true })));
  return {
    samples,
    notes: [
      "coldOffline: ms from navigation start to the first answer, in a new browser process with the network off (each app's profile used once online first); the two alternate which starts first.",
    ],
  };
}
