/**
 * The page's handle on one inference worker, and the only page module that imports comlink.
 * Runs, the hot path, go over a MessageChannel of their own with integer ids and plain messages
 * (protocol.ts `RunRequest`/`RunReply`, served by run-server.ts); comlink carries the rare calls
 * (start-up, load, release, test hooks). Every call has a timeout, kept by one watchdog timer
 * for all of them (watchdog.ts); a ready handshake precedes the first call; a worker that
 * errors, sends what the page cannot read, or stops answering is terminated and every pending
 * call rejected with a typed error, so no promise is ever left unsettled (the most reported
 * comlink failure).
 */
import * as Comlink from 'comlink';
import { BatonError } from '../errors.js';
import type { Feeds, InferenceWorkerApi, LoadRequest, LoadResult, RunChannel, RunReply, RunRequest, RunResult, WorkerInfo, WorkerInit } from './protocol.js';
import { isWireError, transferablesOf } from './protocol.js';
import {
  createRing,
  decodeError,
  decodeReply,
  DEFAULT_SLOT_BYTES,
  DEFAULT_SLOTS,
  encodeTensors,
  ringSupported,
  STATE,
  whenChanged,
  type RingSlot,
} from './shared-ring.js';
import { createWatchdog, GLOBAL_TIMERS, type Timers } from './watchdog.js';

export type { Timers } from './watchdog.js';

export interface WorkerTimeouts {
  /** Worker start-up until it answers a ping, including fetching and compiling its script. */
  readonly handshakeMs: number;
  /** Initialising onnxruntime-web (wasm compile) and creating plus warming a session. */
  readonly loadMs: number;
  /**
   * One run, at most: a run over this is treated as a hung worker. The runtime calls a worker
   * hung much sooner, from the version's own run times (src/runtime/hang-detector.ts); this is
   * the cap on that, and what applies until a version has answered enough runs to judge by.
   */
  readonly runMs: number;
}

export const DEFAULT_TIMEOUTS: WorkerTimeouts = { handshakeMs: 15_000, loadMs: 120_000, runMs: 30_000 };

export interface InferenceWorker {
  readonly info: WorkerInfo;
  /** Transfers `request.bytes` to the worker. */
  load(request: LoadRequest): Promise<LoadResult>;
  /**
   * Transfers the feeds' buffers to the worker (or, with `sharedRing`, copies them into the
   * shared ring and detaches them): either way the caller's arrays are detached.
   */
  run(feeds: Feeds): Promise<RunResult>;
  release(): Promise<void>;
  /** Test hook: crash the worker as an out-of-memory error would. */
  crash(): Promise<void>;
  /** Test hook: destroy the worker's WebGPU device. */
  loseGpuDevice(): Promise<void>;
  /** Test hook: the worker's next run never returns (its thread stays busy until terminated). */
  hang(): Promise<void>;
  terminate(): void;
  /** Settles when the worker dies unexpectedly, with the reason. Never rejects. */
  readonly died: Promise<BatonError>;
  readonly alive: boolean;
}

export type CreateWorker = () => Worker;

export interface WorkerClientOptions {
  readonly timeouts?: Partial<WorkerTimeouts>;
  readonly create?: CreateWorker;
  readonly timers?: Timers;
  /**
   * Internal, off by default: runs whose inputs fit a slot go through a SharedArrayBuffer ring
   * with `Atomics.notify` / `Atomics.waitAsync` instead of messages (shared-ring.ts), when the
   * page is cross-origin isolated. It saves ~0.03 ms per run in Chromium (bench `hop`:
   * hop.workerRingMs against hop.workerMs), but with it on, the runtime's latency gate judged a
   * 3× slower candidate less reliably on a saturated 2-core machine (e2e/trial-safety.spec.ts,
   * the held-then-final rollback: its second trial's paired runs of the kept version came out
   * slower), for reasons not yet understood; so it stays opt-in until that is.
   */
  readonly sharedRing?: boolean | { readonly slots: number; readonly slotBytes: number };
}

const defaultCreate: CreateWorker = () => new Worker(new URL('./inference-worker.js', import.meta.url), { type: 'module', name: 'baton-inference' });

/** A call waiting for the worker: settled by its answer, its deadline, or the worker's death. */
interface Call {
  readonly what: string;
  readonly timeoutMs: number;
  readonly deadline: number;
  /** Set for a run: its key in `runs`. */
  readonly id?: number;
  resolve(value: never): void;
  reject(e: BatonError): void;
}

const RUN = 'a run';

