/**
 * The dashboard's two uPlot charts: requests (throughput, latency p50/p95, failed answers, the
 * serving version as a coloured strip, and a vertical marker for each switch, promotion and
 * rollback), and the speech probability the model returns for one of the audio streams.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData, MarkerKind } from './series.js';

const MARKER_COLORS: Record<MarkerKind, string> = {
  published: '#8aa4ff',
  switch: '#35c46a',
  promoted: '#2fa4a0',
  rollback: '#ff5a5f',
  quarantined: '#ff5a5f',
  'load-failed': '#ff5a5f',
  drift: '#f0a030',
  reset: '#a0a0a0',
};

const VERSION_COLORS = ['#5b8def', '#35c46a', '#ff5a5f', '#f0a030', '#b07cff'];

/** A stable colour per version, in order of first appearance. */
export function versionColor(version: string, known: string[]): string {
  let i = known.indexOf(version);
  if (i === -1) i = known.push(version) - 1;
  return VERSION_COLORS[i % VERSION_COLORS.length]!;
}

const AXIS = { stroke: '#9fb0d0', grid: { stroke: 'rgba(159,176,208,0.12)' }, ticks: { stroke: 'rgba(159,176,208,0.2)' } };

function size(el: HTMLElement, height: number) {
  return { width: Math.max(320, el.clientWidth), height };
}

export function createRequestsChart(el: HTMLElement, versions: string[]) {
  let current: ChartData | undefined;
  // Markers and the version strip are drawn over the plot after each redraw.
  const drawOverlay = (u: uPlot) => {
    if (!current) return;
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    // The serving versions: a strip along the bottom of the plot, each second split between the
    // versions that served in it, in proportion.
    const strip = 6 * devicePixelRatio;
    current.served.forEach((byVersion, i) => {
      const x0 = u.valToPos(current!.t[i]!, 'x', true);
      const x1 = i + 1 < current!.t.length ? u.valToPos(current!.t[i + 1]!, 'x', true) : x0 + 2;
      const total = Object.values(byVersion).reduce((a, b) => a + b, 0);
      let x = x0;
      for (const [v, n] of Object.entries(byVersion).sort(([a], [b]) => versions.indexOf(a) - versions.indexOf(b))) {
        const w = ((x1 - x0) * n) / total;
        ctx.fillStyle = versionColor(v, versions);
        ctx.fillRect(x, top + height - strip, Math.max(1, w), strip);
        x += w;
      }
    });
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    // Each label takes the first of five rows where it overlaps no label placed before it.
    const rows: [number, number][][] = [[], [], [], [], []];
    const gap = 3 * devicePixelRatio;
    for (const m of current.markers) {
      const x = Math.round(u.valToPos(m.at / 1000, 'x', true));
      if (x < left || x > left + width) continue;
      ctx.strokeStyle = MARKER_COLORS[m.kind];
      ctx.lineWidth = (m.kind === 'switch' || m.kind === 'rollback' ? 2 : 1) * devicePixelRatio;
      ctx.setLineDash(m.kind === 'published' || m.kind === 'drift' ? [4 * devicePixelRatio, 3 * devicePixelRatio] : []);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height - strip);
      ctx.stroke();
      // Near the right edge (where the newest markers are), the label goes left of its line.
      const w = ctx.measureText(m.label).width;
      const x0 = x + gap + w > left + width ? x - gap - w : x + gap;
      const row = Math.max(
        0,
        rows.findIndex((r) => r.every(([a, b]) => x0 + w + gap < a || x0 > b + gap)),
      );
      rows[row]!.push([x0, x0 + w]);
      ctx.fillStyle = MARKER_COLORS[m.kind];
      ctx.fillText(m.label, x0, top + (3 + row * 14) * devicePixelRatio);
    }
    ctx.restore();
  };

  const u = new uPlot(
    {
      ...size(el, 260),
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      // A fixed 60 s window ending now, that scrolls: the newest markers are in it even before
      // the second they fall in is complete.
      scales: {
        x: { time: true, range: () => [Date.now() / 1000 - 60, Date.now() / 1000] },
        rps: { range: (_u, _min, max) => [0, Math.max(50, max * 1.6)] },
        ms: { range: (_u, _min, max) => [0, Math.max(5, (max ?? 0) * 1.2)] },
      },
      axes: [
        { ...AXIS },
        { ...AXIS, scale: 'rps', label: 'requests/s', labelSize: 18, size: 46 },
        { ...AXIS, scale: 'ms', side: 1, label: 'latency (ms)', labelSize: 18, size: 46, grid: { show: false } },
      ],
      series: [
        {},
        { label: 'throughput (req/s)', scale: 'rps', stroke: '#5b8def', width: 2, fill: 'rgba(91,141,239,0.10)' },
        { label: 'p50 (ms)', scale: 'ms', stroke: '#35c46a', width: 1.5 },
        { label: 'p95 (ms)', scale: 'ms', stroke: '#f0a030', width: 1.5 },
        { label: 'failed or NaN (/s)', scale: 'rps', stroke: '#ff5a5f', width: 2, fill: 'rgba(255,90,95,0.25)' },
        { label: 'answered by the kept version (/s)', scale: 'rps', stroke: '#b06ef0', width: 2, fill: 'rgba(176,110,240,0.20)' },
      ],
      hooks: { draw: [drawOverlay] },
    },
    [[], [], [], [], [], []],
    el,
  );
  addEventListener('resize', () => u.setSize(size(el, 260)));
  return {
    update(data: ChartData) {
      current = data;
      u.setData([data.t, data.rps, data.p50, data.p95, data.errors, data.rescued]);
    },
  };
}

export function createSpeechChart(el: HTMLElement) {
  const u = new uPlot(
    {
      ...size(el, 150),
      cursor: { drag: { x: false, y: false } },
      legend: { live: false },
      scales: { x: { time: true }, p: { range: [0, 1] }, level: { range: [0, 0.5] } },
      axes: [{ ...AXIS }, { ...AXIS, scale: 'p', label: 'P(speech)', labelSize: 18, size: 46 }],
      series: [
        {},
        { label: 'input level (RMS)', scale: 'level', stroke: 'rgba(159,176,208,0.6)', width: 1, fill: 'rgba(159,176,208,0.12)' },
        { label: 'speech probability, stream 1', scale: 'p', stroke: '#ffcc33', width: 2 },
      ],
    },
    [[], [], []],
    el,
  );
  addEventListener('resize', () => u.setSize(size(el, 150)));
  return {
    update(d: { t: number[]; p: (number | null)[]; level: number[] }) {
      u.setData([d.t, d.level, d.p]);
    },
  };
}
