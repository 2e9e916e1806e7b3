/**
 * `window.demo`: what the dashboard shows, as data, for the e2e test and for curious users in
 * the console. Types only, so the Node-side test can import them.
 */
import type { LogEntry, RuntimeMetrics, RuntimeStatus } from '../src/index.js';
import type { DemoState } from './api.js';
import type { ScenarioPhase } from './scenario.js';
import type { ChartData } from './series.js';

export interface DemoHandle {
  /** The requests chart's data: buckets, series and markers (switch, rollback, …). */
  chart(): ChartData;
  /** The model-output chart's data. */
  speech(): { t: number[]; p: (number | null)[]; level: number[] };
  status(): RuntimeStatus;
  metrics(): RuntimeMetrics;
  log(): LogEntry[];
  /** The demo server's state as last polled (or cached, offline). */
  state(): DemoState | undefined;
  scenario: { play(): Promise<void>; phase(): ScenarioPhase };
  load: { sent(): number; skipped(): number; rejected(): number; noise(value?: number): number };
}

declare global {
  interface Window {
    demo?: DemoHandle;
  }
}
