/**
 * Page helpers that read and drive the app's runtime through the hook the app installs with
 * `exposeRuntimeForTests(rt, { input })` (expose.ts): status, metrics, events, update checks,
 * single requests and a recorded load. Every wait has a timeout (default: the project's
 * `expect` timeout) and says what it last saw when it gives up.
 */
import { expect, type Page } from '@playwright/test';
import type { RuntimeEvents, RuntimeMetrics, RuntimeStatus } from '../runtime/api.js';
import type { CheckResult } from '../update/messages.js';
import {
  BATON_TEST_GLOBAL,
  type AsData,
  type BatonTestHook,
  type LoadSettings,
  type PageOutcome,
  type RecordedEvent,
  type RecordedEventOf,
  type RunResult,
} from './expose.js';
import type { LoadRecord } from './expose-load.js';

/** Which exposed runtime to use: the model's name; may be left out when the app exposed one. */
export interface HookOptions {
  readonly model?: string;
}

/** A wait's options: `timeout` in ms (default: the `expect` timeout of the Playwright project). */
export interface WaitOptions extends HookOptions {
  readonly timeout?: number;
}

type HookMethod = 'status' | 'metrics' | 'events' | 'checkForUpdate' | 'run' | 'startLoad' | 'loadRecords' | 'stopLoad';

/** Calls one method of the exposed hook in the page; rejects with a clear message when there is none. */
async function callHook<M extends HookMethod>(page: Page, opts: HookOptions, method: M, arg?: unknown): Promise<Awaited<ReturnType<BatonTestHook[M]>>> {
  const outcome = await page.evaluate(
    async ([key, model, name, a]) => {
      const hooks = (globalThis as unknown as Record<string, Record<string, Record<string, (x?: unknown) => unknown>> | undefined>)[key] ?? {};
      const models = Object.keys(hooks);
      const chosen = model ?? (models.length === 1 ? models[0] : undefined);
      const hook = chosen === undefined ? undefined : hooks[chosen];
      if (hook === undefined) {
        const why =
          models.length === 0
            ? 'the app has not called exposeRuntimeForTests(rt) (yet)'
            : model === null
              ? `several models are exposed (${models.join(', ')}): pass { model }`
              : `no runtime for model ${model} (exposed: ${models.join(', ')})`;
        return { ok: false as const, error: why };
      }
      if ((hook['protocol'] as unknown) !== 1) return { ok: false as const, error: `the exposed hook speaks protocol ${String(hook['protocol'])}, this kit 1` };
      return { ok: true as const, value: await hook[name]!(a) };
    },
    [BATON_TEST_GLOBAL, opts.model ?? null, method, arg] as const,
  );
  if (!outcome.ok) throw new Error(`baton-ml/testing ${method}: ${outcome.error}`);
  return outcome.value as Awaited<ReturnType<BatonTestHook[M]>>;
}

/** Polls `probe` until `done` holds; on timeout, throws `what` with the last value seen. */
async function waitUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string, timeout: number | undefined): Promise<T> {
  let last: T | undefined;
  let lastError: unknown;
  try {
    await expect
      .poll(
        async () => {
          try {
            last = await probe();
            lastError = undefined;
            return done(last);
          } catch (e) {
            // A navigation in progress, or the app not started yet: keep polling.
            lastError = e;
            return false;
          }
        },
        timeout === undefined ? {} : { timeout },
      )
      .toBe(true);
  } catch {
    const seen = lastError !== undefined ? String((lastError as Error).message ?? lastError) : JSON.stringify(last);
    throw new Error(`baton-ml/testing: timed out waiting for ${what}; last seen: ${seen}`);
  }
  return last!;
}

/** Waits until the app has exposed its runtime (so `createRuntime` resolved). */
export async function waitForRuntime(page: Page, opts: WaitOptions = {}): Promise<AsData<RuntimeStatus>> {
  return waitUntil(
    () => callHook(page, opts, 'status'),
    () => true,
    `the app to expose its runtime${opts.model ? ` for ${opts.model}` : ''}`,
    opts.timeout,
  );
}

/** `rt.status()` of the app's runtime, as plain data. */
export function runtimeStatus(page: Page, opts: HookOptions = {}): Promise<AsData<RuntimeStatus>> {
  return callHook(page, opts, 'status');
}

/** `rt.metrics()`, as plain data. */
export function runtimeMetrics(page: Page, opts: HookOptions = {}): Promise<AsData<RuntimeMetrics>> {
  return callHook(page, opts, 'metrics');
}

