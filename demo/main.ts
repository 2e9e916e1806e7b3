/**
 * The demo app: Silero VAD behind Baton's runtime, a steady request load from a synthetic audio
 * clip, and a dashboard of what the runtime reports. The model name and the registry come from
 * the demo server (cached for offline starts); the public key is pinned in the bundle.
 */
import { createRuntime, otlpExporter, type Runtime } from '../src/index.js';
import type { DemoState } from './api.js';
import { createRequestsChart, createSpeechChart } from './charts.js';
import { synthesizeClip } from './clip.js';
import type { DemoHandle } from './handle.js';
import { createVadLoad, INTERVAL_MS, vadWarmup } from './load.js';
import { startMicrophone, type Microphone } from './microphone.js';
import { renderChips, renderDownload, renderDrift, renderHealth, renderLegend, renderRollout, renderShadow, renderTimeline, renderVersions } from './panels.js';
import { createDevPanel, fetchState } from './scenario.js';
import { createSeries, type MarkerKind } from './series.js';

const STATE_KEY = 'baton-demo-state';
const NOISE = 0.2;

function fail(message: string): never {
  const boot = document.getElementById('boot')!;
  boot.classList.add('error');
  boot.querySelector('.spinner')?.remove();
  document.getElementById('boot-message')!.textContent = message;
  throw new Error(message);
}

/** The server's state, or the last one this browser saw when the server cannot be reached. */
async function initialState(): Promise<{ state: DemoState; online: boolean }> {
  try {
    const state = await fetchState();
    localStorage.setItem(STATE_KEY, JSON.stringify(state));
    return { state, online: true };
  } catch {
    const cached = localStorage.getItem(STATE_KEY);
    if (cached === null) fail('The demo server cannot be reached, and this browser has not run the demo before. Start it with `npm run demo`.');
    return { state: JSON.parse(cached) as DemoState, online: false };
  }
}

