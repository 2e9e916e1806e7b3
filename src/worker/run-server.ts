/**
 * The worker's end of the run channel: takes `{ id, feeds }` requests from the page's port (and,
 * when the page set one up, from the shared ring: shared-ring.ts), runs them one at a time in
 * arrival order (onnxruntime-web rejects overlapping runs with "Session already started"), and
 * answers each the way it came: `{ id, outputs, runMs, ep }` (outputs transferred) or
 * `{ id, error }` (a BatonError wire object, so its code survives) on the port; outputs or an
 * error in the slot, or on the port when the outputs do not fit the slot.
 *
 * Invariants: exactly one answer per request; a run that throws anything is answered with a
 * wire error (`run-failed` unless it already is one); an answer that cannot be sent is answered
 * with a `run-failed` error instead.
 */
import { BatonError, type BatonErrorWire } from '../errors.js';
import type { Feeds, RunChannel, RunReply, RunRequest, RunResult } from './protocol.js';
import { isWireError, transferablesOf } from './protocol.js';
import { decodeTensors, encodeError, encodeReply, ringOf, STATE, whenChanged, type RingSlot } from './shared-ring.js';

export interface RunServer {
  /** Settles once no run is running or queued (release waits for it). */
  idle(): Promise<void>;
}

interface Queued {
  readonly id: number;
  readonly feeds: Feeds;
  /** Set when the request came through the ring: the answer goes there. */
  readonly slot?: RingSlot;
}

const runFailed = (what: string, e: unknown): BatonErrorWire => new BatonError('run-failed', `${what}${(e as Error)?.message ?? String(e)}`).toWire();

export function serveRuns(channel: RunChannel, run: (feeds: Feeds) => Promise<RunResult>): RunServer {
  const { port } = channel;
  const queue: Queued[] = [];
  let busy = false;
  const idle: (() => void)[] = [];

  function post(reply: RunReply, transfer: ArrayBuffer[]): void {
    try {
      port.postMessage(reply, transfer);
    } catch (e) {
      port.postMessage({ id: reply.id, error: runFailed('the outputs could not be sent to the page: ', e) } satisfies RunReply);
    }
  }

  function answerInSlot(slot: RingSlot, reply: RunReply, transfer: ArrayBuffer[]): void {
    let state: number = STATE.error;
    if (reply.error !== undefined) slot.header[2] = encodeError(slot, reply.error);
    else {
      const length = encodeReply(slot, reply.outputs, reply.runMs, reply.ep);
      if (length === undefined) {
        // Too large for the slot (or strings): the port carries it, the slot says so.
        post(reply, transfer);
        state = STATE.port;
      } else {
        slot.header[2] = length;
        state = STATE.reply;
      }
    }
    Atomics.store(slot.header, 0, state);
    Atomics.notify(slot.header, 0);
  }

  async function drain(): Promise<void> {
    busy = true;
    for (let request = queue.shift(); request !== undefined; request = queue.shift()) {
      const { id } = request;
      let reply: RunReply;
      let transfer: ArrayBuffer[] = [];
      try {
        const result = await run(request.feeds);
        reply = { id, outputs: result.outputs, runMs: result.runMs, ep: result.ep };
        transfer = transferablesOf(result.outputs);
      } catch (e) {
        reply = { id, error: isWireError(e) ? e : runFailed('', e) };
      }
      if (request.slot) answerInSlot(request.slot, reply, transfer);
      else post(reply, transfer);
    }
    busy = false;
    for (const resolve of idle.splice(0)) resolve();
  }

  port.onmessage = (event: MessageEvent<RunRequest>) => {
    queue.push(event.data);
    if (!busy) void drain();
  };

  if (channel.ring) {
    const ring = ringOf(channel.ring.buffer, channel.ring.slotBytes);
    let rung = Atomics.load(ring.control, 0);
    const take = () => {
      const taken: Queued[] = [];
      for (const slot of ring.slots) {
        if (Atomics.compareExchange(slot.header, 0, STATE.request, STATE.running) !== STATE.request) continue;
        // Views on the slot, not copies: onnxruntime-web copies inputs into its heap, and the slot
        // is not written again until this run is answered.
        taken.push({ id: Atomics.load(slot.header, 1), feeds: decodeTensors(slot, 0, false).tensors, slot });
      }
      queue.push(...taken.sort((a, b) => a.id - b.id));
      if (!busy && queue.length > 0) void drain();
    };
    const listen = (): void =>
      whenChanged(ring.control, 0, rung, () => {
        rung = Atomics.load(ring.control, 0);
        take();
        listen();
      });
    take();
    listen();
  }

  return {
    idle: () => (busy ? new Promise<void>((resolve) => idle.push(resolve)) : Promise.resolve()),
  };
}
