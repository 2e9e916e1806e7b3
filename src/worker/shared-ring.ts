/**
 * The shared-memory run ring, for cross-origin isolated pages (opt-in: worker-client.ts
 * `sharedRing` says why it is off by default): a SharedArrayBuffer of a few
 * slots, each holding one run's feeds on the way in and its outputs on the way out, with
 * `Atomics.notify` / `Atomics.waitAsync` instead of a message (worker-client.ts, run-server.ts).
 * Inputs or outputs that do not fit a slot, string tensors, and a page that is not isolated use
 * the run channel's messages instead.
 *
 * Layout: a control word (the doorbell: requests so far) in the first 16 bytes, then `slots`
 * slots of a 16-byte header (Int32 state, id, payload length, spare) and `slotBytes` of payload.
 * A slot's state moves FREE → REQUEST (page) → RUNNING (worker) → REPLY | ERROR | PORT (worker)
 * → FREE (page); only the page frees a slot, so it is never reused while either side reads it.
 */
import type { BatonErrorWire } from '../errors.js';
import type { ExecutionProvider, Feeds, TensorData, TensorLike } from '../types.js';

export const STATE = {
  free: 0,
  request: 1,
  running: 2,
  /** Outputs in the slot. */
  reply: 3,
  /** A BatonErrorWire (JSON) in the slot. */
  error: 4,
  /** Answered on the run channel's port instead (outputs larger than a slot). */
  port: 5,
  /** The worker is gone: wakes the page's waiters so none is left behind. */
  closed: 6,
} as const;

export const DEFAULT_SLOTS = 4;
/** 64 KiB per slot: the inputs of a typical audio or tabular model, far below an image's. */
export const DEFAULT_SLOT_BYTES = 64 * 1024;
const CONTROL_BYTES = 16;
const HEADER_BYTES = 16;
const HEADER_INTS = HEADER_BYTES / 4;

/** The constructors a tensor's data may have, by code (string tensors do not go in the ring). */
const ARRAYS = [Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array] as const;
const TYPES = ['float32', 'float16', 'float64', 'bfloat16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool'] as const;
const EPS: readonly ExecutionProvider[] = ['wasm', 'webgpu'];

type NumericData = Exclude<TensorData, string[]>;

export interface RingSlot {
  readonly index: number;
  /** [state, id, payload length, spare]: the words both sides wait on and set. */
  readonly header: Int32Array;
  readonly bytes: Uint8Array;
  readonly view: DataView;
}

export interface Ring {
  readonly buffer: SharedArrayBuffer;
  /** [0]: the doorbell, bumped and notified by the page for every request. */
  readonly control: Int32Array;
  readonly slots: readonly RingSlot[];
  readonly slotBytes: number;
}

/** Whether this context can use a ring: shared memory (cross-origin isolation) and `Atomics.waitAsync`. */
export const ringSupported = (): boolean =>
  typeof SharedArrayBuffer === 'function' &&
  (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false &&
  typeof waitAsyncOf() === 'function';

export function createRing(slots = DEFAULT_SLOTS, slotBytes = DEFAULT_SLOT_BYTES): Ring {
  if (!(slots >= 1 && slotBytes >= 64 && slotBytes % 8 === 0))
    throw new RangeError(`shared ring: need ≥ 1 slot of ≥ 64 bytes (a multiple of 8), got ${slots} × ${slotBytes}`);
  return ringOf(new SharedArrayBuffer(CONTROL_BYTES + slots * (HEADER_BYTES + slotBytes)), slotBytes);
}

/** The views on a ring's buffer (the worker's side gets the buffer and the slot size). */
export function ringOf(buffer: SharedArrayBuffer, slotBytes: number): Ring {
  const stride = HEADER_BYTES + slotBytes;
  const count = (buffer.byteLength - CONTROL_BYTES) / stride;
  const slots: RingSlot[] = [];
  for (let i = 0; i < count; i++) {
    const base = CONTROL_BYTES + i * stride;
    slots.push({
      index: i,
      header: new Int32Array(buffer, base, HEADER_INTS),
      bytes: new Uint8Array(buffer, base + HEADER_BYTES, slotBytes),
      view: new DataView(buffer, base + HEADER_BYTES, slotBytes),
    });
  }
  return { buffer, control: new Int32Array(buffer, 0, CONTROL_BYTES / 4), slots, slotBytes };
}

type WaitAsyncResult =
  { readonly async: false; readonly value: 'not-equal' | 'timed-out' } | { readonly async: true; readonly value: Promise<'ok' | 'timed-out'> };
type WaitAsync = (view: Int32Array, index: number, value: number) => WaitAsyncResult;

/** `Atomics.waitAsync` (ES2024; Chromium 87+, other engines later: feature-detected), or undefined. */
function waitAsyncOf(): WaitAsync | undefined {
  return (Atomics as unknown as { waitAsync?: WaitAsync }).waitAsync;
}

/**
 * Calls `then` once `view[index]` is no longer `value` (at once if it already is not). Not a
 * loop: the caller looks at the word again and waits again if it must.
 */
export function whenChanged(view: Int32Array, index: number, value: number, then: () => void): void {
  const w = waitAsyncOf()!.call(Atomics, view, index, value);
  if (w.async) void w.value.then(then);
  else then();
}

const align = (offset: number, to: number) => (offset + to - 1) & ~(to - 1);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Writes `tensors` into `slot`'s payload after `start` bytes; returns the payload's length, or
 * undefined when they do not fit or cannot go in the ring (strings, an unknown array type).
 * Per tensor: u8 type, u8 array kind, u8 rank, u8 spare, u16 name length, name, u32 dims
 * (4-aligned), u32 byte length, data (8-aligned).
 */
export function encodeTensors(tensors: Feeds, slot: RingSlot, start = 0): number | undefined {
  const { bytes, view } = slot;
  const cap = bytes.length;
  let at = start + 4;
  let count = 0;
  for (const name in tensors) {
    const t = tensors[name]!;
    const type = TYPES.indexOf(t.type as (typeof TYPES)[number]);
    if (type < 0 || Array.isArray(t.data)) return undefined;
    const data = t.data as NumericData;
    const kind = ARRAYS.findIndex((A) => data instanceof A);
    if (kind < 0) return undefined;
    const nameBytes = encoder.encode(name);
    const dimsAt = align(at + 6 + nameBytes.length, 4);
    const dataAt = align(dimsAt + 4 * t.dims.length + 4, 8);
    if (dataAt + data.byteLength > cap || nameBytes.length > 0xffff || t.dims.length > 0xff) return undefined;
    view.setUint8(at, type);
    view.setUint8(at + 1, kind);
    view.setUint8(at + 2, t.dims.length);
    view.setUint16(at + 4, nameBytes.length, true);
    bytes.set(nameBytes, at + 6);
    for (let d = 0; d < t.dims.length; d++) view.setUint32(dimsAt + 4 * d, t.dims[d]!, true);
    view.setUint32(dimsAt + 4 * t.dims.length, data.byteLength, true);
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), dataAt);
    at = dataAt + data.byteLength;
    count++;
  }
  view.setUint32(start, count, true);
  return at;
}

