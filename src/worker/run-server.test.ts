/**
 * The worker's end of the run channel over a real MessageChannel: runs one at a time in the
 * order they came, exactly one answer each, outputs transferred, errors as wire objects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import type { Feeds, RunReply, RunResult } from './protocol.js';
import { serveRuns } from './run-server.js';

const feeds = (x: number): Feeds => ({ x: { type: 'float32', data: Float32Array.of(x), dims: [1] } });
const xOf = (f: Feeds) => (f['x']!.data as Float32Array)[0]!;

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

let ports: MessagePort[] = [];
afterEach(() => {
  for (const p of ports) p.close();
  ports = [];
});

/** The page's end: sends requests, collects replies. */
function channel(run: (feeds: Feeds) => Promise<RunResult>) {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  const server = serveRuns({ port: port2 }, run);
  const replies: RunReply[] = [];
  const waiters: (() => void)[] = [];
  port1.onmessage = (e: MessageEvent<RunReply>) => {
    replies.push(e.data);
    waiters.shift()?.();
  };
  const nextReply = () => new Promise<void>((resolve) => waiters.push(resolve));
  return { server, replies, nextReply, send: (id: number, f: Feeds) => port1.postMessage({ id, feeds: f }) };
}

/** Lets the messages sent so far cross the channel. */
const crossings = async () => {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe('serveRuns', () => {
  it('runs one request at a time, in arrival order, one answer each', async () => {
    const started: number[] = [];
    const gates = [deferred<void>(), deferred<void>(), deferred<void>()];
    const c = channel(async (f) => {
      started.push(xOf(f));
      await gates[started.length - 1]!.promise;
      return { outputs: f, runMs: xOf(f), ep: 'wasm' };
    });
    for (const id of [1, 2, 3]) c.send(id, feeds(id * 10));
    await crossings();
    expect(started).toEqual([10]); // the next waits: onnxruntime-web rejects overlapping runs
    const idle = c.server.idle();
    let isIdle = false;
    void idle.then(() => (isIdle = true));
    gates[0]!.resolve();
    await c.nextReply();
    await crossings();
    expect(started).toEqual([10, 20]);
    gates[1]!.resolve();
    gates[2]!.resolve();
    await c.nextReply();
    await c.nextReply();
    await idle;
    expect(isIdle).toBe(true);
    expect(c.replies.map((r) => [r.id, r.error === undefined ? r.runMs : r.error])).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
    ]);
  });

  it('transfers the outputs (the worker keeps no copy)', async () => {
    const out = Float32Array.of(1, 2, 3);
    const c = channel(async () => ({ outputs: { y: { type: 'float32', data: out, dims: [3] } }, runMs: 1, ep: 'wasm' }));
    c.send(1, feeds(1));
    await c.nextReply();
    expect(out.length).toBe(0);
    const reply = c.replies[0]!;
    expect(reply.error === undefined && Array.from(reply.outputs['y']!.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('answers a failure with its wire error, anything else as run-failed, and goes on serving', async () => {
    const c = channel(async (f) => {
      if (xOf(f) === 1) throw new BatonError('run-failed', 'std::bad_alloc', { allocationFailure: true }).toWire();
      if (xOf(f) === 2) throw new TypeError('Unsupported data type: float99');
      return { outputs: {}, runMs: 1, ep: 'wasm' };
    });
    for (const id of [1, 2, 3]) c.send(id, feeds(id));
    for (let i = 0; i < 3; i++) await c.nextReply();
    expect(c.replies).toEqual([
      { id: 1, error: { name: 'BatonError', code: 'run-failed', message: 'std::bad_alloc', details: { allocationFailure: true } } },
      { id: 2, error: { name: 'BatonError', code: 'run-failed', message: 'Unsupported data type: float99' } },
      { id: 3, outputs: {}, runMs: 1, ep: 'wasm' },
    ]);
  });

  it('an answer that cannot be sent is answered as run-failed instead', async () => {
    const c = channel(async () => ({ outputs: { y: { type: 'float32', data: (() => {}) as never, dims: [1] } }, runMs: 1, ep: 'wasm' }));
    c.send(1, feeds(1));
    await c.nextReply();
    expect(c.replies[0]).toMatchObject({ id: 1, error: { code: 'run-failed', message: expect.stringContaining('could not be sent') } });
  });
});
