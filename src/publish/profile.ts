/**
 * `baton publish --profile samples.json`: a version's reference profile for drift detection. The
 * sample inputs are summarised directly; the outputs come from running the model on them with
 * onnxruntime-web's WASM backend in Node (the same engine the devices run), so no other runtime
 * is needed to publish.
 *
 * samples.json: `{ "inputs": [ { "<input name>": { "type": "float32", "dims": [1, 4], "data": [ … ] }, … }, … ] }`
 */
import { BatonError } from '../errors.js';
import { profileTensor } from '../observe/drift.js';
import type { ReleaseProfile, TensorSpec } from '../types.js';
import { readJsonFile } from './files.js';

type SampleTensor = { type: string; dims: number[]; data: number[] };

const NUMERIC: Record<string, (data: number[]) => ArrayLike<number | bigint>> = {
  float32: (d) => Float32Array.from(d),
  float64: (d) => Float64Array.from(d),
  int32: (d) => Int32Array.from(d),
  int64: (d) => BigInt64Array.from(d.map((v) => BigInt(Math.trunc(v)))),
  uint8: (d) => Uint8Array.from(d),
  int8: (d) => Int8Array.from(d),
};

/** Reads and checks a samples file against the model's declared inputs. */
export async function readSamples(path: string, inputs: readonly TensorSpec[]): Promise<Record<string, SampleTensor>[]> {
  const json = await readJsonFile(path, 'profile samples');
  const samples = (json as { inputs?: unknown })?.inputs;
  if (!Array.isArray(samples) || samples.length === 0)
    throw new BatonError('model-invalid', `profile samples ${path}: expected { "inputs": [ { <name>: { type, dims, data } }, … ] }`);
  for (const [i, sample] of samples.entries()) {
    for (const spec of inputs) {
      const t = (sample as Record<string, SampleTensor | undefined>)[spec.name];
      if (!t || !Array.isArray(t.data) || !Array.isArray(t.dims) || !(t.type in NUMERIC)) {
        throw new BatonError('model-invalid', `profile samples ${path}: sample ${i} lacks a numeric tensor "${spec.name}" ({ type, dims, data })`);
      }
      const size = t.dims.reduce((a, b) => a * b, 1);
      if (size !== t.data.length)
        throw new BatonError(
          'model-invalid',
          `profile samples ${path}: sample ${i} "${spec.name}" has ${t.data.length} values for dims [${t.dims.join(', ')}]`,
        );
    }
  }
  return samples as Record<string, SampleTensor>[];
}

export async function computeProfile(
  model: Uint8Array,
  inputs: readonly TensorSpec[],
  samples: readonly Record<string, SampleTensor>[],
): Promise<ReleaseProfile> {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  let session;
  try {
    session = await ort.InferenceSession.create(model);
  } catch (e) {
    throw new BatonError('model-invalid', `profiling: onnxruntime-web cannot load the model: ${(e as Error).message}`);
  }
  const values = new Map<string, number[]>();
  const push = (key: string, data: ArrayLike<number | bigint>) => {
    let list = values.get(key);
    if (!list) values.set(key, (list = []));
    for (let i = 0; i < data.length; i++) list.push(Number(data[i]));
  };
  try {
    for (const sample of samples) {
      const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const spec of inputs) {
        const t = sample[spec.name]!;
        const data = NUMERIC[t.type]!(t.data);
        feeds[spec.name] = new ort.Tensor(t.type as 'float32', data as Float32Array, t.dims);
        push(`input:${spec.name}`, data);
      }
      const out = await session.run(feeds);
      for (const [name, t] of Object.entries(out)) if (typeof t.data[0] !== 'string') push(`output:${name}`, t.data as ArrayLike<number | bigint>);
    }
  } catch (e) {
    throw new BatonError('model-invalid', `profiling: the model failed on a sample: ${(e as Error).message}`);
  } finally {
    await session.release();
  }
  const side = (prefix: string) => [...values].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => profileTensor(k.slice(prefix.length), v));
  return { samples: samples.length, inputs: side('input:'), outputs: side('output:') };
}