/**
 * Detaches `buffer`: `ArrayBuffer.prototype.transfer` (ES2024; Chromium 114+) in O(1), else
 * a transferring structuredClone (Node 20, older engines).
 */
function detach(buffer: ArrayBuffer): void {
  const transfer = (buffer as { transfer?: () => ArrayBuffer }).transfer;
  if (transfer) transfer.call(buffer);
  else structuredClone(buffer, { transfer: [buffer] });
}

export async function startInferenceWorker(init: WorkerInit, opts: WorkerClientOptions = {}): Promise<InferenceWorker> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const timers = opts.timers ?? GLOBAL_TIMERS;
  const worker = (opts.create ?? defaultCreate)();
  const remote = Comlink.wrap<InferenceWorkerApi>(worker);
  const { port1: port, port2: workerPort } = new MessageChannel();
  /** Runs sent and not yet answered, by id. */
  const runs = new Map<number, Call>();
  const sharedRing = opts.sharedRing ?? false;
  const ringShape = sharedRing === true ? { slots: DEFAULT_SLOTS, slotBytes: DEFAULT_SLOT_BYTES } : sharedRing || undefined;
  const ring = ringShape && ringSupported() ? createRing(ringShape.slots, ringShape.slotBytes) : undefined;
  /** The ring's slots no run holds. */
  const freeSlots: RingSlot[] = ring ? [...ring.slots].reverse() : [];
  let nextId = 1;
  let alive = true;
  let markDead!: (e: BatonError) => void;
  const died = new Promise<BatonError>((resolve) => (markDead = resolve));

  const kill = (reason: BatonError, expected = false) => {
    if (!alive) return;
    alive = false;
    runs.clear();
    for (const call of watchdog.drain()) call.reject(reason);
    port.onmessage = null;
    port.close();
    // Wakes the page's own waiters on the ring: none is left pending for good.
    for (const slot of ring?.slots ?? []) {
      Atomics.store(slot.header, 0, STATE.closed);
      Atomics.notify(slot.header, 0);
    }
    remote[Comlink.releaseProxy]();
    worker.terminate();
    if (!expected) markDead(reason);
  };
  const watchdog = createWatchdog<Call>(timers, (call) => {
    if (call.id !== undefined) runs.delete(call.id);
    call.reject(new BatonError('timeout', `inference worker did not finish ${call.what} within ${call.timeoutMs} ms`));
    // A worker that timed out may be stuck behind a hung run: replace it.
    kill(new BatonError('worker-crashed', `inference worker hung during ${call.what}`));
  });

  worker.addEventListener('error', (event) => {
    event.preventDefault();
    kill(new BatonError('worker-crashed', `inference worker crashed: ${event.message || 'script error'}`));
  });
  const unreadable = () => kill(new BatonError('worker-crashed', 'inference worker sent a message that could not be read'));
  worker.addEventListener('messageerror', unreadable);
  port.onmessageerror = unreadable;
  port.onmessage = (event: MessageEvent<RunReply>) => {
    const reply = event.data as RunReply | null;
    const call = typeof reply?.id === 'number' ? runs.get(reply.id) : undefined;
    // An answer to no run this page sent (and is waiting for) means the two sides disagree.
    if (!reply || !call) return unreadable();
    runs.delete(reply.id);
    watchdog.delete(call);
    if (reply.error === undefined) (call.resolve as (r: RunResult) => void)({ outputs: reply.outputs, runMs: reply.runMs, ep: reply.ep });
    else
      call.reject(
        BatonError.isWire(reply.error)
          ? BatonError.fromWire(reply.error)
          : new BatonError('worker-crashed', 'inference worker answered a run with no readable error'),
      );
  };

  const gone = (what: string) => new BatonError('worker-crashed', `inference worker is gone (${what})`);

  /** A comlink call: the rare ones (start-up, load, release, test hooks). */
  function call<T>(what: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    if (!alive) return Promise.reject(gone(what));
    return new Promise<T>((resolve, reject) => {
      const entry: Call = { what, timeoutMs, deadline: timers.now() + timeoutMs, resolve: resolve as (value: never) => void, reject };
      watchdog.add(entry);
      fn().then(
        (value) => {
          watchdog.delete(entry);
          resolve(value);
        },
        (e: unknown) => {
          watchdog.delete(entry);
          reject(
            isWireError(e)
              ? BatonError.fromWire(e)
              : new BatonError('worker-crashed', `inference worker failed during ${what}: ${(e as Error)?.message ?? String(e)}`),
          );
        },
      );
    });
  }

  /** The worker has set `slot`'s state: settle its run (an answer on the port settles itself). */
  function slotChanged(slot: RingSlot): void {
    const state = Atomics.load(slot.header, 0);
    if (state === STATE.request || state === STATE.running) return whenChanged(slot.header, 0, state, () => slotChanged(slot));
    if (state === STATE.closed || state === STATE.free) return;
    const id = Atomics.load(slot.header, 1);
    const call = state === STATE.port ? undefined : runs.get(id);
    let reply: unknown;
    try {
      reply = state === STATE.reply ? decodeReply(slot) : state === STATE.error ? decodeError(slot, Atomics.load(slot.header, 2)) : undefined;
    } catch {
      // A slot the page cannot read, like a message it cannot read: the two sides disagree.
      return alive ? unreadable() : undefined;
    }
    Atomics.store(slot.header, 0, STATE.free);
    freeSlots.push(slot);
    if (state === STATE.port) return;
    if (!call) return alive ? unreadable() : undefined;
    runs.delete(id);
    watchdog.delete(call);
    if (state === STATE.reply) (call.resolve as (r: RunResult) => void)(reply as RunResult);
    else
      call.reject(
        BatonError.isWire(reply) ? BatonError.fromWire(reply) : new BatonError('worker-crashed', 'inference worker answered a run with no readable error'),
      );
  }

  /** A run through the ring, if a slot is free and the inputs fit it. */
  function runInRing(id: number, feeds: Feeds, entry: Call): boolean {
    const slot = freeSlots.pop();
    if (!slot) return false;
    const length = encodeTensors(feeds, slot);
    if (length === undefined) {
      freeSlots.push(slot);
      return false;
    }
    Atomics.store(slot.header, 1, id);
    Atomics.store(slot.header, 2, length);
    Atomics.store(slot.header, 0, STATE.request);
    runs.set(id, entry);
    watchdog.add(entry);
    Atomics.add(ring!.control, 0, 1);
    Atomics.notify(ring!.control, 0);
    whenChanged(slot.header, 0, STATE.request, () => slotChanged(slot));
    // Copied, not transferred; detached all the same, so a caller sees one contract whichever
    // way a run goes (`InferenceWorker.run`, `Runtime.run`: the arrays are detached afterwards).
    for (const buffer of transferablesOf(feeds)) detach(buffer);
    return true;
  }

  /** A run: one message each way on the run channel (or a slot of the ring), no timer of its own. */
  function run(feeds: Feeds): Promise<RunResult> {
    if (!alive) return Promise.reject(gone(RUN));
    return new Promise<RunResult>((resolve, reject) => {
      const id = nextId++;
      const entry: Call = {
        what: RUN,
        timeoutMs: timeouts.runMs,
        deadline: timers.now() + timeouts.runMs,
        id,
        resolve: resolve as (value: never) => void,
        reject,
      };
      if (ring && runInRing(id, feeds, entry)) return;
      try {
        port.postMessage({ id, feeds } satisfies RunRequest, transferablesOf(feeds));
      } catch (e) {
        // Nothing was sent (a detached or uncloneable input): this run fails, the worker is fine.
        reject(new BatonError('run-failed', `the feeds could not be sent to the inference worker: ${(e as Error)?.message ?? String(e)}`));
        return;
      }
      runs.set(id, entry);
      watchdog.add(entry);
    });
  }

  await call('the start-up handshake', () => remote.ping(), timeouts.handshakeMs).catch((e: unknown) => {
    kill(e as BatonError, true);
    throw e;
  });
  const channel: RunChannel = ring ? { port: workerPort, ring: { buffer: ring.buffer, slotBytes: ring.slotBytes } } : { port: workerPort };
  const info = await call('initialising onnxruntime-web', () => remote.init(init, Comlink.transfer(channel, [workerPort])), timeouts.loadMs).catch(
    (e: unknown) => {
      kill(e as BatonError, true);
      throw e;
    },
  );

  return {
    info,
    load: (request) => call(`loading version ${request.version}`, () => remote.load(Comlink.transfer(request, [request.bytes.buffer])), timeouts.loadMs),
    run,
    release: () => call('releasing the session', () => remote.release(), timeouts.loadMs),
    crash: () => call('crashing on request', () => remote.crash(), timeouts.handshakeMs),
    loseGpuDevice: () => call('losing the GPU device on request', () => remote.loseGpuDevice(), timeouts.handshakeMs),
    hang: () => call('arming a hang on request', () => remote.hang(), timeouts.handshakeMs),
    terminate: () => kill(new BatonError('disposed', 'inference worker terminated'), true),
    died,
    get alive() {
      return alive;
    },
  };
}
