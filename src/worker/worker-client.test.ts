/**
 * The worker client's failure paths with a fake Worker: a real comlink endpoint (a
 * MessageChannel) whose far side answers only what the test lets it, and the real run server
 * (run-server.ts) on the run channel, so a call can be made to hang, fail or race a crash.
 * Invariants: every call settles; a timeout rejects that call with `timeout` and terminates the
 * worker; a timeout or a worker error rejects every other pending call with `worker-crashed`; a
 * dead worker refuses new calls at once; one timer watches every pending call, and none is left
 * once they have settled.
 */
import * as Comlink from 'comlink';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatonError } from '../errors.js';
import type { Feeds, InferenceWorkerApi, RunChannel, RunReply, RunRequest, RunResult, WorkerInfo } from './protocol.js';
import { serveRuns } from './run-server.js';
import { ringOf, STATE } from './shared-ring.js';
import { startInferenceWorker, type InferenceWorker } from './worker-client.js';

const INFO: WorkerInfo = { ep: 'wasm', webgpu: { available: false }, crossOriginIsolated: false, wasmThreads: 1, onnxruntimeWeb: '1.30.0' };
const TIMEOUTS = { handshakeMs: 1_000, loadMs: 2_000, runMs: 100 };
const feeds = (x = 1): Feeds => ({ x: { type: 'float32', data: Float32Array.of(x, 2, 3, 4), dims: [1, 4] } });
const never = <T>() => new Promise<T>(() => {});

/**
 * What the fake worker does: its comlink API, and on the run channel either the real run
 * server around `run` or, with `serve`, whatever the test does with the worker's port.
 */
interface Script extends Partial<Omit<InferenceWorkerApi, 'init'>> {
  init?: () => Promise<WorkerInfo>;
  run?: (feeds: Feeds) => Promise<RunResult>;
  serve?: (port: MessagePort, channel: RunChannel) => void;
}

/** A Worker whose script is `script`, exposed with comlink on the far side of a MessageChannel. */
class FakeWorker extends EventTarget {
  terminated = 0;
  readonly #port: MessagePort;

