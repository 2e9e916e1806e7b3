// Deterministic ONNX test models: every Baton test loads models made here, so the bytes (and
// therefore hashes, signatures and chunk diffs) are identical on every run and machine.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { MLP_FEATURES, MLP_HIDDEN, MLP_INPUT, MLP_OUTPUT, MLP_OUTPUTS, mlpWeights, mulberry32, uint32ToUnit } from './models-reference.js';

export { MLP_FEATURES, MLP_INPUT, MLP_OUTPUT, MLP_OUTPUTS, mlpReference } from './models-reference.js';

// onnx-proto is CommonJS: take the namespace from its default export.
const { onnx } = onnxProto;
type INodeProto = onnxProto.onnx.INodeProto;
type ITensorProto = onnxProto.onnx.ITensorProto;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** Rows of `failingRunModel`'s lookup table: `x[i, 0]` must fall in `[0, FAILING_RUN_ROWS)`. */
export const FAILING_RUN_ROWS = 16;

/**
 * An `x[i, 0]` that makes {@link allocModel} ask for 4 GiB (2^30 float32), past what 32-bit WASM
 * can address: onnxruntime-web's `run()` rejects at once with a SafeInt "Integer overflow".
 */
export const ALLOC_OVERFLOW_X0 = 2 ** 30;

// ---------------------------------------------------------------------------------------------
// Protobuf builders

/** Float32 values as little-endian bytes: ONNX `raw_data` is little-endian whatever the host. */
function float32Raw(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
  return bytes;
}

function floatTensor(name: string, dims: number[], values: ArrayLike<number>): ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: float32Raw(values) };
}

function int64Tensor(name: string, dims: number[], values: number[]): ITensorProto {
  return { name, dims, dataType: INT64, int64Data: values };
}

type AttrValue = number | { float: number };

/** A node; integer attributes as numbers, float ones as `{ float }` (ONNX types them apart). */
function node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): INodeProto {
  const attribute = Object.entries(attrs).map(([name, value]) =>
    typeof value === 'number'
      ? { name, type: onnx.AttributeProto.AttributeType.INT, i: value }
      : { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value.float },
  );
  // Output names are unique per graph, so they double as node names.
  return { opType, input: inputs, output: outputs, ...(outputs[0] === undefined ? {} : { name: outputs[0] }), attribute };
}

/** `float32 ['batch', width]`: the shape of both the MLP's input and output. */
function batchValueInfo(name: string, width: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'batch' }, { dimValue: width }] } } },
  };
}

interface Graph {
  nodes: INodeProto[];
  initializers: ITensorProto[];
}

/** Wraps a graph with the MLP's input and output into serialised ModelProto bytes. */
function encodeModel(name: string, graph: Graph): Uint8Array {
  const model = onnx.ModelProto.create({
    // ir_version 8 + ai.onnx 17: a pair onnxruntime-web 1.30 loads without complaint.
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    producerName: 'baton-testing',
    graph: {
      name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: [batchValueInfo(MLP_INPUT, MLP_FEATURES)],
      output: [batchValueInfo(MLP_OUTPUT, MLP_OUTPUTS)],
    },
  });
  // In Node, protobufjs returns a Buffer, small ones sliced from a shared pool. Copy into a plain
  // Uint8Array that owns its whole ArrayBuffer, so `bytes.buffer` is safe to transfer or hash.
  return new Uint8Array(onnx.ModelProto.encode(model).finish());
}

/** Gemm(4→8) → Relu → Gemm(8→2) from `x`, writing `output`. Tensor names are prefixed `mlp_`. */
function mlpGraph(variant: number, output: string): Graph {
  const { w1, b1, w2, b2 } = mlpWeights(variant);
  return {
    initializers: [
      floatTensor('mlp_w1', [MLP_FEATURES, MLP_HIDDEN], w1),
      floatTensor('mlp_b1', [MLP_HIDDEN], b1),
      floatTensor('mlp_w2', [MLP_HIDDEN, MLP_OUTPUTS], w2),
      floatTensor('mlp_b2', [MLP_OUTPUTS], b2),
    ],
    nodes: [
      node('Gemm', [MLP_INPUT, 'mlp_w1', 'mlp_b1'], ['mlp_h']),
      node('Relu', ['mlp_h'], ['mlp_relu']),
      node('Gemm', ['mlp_relu', 'mlp_w2', 'mlp_b2'], [output]),
    ],
  };
}

