/**
 * The update pipeline for one device: fetch the manifest → verify it → decide which versions
 * this device wants → refuse what it cannot run → download what is missing → mark ready. It runs
 * in the service worker, or in the page when there is none; everything it touches is injected.
 *
 * Invariants:
 * - Nothing is fetched for a version before its manifest verified and its compatibility passed.
 * - A failure never changes the active version, and never marks anything ready.
 * - One check per model at a time, across tabs too (Web Locks), so two tabs download once.
 * - A check has a deadline; every request of it runs under its signal, and a check past it
 *   rejects with `timeout`, gives back the lock and leaves `inflight` (see {@link Updater.check}).
 */
import { BatonError, type BatonErrorWire } from '../errors.js';
import { createDeadline, type Deadline } from '../download/deadline.js';
import { downloadRelease, missingChunks } from '../download/download-release.js';
import { fetchManifest, type FetchedManifest } from '../download/fetch-manifest.js';
import { realTimers, type Timers } from '../download/guard.js';
import type { Sleep } from '../download/retry.js';
import { checkAllowanceMs, manifestLimits, type ResolvedDownloadSettings } from '../download/settings.js';
import { openEnvelope } from '../manifest/envelope.js';
import { parseManifestPayload } from '../manifest/schema.js';
import { markUnderKeys, parsePayloadJson, verifyManifest } from '../manifest/verify.js';
import { loadRolloutState } from '../rollout/rollout-record.js';
import { newDeviceId } from '../router/bucket.js';
import { routeDevice } from '../router/device-route.js';
import { idbChunkStore } from '../store/chunks.js';
import type { BatonDb, ModelRecord } from '../store/db.js';
import { collectGarbage } from '../store/gc.js';
import { ensureSpace, type StorageEstimator } from '../store/quota.js';
import { readReadyModel } from '../store/read-model.js';
import { activate, getModel, getVersion, listVersions, markReady, quarantine, setVersionState, updateModel } from '../store/versions.js';
import type { Manifest, Release, VersionId } from '../types.js';
import { checkCompatibility, interfaceOf } from './compat.js';
import { downloadSettings, type ModelConfig } from './config.js';
import type { CheckResultWire, ModelStatusWire, UpdateEvent } from './messages.js';

export interface UpdaterDeps {
  readonly db: BatonDb;
  readonly fetch: typeof fetch;
  readonly notify: (event: UpdateEvent) => void;
  readonly now?: () => number;
  readonly sleep?: Sleep;
  /** `navigator.storage.estimate`, where the context has it. */
  readonly estimate?: StorageEstimator;
  /** Runs `fn` holding an exclusive lock across contexts; default: Web Locks where available. */
  readonly lock?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
  /** Monotonic clock and timers of the deadlines (check, requests). Default: the real ones. */
  readonly timers?: Timers;
}

export interface Updater {
  /** Stores the app's configuration of a model (replacing any earlier one). */
  configure(config: ModelConfig): Promise<void>;
  /**
   * Checks one model for updates and downloads what its policy wants here. A call while a check
   * of the model is in flight joins it, unless that check has run longer than the manifest
   * deadline and the registry now serves another manifest than the one it works on: then it is
   * aborted (verified chunks stay) and the callers of both get the result of a fresh check.
   * Rejects with `timeout` past the check deadline.
   */
  check(model: string): Promise<CheckResultWire>;
  /** Checks every configured model; failures are reported as events, not thrown. */
  checkAll(): Promise<void>;
  /** Models with a check in progress in this context. */
  checking(): string[];
  status(model: string): Promise<ModelStatusWire>;
  /** Makes a ready version the one this device serves. */
  activate(model: string, version: VersionId): Promise<ModelStatusWire>;
  /** Never serve or fetch `version` again on this device (failed to load, or rolled back). */
  quarantine(model: string, version: VersionId, reason: BatonErrorWire): Promise<ModelStatusWire>;
  /** The bytes of a ready version (default: the active one), assembled from storage. */
  readModel(model: string, version?: VersionId): Promise<{ version: VersionId; blob: Blob }>;
}

