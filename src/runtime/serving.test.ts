import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import type { Release } from '../types.js';
import type { InferenceWorker } from '../worker/worker-client.js';
import { createServing, type ServingDeps } from './serving.js';
import type { Slot } from './slot.js';

/** A worker that can be killed, and a slot over it that records its retirement. */
function fakeSlot(version: string) {
  let die!: (e: BatonError) => void;
  const worker = {
    alive: true,
    died: new Promise<BatonError>((resolve) => (die = resolve)),
    terminate() {
      this.alive = false;
    },
    crash: async () => {},
    hang: async () => {},
    loseGpuDevice: async () => {},
  };
  const slot = {
    version,
    release: { version } as unknown as Release,
    worker: worker as unknown as InferenceWorker,
    load: { ep: 'wasm', loadMs: 5, warmupMs: 2, inputNames: [], outputNames: [] },
    inputLimits: {},
    inFlight: 0,
    retired: false,
    run: () => Promise.reject(new Error('not used')),
    async retire() {
      this.retired = true;
      worker.alive = false;
    },
  };
  return { slot: slot as unknown as Slot & { retired: boolean }, die: (e: BatonError) => die(e), worker };
}

function world(over: Partial<ServingDeps> = {}) {
  const said: { type: string; event: Record<string, unknown> }[] = [];
  const targets: (string | undefined)[] = [];
  const recorded: string[] = [];
  const replenished: (number | undefined)[] = [];
  const loaded: { version: string; warmupRuns: number | undefined }[] = [];
  const warmedBeside: string[] = [];
  const failed: BatonError[] = [];
  let onTrial = false;
  let rerouted = 0;
  const fresh = new Map<string, ReturnType<typeof fakeSlot>[]>();
  const deps: ServingDeps = {
    readBytes: async () => new Uint8Array(4),
    load: async (release, _bytes, _worker, warmupRuns) => {
      loaded.push({ version: release.version, warmupRuns });
      const s = fakeSlot(release.version);
      fresh.set(release.version, [...(fresh.get(release.version) ?? []), s]);
      return s.slot;
    },
    warmBeside: async (slot) => void warmedBeside.push(slot.version),
    takeWorker: async () => undefined,
    replenishLater: (ms) => void replenished.push(ms),
    recordActive: async (v) => void recorded.push(v),
    setTarget: (slot) => void targets.push(slot?.version),
    failQueue: (e) => void failed.push(e),
    onTrial: () => onTrial,
    reroute: () => void rerouted++,
    emit: (type, event) => void said.push({ type, event: event as unknown as Record<string, unknown> }),
    report: (_during, e) => BatonError.from(e),
    perfNow: () => 1000,
    disposed: () => false,
    coldStartStandbyDelayMs: 1000,
    ...over,
  };
  const serving = createServing(deps);
  return {
    serving,
    said,
    targets,
    recorded,
    replenished,
    loaded,
    warmedBeside,
    failed,
    fresh,
    setTrial: (v: boolean) => (onTrial = v),
    rerouted: () => rerouted,
  };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('serving', () => {
  it('a cold start loads with one warm-up run, switches, records and replenishes the standby a moment later', async () => {
    const w = world();
    const slot = await w.serving.prepare({ version: '1' } as Release);
    expect(w.loaded).toEqual([{ version: '1', warmupRuns: 1 }]);
    expect(w.warmedBeside).toEqual([]);
    await w.serving.commit(slot, { keepFallback: false });
    expect(w.serving.live).toBe(slot);
    expect(w.targets).toEqual(['1']);
    expect(w.recorded).toEqual(['1']);
    expect(w.replenished).toEqual([1000]);
    expect(w.said.map((e) => e.type)).toEqual(['warmed', 'switch']);
  });

  it('a trial keeps the replaced version loaded; a rollback flips back to it at once and retires the candidate', async () => {
    const w = world();
    const v1 = fakeSlot('1');
    await w.serving.commit(v1.slot, { keepFallback: false });
    const v2 = await w.serving.prepare({ version: '2' } as Release);
    // Beside a live version: one run in the worker, the rest between the live version's requests.
    expect(w.loaded.at(-1)).toEqual({ version: '2', warmupRuns: 1 });
    expect(w.warmedBeside).toEqual(['2']);
    await w.serving.commit(v2, { keepFallback: true });
    expect(w.serving.fallback).toBe(v1.slot);
    expect(v1.slot.retired).toBe(false);
    w.serving.flipBack('2');
    expect(w.serving.live).toBe(v1.slot);
    expect(w.serving.fallback).toBeUndefined();
    expect(w.targets).toEqual(['1', '2', '1']);
    await settle();
    expect((v2 as Slot & { retired: boolean }).retired).toBe(true);
    expect(w.said.filter((e) => e.type === 'switch').map((e) => [e.event['from'], e.event['to']])).toEqual([
      [undefined, '1'],
      ['1', '2'],
      ['2', '1'],
    ]);
  });

  it('a version that fails its warm-up beside the live one is not switched to, and its worker is terminated', async () => {
    const w = world({
      warmBeside: async () => {
        throw new BatonError('warmup-failed', 'version 2 failed a warm-up run');
      },
    });
    const v1 = fakeSlot('1');
    await w.serving.commit(v1.slot, { keepFallback: false });
    await expect(w.serving.prepare({ version: '2' } as Release)).rejects.toMatchObject({ code: 'warmup-failed' });
    expect(w.fresh.get('2')![0]!.worker.alive).toBe(false);
    expect(w.serving.live).toBe(v1.slot);
    expect(w.said.map((e) => e.type)).not.toContain('warmed');
  });

  it('going back to the kept version reuses it instead of loading it again', async () => {
    const w = world();
    const v1 = fakeSlot('1');
    const v2 = fakeSlot('2');
    await w.serving.commit(v1.slot, { keepFallback: false });
    await w.serving.commit(v2.slot, { keepFallback: true });
    expect(await w.serving.prepare({ version: '1' } as Release)).toBe(v1.slot);
    expect(w.loaded).toEqual([]);
  });

  it('a promotion retires the kept version; a plain switch retires the old one', async () => {
    const w = world();
    const [v1, v2, v3] = [fakeSlot('1'), fakeSlot('2'), fakeSlot('3')];
    await w.serving.commit(v1.slot, { keepFallback: false });
    await w.serving.commit(v2.slot, { keepFallback: true });
    w.serving.dropFallback();
    await settle();
    expect(v1.slot.retired).toBe(true);
    await w.serving.commit(v3.slot, { keepFallback: false });
    await settle();
    expect(v2.slot.retired).toBe(true);
    expect(w.said.filter((e) => e.type === 'released').map((e) => e.event['version'])).toEqual(['1', '2']);
  });

  it('a crashed worker outside a trial: the same version in a fresh worker takes over the queue', async () => {
    const w = world();
    const v1 = fakeSlot('1');
    await w.serving.commit(v1.slot, { keepFallback: false });
    v1.die(new BatonError('worker-crashed', 'oom'));
    await settle();
    await settle();
    expect(w.targets).toEqual(['1', undefined, '1']);
    expect(w.loaded).toEqual([{ version: '1', warmupRuns: 1 }]);
    expect(w.serving.live).toBe(w.fresh.get('1')![0]!.slot);
    expect(w.said.find((e) => e.type === 'worker-restarted')?.event).toMatchObject({ version: '1', cause: 'crashed', serving: '1' });
  });

  it('a hung worker during a trial: the kept version takes over at once, then the router decides', async () => {
    const w = world();
    const [v1, v2] = [fakeSlot('1'), fakeSlot('2')];
    await w.serving.commit(v1.slot, { keepFallback: false });
    await w.serving.commit(v2.slot, { keepFallback: true });
    w.setTrial(true);
    await w.serving.recover(v2.slot, new BatonError('timeout', 'hung'), 'hung');
    expect(v2.worker.alive).toBe(false);
    expect(w.serving.live).toBe(v1.slot);
    expect(w.loaded).toEqual([]);
    expect(w.rerouted()).toBe(1);
    expect(w.said.find((e) => e.type === 'worker-restarted')?.event).toMatchObject({ version: '2', cause: 'hung', serving: '1' });
  });

  it('a worker that cannot be replaced fails the queued requests with the reason', async () => {
    const w = world({ load: () => Promise.reject(new BatonError('model-load-failed', 'gone')) });
    const v1 = fakeSlot('1');
    await w.serving.commit(v1.slot, { keepFallback: false });
    await w.serving.recover(v1.slot, new BatonError('worker-crashed', 'oom'), 'crashed');
    expect(w.failed.map((e) => e.code)).toEqual(['model-load-failed']);
    expect(w.serving.live).toBeUndefined();
  });

  it('an allocation failure recycles the worker: a fresh one takes over, the old one is retired', async () => {
    const w = world();
    const v1 = fakeSlot('1');
    await w.serving.commit(v1.slot, { keepFallback: false });
    const reason = new BatonError('run-failed', 'bad_alloc', { allocationFailure: true });
    await Promise.all([w.serving.recycle(v1.slot, reason), w.serving.recycle(v1.slot, reason)]);
    expect(w.loaded).toEqual([{ version: '1', warmupRuns: undefined }]);
    expect(v1.slot.retired).toBe(true);
    expect(w.serving.live).not.toBe(v1.slot);
    expect(w.said.filter((e) => e.type === 'worker-restarted').map((e) => e.event['cause'])).toEqual(['allocation-failure']);
  });
});
