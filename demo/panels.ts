/**
 * The dashboard's panels, each a function of what the runtime reports (`rt.status()`,
 * `rt.metrics()`, `rt.log()`) and what the demo server says (`DemoState`). Pure DOM writes; the
 * elements are in index.html. Values the e2e test reads also go into data attributes.
 */
import type { LogEntry, RuntimeMetrics, RuntimeStatus } from '../src/index.js';
import { PROMOTE_AFTER, type DemoState } from './api.js';
import { versionColor } from './charts.js';

const $ = (id: string): HTMLElement => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo: #${id} is missing from index.html`);
  return el;
};

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const ms = (v: number | undefined) => (v === undefined || !Number.isFinite(v) || v === 0 ? '—' : v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(0)} ms`);
const pct = (v: number) => `${(v * 100).toFixed(v > 0 && v < 0.01 ? 2 : 1)} %`;
const bytes = (n: number) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(2)} MiB` : `${(n / 1024).toFixed(0)} KiB`);
const duration = (ms: number) => {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
};

function labelOf(state: DemoState | undefined, version: string): string {
  return state?.published.find((p) => p.version === version)?.label ?? '';
}

export function renderVersions(status: RuntimeStatus, state: DemoState | undefined): void {
  const serving = status.serving;
  const el = $('serving-version');
  el.textContent = serving ? `v${serving.version}` : 'none';
  el.dataset['version'] = serving?.version ?? '';
  $('serving-detail').textContent = serving
    ? `${labelOf(state, serving.version)} · for ${duration(serving.sinceMs)} · loaded in ${ms(serving.loadMs)}, warmed in ${ms(serving.warmupMs)}`
    : '';
  const candidate = status.device?.manifest?.policy.candidate;
  const quarantined = (v: string) => status.device?.versions.some((r) => r.version === v && r.state === 'quarantined') ?? false;
  $('candidate-version').textContent = candidate
    ? `v${candidate.version} at ${candidate.percent} % of devices${quarantined(candidate.version) ? ' — quarantined here' : ''}`
    : 'none';
  $('trial-version').textContent = status.trial ? `v${status.trial.version} against v${status.trial.baseline ?? '?'}` : 'none';
  const previous = status.fallback ?? status.device?.previous;
  $('previous-version').textContent = previous ? `v${previous}${status.fallback ? ' (kept loaded: a rollback is instant)' : ''}` : 'none';
  const w = status.worker;
  $('ep-detail').textContent =
    `${w.ep.toUpperCase()}${w.fallbackReason ? ` (${w.fallbackReason})` : ''} · ${w.wasmThreads} thread${w.wasmThreads === 1 ? '' : 's'} · onnxruntime-web ${w.onnxruntimeWeb}`;
  const rows = [...(status.device?.versions ?? [])].sort((a, b) => a.version.localeCompare(b.version, undefined, { numeric: true }));
  $('device-versions').innerHTML = rows
    .map((v) => {
      const live = v.version === serving?.version ? ' ◀ serving' : '';
      return `<tr data-version="${esc(v.version)}" data-state="${esc(v.state)}"><td>v${esc(v.version)}${live}</td><td><span class="state ${esc(v.state)}">${esc(v.state)}</span></td><td class="muted">${esc(labelOf(state, v.version))}</td></tr>`;
    })
    .join('');
}