async function start(): Promise<void> {
  const publicKey = __BATON_DEMO_PUBLIC_KEY__;
  if (publicKey === null) fail('This build pins no public key. Build and serve the demo with `npm run demo`.');
  let { state, online } = await initialState();
  const params = new URLSearchParams(location.search);

  let rt: Runtime;
  try {
    rt = await createRuntime({
      model: state.model,
      manifestUrl: state.manifestUrl,
      publicKeys: [publicKey],
      // WASM unless `?ep=webgpu`: onnxruntime-web's WebGPU bundle has returned wrong Silero v5
      // outputs on a software adapter (SwiftShader), and a demo must not show a wrong model.
      executionProviders: params.get('ep') === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'],
      serviceWorker: { scriptUrl: './sw.js' },
      warmup: () => vadWarmup(),
      // The next standby worker compiles onnxruntime-web's wasm: on a 2-core machine that slows
      // the live version for a moment. Not during the demo's 8-second trial (default 5 s).
      standbyRespawnDelayMs: 15_000,
      // The page also checks whenever the demo server's manifest sequence moves (see poll()).
      checkIntervalMs: 30_000,
      drift: { sampleRate: 0.1 },
      // A NaN answer is a failed run: during a trial the kept version answers it instead (the
      // listener never hears a broken v3), and it counts against v3 in its health gate.
      rejectNonFinite: true,
      ...(state.telemetryEndpoint
        ? {
            telemetry: {
              exporters: [otlpExporter({ endpoint: new URL(state.telemetryEndpoint, location.href).href, resource: { 'service.name': 'baton-demo' } })],
              intervalMs: 5_000,
            },
          }
        : {}),
    });
  } catch (e) {
    fail(`Baton could not start: ${(e as Error).message}`);
  }

  document.getElementById('boot')!.hidden = true;
  document.getElementById('dashboard')!.hidden = false;

  const series = createSeries();
  const versions: string[] = [];
  const requestsChart = createRequestsChart(document.getElementById('chart-requests')!, versions);
  const speechChart = createSpeechChart(document.getElementById('chart-speech')!);
  let rejected = 0;
  const load = createVadLoad(rt, synthesizeClip(), (sample) => {
    if (!sample.ok && sample.code !== undefined) rejected++;
    series.add(sample);
  });

  const mark = (kind: MarkerKind, label: string, version?: string) => series.mark({ at: Date.now(), kind, label, ...(version ? { version } : {}) });
  let rolledBackAt = -Infinity;
  // The switch back that a rollback makes is the rollback's own marker.
  rt.on('switch', (e) => Date.now() - rolledBackAt > 1_000 && mark('switch', `→ v${e.to}`, e.to));
  rt.on('promoted', (e) => mark('promoted', `promoted v${e.version}`, e.version));
  rt.on('rollback', (e) => {
    rolledBackAt = Date.now();
    mark('rollback', `rollback v${e.from} (${e.reason})`, e.from);
  });
  rt.on('load-failed', (e) => mark('load-failed', `v${e.version} failed to load`, e.version));
  rt.on('drift', (e) => mark('drift', `drift: ${e.side} ${e.tensor} v${e.version}`, e.version));

  const devPanel = createDevPanel({
    rt,
    state: () => state,
    setState: (s) => {
      state = s;
      devPanel.renderTranscript(s);
    },
    onPublished: (label) => mark('published', label),
    rejected: () => rejected,
  });
  devPanel.renderTranscript(state);

  const noise = document.getElementById('noise') as HTMLInputElement;
  noise.addEventListener('change', () => (load.noise = noise.checked ? NOISE : 0));
  const micButton = document.getElementById('mic') as HTMLButtonElement;
  let mic: Microphone | undefined;
  micButton.addEventListener('click', () => {
    void (async () => {
      micButton.disabled = true;
      try {
        if (mic) {
          load.stream1 = undefined;
          await mic.stop();
          mic = undefined;
        } else {
          mic = await startMicrophone();
          const source = mic;
          load.stream1 = () => source.next();
        }
        micButton.textContent = mic ? 'Back to the clip for stream 1' : 'Use the microphone for stream 1';
      } catch (e) {
        micButton.textContent = `Microphone unavailable: ${(e as Error).message}`;
      } finally {
        micButton.disabled = false;
      }
    })();
  });

  // The demo server's state: a moved sequence means a new signed manifest (check now), a new
  // model name means a reset (start over on it).
  let seenSequence = state.sequence;
  const poll = async () => {
    try {
      const next = await fetchState();
      online = true;
      if (next.model !== state.model) return location.reload();
      state = next;
      localStorage.setItem(STATE_KEY, JSON.stringify(next));
      devPanel.renderTranscript(next);
      if (next.sequence !== seenSequence) {
        seenSequence = next.sequence;
        void rt.checkForUpdate().catch(() => {});
      }
    } catch {
      online = false;
    }
    devPanel.refresh(online);
  };
  setInterval(() => void poll(), 1_000);
  devPanel.refresh(online);

  let lastSeq = -1;
  const render = () => {
    const status = rt.status();
    const metrics = rt.metrics();
    if (status.serving && !versions.includes(status.serving.version)) versions.push(status.serving.version);
    renderChips(status, state, online);
    renderVersions(status, state);
    renderRollout(status, state);
    renderDownload(metrics, state);
    renderHealth(metrics, versions);
    renderShadow(metrics, status);
    renderDrift(metrics);
    renderLegend(versions);
    const log = rt.log();
    const newest = log.at(-1)?.seq ?? -1;
    if (newest !== lastSeq) {
      lastSeq = newest;
      renderTimeline(log);
    }
    requestsChart.update(series.data());
    document.getElementById('load-stats')!.textContent =
      `${load.sent} requests of ${(1000 / INTERVAL_MS).toFixed(2)}/s, each a 32 ms frame of 4 audio streams · ${rejected} rejected · ${load.skipped} ticks skipped`;
  };
  setInterval(render, 500);
  // What the scenario is about shows at once, not at the next tick.
  let pending = false;
  const renderSoon = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  };
  for (const type of ['progress', 'switch', 'promoted', 'rollback', 'quarantined', 'load-failed', 'version-ready', 'drift'] as const) rt.on(type, renderSoon);
  setInterval(() => speechChart.update(series.speech()), 200);
  render();
  load.start();

  const handle: DemoHandle = {
    chart: () => series.data(),
    speech: () => series.speech(),
    status: () => rt.status(),
    metrics: () => rt.metrics(),
    log: () => rt.log(),
    state: () => state,
    scenario: { play: () => devPanel.play(), phase: () => devPanel.phase() },
    load: {
      sent: () => load.sent,
      skipped: () => load.skipped,
      rejected: () => rejected,
      noise(value?: number) {
        if (value !== undefined) {
          load.noise = value;
          noise.checked = value > 0;
        }
        return load.noise;
      },
    },
  };
  window.demo = handle;
  document.body.dataset['ready'] = 'true';

  if (online && devPanel.shouldPlayOnLoad(state)) {
    devPanel.markAutoplayed(state);
    void devPanel.play();
  }
}

void start();
