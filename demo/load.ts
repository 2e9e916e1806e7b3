/**
 * The demo's steady request load: every 32 ms (real time for 16 kHz audio), one request with the
 * next 512-sample frame of each of the clip's STREAMS streams, each carrying its recurrent state
 * from the previous answer. One request in flight at a time, as a real audio pipeline has.
 */
import type { Feeds, Runtime } from '../src/index.js';
import { isBatonError } from '../src/index.js';
import { CONTEXT, FRAME, STREAMS, requestInput } from './clip.js';

export const INTERVAL_MS = (FRAME / 16_000) * 1000;
const STATE_SIZE = 2 * STREAMS * 128;

/** What one request saw. */
export interface RequestSample {
  /** Epoch ms when it started. */
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
  /** The version that answered (successful requests only). */
  readonly version?: string;
  /** BatonError code of a failed request. */
  readonly code?: string;
  /** Speech probability per stream; NaN where the model answered NaN. */
  readonly speech?: Float32Array;
  /** RMS level of stream 1's new samples. */
  readonly level: number;
}

export interface VadLoad {
  start(): void;
  stop(): Promise<void>;
  /** Amplitude of uniform noise added to every input (the "noisy room" switch); 0 = the clean clip. */
  noise: number;
  /** Stream 1's input instead of the clip (the microphone): CONTEXT + FRAME samples, or undefined for silence. */
  stream1: (() => Float32Array | undefined) | undefined;
  /** Ticks skipped because the previous request had not finished. */
  readonly skipped: number;
  readonly sent: number;
}

/** Warm-up feeds for any version: zeros of the right shapes, and the sample rate Silero needs. */
export function vadWarmup(): Feeds {
  return {
    input: { type: 'float32', data: new Float32Array(STREAMS * (CONTEXT + FRAME)), dims: [STREAMS, CONTEXT + FRAME] },
    state: { type: 'float32', data: new Float32Array(STATE_SIZE), dims: [2, STREAMS, 128] },
    sr: { type: 'int64', data: BigInt64Array.of(16_000n), dims: [] },
  };
}

function rms(data: Float32Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i++) sum += data[i]! * data[i]!;
  return Math.sqrt(sum / (to - from));
}

export function createVadLoad(rt: Runtime, clip: Float32Array, onSample: (s: RequestSample) => void): VadLoad {
  let state: Float32Array<ArrayBuffer> = new Float32Array(STATE_SIZE);
  let frame = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> | undefined;
  let next = 0;

  const once = async (): Promise<void> => {
    const input = requestInput(clip, frame++, load.noise);
    if (load.stream1) input.set(load.stream1() ?? new Float32Array(CONTEXT + FRAME), 0);
    const level = rms(input, CONTEXT, CONTEXT + FRAME);
    const at = Date.now();
    const t0 = performance.now();
    load.sent++;
    try {
      // The buffers are transferred to the worker: pass copies of what we keep.
      const out = await rt.run({
        input: { type: 'float32', data: input, dims: [STREAMS, CONTEXT + FRAME] },
        state: { type: 'float32', data: state.slice(), dims: [2, STREAMS, 128] },
        sr: { type: 'int64', data: BigInt64Array.of(16_000n), dims: [] },
      });
      const speech = Float32Array.from(out.outputs['output']!.data as Float32Array);
      const stateN = out.outputs['stateN']!.data as Float32Array;
      // A broken answer must not poison the streams' state for the next (healthy) version.
      state = speech.every(Number.isFinite) && stateN.every(Number.isFinite) ? Float32Array.from(stateN) : new Float32Array(STATE_SIZE);
      onSample({ at, ms: performance.now() - t0, ok: speech.every(Number.isFinite), version: out.version, speech, level });
    } catch (e) {
      state = new Float32Array(STATE_SIZE);
      onSample({ at, ms: performance.now() - t0, ok: false, code: isBatonError(e) ? e.code : String(e), level });
    }
  };

  const tick = () => {
    if (inFlight) load.skipped++;
    else inFlight = once().finally(() => (inFlight = undefined));
    // Scheduled against the clock, not the previous tick, so the rate holds on average; after a
    // stall (a background tab's throttled timers) it resumes instead of catching up in a burst.
    next = Math.max(next + INTERVAL_MS, performance.now() - INTERVAL_MS);
    timer = setTimeout(tick, Math.max(0, next - performance.now()));
  };

  const load: VadLoad & { skipped: number; sent: number } = {
    noise: 0,
    stream1: undefined,
    skipped: 0,
    sent: 0,
    start() {
      if (timer !== undefined) return;
      next = performance.now();
      tick();
    },
    async stop() {
      clearTimeout(timer);
      timer = undefined;
      await inFlight;
    },
  };
  return load;
}
