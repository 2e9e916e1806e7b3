/**
 * The README's Silero VAD input, compiled under every module resolution with the other entries
 * (the demo runs the same input against the real model: demo/load.ts).
 */
// #region vad
import { createRuntime, type Feeds } from 'baton-ml';

// Silero VAD v5/v6 at 16 kHz: each 512-sample frame preceded by the previous frame's last 64
// samples (as Silero's own wrapper does; without them v6 hardly ever detects speech).
const vadInput = (samples: Float32Array /* 64 + 512 */, state: Float32Array): Feeds => ({
  input: { type: 'float32', data: samples, dims: [1, 576] },
  state: { type: 'float32', data: state, dims: [2, 1, 128] },
  sr: { type: 'int64', data: BigInt64Array.of(16000n), dims: [] },
});
const vad = await createRuntime({
  model: 'vad',
  warmup: () => vadInput(new Float32Array(576), new Float32Array(256)),
});
const { outputs } = await vad.run(vadInput(frame, state));
const [speech, nextState] = [outputs['output']?.data, outputs['stateN']?.data];
// #endregion vad

declare const frame: Float32Array;
declare const state: Float32Array;
export { speech, nextState };
