/**
 * The worker client's failure paths with a fake Worker: a real comlink endpoint (a
 * MessageChannel) whose far side answers only what the test lets it, so a call can be made to
 * hang, fail or race a crash. Invariants: every call settles; a timeout rejects that call with
 * `timeout` and terminates the worker; a timeout or a worker error rejects every other pending
 * call with `worker-crashed`; a dead worker refuses new calls at once.
 */
import * as Comlink from 'comlink';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatonError } from '../errors.js';
import type { Feeds, InferenceWorkerApi, RunResult, WorkerInfo } from './protocol.js';
import { startInferenceWorker, type InferenceWorker } from './worker-client.js';

const INFO: WorkerInfo = { ep: 'wasm', webgpu: { available: false }, crossOriginIsolated: false, wasmThreads: 1, onnxruntimeWeb: '1.30.0' };
const TIMEOUTS = { handshakeMs: 1_000, loadMs: 2_000, runMs: 100 };
const feeds = (): Feeds => ({ x: { type: 'float32', data: Float32Array.of(1, 2, 3, 4), dims: [1, 4] } });
const never = <T>() => new Promise<T>(() => {});

/** A Worker whose script is `api`, exposed with comlink on the far side of a MessageChannel. */
class FakeWorker extends EventTarget {
  terminated = 0;
  readonly #port: MessagePort;

  constructor(api: Partial<InferenceWorkerApi>) {
    super();
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(api, port2);
    port1.addEventListener('message', (e) => this.dispatchEvent(new MessageEvent('message', { data: (e as MessageEvent).data })));
    port1.start();
    this.#port = port1;
  }

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    this.#port.postMessage(message, transfer);
  }

  terminate(): void {
    this.terminated++;
    this.#port.close();
  }

  /** What the browser fires when the worker's script throws or runs out of memory. */
  fail(message: string): Event {
    const event = Object.assign(new Event('error', { cancelable: true }), { message });
    this.dispatchEvent(event);
    return event;
  }
}

/** The fake's API: answers the handshake; `run` and `release` answer only as the test says. */
function api(overrides: Partial<InferenceWorkerApi> = {}): Partial<InferenceWorkerApi> {
  return { ping: () => Promise.resolve('pong'), init: () => Promise.resolve(INFO), run: () => never<RunResult>(), release: () => never<void>(), ...overrides };
}

async function start(overrides: Partial<InferenceWorkerApi> = {}): Promise<{ client: InferenceWorker; worker: FakeWorker }> {
  const worker = new FakeWorker(api(overrides));
  const client = await startInferenceWorker({ executionProviders: ['wasm'] }, { timeouts: TIMEOUTS, create: () => worker as unknown as Worker });
  return { client, worker };
}

/** A promise's state now, without waiting for it. */
async function state(p: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  const probe = Symbol('pending');
  return Promise.race([
    p.then(
      () => 'resolved' as const,
      () => 'rejected' as const,
    ),
    Promise.resolve(probe),
  ]).then((s) => (s === probe ? 'pending' : s));
}

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as BatonError,
  );

let clients: InferenceWorker[] = [];
beforeEach(() => {
  // Only the client's timers are faked: messages still cross the MessageChannel for real.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  clients = [];
});
afterEach(() => {
  for (const c of clients) c.terminate();
  vi.useRealTimers();
});

