/**
 * The demo's steady request load: every 32 ms (real time for 16 kHz audio), one request with the
 * next 512-sample frame of each of the clip's STREAMS streams, each carrying its recurrent state
 * from the previous answer. One request in flight at a time, as a real audio pipeline has: the
 * closed loop of the load generator the kit, the e2e harness and the bench share
 * (src/testing/expose-load.ts), which skips a tick that finds the previous request still running.
 */
import type { Feeds, Runtime, RunOutput } from '../src/index.js';
import { startLoad, type Load } from '../src/testing/expose-load.js';
import { CONTEXT, FRAME, STREAMS, requestInput } from './clip.js';

export const INTERVAL_MS = (FRAME / 16_000) * 1000;
const STATE_SIZE = 2 * STREAMS * 128;

/** What one request saw. */
export interface RequestSample {
  /** Epoch ms when it started. */
  readonly at: number;
  readonly ms: number;
  readonly ok: boolean;
  /** The version that answered (absent when the request was rejected). */
  readonly version?: string;
  /** The candidate on trial that failed this request before `version` answered it instead. */
  readonly rescuedFrom?: string;
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
  let running: Load | undefined;
  /** Counts of the loads stopped so far (the generator counts its own run). */
  let before = { sent: 0, skipped: 0 };
  /** The input level of each request in flight, by its index. */
  const levels = new Map<number, number>();

  const request = async (i: number): Promise<{ version: string; speech: Float32Array; fallback?: NonNullable<RunOutput['fallback']> }> => {
    const input = requestInput(clip, frame++, load.noise);
    if (load.stream1) input.set(load.stream1() ?? new Float32Array(CONTEXT + FRAME), 0);
    levels.set(i, rms(input, CONTEXT, CONTEXT + FRAME));
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
      return { version: out.version, speech, ...(out.fallback ? { fallback: out.fallback } : {}) };
    } catch (e) {
      state = new Float32Array(STATE_SIZE);
      throw e;
    }
  };

  const load: VadLoad = {
    noise: 0,
    stream1: undefined,
    get skipped() {
      return before.skipped + (running?.skipped ?? 0);
    },
    get sent() {
      return before.sent + (running?.issued ?? 0);
    },
    start() {
      if (running) return;
      running = startLoad(request, {
        mode: 'closed',
        intervalMs: INTERVAL_MS,
        // It runs for as long as the page is open: the series keeps what the charts need.
        keep: false,
        onRecord: (record, answer) => {
          const level = levels.get(record.i) ?? 0;
          levels.delete(record.i);
          // A NaN answer served is not a good one: not ok, though nothing was rejected (no code).
          const ok = record.ok && answer!.speech.every(Number.isFinite);
          onSample({
            at: record.at,
            ms: record.ms,
            ok,
            level,
            ...(record.version === undefined ? {} : { version: record.version }),
            ...(record.fallback ? { rescuedFrom: record.fallback.from } : {}),
            ...(record.code === undefined ? {} : { code: record.code }),
            ...(answer ? { speech: answer.speech } : {}),
          });
        },
      });
    },
    async stop() {
      const stopping = running;
      running = undefined;
      if (!stopping) return;
      await stopping.stop();
      before = { sent: before.sent + stopping.issued, skipped: before.skipped + stopping.skipped };
    },
  };
  return load;
}
