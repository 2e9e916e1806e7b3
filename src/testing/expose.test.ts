/** The app-side hook records what the kit's page helpers read, as plain data, on a stand-in runtime. */
import { afterEach, describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import type { Runtime, RuntimeEvents } from '../runtime/api.js';
import { createEmitter } from '../runtime/emitter.js';
import { BATON_TEST_GLOBAL, exposeRuntimeForTests, type BatonTestHook } from './expose.js';

/** A runtime that serves `serving.version`, fails while `failing` is set, and emits on demand. */
function fakeRuntime() {
  const emitter = createEmitter<RuntimeEvents>();
  const state = { version: '1', failing: false, runs: 0 };
  const rt = {
    status: () => ({ model: 'mlp', serving: { version: state.version }, lastError: new BatonError('timeout', 'slow') }),
    on: (type: keyof RuntimeEvents, handler: (e: never) => void) => emitter.on(type, handler as never),
    async run() {
      state.runs++;
      await new Promise((r) => setTimeout(r, 1));
      if (state.failing) throw new BatonError('run-failed', 'bad input');
      return { version: state.version, ep: 'wasm', outputs: { y: { type: 'int64', dims: [1, 2], data: BigInt64Array.of(3n, 4n) } } };
    },
    checkForUpdate: () => Promise.reject(new BatonError('network-error', 'offline')),
    metrics: () => ({ model: 'mlp', versions: [{ version: state.version, requests: BigInt(state.runs) }] }),
  };
  return { rt: rt as unknown as Runtime, emitter, state };
}

const input = () => ({ x: { type: 'float32' as const, data: Float32Array.of(1, 2, 3, 4), dims: [1, 4] } });
const hooks = () => (globalThis as unknown as Record<string, Record<string, BatonTestHook>>)[BATON_TEST_GLOBAL]!;

afterEach(() => {
  delete (globalThis as Record<string, unknown>)[BATON_TEST_GLOBAL];
});

describe('exposeRuntimeForTests', () => {
  it('installs a hook under the model name that returns plain data', async () => {
    const { rt, emitter } = fakeRuntime();
    const hook = exposeRuntimeForTests(rt, { input });
    expect(hooks()['mlp']).toBe(hook);
    expect(hook.status()).toEqual({ model: 'mlp', serving: { version: '1' }, lastError: { name: 'BatonError', code: 'timeout', message: 'slow' } });
    expect(hook.metrics()).toEqual({ model: 'mlp', versions: [{ version: '1', requests: 0 }] });

    emitter.emit('switch', { from: '1', to: '2', ep: 'wasm', loadMs: 1, warmupMs: 1 });
    emitter.emit('update-failed', { version: '3', error: new BatonError('hash-mismatch', 'bad chunk') });
    const events = hook.events();
    expect(events.map((e) => e.type)).toEqual(['switch', 'update-failed']);
    expect(events[1]!.event).toEqual({ version: '3', error: { name: 'BatonError', code: 'hash-mismatch', message: 'bad chunk' } });
    expect(hook.events(1)).toHaveLength(1);

    expect(await hook.checkForUpdate()).toEqual({ ok: false, error: { name: 'BatonError', code: 'network-error', message: 'offline' } });
    const one = await hook.run();
    expect(one).toMatchObject({ i: 0, ok: true, version: '1', ep: 'wasm', outputs: { y: { type: 'int64', dims: [1, 2], data: [3, 4] } } });
  });

  it('records a load until stopped, failures with their code', async () => {
    const { rt, state } = fakeRuntime();
    const hook = exposeRuntimeForTests(rt, { input });
    hook.startLoad({ intervalMs: 1 });
    expect(hook.metrics()).toMatchObject({ versions: [{ requests: expect.any(Number) }] });
    expect(() => hook.startLoad()).toThrow(/already running/);
    await expect.poll(() => hook.loadRecords().length).toBeGreaterThanOrEqual(3);
    state.failing = true;
    await expect.poll(() => hook.loadRecords().filter((r) => !r.ok).length).toBeGreaterThanOrEqual(2);
    state.failing = false;
    state.version = '2';
    await expect.poll(() => hook.loadRecords().filter((r) => r.version === '2').length).toBeGreaterThanOrEqual(2);
    const records = await hook.stopLoad();
    // The loop has ended, not merely paused: every request it issued is in the records.
    expect(state.runs).toBe(records.length);
    expect(records.map((r) => r.i)).toEqual(records.map((_, i) => i));
    expect(records.find((r) => !r.ok)).toEqual({ i: expect.any(Number), at: expect.any(Number), ms: expect.any(Number), ok: false, code: 'run-failed' });
    expect(records.every((r, i) => i === 0 || r.at >= records[i - 1]!.at)).toBe(true);
    hook.startLoad({ mode: 'open', intervalMs: 1 }); // a new load may start once the last one stopped
    await expect.poll(() => hook.loadRecords().length).toBeGreaterThanOrEqual(1);
    expect((await hook.stopLoad())[0]).toMatchObject({ i: 0, ok: true, version: '2' });
  });

  it('records every event type the runtime emits, on the load clock', () => {
    const { rt, emitter } = fakeRuntime();
    const hook = exposeRuntimeForTests(rt, { input });
    const before = performance.timeOrigin + performance.now();
    emitter.emit('warmed', { version: '2', ep: 'wasm', loadMs: 1, warmupMs: 1 });
    emitter.emit('quarantined', { version: '2', code: 'unhealthy' });
    expect(hook.events().map((e) => e.type)).toEqual(['warmed', 'quarantined']);
    expect(hook.events()[0]!.at).toBeGreaterThanOrEqual(before);
  });

  it('fails a request or a load clearly when the app gave no input', async () => {
    const hook = exposeRuntimeForTests(fakeRuntime().rt);
    await expect(hook.run()).rejects.toThrow(/no input option/);
    expect(() => hook.startLoad()).toThrow(/no input option/);
  });
});