describe('startInferenceWorker: a call that outlives its timeout', () => {
  it('rejects with timeout at runMs, not before, and the worker is terminated', async () => {
    const { client, worker } = await start();
    clients.push(client);
    const run = rejection(client.run(feeds()));
    await vi.advanceTimersByTimeAsync(TIMEOUTS.runMs - 1);
    expect(await state(run)).toBe('pending');
    expect(worker.terminated).toBe(0);

    await vi.advanceTimersByTimeAsync(1);
    expect(await run).toMatchObject({ name: 'BatonError', code: 'timeout', message: expect.stringContaining(`within ${TIMEOUTS.runMs} ms`) });
    expect(worker.terminated).toBe(1);
    expect(client.alive).toBe(false);
    // The worker may be stuck behind the run: it is reported dead (hung), so its owner replaces it.
    expect(await client.died).toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('hung') });
  });

  it('rejects every other pending call with worker-crashed, and later calls at once', async () => {
    const { client, worker } = await start();
    clients.push(client);
    const release = rejection(client.release()); // its own timeout (loadMs) is far off
    const first = rejection(client.run(feeds()));
    await vi.advanceTimersByTimeAsync(TIMEOUTS.runMs);
    expect(await first).toMatchObject({ code: 'timeout' });
    expect(await release).toMatchObject({ code: 'worker-crashed' });
    expect(await rejection(client.run(feeds()))).toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('gone') });
    expect(worker.terminated).toBe(1);
  });

  it('an answer in time resolves, and its timer no longer runs', async () => {
    const { client, worker } = await start({ run: () => Promise.resolve({ outputs: {}, runMs: 0.2, ep: 'wasm' }) });
    clients.push(client);
    expect(await client.run(feeds())).toEqual({ outputs: {}, runMs: 0.2, ep: 'wasm' });
    await vi.advanceTimersByTimeAsync(10 * TIMEOUTS.runMs);
    expect(client.alive).toBe(true);
    expect(worker.terminated).toBe(0);
  });

  it('a handshake that never answers rejects the start with timeout and terminates the worker', async () => {
    const worker = new FakeWorker(api({ ping: () => never<'pong'>() }));
    const started = rejection(startInferenceWorker({ executionProviders: ['wasm'] }, { timeouts: TIMEOUTS, create: () => worker as unknown as Worker }));
    await vi.advanceTimersByTimeAsync(TIMEOUTS.handshakeMs);
    expect(await started).toMatchObject({ code: 'timeout', message: expect.stringContaining('handshake') });
    expect(worker.terminated).toBe(1);
  });
});

describe('startInferenceWorker: a worker error event', () => {
  it('rejects every pending call with worker-crashed, terminates the worker, and died says why', async () => {
    const { client, worker } = await start();
    clients.push(client);
    const pending = [rejection(client.run(feeds())), rejection(client.release())];
    const event = worker.fail('Out of memory');
    expect(event.defaultPrevented).toBe(true); // the page's own error handler does not see it
    for (const p of pending) expect(await p).toMatchObject({ name: 'BatonError', code: 'worker-crashed', message: expect.stringContaining('Out of memory') });
    expect(worker.terminated).toBe(1);
    expect(await client.died).toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('Out of memory') });
    expect(await rejection(client.run(feeds()))).toMatchObject({ code: 'worker-crashed' });
    // Nothing is left to time out later: the timers of the rejected calls are moot.
    await vi.advanceTimersByTimeAsync(TIMEOUTS.loadMs);
    expect(worker.terminated).toBe(1);
  });

  it('a message the page cannot read counts as a crash too', async () => {
    const { client, worker } = await start();
    clients.push(client);
    const run = rejection(client.run(feeds()));
    worker.dispatchEvent(new Event('messageerror'));
    expect(await run).toMatchObject({ code: 'worker-crashed' });
    expect(worker.terminated).toBe(1);
  });
});

describe('startInferenceWorker: a failure inside the worker', () => {
  it('keeps the BatonError code it crossed with, and the worker keeps serving', async () => {
    let calls = 0;
    const { client, worker } = await start({
      run: () =>
        ++calls === 1
          ? Promise.reject({ name: 'BatonError', code: 'run-failed', message: 'bad input', details: { version: '1' } })
          : Promise.resolve({ outputs: {}, runMs: 1, ep: 'wasm' }),
    });
    clients.push(client);
    const failed = await rejection(client.run(feeds()));
    expect(failed).toBeInstanceOf(BatonError);
    expect(failed).toMatchObject({ code: 'run-failed', message: 'bad input', details: { version: '1' } });
    expect(await client.run(feeds())).toMatchObject({ ep: 'wasm' });
    expect(client.alive).toBe(true);
    expect(worker.terminated).toBe(0);
  });
});