/** `y = MLP_v1(x) + extra`, where `extra` (a tensor the `graph` computes) is 0 or broadcasts. */
function mlpPlus(name: string, extra: string, graph: Graph): Uint8Array {
  const mlp = mlpGraph(1, 'mlp_y');
  return encodeModel(name, {
    nodes: [...mlp.nodes, ...graph.nodes, node('Add', ['mlp_y', extra], [MLP_OUTPUT])],
    initializers: [...mlp.initializers, ...graph.initializers],
  });
}

// ---------------------------------------------------------------------------------------------
// The models

/**
 * A 4 → 8 → 2 MLP (Gemm, Relu, Gemm) whose weights are drawn from a PRNG seeded by `variant`.
 * Input `x` float32 `['batch', 4]`, output `y` float32 `['batch', 2]`; {@link mlpReference}
 * computes the same output in plain JS.
 *
 * @example
 * const v1 = await ort.InferenceSession.create(mlpModel(1));
 */
export function mlpModel(variant: number): Uint8Array {
  return encodeModel(`mlp-v${variant}`, mlpGraph(variant, MLP_OUTPUT));
}

/**
 * A well-formed ModelProto that onnxruntime rejects at `InferenceSession.create`: its only node
 * is an op type that does not exist in the ai.onnx domain. Same declared IO as the MLP.
 */
export function brokenModel(): Uint8Array {
  return encodeModel('broken', {
    nodes: [node('BatonNoSuchOp', [MLP_INPUT], [MLP_OUTPUT])],
    initializers: [],
  });
}

/**
 * Loads fine, then fails inside `run()` depending on the input. Output equals
 * `mlpReference(1, x)` exactly when every row has `x[i, 0]` in `[0, 16)`; if any row's
 * `x[i, 0]` is `< 0`, `>= 16` or NaN, `run()` rejects (a Gather index out of range).
 *
 * The graph adds `Gather(zeros[16, 2], index)` to the MLP output, where
 * `index = Cast<int64>(x0 in [0, 16) ? x0 : 16)`. The `Where` matters: Gather accepts
 * negative indices (counting from the end) and Cast truncates (-0.5 → 0), so feeding `x0` in
 * directly would let `[-16, 0)` pass.
 */
export function failingRunModel(): Uint8Array {
  return mlpPlus('failing-run', 'fr_rows', {
    initializers: [
      int64Tensor('fr_zero_i', [], [0]),
      floatTensor('fr_lo', [], [0]),
      floatTensor('fr_hi', [], [FAILING_RUN_ROWS]),
      floatTensor('fr_table', [FAILING_RUN_ROWS, MLP_OUTPUTS], new Float32Array(FAILING_RUN_ROWS * MLP_OUTPUTS)),
    ],
    nodes: [
      node('Gather', [MLP_INPUT, 'fr_zero_i'], ['fr_x0'], { axis: 1 }), // [batch]
      node('GreaterOrEqual', ['fr_x0', 'fr_lo'], ['fr_ge']),
      node('Less', ['fr_x0', 'fr_hi'], ['fr_lt']), // NaN compares false → out of range
      node('And', ['fr_ge', 'fr_lt'], ['fr_ok']),
      node('Where', ['fr_ok', 'fr_x0', 'fr_hi'], ['fr_index_f']),
      node('Cast', ['fr_index_f'], ['fr_index'], { to: INT64 }),
      node('Gather', ['fr_table', 'fr_index'], ['fr_rows'], { axis: 0 }), // [batch, 2] of zeros
    ],
  });
}

/**
 * An input for {@link failingRunModel}: every row valid (`x[i, 0]` in `[0, 16)`), except that
 * with `fail` the last row's `x[i, 0]` is 16, so `run()` rejects.
 */
export function failingRunInput(fail: boolean, batch = 1): Float32Array {
  const x = new Float32Array(batch * MLP_FEATURES);
  for (let r = 0; r < batch; r++) x.set([r % FAILING_RUN_ROWS, 0.5, -1, 2], r * MLP_FEATURES);
  if (fail) x[(batch - 1) * MLP_FEATURES] = FAILING_RUN_ROWS;
  return x;
}

/**
 * Same output as `mlpModel(1)`, but every `run()` also allocates a float32 tensor of zeros whose
 * length is the input's largest `x[i, 0]` (at least 1): `ConstantOfShape([n])` with
 * `n = Cast<int64>(Max(ReduceMax(x[:, 0]), 1))`, wired in as `y = MLP_v1(x) + 0 × ReduceMean(zeros)`.
 *
 * Ordinary inputs allocate a few bytes. `x0 = 2^26` allocates 256 MiB and succeeds (the worker's
 * heap keeps that size afterwards); {@link ALLOC_OVERFLOW_X0} and above overflow the 32-bit
 * buffer size (SafeInt "Integer overflow", no memory touched); just under it, `std::bad_alloc`
 * once the heap cannot grow to 4 GiB.
 */