/**
 * Reads tensors written by {@link encodeTensors}. `copy`: into buffers of their own (what the
 * page hands its caller, who may keep them while the slot is reused); otherwise views on the
 * slot (the worker's inputs, read before the slot is written again).
 */
export function decodeTensors(slot: RingSlot, start: number, copy: boolean): { tensors: Feeds; end: number } {
  const { bytes, view } = slot;
  const count = view.getUint32(start, true);
  let at = start + 4;
  const tensors: Record<string, TensorLike> = {};
  for (let i = 0; i < count; i++) {
    const type = TYPES[view.getUint8(at)]!;
    const Array_ = ARRAYS[view.getUint8(at + 1)]!;
    const rank = view.getUint8(at + 2);
    const nameLength = view.getUint16(at + 4, true);
    // slice(): TextDecoder refuses views on shared memory.
    const name = decoder.decode(bytes.slice(at + 6, at + 6 + nameLength));
    const dimsAt = align(at + 6 + nameLength, 4);
    const dims: number[] = [];
    for (let d = 0; d < rank; d++) dims.push(view.getUint32(dimsAt + 4 * d, true));
    const byteLength = view.getUint32(dimsAt + 4 * rank, true);
    const dataAt = align(dimsAt + 4 * rank + 4, 8);
    const source = bytes.subarray(dataAt, dataAt + byteLength);
    const buffer = copy ? new Uint8Array(source).buffer : bytes.buffer;
    const offset = copy ? 0 : bytes.byteOffset + dataAt;
    tensors[name] = { type, data: new Array_(buffer as ArrayBuffer, offset, byteLength / Array_.BYTES_PER_ELEMENT), dims };
    at = dataAt + byteLength;
  }
  return { tensors, end: at };
}

/** A reply's fixed part, before its outputs: f64 runMs, u8 provider. */
const REPLY_PREFIX = 16;

export function encodeReply(slot: RingSlot, outputs: Feeds, runMs: number, ep: ExecutionProvider): number | undefined {
  const end = encodeTensors(outputs, slot, REPLY_PREFIX);
  if (end === undefined) return undefined;
  slot.view.setFloat64(0, runMs, true);
  slot.view.setUint8(8, EPS.indexOf(ep));
  return end;
}

export function decodeReply(slot: RingSlot): { outputs: Feeds; runMs: number; ep: ExecutionProvider } {
  return { outputs: decodeTensors(slot, REPLY_PREFIX, true).tensors, runMs: slot.view.getFloat64(0, true), ep: EPS[slot.view.getUint8(8)] ?? 'wasm' };
}

/** An error as JSON in the slot; its message cut (details kept if they fit) when it is too long for one. */
export function encodeError(slot: RingSlot, error: BatonErrorWire): number {
  let message = error.message;
  let json = encoder.encode(JSON.stringify(error));
  while (json.length > slot.bytes.length) {
    message = message.slice(0, message.length >> 1);
    const cut = { ...error, message: `${message}…` };
    json = encoder.encode(JSON.stringify(message.length > 0 ? cut : { name: error.name, code: error.code, message: '' }));
    if (message.length === 0) break;
  }
  slot.bytes.set(json.subarray(0, slot.bytes.length));
  return Math.min(json.length, slot.bytes.length);
}

export function decodeError(slot: RingSlot, length: number): unknown {
  try {
    return JSON.parse(decoder.decode(slot.bytes.slice(0, length))) as unknown;
  } catch {
    return undefined;
  }
}
