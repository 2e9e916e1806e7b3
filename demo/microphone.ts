/**
 * The microphone as stream 1's input, when the user allows it: captured at 16 kHz (the
 * AudioContext resamples), queued, and handed out one 512-sample frame (with the 64 samples
 * before it) per request. A real voice also makes the input drift from the clip's profile.
 *
 * ScriptProcessorNode is deprecated in favour of AudioWorklet, but it needs no separate worklet
 * module and Chromium still runs it; for a demo input it is enough.
 */
import { CONTEXT, FRAME, SAMPLE_RATE } from './clip.js';

export interface Microphone {
  /** The next frame with its context (CONTEXT + FRAME samples), or undefined until enough arrived. */
  next(): Float32Array<ArrayBuffer> | undefined;
  stop(): Promise<void>;
}

const MAX_QUEUED = SAMPLE_RATE; // one second: older audio is dropped rather than lagging behind

export async function startMicrophone(): Promise<Microphone> {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: true },
  });
  const ctx = new AudioContext({ sampleRate: SAMPLE_RATE });
  const source = ctx.createMediaStreamSource(stream);
  const node = ctx.createScriptProcessor(1024, 1, 1);
  let queue = new Float32Array(0);
  let context = new Float32Array(CONTEXT);
  node.onaudioprocess = (e) => {
    const input = e.inputBuffer.getChannelData(0);
    const joined = new Float32Array(Math.min(MAX_QUEUED, queue.length + input.length));
    joined.set(queue.subarray(Math.max(0, queue.length + input.length - MAX_QUEUED)), 0);
    joined.set(input, joined.length - input.length);
    queue = joined;
  };
  // A ScriptProcessor only runs while connected to the destination; it writes silence there.
  source.connect(node);
  node.connect(ctx.destination);
  return {
    next() {
      if (queue.length < FRAME) return undefined;
      const frame = new Float32Array(CONTEXT + FRAME);
      frame.set(context, 0);
      frame.set(queue.subarray(0, FRAME), CONTEXT);
      context = frame.slice(FRAME);
      queue = queue.slice(FRAME);
      return frame;
    },
    async stop() {
      node.disconnect();
      source.disconnect();
      for (const track of stream.getTracks()) track.stop();
      await ctx.close();
    },
  };
}
