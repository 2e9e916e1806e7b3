/**
 * The page's side of the service worker: registers it, sends it requests with a reply port and
 * a timeout (a request that never settles is the bug to avoid), and relays its broadcast events.
 * Model bytes are read straight from IndexedDB, so they load with no service worker in control
 * and no network at all.
 */
import { BatonError } from '../errors.js';
import { openBatonDb, type BatonDb } from '../store/db.js';
import { readReadyModel } from '../store/read-model.js';
import type { VersionId } from '../types.js';
import type { ModelConfig } from './config.js';
import { openEventChannel } from './event-channel.js';
import {
  checkResultFromWire,
  PERIODIC_SYNC_TAG,
  statusFromWire,
  type CheckResult,
  type CheckResultWire,
  type ModelStatus,
  type ModelStatusWire,
  type SwPing,
  type SwReply,
  type SwRequest,
  type UpdateEvent,
} from './messages.js';

export interface UpdateClient {
  configure(config: ModelConfig): Promise<void>;
  /** Resolves when the check (and any download it started) has finished. */
  check(model: string): Promise<CheckResult>;
  status(model: string): Promise<ModelStatus>;
  activate(model: string, version: VersionId): Promise<ModelStatus>;
  quarantine(model: string, version: VersionId, reason: BatonError): Promise<ModelStatus>;
  /** A ready version's bytes (default: the active one), from storage. */
  readModel(model: string, version?: VersionId): Promise<{ version: VersionId; bytes: Uint8Array<ArrayBuffer> }>;
  /** State the page keeps per device (rollout, event log), straight in IndexedDB's `meta` store. */
  readMeta(key: string): Promise<unknown>;
  writeMeta(key: string, value: unknown): Promise<void>;
  /** Subscribes to update events from every context of the origin; returns the unsubscribe. */
  on(listener: (event: UpdateEvent) => void): () => void;
  close(): void;
}

export interface ConnectOptions {
  /** URL of the app's service worker script (which calls installBaton). */
  readonly scriptUrl: string;
  readonly scope?: string;
  /** Reply timeout for quick requests (configure, status, activate). Default 10 s. */
  readonly requestTimeoutMs?: number;
  /**
   * Reply timeout for a check, which may download a model. Default: none of its own — the
   * heartbeat below notices a worker that stopped, and the service worker ends a check at its
   * own deadline (`download.checkDeadlineMs`, which grows with the download), so every check
   * settles; a page timeout shorter than that would give up on a download that is going fine.
   */
  readonly checkTimeoutMs?: number;
  /**
   * While a check runs, the page asks the worker this often whether it is still running it. The
   * browser may stop a service worker at any time, taking the check with it and leaving no
   * trace (no port 'close' event); the page then asks again, and the new worker resumes from the
   * chunks already verified. Default 2 s.
   */
  readonly heartbeatMs?: number;
  readonly dbName?: string;
  /**
   * Also check in the background while no page is open, where the browser offers Periodic
   * Background Sync (Chromium, for an installed PWA with the permission). The browser decides
   * the real interval; this is the minimum asked for.
   */
  readonly periodicSyncMinIntervalMs?: number;
}

/** Interruptions in a row, with no chunk stored in between, after which a check gives up. */
export const MAX_IDLE_INTERRUPTIONS = 3;

