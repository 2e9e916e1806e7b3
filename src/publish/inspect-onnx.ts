/**
 * Reads what a device needs to know about a model before downloading it: input and output
 * names, types and shapes, and the operator sets it imports. Node-side (the CLI) only.
 */
import onnxProto from 'onnx-proto';
import { BatonError } from '../errors.js';
import type { OpsetImport, TensorElementType, TensorSpec } from '../types.js';

const { onnx } = onnxProto;

export interface OnnxSummary {
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  readonly opsets: OpsetImport[];
  readonly irVersion: number;
  readonly producer: string;
}

const ELEMENT_TYPES: Partial<Record<number, TensorElementType>> = {
  [onnx.TensorProto.DataType.FLOAT]: 'float32',
  [onnx.TensorProto.DataType.UINT8]: 'uint8',
  [onnx.TensorProto.DataType.INT8]: 'int8',
  [onnx.TensorProto.DataType.UINT16]: 'uint16',
  [onnx.TensorProto.DataType.INT16]: 'int16',
  [onnx.TensorProto.DataType.INT32]: 'int32',
  [onnx.TensorProto.DataType.INT64]: 'int64',
  [onnx.TensorProto.DataType.STRING]: 'string',
  [onnx.TensorProto.DataType.BOOL]: 'bool',
  [onnx.TensorProto.DataType.FLOAT16]: 'float16',
  [onnx.TensorProto.DataType.DOUBLE]: 'float64',
  [onnx.TensorProto.DataType.UINT32]: 'uint32',
  [onnx.TensorProto.DataType.UINT64]: 'uint64',
  [onnx.TensorProto.DataType.BFLOAT16]: 'bfloat16',
};

function invalid(message: string, cause?: unknown): BatonError {
  return new BatonError('model-invalid', message, undefined, cause === undefined ? undefined : { cause });
}

/** Throws `model-invalid` when `bytes` are not an ONNX model with a typed graph interface. */
export function inspectOnnx(bytes: Uint8Array): OnnxSummary {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw invalid(`not an ONNX model: ${(e as Error).message}`, e);
  }
  // Protobuf decodes many random byte strings without error; a real model has these.
  const graph = model.graph;
  const irVersion = Number(model.irVersion ?? 0);
  if (!graph || irVersion < 1 || !graph.output?.length) {
    throw invalid('not an ONNX model: no graph with outputs (is this the right file?)');
  }
  // Before IR v4, initializers were also listed as graph inputs; they are not feeds.
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(toSpec);
  if (inputs.length === 0) throw invalid('model has no inputs to feed');
  const opsets = (model.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: Number(o.version ?? 0) }));
  return { inputs, outputs: graph.output.map(toSpec), opsets, irVersion, producer: model.producerName ?? '' };
}

function toSpec(v: onnxProto.onnx.IValueInfoProto): TensorSpec {
  const name = v.name ?? '';
  const tensor = v.type?.tensorType;
  const type = tensor ? ELEMENT_TYPES[tensor.elemType ?? 0] : undefined;
  if (!name || !tensor || !type) throw invalid(`value "${name}" is not a tensor of a type onnxruntime-web supports`);
  const shape = (tensor.shape?.dim ?? []).map((d, i) =>
    d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : d.dimParam || `${name}_dim${i}`,
  );
  return { name, type, shape };
}

/**
 * Oldest onnxruntime-web release whose WASM (CPU) provider implements each default-domain
 * opset, from the onnxruntime release notes. Used as the default compatibility range.
 */
const MIN_ORT_FOR_OPSET: readonly [opset: number, ort: string][] = [
  [17, '1.13.0'],
  [18, '1.14.0'],
  [19, '1.16.0'],
  [20, '1.17.0'],
  [21, '1.18.0'],
  [22, '1.20.0'],
  [23, '1.22.0'],
];

/** A default `compat.onnxruntimeWeb` range for a model, or undefined when its opset is newer than the table. */
export function defaultOrtRange(opsets: readonly OpsetImport[]): string | undefined {
  const main = opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1;
  const row = MIN_ORT_FOR_OPSET.find(([opset]) => main <= opset);
  return row ? `>=${row[1]} <2` : undefined;
}
