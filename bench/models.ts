/**
 * The bench's model files, written under .cache/bench/models (never committed): the test kit's
 * MLP v1/v2 and the real Silero VAD v5/v6, plus two generated here — a 1 KB-input model for the
 * hop, and "layered" models (many weight tensors, like a real network's layers) whose versions
 * differ the ways real updates do, for the delta figure.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { mlpModel, sileroModelPath } from '../src/testing/models.js';
import { uniform } from '../src/testing/models-reference.js';
import { TINY_FLOATS } from './page/feeds.js';

// onnx-proto is CommonJS: take the namespace from its default export.
const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

const valueInfo = (name: string, dims: number[]): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});

function encode(graph: onnxProto.onnx.IGraphProto, docString = ''): Uint8Array {
  // ir_version 8 + ai.onnx 17: a pair onnxruntime-web 1.30 loads without complaint.
  const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: '', version: 17 }], producerName: 'baton-bench', docString, graph });
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

/** y = x × 2 over float32 [1, 256]: 1 KB in, 1 KB out, almost no compute — the hop is what shows. */
export function tinyModel(): Uint8Array {
  return encode({
    name: 'tiny',
    initializer: [{ name: 'two', dims: [], dataType: FLOAT, floatData: [2] }],
    node: [{ opType: 'Mul', input: ['x', 'two'], output: ['y'], name: 'mul' }],
    input: [valueInfo('x', [1, TINY_FLOATS])],
    output: [valueInfo('y', [1, TINY_FLOATS])],
  });
}

/** How a layered model's version differs from version 1 (each changes 5 % of the weights). */
export type DeltaCase = 'layer' | 'spread' | 'shifted';

export const DELTA_CASES: Record<DeltaCase, string> = {
  layer: 'one layer of 20 retrained (5 % of the weights, contiguous)',
  spread: '5 % of every layer changed (20 runs of 0.25 % each, spread through the file)',
  shifted: "one layer retrained, and the model's doc string grew by 21 bytes (every later byte shifts)",
};

export const LAYERS = 20;
const CHANGED = 0.05;

function fill(view: Float32Array, seed: number): void {
  const next = uniform(seed);
  for (let i = 0; i < view.length; i++) view[i] = next() * 2 - 1;
}

/**
 * `LAYERS` float32 weight tensors of `megabytes / LAYERS` MiB each, wired in as
 * `y = x + 0 × Σ ReduceMean(w_i)` so the graph is valid; version 1, or version 2 changed as
 * `change` says. All tensors keep their sizes, so only `shifted` moves any byte.
 */
export function layeredModel(megabytes: number, change?: DeltaCase): Uint8Array {
  const floats = Math.floor((megabytes * 2 ** 20) / 4 / LAYERS);
  const layers = Array.from({ length: LAYERS }, (_, i) => {
    const w = new Float32Array(floats);
    fill(w, 1000 + i);
    return w;
  });
  if (change === 'layer' || change === 'shifted') fill(layers[LAYERS / 2]!, 2_000_001);
  if (change === 'spread') {
    // A contiguous block in each layer (a head, a few rows): 5 % of each, at a different place in each.
    const run = Math.round(floats * CHANGED);
    layers.forEach((w, i) => {
      const start = Math.floor((((i * 7) % LAYERS) / LAYERS) * (floats - run));
      fill(w.subarray(start, start + run), 3_000_000 + i);
    });
  }
  const names = layers.map((_, i) => `w${i}`);
  return encode(
    {
      name: 'layered',
      initializer: [
        ...layers.map((w, i) => ({ name: names[i]!, dims: [w.length], dataType: FLOAT, rawData: new Uint8Array(w.buffer) })),
        { name: 'zero', dims: [], dataType: FLOAT, floatData: [0] },
      ],
      node: [
        ...names.map((n) => ({
          opType: 'ReduceMean',
          input: [n],
          output: [`${n}_mean`],
          name: `${n}_mean`,
          attribute: [{ name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
        })),
        { opType: 'Sum', input: names.map((n) => `${n}_mean`), output: ['sum'], name: 'sum' },
        { opType: 'Mul', input: ['sum', 'zero'], output: ['nil'], name: 'nil' },
        { opType: 'Add', input: ['x', 'nil'], output: ['y'], name: 'y' },
      ],
      input: [valueInfo('x', [1, 4])],
      output: [valueInfo('y', [1, 4])],
    },
    change === 'shifted' ? 'release 2 (layer 10 retrained)' : 'release 1',
  );
}

export interface BenchModels {
  readonly mlpV1: string;
  readonly mlpV2: string;
  readonly sileroV5: string;
  readonly sileroV6: string;
  readonly tiny: string;
  /** The download figure's model (`download.megabytes` MiB). */
  readonly large: string;
  readonly layeredV1: string;
  readonly layeredV2: Record<DeltaCase, string>;
}

/** Writes every model the bench uses into `dir`; the large ones at the sizes given. */
export async function writeBenchModels(dir: string, sizes: { downloadMegabytes: number; deltaMegabytes: number }): Promise<BenchModels> {
  await mkdir(dir, { recursive: true });
  const write = async (name: string, make: () => Uint8Array) => {
    const file = join(dir, name);
    await writeFile(file, make());
    return file;
  };
  const copy = async (name: string, from: string) => {
    const file = join(dir, name);
    await copyFile(from, file);
    return file;
  };
  const layeredV2 = {} as Record<DeltaCase, string>;
  for (const c of Object.keys(DELTA_CASES) as DeltaCase[])
    layeredV2[c] = await write(`layered-${sizes.deltaMegabytes}-v2-${c}.onnx`, () => layeredModel(sizes.deltaMegabytes, c));
  return {
    mlpV1: await write('mlp-v1.onnx', () => mlpModel(1)),
    mlpV2: await write('mlp-v2.onnx', () => mlpModel(2)),
    sileroV5: await copy('silero-v5.onnx', sileroModelPath('v5')),
    sileroV6: await copy('silero-v6.onnx', sileroModelPath('v6')),
    tiny: await write('tiny.onnx', tinyModel),
    // The download model is the layered v1 at its own size: weights that do not compress.
    large: await write(`layered-${sizes.downloadMegabytes}-v1.onnx`, () => layeredModel(sizes.downloadMegabytes)),
    layeredV1: await write(`layered-${sizes.deltaMegabytes}-v1.onnx`, () => layeredModel(sizes.deltaMegabytes)),
    layeredV2,
  };
}
