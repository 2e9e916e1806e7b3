import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { INITIAL_ROLLOUT } from '../rollout/reduce.js';
import type { Slot } from './slot.js';
import { projectStatus, type StatusParts } from './status.js';

const slot = (version: string) => ({ version, load: { ep: 'wasm', loadMs: 12, warmupMs: 3 } }) as unknown as Slot;
const parts = (over: Partial<StatusParts> = {}): StatusParts => ({
  model: 'mlp',
  live: undefined,
  since: 0,
  preparing: undefined,
  fallback: undefined,
  target: undefined,
  shadow: undefined,
  rollout: INITIAL_ROLLOUT,
  leading: true,
  trialStats: undefined,
  updates: 'page',
  freshness: { stale: false, reason: 'none' },
  standby: 'none',
  worker: { ep: 'wasm', webgpu: { available: false }, crossOriginIsolated: false, wasmThreads: 1, onnxruntimeWeb: '1.30.0' },
  device: undefined,
  lastError: undefined,
  perfNow: 1000,
  ...over,
});

describe('projectStatus', () => {
  it('leaves out what is not there', () => {
    expect(Object.keys(projectStatus(parts()))).toEqual(['model', 'trialRole', 'rollout', 'updates', 'freshness', 'standby', 'worker']);
    expect(projectStatus(parts({ leading: false })).trialRole).toBe('following');
  });

  it('says what serves and since when, what is kept, prepared and tried, and the last error as a BatonError', () => {
    const error = new BatonError('timeout', 'slow');
    const s = projectStatus(
      parts({
        live: slot('2'),
        since: 400,
        fallback: slot('1'),
        preparing: '3',
        target: { route: { candidate: { version: '2', bucket: 10, percent: 50, inside: true } }, arm: { name: 'b', version: '2' } },
        rollout: { ...INITIAL_ROLLOUT, phase: 'trial', trial: { version: '2', baseline: '1', startedAt: 5, served: 7, failed: 1 }, localPin: '2' },
        trialStats: { n: 7, errors: 1, errorRate: 1 / 7, p50: 1, p95: 2, p99: 3, p95Older: 2, p95Newer: 2 },
        lastError: error,
      }),
    );
    expect(s.serving).toEqual({ version: '2', ep: 'wasm', sinceMs: 600, loadMs: 12, warmupMs: 3 });
    expect(s).toMatchObject({ fallback: '1', preparing: '3', arm: 'b', pinned: '2', route: { candidate: { inside: true } } });
    expect(s.trial).toMatchObject({ version: '2', served: 7, n: 7, errors: 1, p95: 2 });
    expect(s.lastError).toBe(error);
  });
});
