/**
 * Which runtime events become log entries, and how: one pure mapping, so the log says the same
 * thing whoever reads it (the dashboard, an exporter, a support ticket). Download progress is
 * reduced to its steps (started, verifying); everything else is one entry per event.
 */
import type { BatonError } from '../errors.js';
import type { RuntimeEvents } from './events.js';
import type { LogEntry } from './event-log.js';

type Entry = Omit<LogEntry, 'seq' | 'at'>;

export interface LifecycleMapper {
  entryFor<K extends keyof RuntimeEvents>(type: K, event: RuntimeEvents[K]): Entry | undefined;
}

const errorEntry = (type: string, error: BatonError, message: string, version?: string): Entry => ({
  level: 'error',
  type,
  code: error.code,
  message: `${message}: ${error.message}`,
  ...(version === undefined ? {} : { version }),
});

export function createLifecycleMapper(): LifecycleMapper {
  /** Download steps already logged, as `version:phase`. */
  const steps = new Set<string>();
  return {
    entryFor(type, event) {
      switch (type) {
        case 'progress': {
          const e = event as RuntimeEvents['progress'];
          const step = `${e.version}:${e.phase}`;
          if (steps.has(step)) return undefined;
          steps.add(step);
          if (e.phase === 'downloading') {
            return {
              level: 'info',
              type: 'download-started',
              version: e.version,
              message: `downloading ${e.version}: ${e.chunksTotal - e.chunksReused} of ${e.chunksTotal} chunks to fetch`,
              data: { bytesTotal: e.bytesTotal, chunksTotal: e.chunksTotal, chunksReused: e.chunksReused },
            };
          }
          return {
            level: 'info',
            type: 'download-verifying',
            version: e.version,
            message: `verifying ${e.version} (${e.bytesFetched} bytes fetched)`,
            data: { bytesFetched: e.bytesFetched, chunksFetched: e.chunksFetched },
          };
        }
        case 'manifest-accepted': {
          const e = event as RuntimeEvents['manifest-accepted'];
          return e.unchanged ? undefined : { level: 'info', type, message: `manifest ${e.sequence} verified and accepted`, data: { sequence: e.sequence } };
        }
        case 'version-ready': {
          const e = event as RuntimeEvents['version-ready'];
          return { level: 'info', type, version: e.version, message: `${e.version} downloaded, verified and stored` };
        }
        case 'warmed': {
          const e = event as RuntimeEvents['warmed'];
          return {
            level: 'info',
            type,
            version: e.version,
            message: `${e.version} loaded (${e.loadMs.toFixed(0)} ms) and warmed (${e.warmupMs.toFixed(0)} ms) on ${e.ep}`,
            data: { ep: e.ep, loadMs: e.loadMs, warmupMs: e.warmupMs },
          };
        }
        case 'switch': {
          const e = event as RuntimeEvents['switch'];
          return {
            level: 'info',
            type,
            version: e.to,
            message: `${e.from ?? 'nothing'} → ${e.to} (${e.ep})`,
            data: { ...(e.from ? { from: e.from } : {}), ep: e.ep },
          };
        }
        case 'released': {
          const e = event as RuntimeEvents['released'];
          return { level: 'info', type, version: e.version, message: `${e.version} drained and released` };
        }
        case 'promoted': {
          const e = event as RuntimeEvents['promoted'];
          return { level: 'info', type, version: e.version, message: `${e.version} promoted after ${e.served} healthy requests`, data: { served: e.served } };
        }
        case 'rollback': {
          const e = event as RuntimeEvents['rollback'];
          const then = e.final ? 'quarantined' : `held until ${new Date(e.retryAt ?? 0).toISOString()}, then tried again`;
          return {
            level: 'warn',
            type,
            version: e.from,
            code: e.error.code,
            message: `${e.from} rolled back: ${e.reason}; ${then}`,
            data: { reason: e.reason, final: e.final, ...(e.retryAt === undefined ? {} : { retryAt: e.retryAt }), ...e.figures },
          };
        }
        case 'quarantined': {
          const e = event as RuntimeEvents['quarantined'];
          return { level: 'warn', type, version: e.version, code: e.code, message: `${e.version} quarantined on this device (${e.code})` };
        }
        case 'drift': {
          const e = event as RuntimeEvents['drift'];
          return {
            level: 'warn',
            type,
            version: e.version,
            message: `${e.side} ${e.tensor} of ${e.version} drifted: PSI ${e.psi.toFixed(3)} ≥ ${e.threshold}`,
            data: { tensor: e.tensor, side: e.side, psi: e.psi, threshold: e.threshold },
          };
        }
        case 'load-failed': {
          const e = event as RuntimeEvents['load-failed'];
          return errorEntry(type, e.error, `${e.version} failed to load`, e.version);
        }
        case 'update-failed': {
          const e = event as RuntimeEvents['update-failed'];
          return errorEntry(type, e.error, e.version ? `update to ${e.version} failed` : 'update check failed', e.version);
        }
        case 'worker-restarted': {
          const e = event as RuntimeEvents['worker-restarted'];
          return {
            level: 'warn',
            type,
            version: e.version,
            code: e.reason.code,
            message: `worker for ${e.version} replaced (${e.cause}: ${e.reason.code})`,
            data: { cause: e.cause, serving: e.serving },
          };
        }
        case 'service-worker-unavailable': {
          const e = event as RuntimeEvents['service-worker-unavailable'];
          return errorEntry(type, e.error, 'no service worker; updates run in the page');
        }
        case 'manifest-stale': {
          const e = event as RuntimeEvents['manifest-stale'];
          return {
            level: 'warn',
            type,
            message: `the manifest is stale (${e.reason}): signed ${e.issuedAt}, expires ${e.expires}`,
            data: { reason: e.reason ?? 'expired', ageMs: e.ageMs ?? 0, ...(e.verifiedAt === undefined ? {} : { verifiedAt: e.verifiedAt }) },
          };
        }
        case 'error': {
          const e = event as RuntimeEvents['error'];
          return errorEntry(type, e.error, e.during);
        }
        default:
          return undefined;
      }
    },
  };
}
