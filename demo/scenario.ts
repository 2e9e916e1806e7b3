/**
 * The dev panel: buttons that ask the demo server to run a step of the scenario with the real
 * CLI, and "play whole scenario", which runs the steps in order and waits, on what this
 * device's runtime reports, for each to play out: v2 at 50 % → download → hot swap → trial →
 * promotion; then v2 promoted to stable and a broken v3 at 50 % → hot swap → NaN answers →
 * automatic rollback to v2 and v3 quarantined.
 */
import type { Runtime, RuntimeEvents, RuntimeStatus } from '../src/index.js';
import { API_PREFIX, PROMOTE_AFTER, type DemoState, type StepResponse } from './api.js';
import { esc } from './panels.js';

export type ScenarioPhase = 'idle' | 'running' | 'done' | 'error';

/** sessionStorage key: play the scenario once the page has reloaded onto a fresh round. */
const PLAY_AFTER_RELOAD = 'baton-demo-play-after-reload';
const STEP_TIMEOUT_MS = 90_000;

export async function fetchState(): Promise<DemoState> {
  const res = await fetch(`.${API_PREFIX}state`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`GET ${API_PREFIX}state: HTTP ${res.status}`);
  return (await res.json()) as DemoState;
}

async function post(action: 'publish-v2' | 'publish-v3' | 'reset', deviceId: string | undefined): Promise<DemoState> {
  const res = await fetch(`.${API_PREFIX}${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(deviceId ? { deviceId } : {}),
    cache: 'no-store',
  });
  const body = (await res.json()) as StepResponse;
  if (!body.ok) throw new Error(body.error);
  return body.state;
}

export interface DevPanelDeps {
  readonly rt: Runtime;
  /** The demo server's latest state (as polled by the page). */
  readonly state: () => DemoState | undefined;
  readonly setState: (s: DemoState) => void;
  /** A step was published: the chart marks it. */
  readonly onPublished: (label: string) => void;
  /** Requests of the load that were rejected so far (NaN answers not included). */
  readonly rejected: () => number;
}

export function createDevPanel(deps: DevPanelDeps) {
  const { rt } = deps;
  const status = document.getElementById('scenario-status')!;
  const buttons = [...document.querySelectorAll<HTMLButtonElement>('#dev-panel button')];
  let phase: ScenarioPhase = 'idle';
  let busy = false;

  const say = (html: string, next: ScenarioPhase = phase) => {
    phase = next;
    status.dataset['phase'] = next;
    status.innerHTML = html;
  };

  const deviceId = () => rt.status().device?.deviceId;

  /** Resolves once `pred(rt.status())` holds; rejects after `timeoutMs` saying what it waited for. */
  const waitFor = (pred: (s: RuntimeStatus) => boolean, what: string, timeoutMs = STEP_TIMEOUT_MS) =>
    new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const poll = () => {
        if (pred(rt.status())) return resolve();
        if (Date.now() - started > timeoutMs) return reject(new Error(`gave up after ${timeoutMs / 1000} s waiting for ${what}`));
        setTimeout(poll, 100);
      };
      poll();
    });

  const nextEvent = <K extends keyof RuntimeEvents>(type: K, pred: (e: RuntimeEvents[K]) => boolean) =>
    new Promise<RuntimeEvents[K]>((resolve) => {
      const off = rt.on(type, (e) => {
        if (!pred(e)) return;
        off();
        resolve(e);
      });
    });

  /** Runs one step on the server, then checks at once (the page would notice within a second anyway). */
  async function step(action: 'publish-v2' | 'publish-v3'): Promise<DemoState> {
    const state = await post(action, deviceId());
    deps.setState(state);
    deps.onPublished(action === 'publish-v2' ? 'v2 out to 50 %' : 'v3 out to 50 %');
    void rt.checkForUpdate().catch(() => {});
    return state;
  }

  async function reset(playAfter: boolean): Promise<void> {
    say('Resetting: a new model name with only v1, as a fresh install sees it…', 'running');
    await post('reset', undefined);
    if (playAfter) sessionStorage.setItem(PLAY_AFTER_RELOAD, '1');
    location.reload();
  }

  const serving = (s: RuntimeStatus) => s.serving?.version;
  const versionState = (s: RuntimeStatus, v: string) => s.device?.versions.find((r) => r.version === v)?.state;

  /** A beat for the viewer between steps (the scenario waits on states, never on time, otherwise). */
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  async function play(): Promise<void> {
    const state = deps.state();
    if (state && state.step !== 'v1') return reset(true);
    say('<b>Starting.</b> v1 (Silero VAD v5) serves ~31 requests/s from the clip. In a moment the publisher releases v2…', 'running');
    await pause(3_000);
    say('<b>Step 1 of 2.</b> Publishing v2 (Silero VAD v6, a compatible update) to 50 % of devices…');
    const rejectedBefore = deps.rejected();
    const placed = await step('publish-v2');
    const p = placed.placement;
    say(
      `<b>Step 1 of 2.</b> v2 is out to 50 % of devices${p ? `; this device's bucket ${p.bucket} is below ${p.percent * 100}, so it is in` : ''}. Downloading and verifying its chunks, then loading it beside v1…`,
    );
    await waitFor((s) => serving(s) === '2.0.0', 'v2 to take over');
    const lost = deps.rejected() - rejectedBefore;
    say(
      `<b>Hot swap.</b> v2 took over between two requests; ${lost === 0 ? 'not one request failed' : `${lost} request${lost === 1 ? '' : 's'} failed`} meanwhile. It is on trial against v1, which stays loaded until v2 has served ${PROMOTE_AFTER} healthy requests…`,
    );
    await waitFor((s) => s.rollout.promoted.includes('2.0.0'), 'v2 to be promoted on this device');
    say('<b>Promoted.</b> v2 passed its trial here; v1 was released. Next, the publisher ships a broken build…');
    await pause(4_000);
    const rolledBack = nextEvent('rollback', (e) => e.from === '3.0.0');
    say('<b>Step 2 of 2.</b> Making v2 stable for everyone, then publishing v3 — an export that answers NaN — to 50 %…');
    await step('publish-v3');
    say('<b>Step 2 of 2.</b> v3 is downloading. It loads and warms up fine (NaN is a valid float), so nothing stops it before it serves…');
    await waitFor((s) => serving(s) === '3.0.0' || versionState(s, '3.0.0') === 'quarantined', 'v3 to take over');
    const rollback = await rolledBack;
    await waitFor((s) => versionState(s, '3.0.0') === 'quarantined' && serving(s) === '2.0.0', 'v3 to be quarantined and v2 to serve again');
    const served = rollback.figures['requests'];
    const errors = rollback.figures['errors'];
    say(
      `<b>Automatic rollback.</b> v3's answers were NaN, and v2 — still loaded during v3's trial — answered each of those requests instead: no listener heard a broken one. The health gate rolled this device back to v2 (${esc(rollback.reason)}${served === undefined ? '' : `: ${errors ?? '?'} bad answers in ${served} requests`}) and quarantined v3 — it will never be downloaded or served here again. That's the whole product: staged rollout, hot swap, rollback.`,
      'done',
    );
  }

  async function guarded(work: () => Promise<void>): Promise<void> {
    if (busy) return;
    busy = true;
    refresh();
    try {
      await work();
    } catch (e) {
      say(`Stopped: ${esc((e as Error).message)}`, 'error');
    } finally {
      busy = false;
      refresh();
    }
  }

  /** Buttons enabled as the server's step and this tab's connectivity allow. */
  function refresh(online = true): void {
    if (!online && !busy && phase !== 'running') say('Offline: the app keeps serving from this device; the dev panel needs the demo server.', 'idle');
    else if (online && status.textContent?.startsWith('Offline')) say('Back online.', 'idle');
    const step = deps.state()?.step;
    for (const b of buttons) {
      const s = b.dataset['step'];
      b.disabled = busy || !online || (s === 'v2' && step !== 'v1') || (s === 'v3' && step !== 'v2');
    }
  }

  document.getElementById('play')!.addEventListener('click', () => void guarded(play));
  document.getElementById('step-v2')!.addEventListener(
    'click',
    () =>
      void guarded(async () => {
        say('Publishing v2 to 50 %…', 'running');
        await step('publish-v2');
        say('v2 published to 50 % of devices; watch the download, the swap and the trial.', 'idle');
      }),
  );
  document.getElementById('step-v3')!.addEventListener(
    'click',
    () =>
      void guarded(async () => {
        say('Promoting v2 and publishing the broken v3 to 50 %…', 'running');
        await step('publish-v3');
        say('v3 published to 50 % of devices; watch it serve NaN and roll back.', 'idle');
      }),
  );
  document.getElementById('step-reset')!.addEventListener('click', () => void guarded(() => reset(false)));

  return {
    play: () => guarded(play),
    phase: () => phase,
    refresh,
    renderTranscript(state: DemoState) {
      document.getElementById('transcript')!.innerHTML = [...state.commands]
        .reverse()
        .map((c) => `<li><div class="cmd">$ ${esc(c.command)}</div><div class="out">${esc(c.output)}</div></li>`)
        .join('');
    },
    /** After a reset the page reloads; the scenario continues if it asked to. */
    shouldPlayOnLoad(state: DemoState): boolean {
      const requested = sessionStorage.getItem(PLAY_AFTER_RELOAD) === '1';
      sessionStorage.removeItem(PLAY_AFTER_RELOAD);
      return state.step === 'v1' && (requested || (state.autoplay && sessionStorage.getItem('baton-demo-autoplayed') !== state.model));
    },
    markAutoplayed(state: DemoState) {
      sessionStorage.setItem('baton-demo-autoplayed', state.model);
    },
  };
}

export type DevPanel = ReturnType<typeof createDevPanel>;
