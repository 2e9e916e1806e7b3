/**
 * The demo's three releases of one model: Silero VAD v5 (1.0.0), Silero VAD v6 (2.0.0, a
 * compatible update: same interface, new weights) and a broken 3.0.0 — v5 with its speech
 * probability replaced by NaN, as a bad export might ship. It loads, warms up and answers with
 * the right names, types and shapes, so nothing catches it before it serves; the health gate
 * (NaN counts as an error) is what rolls it back.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { sileroModelPath } from '../../src/testing/models.js';

// onnx-proto is CommonJS: take the namespace from its default export.
const { onnx } = onnxProto;

export interface DemoModels {
  readonly v1: string;
  readonly v2: string;
  readonly v3: string;
}

/**
 * Silero VAD v5 with `output = Identity(p)` rewritten as `output = p + NaN`. Everything else —
 * inputs, outputs, `stateN`, the opsets — is v5's, byte for byte after a protobuf round trip,
 * so the bytes are the same on every run.
 */
export function brokenVadModel(): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(sileroModelPath('v5')));
  const graph = model.graph;
  const last = graph?.node?.find((n) => n.output?.[0] === 'output');
  if (!graph || last?.opType !== 'Identity' || last.input?.length !== 1) {
    throw new Error('brokenVadModel: Silero VAD v5 no longer ends in Identity → output; update the demo');
  }
  const nan = new Uint8Array(4);
  new DataView(nan.buffer).setFloat32(0, Number.NaN, true);
  graph.initializer = [...(graph.initializer ?? []), { name: 'baton_demo_nan', dims: [], dataType: onnx.TensorProto.DataType.FLOAT, rawData: nan }];
  last.opType = 'Add';
  last.input = [last.input[0]!, 'baton_demo_nan'];
  model.producerName = 'baton-demo (broken on purpose)';
  // A plain Uint8Array that owns its buffer (protobufjs may hand back a pooled Buffer slice).
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

/** The three model files the demo publishes; v3 is generated into `dir` (under .cache/). */
export async function writeDemoModels(dir: string): Promise<DemoModels> {
  await mkdir(dir, { recursive: true });
  const v3 = join(dir, 'vad-3.0.0-broken.onnx');
  await writeFile(v3, brokenVadModel());
  return { v1: sileroModelPath('v5'), v2: sileroModelPath('v6'), v3 };
}