export async function connectServiceWorker(opts: ConnectOptions): Promise<UpdateClient> {
  const container = navigator.serviceWorker;
  if (!container) throw new BatonError('unavailable', 'service workers are not available in this context (insecure origin or private mode?)');
  const registration = await container.register(opts.scriptUrl, opts.scope === undefined ? {} : { scope: opts.scope });
  const worker = await activeWorker(registration, opts.requestTimeoutMs ?? 10_000);
  // Best effort: without persistence the browser may evict the model under storage pressure.
  void navigator.storage?.persist?.().catch(() => false);
  if (opts.periodicSyncMinIntervalMs !== undefined) {
    // Not in TypeScript's DOM library yet; absent outside Chromium. Refusal is normal (not installed).
    const sync = (registration as { periodicSync?: { register(tag: string, o: { minInterval: number }): Promise<void> } }).periodicSync;
    void sync?.register(PERIODIC_SYNC_TAG, { minInterval: opts.periodicSyncMinIntervalMs }).catch(() => {});
  }
  const events = openEventChannel();
  let db: Promise<BatonDb> | undefined;
  const openDb = () => (db ??= openBatonDb(opts.dbName));

  const request = <T>(message: SwRequest, timeoutMs = opts.requestTimeoutMs ?? 10_000): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const { port1, port2 } = new MessageChannel();
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            port1.close();
            reject(new BatonError('unavailable', `service worker did not answer "${message.type}" within ${timeoutMs} ms`));
          }, timeoutMs)
        : undefined;
      port1.onmessage = (e: MessageEvent<SwReply<T>>) => {
        clearTimeout(timer);
        port1.close();
        if (e.data.ok) resolve(e.data.value);
        else reject(BatonError.from(e.data.error, 'unavailable', 'the service worker answered with an error Baton does not know'));
      };
      // The registration's active worker, not navigator.serviceWorker.controller: the page
      // may not be controlled yet (first visit) and still needs its updates.
      (registration.active ?? worker).postMessage(message, [port2]);
    });

  /** One attempt; rejects with details.interrupted when the worker lost the check. */
  const checkOnce = (model: string) =>
    new Promise<CheckResult>((resolve, reject) => {
      let missed = 0;
      const heartbeat = setInterval(() => {
        request<SwPing>({ type: 'ping' }).then(
          (ping) => {
            // Twice in a row, so a reply already on its way is not mistaken for a lost check.
            missed = ping.checking.includes(model) ? 0 : missed + 1;
            if (missed >= 2) settle(() => reject(new BatonError('unavailable', 'the service worker stopped during the check', { interrupted: true })));
          },
          (e: unknown) => settle(() => reject(e)),
        );
      }, opts.heartbeatMs ?? 2_000);
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(heartbeat);
        fn();
      };
      request<CheckResultWire>({ type: 'check', model }, opts.checkTimeoutMs ?? Infinity).then(
        (r) => settle(() => resolve(checkResultFromWire(r))),
        (e: unknown) => settle(() => reject(e)),
      );
    });

  // Verified chunks stored per model, as the progress events tell: how a resumed check shows
  // that it gets somewhere.
  const stored = new Map<string, number>();
  events.on((e) => {
    if (e.type === 'progress' && (e.chunksFetched > 0 || e.phase === 'verifying')) stored.set(e.model, (stored.get(e.model) ?? 0) + 1);
  });

  return {
    configure: (config) => request({ type: 'configure', config }),
    async check(model) {
      // However often the browser stops the worker, a check that stores chunks between two stops
      // is resumed (the next worker fetches only what is missing); one that stops again and
      // again with nothing stored in between is given up with the interruption as its error.
      let idle = 0;
      for (;;) {
        const before = stored.get(model) ?? 0;
        try {
          return await checkOnce(model);
        } catch (e) {
          const interrupted = e instanceof BatonError && e.code === 'unavailable' && e.details?.['interrupted'] === true;
          if (!interrupted) throw e;
          idle = (stored.get(model) ?? 0) > before ? 0 : idle + 1;
          if (idle >= MAX_IDLE_INTERRUPTIONS) throw e;
        }
      }
    },
    status: (model) => request<ModelStatusWire>({ type: 'status', model }).then(statusFromWire),
    activate: (model, version) => request<ModelStatusWire>({ type: 'activate', model, version }).then(statusFromWire),
    quarantine: (model, version, reason) => request<ModelStatusWire>({ type: 'quarantine', model, version, reason: reason.toWire() }).then(statusFromWire),
    async readModel(model, version) {
      const { version: found, blob } = await readReadyModel(await openDb(), model, version);
      return { version: found, bytes: new Uint8Array(await blob.arrayBuffer()) };
    },
    readMeta: async (key) => (await openDb()).get('meta', key),
    writeMeta: async (key, value) => void (await (await openDb()).put('meta', value, key)),
    on: (listener) => events.on(listener),
    close() {
      events.close();
      void db?.then((d) => d.close());
    },
  };
}

function activeWorker(registration: ServiceWorkerRegistration, timeoutMs: number): Promise<ServiceWorker> {
  if (registration.active) return Promise.resolve(registration.active);
  const pending = registration.installing ?? registration.waiting;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new BatonError('unavailable', `service worker did not activate within ${timeoutMs} ms`)), timeoutMs);
    const done = () => {
      if (!registration.active) return;
      clearTimeout(timer);
      resolve(registration.active);
    };
    pending?.addEventListener('statechange', () => {
      if (pending.state === 'redundant') {
        clearTimeout(timer);
        reject(new BatonError('unavailable', 'service worker failed to install'));
      } else done();
    });
    done();
  });
}