export function renderRollout(status: RuntimeStatus, state: DemoState | undefined): void {
  const rollout = status.rollout;
  const route = status.route?.candidate;
  $('rollout-stage').textContent = rollout.phase === 'trial' && rollout.trial ? `Trial of v${rollout.trial.version}` : 'Steady';
  $('rollout-stage').dataset['phase'] = rollout.phase;
  const bucketBox = $('bucket');
  if (route) {
    bucketBox.hidden = false;
    const refused = status.device?.versions.some((r) => r.version === route.version && r.state === 'quarantined');
    $('rollout-candidate').textContent = `Candidate v${route.version} is rolled out to ${route.percent} % of devices.${
      refused ? ' This device rolled it back and quarantined it: it will never be fetched or served here again.' : ''
    }`;
    $('bucket-fill').style.width = `${route.percent}%`;
    $('bucket-marker').style.left = `${route.bucket / 100}%`;
    const bucket = $('rollout-bucket');
    bucket.innerHTML = `This device's bucket: <b>${route.bucket.toLocaleString('en')}</b> of 10 000 — ${
      route.inside
        ? `<b class="state ok">inside</b> (below ${(route.percent * 100).toLocaleString('en')})`
        : `<b class="state warn">outside</b> (not below ${(route.percent * 100).toLocaleString('en')})`
    }.`;
    bucket.dataset['bucket'] = String(route.bucket);
    bucket.dataset['inside'] = String(route.inside);
    const placement = state?.placement?.version === route.version ? state.placement : undefined;
    $('rollout-fleet').textContent = placement
      ? `With one device, a ${route.percent} % rollout would include it half the time: the demo server picked the salt for which this device is inside. Under the same salt, ${placement.fleetInside} of ${placement.fleetSize} simulated devices are.`
      : '';
  } else {
    bucketBox.hidden = true;
    $('rollout-candidate').textContent = 'No candidate: every device serves the stable version.';
    $('rollout-bucket').textContent = '';
    $('rollout-fleet').textContent = '';
  }
  const trial = status.trial;
  $('trial').hidden = !trial;
  if (trial) {
    const errors = trial.failed > 0 ? `, ${trial.failed} failed` : '';
    $('trial-text').textContent = `v${trial.version}: ${trial.served} of ${PROMOTE_AFTER} healthy requests to promotion${errors}`;
    $('trial-fill').style.width = `${Math.min(100, (100 * trial.served) / PROMOTE_AFTER)}%`;
  }
  const decisions = rollout.decisions.slice(-3).reverse();
  $('rollout-decisions').innerHTML = decisions.length
    ? `Decided here: ${decisions.map((d) => `<span class="state ${d.kind === 'promoted' ? 'ok' : 'bad'}">${esc(d.kind)} v${esc(d.version)}</span>${d.reason ? ` <span class="muted">(${esc(d.reason)})</span>` : ''}`).join(' · ')}`
    : '';
}

export function renderDownload(metrics: RuntimeMetrics, state: DemoState | undefined): void {
  const d = metrics.downloads.at(-1);
  if (!d) {
    $('download-title').textContent = 'Nothing downloaded in this tab yet';
    $('download-fill').style.width = '0';
    $('download-detail').textContent = 'v1 came with the first load (or from storage).';
  } else {
    const done = d.bytesTotal > 0 ? d.bytesFetched / d.bytesTotal : 0;
    const fraction = d.state === 'done' ? 1 : (d.chunksFetched + d.chunksReused) / Math.max(1, d.chunksTotal);
    $('download-title').textContent = `v${d.version}: ${d.state === 'running' ? 'downloading' : d.state}`;
    $('download-fill').style.width = `${(100 * fraction).toFixed(1)}%`;
    $('download-detail').textContent =
      `${bytes(d.bytesFetched)} fetched of ${bytes(d.bytesTotal)} (${(100 * done).toFixed(0)} %) · ${d.chunksFetched} chunks fetched, ${d.chunksReused} reused of ${d.chunksTotal}` +
      (d.state === 'running' ? '' : ` · ${(d.durationMs / 1000).toFixed(2)} s`) +
      (d.errorCode ? ` · ${d.errorCode}` : '') +
      (state?.chunkDelayMs ? ` (the demo server holds each chunk ${state.chunkDelayMs} ms, as a slower network would)` : '');
  }
  const t = metrics.telemetry[0];
  const received = state?.telemetryReceived;
  $('telemetry').textContent = t
    ? `OTLP exporter: ${t.sent} sent, ${t.failed} failed, ${t.dropped} dropped, ${t.queued} queued` +
      (received ? ` · the demo server's collector holds ${received.logs} log and ${received.metrics} metric payloads` : '')
    : 'No exporter (the server has no collector).';
}

export function renderHealth(metrics: RuntimeMetrics, versions: string[]): void {
  $('health').innerHTML = metrics.versions
    .map((v) => {
      const rate = v.errorRate;
      const cls = rate === 0 ? 'ok' : rate < 0.05 ? 'warn' : 'bad';
      return `<tr data-version="${esc(v.version)}" data-error-rate="${rate}"><td><i style="background:${versionColor(v.version, versions)}" class="dot"></i> v${esc(v.version)}${v.arm ? ` (${esc(v.arm)})` : ''}</td><td>${esc(v.ep)}</td><td>${v.requests}</td><td>${v.errors}</td><td><span class="state ${cls}">${pct(rate)}</span></td><td>${ms(v.latencyMs.p50)}</td><td>${ms(v.latencyMs.p95)}</td><td>${ms(v.latencyMs.p99)}</td><td>${v.throughput.toFixed(1)}</td></tr>`;
    })
    .join('');
}