export function allocModel(): Uint8Array {
  return mlpPlus('alloc', 'alloc_zero', {
    initializers: [int64Tensor('alloc_zero_i', [], [0]), floatTensor('alloc_one', [1], [1]), floatTensor('alloc_zero_f', [], [0])],
    nodes: [
      node('Gather', [MLP_INPUT, 'alloc_zero_i'], ['alloc_x0'], { axis: 1 }), // [batch]
      node('ReduceMax', ['alloc_x0'], ['alloc_x0_max'], { keepdims: 1 }), // [1]
      node('Max', ['alloc_x0_max', 'alloc_one'], ['alloc_length_f']), // NaN-free for finite x
      node('Cast', ['alloc_length_f'], ['alloc_shape'], { to: INT64 }), // [1]: the shape [n]
      node('ConstantOfShape', ['alloc_shape'], ['alloc_zeros']), // float32 zeros [n]
      node('ReduceMean', ['alloc_zeros'], ['alloc_mean'], { keepdims: 0 }),
      node('Mul', ['alloc_mean', 'alloc_zero_f'], ['alloc_zero']),
    ],
  });
}

/** Loads and runs; every element of `y` is NaN (the MLP output plus a NaN constant). */
export function nanModel(): Uint8Array {
  return mlpPlus('nan', 'nan_const', {
    initializers: [floatTensor('nan_const', [MLP_OUTPUTS], [Number.NaN, Number.NaN])],
    nodes: [],
  });
}

/**
 * Same output as `mlpModel(1)`, but every `run()` also multiplies two `[size, size]` matrices
 * built from the input, so run time grows ~size³ while the file stays a few hundred bytes.
 *
 * The matrix is `Expand(Clip(ReduceSum(x), -1, 1), [size, size])`: it depends on `x`, so
 * onnxruntime cannot constant-fold it at load. The Clip bounds each product element to
 * `[-size, size]`, so `0 × ReduceMean(product)` is exactly ±0 (never Inf × 0 = NaN) for finite x.
 */
export function slowModel(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`slowModel: size must be a positive integer, got ${size}`);
  return mlpPlus(`slow-${size}`, 'slow_zero', {
    initializers: [
      floatTensor('slow_min', [], [-1]),
      floatTensor('slow_max', [], [1]),
      floatTensor('slow_zero_f', [], [0]),
      int64Tensor('slow_shape', [2], [size, size]),
    ],
    nodes: [
      node('ReduceSum', [MLP_INPUT], ['slow_sum'], { keepdims: 0 }), // scalar
      node('Clip', ['slow_sum', 'slow_min', 'slow_max'], ['slow_scalar']),
      node('Expand', ['slow_scalar', 'slow_shape'], ['slow_matrix']),
      node('MatMul', ['slow_matrix', 'slow_matrix'], ['slow_product']),
      node('ReduceMean', ['slow_product'], ['slow_mean'], { keepdims: 0 }),
      node('Mul', ['slow_mean', 'slow_zero_f'], ['slow_zero']),
    ],
  });
}

/** Options of {@link largeModel}. */
export interface LargeModelOptions {
  /** Size of the padding initializer in MiB (fractions allowed); the file is a few hundred bytes more. */
  megabytes: number;
  /** 1 (default) is the base; any other variant replaces one region of the padding. */
  variant?: number;
  /** Fraction of the padding's bytes that differ from variant 1, in `[0, 1]`; default 0.05. */
  changedFraction?: number;
}

/** Float index range of the padding that variants other than 1 overwrite: centred, contiguous. */
export function largeModelChangedRange(padFloats: number, changedFraction: number): { start: number; end: number } {
  const length = Math.round(padFloats * changedFraction);
  const start = Math.floor((padFloats - length) / 2);
  return { start, end: start + length };
}

/** Fills `count` float32 PRNG values in [-1, 1) as little-endian bytes into `bytes` at `floatOffset`. */
function fillUnitFloats(bytes: Uint8Array, floatOffset: number, count: number, seed: number): void {
  const next = mulberry32(seed);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = floatOffset, end = floatOffset + count; i < end; i++) view.setFloat32(i * 4, uint32ToUnit(next()), true);
}

const PAD_SEED = 0x0ba7_0001;