/** The runtime events heard since the app exposed its runtime, in order; with `type`, of that type only. */
export async function runtimeEvents(page: Page, opts?: HookOptions): Promise<RecordedEvent[]>;
export async function runtimeEvents<K extends keyof RuntimeEvents>(page: Page, opts: HookOptions & { type: K }): Promise<RecordedEventOf<K>[]>;
export async function runtimeEvents(page: Page, opts: HookOptions & { type?: keyof RuntimeEvents } = {}): Promise<RecordedEvent[]> {
  const all = await callHook(page, opts, 'events');
  return opts.type === undefined ? all : all.filter((e) => e.type === opts.type);
}

/**
 * Waits for a runtime event of `type` (and matching `where`, if given) and returns it.
 *
 * @example
 * const rollback = await waitForRuntimeEvent(page, 'rollback', { where: (e) => e.from === '2' });
 */
export async function waitForRuntimeEvent<K extends keyof RuntimeEvents>(
  page: Page,
  type: K,
  opts: WaitOptions & { where?: (event: RecordedEventOf<K>['event']) => boolean } = {},
): Promise<RecordedEventOf<K>> {
  const find = (events: RecordedEventOf<K>[]) => events.find((e) => opts.where === undefined || opts.where(e.event));
  const events = await waitUntil(
    () => runtimeEvents(page, { ...opts, type }),
    (es) => find(es) !== undefined,
    `a ${type} event${opts.where ? ' matching the filter' : ''}`,
    opts.timeout,
  );
  return find(events)!;
}

/**
 * Waits until `version` is `ready` on the device (downloaded and verified) or `serving` (the
 * default: it answers requests). Returns the status that showed it.
 */
export function waitForVersion(page: Page, version: string, opts: WaitOptions & { state?: 'ready' | 'serving' } = {}): Promise<AsData<RuntimeStatus>> {
  const state = opts.state ?? 'serving';
  const holds = (s: AsData<RuntimeStatus>) =>
    state === 'serving'
      ? s.serving?.version === version
      : (s.device?.versions.some((v) => v.version === version && v.state === 'ready') ?? false) || s.serving?.version === version;
  return waitUntil(() => runtimeStatus(page, opts), holds, `version ${version} to be ${state}`, opts.timeout);
}

/** `rt.checkForUpdate()`: resolves after any download it starts and the switch that follows. A rejection comes back as data with its code. */
export function checkForUpdate(page: Page, opts: HookOptions = {}): Promise<PageOutcome<AsData<CheckResult>>> {
  return callHook(page, opts, 'checkForUpdate');
}

/** One request on the app's test input; the record says which version served it, or the error code. */
export function runOnce(page: Page, opts: HookOptions = {}): Promise<RunResult> {
  return callHook(page, opts, 'run');
}

/**
 * Starts a recorded load on the app's test input, until {@link stopLoad}; the records feed the
 * `expect` matchers. `mode: 'closed'` (the default): one request at a time, at most one per
 * `intervalMs` (default 10), so a slow device is not buried in a queue. `mode: 'open'`: one
 * request every `intervalMs` whatever is in flight, the rate held by the clock (a late timer
 * issues what fell due at once), as an app fed by the outside world sees it.
 */
export async function startLoad(page: Page, opts: HookOptions & LoadSettings = {}): Promise<void> {
  const settings: LoadSettings = {
    ...(opts.mode === undefined ? {} : { mode: opts.mode }),
    ...(opts.intervalMs === undefined ? {} : { intervalMs: opts.intervalMs }),
  };
  await callHook(page, opts, 'startLoad', settings);
}

/** The records of the running load so far (it keeps running), in issue order. */
export function loadRecords(page: Page, opts: HookOptions = {}): Promise<LoadRecord[]> {
  return callHook(page, opts, 'loadRecords');
}

/** Waits until the running load has recorded `count` requests matching `where` (default: any). */
export function waitForLoad(page: Page, count: number, opts: WaitOptions & { where?: (record: LoadRecord) => boolean } = {}): Promise<LoadRecord[]> {
  const matching = (rs: LoadRecord[]) => rs.filter(opts.where ?? (() => true)).length;
  return waitUntil(
    () => loadRecords(page, opts),
    (rs) => matching(rs) >= count,
    `${count} recorded requests${opts.where ? ' matching the filter' : ''}`,
    opts.timeout,
  );
}

/** Stops the load, waits for the requests in flight, and returns every record in issue order. */
export function stopLoad(page: Page, opts: HookOptions = {}): Promise<LoadRecord[]> {
  return callHook(page, opts, 'stopLoad');
}