export function renderShadow(metrics: RuntimeMetrics, status: RuntimeStatus): void {
  const rows = metrics.shadow;
  const el = $('shadow');
  if (rows.length === 0) {
    const inside = status.route?.candidate?.inside;
    el.innerHTML = `No shadow run on this device${inside ? ': it is inside the rollout, so it serves the candidate instead of shadowing it' : ''}. A candidate published with <code>--shadow</code> runs unseen on devices outside the rollout, and its agreement with the live answers is judged before any of them serves it.`;
    return;
  }
  el.innerHTML = `<table class="mini"><thead><tr><th>Version</th><th>Runs</th><th>Agreed</th><th>p50</th></tr></thead><tbody>${rows
    .map((s) => `<tr><td>v${esc(s.version)}</td><td>${s.runs}</td><td>${pct(s.agreement)}</td><td>${ms(s.latencyMs.p50)}</td></tr>`)
    .join('')}</tbody></table>`;
}

export function renderDrift(metrics: RuntimeMetrics): void {
  // The demo's releases carry a reference profile of the audio input only (demo/server/profile.ts).
  const rows = metrics.drift.filter((d) => d.reference !== undefined);
  $('drift').innerHTML = rows.length
    ? rows
        .map((d) => {
          const badge =
            d.psi === undefined
              ? '<span class="state">gathering</span>'
              : d.drifted
                ? '<span class="state bad">drift</span>'
                : d.psi >= 0.1
                  ? '<span class="state warn">watch</span>'
                  : '<span class="state ok">stable</span>';
          return `<tr data-version="${esc(d.version)}" data-tensor="${esc(d.tensor)}" data-drifted="${d.drifted}"><td>v${esc(d.version)}</td><td>${esc(d.side)} <code>${esc(d.tensor)}</code></td><td>${d.n.toLocaleString('en')}</td><td>${d.mean.toFixed(3)} ± ${d.std.toFixed(3)}</td><td>${d.reference ? `${d.reference.mean.toFixed(3)} ± ${d.reference.std.toFixed(3)}` : '<span class="muted">no profile</span>'}</td><td>${d.psi === undefined ? '—' : d.psi.toFixed(3)}</td><td>${badge}</td></tr>`;
        })
        .join('')
    : '<tr><td colspan="7" class="muted">Sampling inputs (10 % of requests)…</td></tr>';
}

/** A rollback's figures, e.g. `errors 20, requests 20, errorRate 1`, rounded. */
function figures(data: Readonly<Record<string, number | string | boolean>>): string {
  return Object.entries(data)
    .filter(([k]) => k !== 'reason')
    .map(([k, v]) => `${k} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(v < 1 ? 3 : 1) : String(v)}`)
    .join(', ');
}

const GOOD = new Set(['switch', 'promoted', 'warmed', 'version-ready', 'download-finished', 'released']);

export function renderTimeline(entries: readonly LogEntry[]): void {
  const time = (at: number) => new Date(at).toLocaleTimeString('en-GB', { hour12: false }) + `.${String(at % 1000).padStart(3, '0')}`;
  $('timeline').innerHTML = [...entries]
    .reverse()
    .slice(0, 80)
    .map((e) => {
      const cls = e.level === 'error' ? 'error' : e.level === 'warn' ? 'warn' : GOOD.has(e.type) ? 'good' : '';
      return `<li class="${cls}" data-type="${esc(e.type)}" data-version="${esc(e.version ?? '')}" data-seq="${e.seq}"><span class="when">${time(e.at)}</span><span class="type">${esc(e.type)}</span>${
        e.version ? ` v${esc(e.version)}` : ''
      }${e.code ? ` <code>${esc(e.code)}</code>` : ''}<span class="msg">${esc(e.message)}${e.type === 'rollback' && e.data ? ` — ${esc(figures(e.data))}` : ''}</span></li>`;
    })
    .join('');
}

export function renderChips(status: RuntimeStatus | undefined, state: DemoState | undefined, online: boolean): void {
  const net = $('chip-net');
  net.textContent = online ? 'server reachable' : 'offline';
  net.className = `chip ${online ? 'good' : 'bad'}`;
  const sw = $('chip-sw');
  const controlled = !!navigator.serviceWorker?.controller;
  sw.textContent = controlled ? 'service worker: in control' : 'service worker: installing';
  sw.className = `chip ${controlled ? 'good' : ''}`;
  const model = $('chip-model');
  model.textContent = status ? `model ${status.model}${state ? ` · round ${state.round}` : ''}` : 'model…';
  $('foot-device').textContent = status?.device ? `device id ${status.device.deviceId}` : '';
}

export function renderLegend(versions: string[]): void {
  $('chart-legend').innerHTML = versions.map((v) => `<span><i style="background:${versionColor(v, versions)}"></i>v${esc(v)} serving</span>`).join('');
}