  constructor(script: Script) {
    super();
    const { port1, port2 } = new MessageChannel();
    const { run, serve, ...api } = script;
    Comlink.expose(
      {
        ...api,
        init: (_init: unknown, runs: RunChannel) => {
          if (serve) serve(runs.port, runs);
          else serveRuns(runs, run ?? (() => never<RunResult>()));
          return script.init?.() ?? Promise.resolve(INFO);
        },
      },
      port2,
    );
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

/** The fake's script: answers the handshake; `run` and `release` answer only as the test says. */
function script(overrides: Script = {}): Script {
  return { ping: () => Promise.resolve('pong'), run: () => never<RunResult>(), release: () => never<void>(), ...overrides };
}

async function start(overrides: Script = {}): Promise<{ client: InferenceWorker; worker: FakeWorker }> {
  const worker = new FakeWorker(script(overrides));
  const client = await startInferenceWorker({ executionProviders: ['wasm'] }, { timeouts: TIMEOUTS, create: () => worker as unknown as Worker });
  clients.push(client);
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

/** Lets the messages sent so far cross the (real) MessageChannels, without moving the fake clock. */
const crossings = async () => {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

let clients: InferenceWorker[] = [];
beforeEach(() => {
  // Only the client's clock and timers are faked: messages still cross the MessageChannels for real.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  clients = [];
});
afterEach(() => {
  for (const c of clients) c.terminate();
  vi.useRealTimers();
});

describe('startInferenceWorker: a call that outlives its timeout', () => {
  it('rejects with timeout at runMs, not before, and the worker is terminated', async () => {
    const { client, worker } = await start();
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
    const release = rejection(client.release()); // its own timeout (loadMs) is far off
    const first = rejection(client.run(feeds()));
    await vi.advanceTimersByTimeAsync(TIMEOUTS.runMs);
    expect(await first).toMatchObject({ code: 'timeout' });
    expect(await release).toMatchObject({ code: 'worker-crashed' });
    expect(await rejection(client.run(feeds()))).toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('gone') });
    expect(worker.terminated).toBe(1);
  });

  it('one timer watches every pending call: only the overdue one times out, the others are rejected worker-crashed', async () => {
    const { client, worker } = await start();
    const early = rejection(client.run(feeds(1)));
    await vi.advanceTimersByTimeAsync(40);
    const later = [rejection(client.run(feeds(2))), rejection(client.run(feeds(3))), rejection(client.release())];
    expect(vi.getTimerCount()).toBe(1);

    await vi.advanceTimersByTimeAsync(TIMEOUTS.runMs - 40 - 1);
    expect(await state(early)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await early).toMatchObject({ code: 'timeout' });
    for (const p of later) expect(await p).toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('hung during a run') });
    expect(worker.terminated).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('an answer in time resolves, and its timer no longer runs', async () => {
    const { client, worker } = await start({ run: () => Promise.resolve({ outputs: {}, runMs: 0.2, ep: 'wasm' }) });
    expect(await client.run(feeds())).toEqual({ outputs: {}, runMs: 0.2, ep: 'wasm' });
    await vi.advanceTimersByTimeAsync(10 * TIMEOUTS.runMs);
    expect(client.alive).toBe(true);
    expect(worker.terminated).toBe(0);
  });

  it('a handshake that never answers rejects the start with timeout and terminates the worker', async () => {
    const worker = new FakeWorker(script({ ping: () => never<'pong'>() }));
    const started = rejection(startInferenceWorker({ executionProviders: ['wasm'] }, { timeouts: TIMEOUTS, create: () => worker as unknown as Worker }));
    await vi.advanceTimersByTimeAsync(TIMEOUTS.handshakeMs);
    expect(await started).toMatchObject({ code: 'timeout', message: expect.stringContaining('handshake') });
    expect(worker.terminated).toBe(1);
  });
});

describe('startInferenceWorker: the run channel', () => {
  it('matches answers to runs by id, whatever order they come in', async () => {
    const requests: RunRequest[] = [];
    let port!: MessagePort;
    const { client } = await start({
      serve: (p) => {
        port = p;
        p.onmessage = (e: MessageEvent<RunRequest>) => requests.push(e.data);
      },
    });
    const runs = [1, 2, 3, 4, 5].map((x) => client.run(feeds(x)));
    await crossings();
    expect(requests.map((r) => r.id)).toEqual([1, 2, 3, 4, 5]);
    // Answered backwards, each with its own input's first value as its runMs.
    for (const r of [...requests].reverse()) {
      const x = (r.feeds['x']!.data as Float32Array)[0]!;
      port.postMessage({ id: r.id, outputs: { y: { type: 'float32', data: Float32Array.of(x * 2), dims: [1] } }, runMs: x, ep: 'wasm' } satisfies RunReply);
    }
    const results = await Promise.all(runs);
    expect(results.map((r) => r.runMs)).toEqual([1, 2, 3, 4, 5]);
    expect(results.map((r) => (r.outputs['y']!.data as Float32Array)[0])).toEqual([2, 4, 6, 8, 10]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sets up no shared ring unless asked to (sharedRing is internal and off by default)', async () => {
    let channel: RunChannel | undefined;
    await start({ serve: (_port, c) => (channel = c) });
    expect(channel?.port).toBeDefined();
    expect(channel?.ring).toBeUndefined();
  });

  it('transfers the feeds: the caller’s arrays are detached', async () => {
    const { client } = await start({ run: (f) => Promise.resolve({ outputs: f, runMs: 1, ep: 'wasm' }) });
    const input = feeds(7);
    const result = await client.run(input);
    expect((input['x']!.data as Float32Array).length).toBe(0);
    expect(Array.from(result.outputs['x']!.data as Float32Array)).toEqual([7, 2, 3, 4]);
  });

  it('leaves no timer pending once every call has settled, answered or failed', async () => {
    let calls = 0;
    const { client } = await start({
      run: () =>
        ++calls % 3 === 0
          ? Promise.reject(new BatonError('run-failed', 'bad input').toWire())
          : Promise.resolve({ outputs: {}, runMs: 0.1, ep: 'wasm' as const }),
    });
    const settled = await Promise.allSettled(Array.from({ length: 9 }, () => client.run(feeds())));
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
    // Sequential runs too: each busy spell's timer goes with it.
    for (let i = 0; i < 3; i++) await client.run(feeds()).catch(() => {});
    expect(vi.getTimerCount()).toBe(0);
    expect(client.alive).toBe(true);
  });

  it('an answer to no pending run counts as an unreadable message: the worker is terminated', async () => {
    let port!: MessagePort;
    const { client, worker } = await start({ serve: (p) => (port = p) });
    const run = rejection(client.run(feeds()));
    port.postMessage({ id: 999, outputs: {}, runMs: 1, ep: 'wasm' });
    await crossings();
    expect(await run).toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('could not be read') });
    expect(worker.terminated).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('feeds that cannot be sent fail that run only', async () => {
    const { client } = await start({ run: () => Promise.resolve({ outputs: {}, runMs: 1, ep: 'wasm' }) });
    // A function cannot be cloned: postMessage throws before anything is sent.
    expect(await rejection(client.run({ x: { type: 'float32', data: (() => {}) as never, dims: [1] } }))).toMatchObject({
      code: 'run-failed',
      message: expect.stringContaining('could not be sent'),
    });
    expect(client.alive).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(await client.run(feeds())).toMatchObject({ runMs: 1 });
  });
});

describe('startInferenceWorker: a worker error event', () => {
  it('rejects every pending call with worker-crashed, terminates the worker, and died says why', async () => {
    const { client, worker } = await start();
    const pending = [rejection(client.run(feeds())), rejection(client.run(feeds())), rejection(client.release())];
    await crossings(); // the runs have reached the worker: it dies mid-run
    const event = worker.fail('Out of memory');
    expect(event.defaultPrevented).toBe(true); // the page's own error handler does not see it
    for (const p of pending) expect(await p).toMatchObject({ name: 'BatonError', code: 'worker-crashed', message: expect.stringContaining('Out of memory') });
    expect(worker.terminated).toBe(1);
    expect(await client.died).toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('Out of memory') });
    expect(await rejection(client.run(feeds()))).toMatchObject({ code: 'worker-crashed' });
    // Nothing is left to time out later.
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(TIMEOUTS.loadMs);
    expect(worker.terminated).toBe(1);
  });

  it('a message the page cannot read counts as a crash too', async () => {
    const { client, worker } = await start();
    const run = rejection(client.run(feeds()));
    worker.dispatchEvent(new Event('messageerror'));
    expect(await run).toMatchObject({ code: 'worker-crashed' });
    expect(worker.terminated).toBe(1);
  });
});

describe('startInferenceWorker: a failure inside the worker', () => {
  it('keeps the BatonError code and details it crossed with, and the worker keeps serving', async () => {
    let calls = 0;
    const { client, worker } = await start({
      run: () =>
        ++calls === 1
          ? Promise.reject(new BatonError('run-failed', 'std::bad_alloc', { allocationFailure: true }).toWire())
          : Promise.resolve({ outputs: {}, runMs: 1, ep: 'wasm' }),
    });
    const failed = await rejection(client.run(feeds()));
    expect(failed).toBeInstanceOf(BatonError);
    expect(failed).toMatchObject({ code: 'run-failed', message: 'std::bad_alloc', details: { allocationFailure: true } });
    expect(await client.run(feeds())).toMatchObject({ ep: 'wasm' });
    expect(client.alive).toBe(true);
    expect(worker.terminated).toBe(0);
  });

  it('a comlink call keeps its code too', async () => {
    const { client } = await start({ release: () => Promise.reject(new BatonError('model-load-failed', 'no').toWire()) });
    expect(await rejection(client.release())).toMatchObject({ code: 'model-load-failed' });
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('startInferenceWorker: the shared ring (sharedRing, cross-origin isolated pages)', () => {
  const ringStart = (overrides: Script, ring: { slots: number; slotBytes: number } = { slots: 2, slotBytes: 256 }) =>
    startInferenceWorker(
      { executionProviders: ['wasm'] },
      { timeouts: TIMEOUTS, create: () => new FakeWorker(script(overrides)) as unknown as Worker, sharedRing: ring },
    ).then((client) => (clients.push(client), client));
  const double = (f: Feeds): Promise<RunResult> => {
    const x = f['x']!;
    return Promise.resolve({ outputs: { y: { type: 'float32', data: (x.data as Float32Array).map((v) => v * 2), dims: x.dims } }, runMs: 0.5, ep: 'wasm' });
  };

  it('answers runs through the slots, more at once than there are slots, and detaches the caller’s inputs as a transfer would', async () => {
    const client = await ringStart({ run: double });
    const inputs = [1, 2, 3, 4, 5].map((x) => feeds(x));
    const results = await Promise.all(inputs.map((f) => client.run(f)));
    expect(results.map((r) => Array.from(r.outputs['y']!.data as Float32Array))).toEqual([1, 2, 3, 4, 5].map((x) => [x * 2, 4, 6, 8]));
    expect(results[0]).toMatchObject({ runMs: 0.5, ep: 'wasm', outputs: { y: { type: 'float32', dims: [1, 4] } } });
    // Copied into the ring, then detached (one contract whichever way a run goes); the outputs are
    // the caller's own, not views on the ring.
    for (const f of inputs) expect((f['x']!.data as Float32Array).length).toBe(0);
    expect((results[0]!.outputs['y']!.data as Float32Array).buffer).toBeInstanceOf(ArrayBuffer);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('inputs or outputs larger than a slot go through the port, strings too', async () => {
    const client = await ringStart({
      run: (f) => Promise.resolve({ outputs: { y: { type: 'float32', data: new Float32Array(1000), dims: [1000] }, ...f }, runMs: 1, ep: 'wasm' }),
    });
    const big = await client.run({ x: { type: 'float32', data: new Float32Array(1000), dims: [1000] } });
    expect((big.outputs['x']!.data as Float32Array).length).toBe(1000);
    const small = await client.run(feeds(3)); // in the slot; its output comes back on the port
    expect((small.outputs['y']!.data as Float32Array).length).toBe(1000);
    const text = await client.run({ s: { type: 'string', data: ['a', 'b'], dims: [2] } });
    expect(text.outputs['s']).toEqual({ type: 'string', data: ['a', 'b'], dims: [2] });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps the error code and details a run failed with', async () => {
    const client = await ringStart({ run: () => Promise.reject(new BatonError('run-failed', 'std::bad_alloc', { allocationFailure: true }).toWire()) });
    expect(await rejection(client.run(feeds()))).toMatchObject({ code: 'run-failed', message: 'std::bad_alloc', details: { allocationFailure: true } });
    expect(client.alive).toBe(true);
  });

  it('a timeout rejects the run in its slot, the others worker-crashed, and no waiter is left', async () => {
    const client = await ringStart({});
    const first = rejection(client.run(feeds(1)));
    await vi.advanceTimersByTimeAsync(10);
    const second = rejection(client.run(feeds(2)));
    await vi.advanceTimersByTimeAsync(TIMEOUTS.runMs - 10);
    expect(await first).toMatchObject({ code: 'timeout' });
    expect(await second).toMatchObject({ code: 'worker-crashed' });
    expect(client.alive).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a slot the page cannot read counts as an unreadable message: the worker is terminated', async () => {
    let channel: RunChannel | undefined;
    const client = await ringStart({ serve: (_port, c) => (channel = c) });
    const run = rejection(client.run(feeds()));
    const ring = ringOf(channel!.ring!.buffer, channel!.ring!.slotBytes);
    const slot = ring.slots.find((x) => Atomics.load(x.header, 0) === STATE.request)!;
    // A reply claiming a thousand outputs in a 256-byte slot.
    slot.view.setUint32(16, 1000, true);
    Atomics.store(slot.header, 0, STATE.reply);
    Atomics.notify(slot.header, 0);
    expect(await run).toMatchObject({ code: 'worker-crashed', message: expect.stringContaining('could not be read') });
    expect(client.alive).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