const DEVICE_ID_KEY = 'deviceId';

/** How long an aborted check may take to record why before its lock is given back regardless. */
export const UNWIND_GRACE_MS = 2_000;

/** One run of a check, holding the model's lock: a check is one run, or more when superseded. */
interface CheckRun {
  readonly settings: ResolvedDownloadSettings;
  /** The check deadline; its signal reaches every request of the run. */
  readonly deadline: Deadline;
  readonly signal: AbortSignal;
  /** `timers.now()` when the run took the lock. */
  readonly startedAt: number;
  /** The manifest the run works on, and the ETag it came with. */
  manifest?: { readonly bytes: Uint8Array; readonly etag: string | undefined };
  /** Aborted for a newer manifest: nothing is recorded or reported, the next run answers. */
  superseded: boolean;
  done: boolean;
}

/** A check in flight for one model: what every caller awaits, and the run it is on. */
interface Flight {
  done?: Promise<CheckResultWire>;
  run?: CheckRun | undefined;
  /** A later check() is asking the registry whether the run's manifest is still current. */
  peeking: boolean;
}

export function createUpdater(deps: UpdaterDeps): Updater {
  const now = deps.now ?? Date.now;
  const chunks = idbChunkStore(deps.db, now);
  const lock = deps.lock ?? webLock;
  const timers = deps.timers ?? realTimers;
  const inflight = new Map<string, Flight>();

  async function deviceId(config: Pick<ModelConfig, 'deviceId'>): Promise<string> {
    if (config.deviceId) return config.deviceId;
    const stored = await deps.db.get('meta', DEVICE_ID_KEY);
    if (typeof stored === 'string') return stored;
    const id = newDeviceId();
    await deps.db.put('meta', id, DEVICE_ID_KEY);
    return id;
  }

  /** Versions the policy wants on this device, the one to serve first. */
  async function targets(manifest: Manifest, config: ModelConfig, quarantined: ReadonlySet<string>): Promise<Release[]> {
    // The page's own rollout decisions count here too: a pinned version is kept, and schedule
    // stages that require healthy runs open on the same count the page routes with.
    const rollout = await loadRolloutState(deps.db, manifest.name);
    const candidate = manifest.policy.candidate?.version;
    const { hold } = await routeDevice(manifest.policy, await deviceId(config), {
      quarantined,
      now: now(),
      ...(rollout.localPin === undefined ? {} : { localPin: rollout.localPin }),
      ...(candidate === undefined ? {} : { healthyRuns: rollout.healthyRuns[candidate] ?? 0 }),
    });
    // A local pin may name a version the newest manifest no longer lists: nothing to fetch then.
    return hold.flatMap((v) => manifest.versions.filter((r) => r.version === v));
  }

  async function gc(wanted: Map<string, Set<VersionId>>) {
    return collectGarbage(deps.db, chunks, wanted);
  }

  async function runCheck(model: string, run: CheckRun): Promise<CheckResultWire> {
    let record = await getModel(deps.db, model);
    const config = record.config;
    if (!config) throw new BatonError('unavailable', `model "${model}" is not configured on this device`, { model });
    try {
      // The anti-rollback mark binds only while the keys the app pins now still trust the
      // manifest that set it (see markUnderKeys); without it, the stored manifest is no basis
      // for a 304 either.
      const held = record.manifestBytes && record.accepted ? { bytes: record.manifestBytes, mark: record.accepted } : undefined;
      const lastAccepted = await markUnderKeys(held, config.publicKeys, config.threshold);
      const keysChanged = held !== undefined && lastAccepted === undefined;
      const fetched = await fetchCheckManifest(run, config.manifestUrl, lastAccepted ? record.etag : undefined, record.manifestBytes);
      const bytes = fetched.notModified ? record.manifestBytes! : fetched.bytes;
      // A 304 is re-verified too: the stored manifest may have expired since.
      const verified = await verifyManifest(bytes, {
        publicKeys: config.publicKeys,
        expectedName: config.name,
        now,
        ...(config.threshold === undefined ? {} : { threshold: config.threshold }),
        ...(lastAccepted ? { lastAccepted } : {}),
      });
      const { manifest } = verified;
      // A manifest served without an ETag drops the stored one (a stale ETag would be sent again).
      record = await updateModel(deps.db, model, ({ lastError: _cleared, etag: _previous, ...m }) => ({
        ...m,
        accepted: { sequence: manifest.sequence, payloadSha256: verified.payloadSha256 },
        manifestBytes: bytes,
        lastCheckAt: now(),
        verifiedAt: now(),
        ...(fetched.notModified ? (_previous === undefined ? {} : { etag: _previous }) : fetched.etag ? { etag: fetched.etag } : {}),
      }));
      deps.notify({
        type: 'manifest-accepted',
        model,
        sequence: manifest.sequence,
        unchanged: verified.unchanged,
        ...(keysChanged ? { keysChanged: true } : {}),
      });

      const stored = await listVersions(deps.db, model);
      const quarantined = new Set(stored.filter((v) => v.state === 'quarantined').map((v) => v.version));
      const wanted = await targets(manifest, config, quarantined);
      const expected = config.expect ?? expectedInterface(record, stored);
      const result: CheckResultWire = { model, sequence: manifest.sequence, unchanged: verified.unchanged, ready: [], failed: [] };
      for (const release of wanted) {
        if ((await getVersion(deps.db, model, release.version))?.state === 'ready') {
          result.ready.push(release.version);
          continue;
        }
        try {
          await bringReady(model, config, release, expected, run);
          result.ready.push(release.version);
        } catch (e) {
          // An aborted check fails as a whole, for its reason; the version stays as it was.
          if (run.signal.aborted) throw run.signal.reason;
          const error = toWire(e);
          result.failed.push({ version: release.version, error });
          await recordFailure(
            model,
            release,
            error,
            wanted.map((r) => r.version),
          );
          deps.notify({ type: 'update-failed', model, version: release.version, error });
        }
      }
      await gc(new Map([[model, new Set(wanted.map((r) => r.version))]]));
      return result;
    } catch (e) {
      if (run.superseded) throw e;
      const error = toWire(e);
      await updateModel(deps.db, model, (m) => ({ ...m, lastCheckAt: now(), lastError: error })).catch(() => {});
      deps.notify({ type: 'update-failed', model, error });
      throw e;
    }
  }

  /**
   * Records a version's failure. With storage full, even this small write fails, so a quota
   * failure first gives back what the unfinished download took (it cannot finish anyway), which
   * also leaves room for the record; the app must be able to see why the version never arrived.
   */
  async function recordFailure(model: string, release: Release, error: BatonErrorWire, wanted: readonly VersionId[]): Promise<void> {
    if (error.code === 'quota-exceeded') {
      const m = await getModel(deps.db, model);
      const keep = [m.active, m.previous, ...wanted.filter((v) => v !== release.version)].filter((v): v is string => !!v);
      await gc(new Map([[model, new Set(keep)]])).catch(() => {});
    }
    try {
      await setVersionState(deps.db, release, model, 'failed', now(), error);
    } catch (e) {
      // Last resort: the model record, so a later status() still names the cause.
      await updateModel(deps.db, model, (m) => ({ ...m, lastError: error })).catch(() => {});
      deps.notify({ type: 'update-failed', model, version: release.version, error: toWire(e) });
    }
  }

  async function bringReady(
    model: string,
    config: ModelConfig,
    release: Release,
    expected: ReturnType<typeof expectedInterface>,
    run: CheckRun,
  ): Promise<void> {
    checkCompatibility(release, config.runtime, expected);
    await setVersionState(deps.db, release, model, 'downloading', now());
    const { bytes: needed } = await missingChunks(release, chunks);
    const current = await getModel(deps.db, model);
    const keepOnly = new Map([[model, new Set([current.active, current.previous, release.version].filter((v): v is string => !!v))]]);
    await ensureSpace(needed, deps.estimate, () => gc(keepOnly));
    run.deadline.extend(checkAllowanceMs(run.settings, needed));
    await downloadRelease(
      release,
      { fetch: deps.fetch, chunks, timers, now, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
      {
        baseUrl: new URL('.', config.manifestUrl).href.replace(/\/$/, ''),
        settings: run.settings,
        signal: run.signal,
        onProgress: (p) => deps.notify({ type: 'progress', model, ...p }),
      },
    );
    await setVersionState(deps.db, release, model, 'verified', now());
    const becameActive = await markReady(deps.db, model, release, now());
    deps.notify({ type: 'version-ready', model, version: release.version, active: becameActive });
    if (becameActive) deps.notify({ type: 'version-activated', model, version: release.version });
  }

  /**
   * Runs a check holding the model's lock, again while a newer manifest supersedes the run; the
   * lock is given back at most {@link UNWIND_GRACE_MS} after the run is aborted.
   */
  async function runFlight(model: string, flight: Flight): Promise<CheckResultWire> {
    for (;;) {
      flight.run = undefined;
      try {
        return await lock(`baton-update:${model}`, async () => {
          const settings = downloadSettings((await getModel(deps.db, model)).config ?? {});
          const deadline = createDeadline(settings.checkDeadlineMs, timers, (ms) => {
            // Out of inflight at once: a check() from now on starts afresh (after the lock).
            if (inflight.get(model) === flight) inflight.delete(model);
            return new BatonError('timeout', `the check of "${model}" missed its ${Math.round(ms)} ms deadline`, {
              model,
              deadline: Math.round(ms),
              scope: 'check',
            });
          });
          const run: CheckRun = { settings, deadline, signal: deadline.signal, startedAt: timers.now(), superseded: false, done: false };
          flight.run = run;
          try {
            const result = await settleOnAbort(runCheck(model, run), run.signal, UNWIND_GRACE_MS, timers);
            run.signal.throwIfAborted();
            return result;
          } finally {
            run.done = true;
            deadline.clear();
          }
        });
      } catch (e) {
        if (!superseded(flight)) throw e;
      }
    }
  }

  /** The run's manifest request, under its signal; remembers what the run works on. */
  async function fetchCheckManifest(run: CheckRun, url: string, etag: string | undefined, stored: Uint8Array | undefined): Promise<FetchedManifest> {
    const fetched = await fetchManifest(url, { fetch: deps.fetch, etag, limits: manifestLimits(run.settings), signal: run.signal, timers, now });
    const bytes = fetched.notModified ? stored : fetched.bytes;
    if (bytes) run.manifest = { bytes, etag: fetched.notModified ? etag : (fetched.etag ?? undefined) };
    return fetched;
  }

  /**
   * For a check() that found one in flight: once the run has gone on longer than the manifest
   * deadline, its manifest may be stale — ask the registry (a 304 when unchanged). Another manifest
   * supersedes the run; the same one, or no answer, leaves it be: it has its own deadline.
   */
  async function peekForNewer(model: string, flight: Flight): Promise<void> {
    const run = flight.run;
    if (!run?.manifest || run.done || run.signal.aborted || flight.peeking) return;
    if (timers.now() - run.startedAt <= run.settings.manifestDeadlineMs) return;
    flight.peeking = true;
    try {
      const config = (await getModel(deps.db, model)).config;
      if (!config) return;
      const seen = run.manifest;
      const peek = await fetchManifest(config.manifestUrl, {
        fetch: deps.fetch,
        etag: seen.etag,
        limits: manifestLimits(run.settings),
        signal: run.signal,
        timers,
        now,
      });
      if (peek.notModified || sameBytes(peek.bytes, seen.bytes) || run.done) return;
      run.superseded = true;
      run.deadline.abort(new BatonError('unavailable', `the check of "${model}" was superseded by a newer manifest`, { model, superseded: true }));
    } catch {
      // No answer: the run goes on, bounded by its own deadline.
    } finally {
      flight.peeking = false;
    }
  }

  async function status(model: string): Promise<ModelStatusWire> {
    const m = await getModel(deps.db, model);
    const versions = await listVersions(deps.db, model);
    return {
      model,
      deviceId: await deviceId(m.config ?? {}),
      ...(m.manifestBytes ? { manifest: storedManifest(m.manifestBytes) } : {}),
      ...(m.active ? { active: m.active } : {}),
      ...(m.previous ? { previous: m.previous } : {}),
      ...(m.accepted ? { sequence: m.accepted.sequence } : {}),
      ...(m.lastCheckAt ? { lastCheckAt: m.lastCheckAt } : {}),
      ...(m.verifiedAt ? { verifiedAt: m.verifiedAt } : {}),
      ...(m.lastError ? { lastError: m.lastError } : {}),
      versions: versions.map((v) => ({ version: v.version, state: v.state, release: v.release, ...(v.error ? { error: v.error } : {}) })),
    };
  }

  return {
    async configure(config) {
      downloadSettings(config); // a RangeError now rather than at every check
      await updateModel(deps.db, config.name, (m) => ({ ...m, config }));
    },
    check(model) {
      const flight = inflight.get(model);
      if (flight?.done) {
        void peekForNewer(model, flight);
        return flight.done;
      }
      const started: Flight = { peeking: false };
      started.done = runFlight(model, started).finally(() => {
        if (inflight.get(model) === started) inflight.delete(model);
      });
      inflight.set(model, started);
      return started.done;
    },
    checking: () => [...inflight.keys()],
    async checkAll() {
      const models = await deps.db.getAll('models');
      await Promise.all(models.filter((m) => m.config).map((m) => this.check(m.model).catch(() => {})));
    },
    status,
    async activate(model, version) {
      const before = await getModel(deps.db, model);
      const after = await activate(deps.db, model, version);
      if (before.active !== after.active) {
        deps.notify({ type: 'version-activated', model, version, ...(after.previous ? { previous: after.previous } : {}) });
      }
      return status(model);
    },
    readModel: (model, version) => readReadyModel(deps.db, model, version),
    async quarantine(model, version, reason) {
      await quarantine(deps.db, model, version, reason, now());
      deps.notify({ type: 'version-quarantined', model, version, reason });
      return status(model);
    },
  };
}

/** The payload of manifest bytes that were verified before they were stored. */
function storedManifest(bytes: Uint8Array): Manifest {
  return parseManifestPayload(parsePayloadJson(openEnvelope(bytes).payloadBytes));
}

/** What a new version must look like: the active version's interface, once there is one. */
function expectedInterface(record: ModelRecord, stored: readonly { version: string; release: Release }[]) {
  const active = stored.find((v) => v.version === record.active);
  return active ? interfaceOf(active.release) : undefined;
}

/** `e` for the wire: storage failures are already typed (store/storage-errors.ts); anything else nothing anticipated is `internal`. */
export function toWire(e: unknown): BatonErrorWire {
  return BatonError.from(e, 'internal').toWire();
}

async function webLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  // Web Locks exist in windows, workers and service workers alike (not in Node).
  const locks = (globalThis as { navigator?: { locks?: LockManager } }).navigator?.locks;
  return locks ? ((await locks.request(name, fn)) as T) : fn();
}

/**
 * Settles as `work` does, but at most `graceMs` after `signal` aborts, then with its reason: a
 * check that does not unwind (an await that ignores the signal) must still give back its lock.
 */
function settleOnAbort<T>(work: Promise<T>, signal: AbortSignal, graceMs: number, timers: Timers): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: unknown;
    const onAbort = () => {
      timer = timers.setTimeout(() => reject(signal.reason), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => {
      timers.clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/** Whether the flight's last run was aborted for a newer manifest (read through a call: it changed behind an await). */
function superseded(flight: Flight): boolean {
  return flight.run?.superseded === true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
