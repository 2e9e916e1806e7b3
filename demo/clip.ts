/**
 * The demo's input: a synthetic speech-like clip generated on the spot (no audio file, no
 * network), deterministic from a seed, so the page and the demo server (which computes the
 * manifest's reference profile from it) see the same samples. Phrases of voiced syllables —
 * Rosenberg glottal pulses at a 100–200 Hz pitch with a falling intonation, jitter and shimmer,
 * shaped by three vowel formants gliding into the next vowel, with fricative onsets — alternate
 * with short pauses over a room's noise floor, so Silero VAD's speech probability rises and falls.
 */

import { uniform } from '../src/testing/models-reference.js';

export const SAMPLE_RATE = 16_000;
/** New samples per stream per request: 32 ms, what Silero VAD v5/v6 take at 16 kHz. */
export const FRAME = 512;
/**
 * Samples of the previous frame prepended to each one. Silero's own wrapper does this for v5 and
 * v6 (`OnnxWrapper`, 64 at 16 kHz); v6 reports no speech at all without it on this clip.
 */
export const CONTEXT = 64;
/** Independent audio streams per request (the batch dimension), each with its own recurrent state. */
export const STREAMS = 4;
export const CLIP_SECONDS = 12;

/** F1, F2, F3 (Hz) of a few vowels (adult male averages, Peterson & Barney 1952). */
const VOWELS: readonly (readonly [number, number, number])[] = [
  [730, 1090, 2440],
  [270, 2290, 3010],
  [300, 870, 2240],
  [530, 1840, 2480],
  [570, 840, 2410],
  [660, 1720, 2410],
  [440, 1020, 2240],
];
const BANDWIDTHS = [60, 90, 150] as const;
const FORMANT_GAINS = [1, 0.5, 0.25] as const;

/** A two-pole resonator with unity gain at DC: one formant, or a fricative's noise band. */
class Resonator {
  private y1 = 0;
  private y2 = 0;
  private a1 = 0;
  private a2 = 0;
  private g = 0;

  tune(freq: number, bandwidth: number): void {
    const r = Math.exp((-Math.PI * bandwidth) / SAMPLE_RATE);
    this.a1 = 2 * r * Math.cos((2 * Math.PI * freq) / SAMPLE_RATE);
    this.a2 = -r * r;
    this.g = 1 - this.a1 - this.a2;
  }

  step(x: number): number {
    const y = this.g * x + this.a1 * this.y1 + this.a2 * this.y2;
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }
}

/** `seconds` of audio at 16 kHz in [-1, 1]: phrases of 0.7–1.3 s, pauses of 0.2–0.5 s. */
export function synthesizeClip(seconds = CLIP_SECONDS, seed = 0xba70): Float32Array {
  const rand = uniform(seed);
  const out = new Float32Array(Math.round(seconds * SAMPLE_RATE));
  let t = 0;
  while (t < out.length) {
    const phrase = Math.min(Math.round((0.7 + 0.6 * rand()) * SAMPLE_RATE), out.length - t);
    voicePhrase(out, t, phrase, rand);
    t += phrase + Math.round((0.2 + 0.3 * rand()) * SAMPLE_RATE);
  }
  let peak = 0;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  const gain = peak > 0 ? 0.6 / peak : 1;
  // Speech peaks at 0.6 over a noise floor (a sum of three uniforms: roughly Gaussian, σ ≈ 0.015).
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * gain + 0.03 * (rand() + rand() + rand() - 1.5);
  return out;
}

function voicePhrase(out: Float32Array, start: number, length: number, rand: () => number): void {
  const f0Start = 120 + 80 * rand();
  const f0End = 100 + 30 * rand();
  const formants = [new Resonator(), new Resonator(), new Resonator()];
  const fricative = new Resonator();
  let phase = 0;
  let periodF0 = f0Start;
  let periodAmp = 1;
  let next = VOWELS[Math.floor(rand() * VOWELS.length)]!;
  let i = 0;
  while (i < length) {
    const syllable = Math.round((0.12 + 0.16 * rand()) * SAMPLE_RATE);
    const vowel = next;
    next = VOWELS[Math.floor(rand() * VOWELS.length)]!;
    const onset = Math.round((0.03 + 0.05 * rand()) * SAMPLE_RATE);
    const hasFricative = rand() < 0.6;
    fricative.tune(2500 + 3000 * rand(), 1500);
    for (let s = 0; s < syllable && i < length; s++, i++) {
      const x = s / syllable;
      // Coarticulation: over the second half of the syllable, glide toward the next vowel.
      const glide = Math.max(0, (x - 0.5) / 0.5);
      formants.forEach((f, k) => f.tune(vowel[k]! + (next[k]! - vowel[k]!) * glide, BANDWIDTHS[k]!));
      const f0 = (f0Start + (f0End - f0Start) * (i / length)) * (1 + 0.03 * Math.sin((2 * Math.PI * 3 * i) / SAMPLE_RATE));
      phase += periodF0 / SAMPLE_RATE;
      if (phase >= 1) {
        phase -= 1;
        periodF0 = f0 * (1 + 0.02 * (rand() * 2 - 1)); // jitter
        periodAmp = 1 + 0.1 * (rand() * 2 - 1); // shimmer
      }
      const source = glottalPulse(phase) * periodAmp + 0.05 * (rand() * 2 - 1);
      const voiced = formants.reduce((sum, f, k) => sum + f.step(source) * FORMANT_GAINS[k]!, 0);
      const envelope = s < onset ? 0 : Math.min(1, (s - onset) / (0.15 * (syllable - onset)), (syllable - s) / (0.25 * (syllable - onset)));
      const consonant = s < onset && hasFricative ? 0.3 * fricative.step(rand() * 2 - 1) : 0;
      const edge = Math.min(1, i / 400, (length - i) / 400);
      out[start + i] = out[start + i]! + edge * (envelope * voiced + consonant);
    }
  }
}

/** Derivative of a Rosenberg glottal pulse over one period (`phase` in [0, 1)). */
function glottalPulse(phase: number): number {
  const open = 0.6;
  const rising = open * 0.66;
  if (phase < rising) return Math.sin((Math.PI * phase) / rising);
  if (phase < open) return -2 * Math.sin((Math.PI * (phase - rising)) / (open - rising));
  return 0;
}

export function frameCount(clip: Float32Array): number {
  return Math.floor(clip.length / FRAME);
}

/** Where stream `s` starts in the clip: the streams are spread evenly over it. */
export function streamOffset(clip: Float32Array, s: number): number {
  return Math.floor((s * frameCount(clip)) / STREAMS);
}

/**
 * The `input` tensor's data for request `i`: for each stream, its frame `i` (wrapping around the
 * clip) preceded by the CONTEXT samples before it, laid out `[STREAMS, CONTEXT + FRAME]`. With
 * `noise`, uniform noise of that amplitude is added (the dashboard's "noisy room" switch).
 */
export function requestInput(clip: Float32Array, i: number, noise = 0, rand: () => number = Math.random): Float32Array<ArrayBuffer> {
  const width = CONTEXT + FRAME;
  const frames = frameCount(clip);
  const data = new Float32Array(STREAMS * width);
  for (let s = 0; s < STREAMS; s++) {
    const k = (i + streamOffset(clip, s)) % frames;
    const from = k * FRAME - CONTEXT;
    for (let j = 0; j < width; j++) data[s * width + j] = from + j >= 0 ? clip[from + j]! : 0;
  }
  if (noise > 0) for (let j = 0; j < data.length; j++) data[j] = data[j]! + noise * (rand() * 2 - 1);
  return data;
}