/**
 * The MLP v1 plus a float32 initializer `pad` of ~`megabytes` MiB of PRNG weights, wired in as
 * `y = MLP_v1(x) + 0 × ReduceMean(pad)` so it is part of the graph (onnxruntime may fold it at
 * load; that is fine: the bytes still have to be downloaded, hashed and parsed).
 *
 * Variants differ only in the float range {@link largeModelChangedRange} of `pad`, filled from a
 * variant-seeded PRNG; every tensor keeps its size, so all other bytes sit at the same offsets
 * and a chunked updater need only fetch the chunks covering that range.
 *
 * @example
 * const v1 = largeModel({ megabytes: 64 });
 * const v2 = largeModel({ megabytes: 64, variant: 2, changedFraction: 0.05 });
 */
export function largeModel(opts: LargeModelOptions): Uint8Array {
  const { megabytes, variant = 1, changedFraction = 0.05 } = opts;
  if (!(megabytes > 0) || !Number.isFinite(megabytes)) throw new RangeError(`largeModel: megabytes must be > 0, got ${megabytes}`);
  if (!(changedFraction >= 0 && changedFraction <= 1)) {
    throw new RangeError(`largeModel: changedFraction must be in [0, 1], got ${changedFraction}`);
  }
  const padFloats = Math.max(1, Math.floor((megabytes * 1024 * 1024) / 4));
  const raw = new Uint8Array(padFloats * 4);
  fillUnitFloats(raw, 0, padFloats, PAD_SEED);
  if (variant !== 1) {
    const { start, end } = largeModelChangedRange(padFloats, changedFraction);
    fillUnitFloats(raw, start, end - start, (PAD_SEED ^ Math.imul(variant, 0x9e3779b9)) >>> 0);
  }
  return mlpPlus(
    // One graph name for every variant: a name like `large-v10` would shift every later byte.
    'large',
    'large_zero',
    {
      initializers: [{ name: 'pad', dims: [padFloats], dataType: FLOAT, rawData: raw }, floatTensor('large_zero_f', [], [0])],
      nodes: [node('ReduceMean', ['pad'], ['large_mean'], { keepdims: 0 }), node('Mul', ['large_mean', 'large_zero_f'], ['large_zero'])],
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Files on disk (Node only)

/**
 * Absolute path of a Silero VAD model shipped by `@ricky0123/vad-web`: `legacy` (inputs
 * `h`, `c`), `v5` and `v6` (input `state`; v5 → v6 is a compatible update).
 * @throws Error if the package or the file is missing.
 */
export function sileroModelPath(which: 'legacy' | 'v5' | 'v6'): string {
  // The package has no "exports" map, so its package.json resolves and anchors the dist folder.
  const pkg = createRequire(import.meta.url).resolve('@ricky0123/vad-web/package.json');
  const file = join(dirname(pkg), 'dist', `silero_vad_${which}.onnx`);
  if (!existsSync(file)) throw new Error(`sileroModelPath: ${file} not found; is @ricky0123/vad-web installed?`);
  return file;
}

/** Names (keys) of the models {@link writeTestModels} writes; each file is `<name>.onnx`. */
export type TestModelName = 'mlp-v1' | 'mlp-v2' | 'broken' | 'failing-run' | 'nan' | 'slow' | 'alloc' | 'large-v1' | 'large-v2';

/**
 * Writes every test model into `dir` (created if missing) as `<name>.onnx`: the slow model at
 * size 384, the large ones at `largeMegabytes` (default 64) MiB with the default 5% change.
 * @returns name → absolute path
 * @example
 * const paths = await writeTestModels('.cache/models', { largeMegabytes: 8 });
 * paths['mlp-v1']; // '/…/.cache/models/mlp-v1.onnx'
 */
export async function writeTestModels(dir: string, opts: { largeMegabytes?: number } = {}): Promise<Record<TestModelName, string>> {
  const megabytes = opts.largeMegabytes ?? 64;
  const makers: Record<TestModelName, () => Uint8Array> = {
    'mlp-v1': () => mlpModel(1),
    'mlp-v2': () => mlpModel(2),
    broken: brokenModel,
    'failing-run': failingRunModel,
    nan: nanModel,
    slow: () => slowModel(384),
    alloc: allocModel,
    'large-v1': () => largeModel({ megabytes, variant: 1 }),
    'large-v2': () => largeModel({ megabytes, variant: 2 }),
  };
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const paths = {} as Record<TestModelName, string>;
  // One model at a time: the large ones are tens of MB each.
  for (const [name, make] of Object.entries(makers) as [TestModelName, () => Uint8Array][]) {
    const file = join(root, `${name}.onnx`);
    await writeFile(file, make());
    paths[name] = file;
  }
  return paths;
}
