// Runs every generated test model in onnxruntime-web (WASM, in Node) and checks it against the
// pure-JS reference, so other tests can trust what these models do.
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { isAllocationFailure } from '../worker/allocation-failure.js';
import {
  ALLOC_OVERFLOW_X0,
  FAILING_RUN_ROWS,
  MLP_FEATURES,
  MLP_INPUT,
  MLP_OUTPUT,
  MLP_OUTPUTS,
  allocModel,
  brokenModel,
  failingRunInput,
  failingRunModel,
  largeModel,
  largeModelChangedRange,
  mlpModel,
  mlpReference,
  nanModel,
  sileroModelPath,
  slowModel,
  writeTestModels,
} from './models.js';

const { onnx } = onnxProto;

// Node has no cross-origin isolation to speak of; one thread keeps runs deterministic and cheap.
ort.env.wasm.numThreads = 1;

/** A fixed input: batch 1 is its first row. */
const STANDARD_X = new Float32Array([1, 2, 3, 4, -0.5, 0.25, 2, -3, 7, 0, -1, 0.5]);
const standardX = (batch: number): Float32Array => STANDARD_X.slice(0, batch * MLP_FEATURES);

async function load(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes);
}

/** Runs `x` (`[batch, 4]`) and returns `y`, checking its shape on the way. */
async function run(session: ort.InferenceSession, x: Float32Array, batch: number, options?: ort.InferenceSession.RunOptions): Promise<Float32Array> {
  const out = await session.run({ [MLP_INPUT]: new ort.Tensor('float32', x, [batch, MLP_FEATURES]) }, options);
  const y = out[MLP_OUTPUT];
  expect(y?.dims).toEqual([batch, MLP_OUTPUTS]);
  return y!.data as Float32Array;
}

function expectClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tolerance);
}

/** The IO every generated model declares: x float32 ['batch', 4] → y float32 ['batch', 2]. */
function declaredIo(bytes: Uint8Array): unknown {
  const graph = onnx.ModelProto.decode(bytes).graph!;
  const info = (v: onnxProto.onnx.IValueInfoProto) => ({
    name: v.name,
    elemType: v.type?.tensorType?.elemType,
    dims: v.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue)),
  });
  return { inputs: graph.input!.map(info), outputs: graph.output!.map(info) };
}

/** Byte equality without vitest's element-by-element diff (slow and unreadable for MBs). */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

describe('generated models', () => {
  it('all declare x float32 [batch, 4] → y float32 [batch, 2]', () => {
    const FLOAT = onnx.TensorProto.DataType.FLOAT;
    const expected = {
      inputs: [{ name: 'x', elemType: FLOAT, dims: ['batch', 4] }],
      outputs: [{ name: 'y', elemType: FLOAT, dims: ['batch', 2] }],
    };
    const all = [mlpModel(1), mlpModel(2), brokenModel(), failingRunModel(), nanModel(), slowModel(8), allocModel(), largeModel({ megabytes: 0.01 })];
    for (const bytes of all) expect(declaredIo(bytes)).toEqual(expected);
  });

  it('are byte-for-byte deterministic', () => {
    expect(mlpModel(1)).toEqual(mlpModel(1));
    expect(mlpModel(2)).toEqual(mlpModel(2));
    expect(mlpModel(1)).not.toEqual(mlpModel(2));
    expect(brokenModel()).toEqual(brokenModel());
    expect(failingRunModel()).toEqual(failingRunModel());
    expect(nanModel()).toEqual(nanModel());
    expect(slowModel(384)).toEqual(slowModel(384));
    expect(allocModel()).toEqual(allocModel());
    expect(sameBytes(largeModel({ megabytes: 1, variant: 2 }), largeModel({ megabytes: 1, variant: 2 }))).toBe(true);
  });
});

describe('mlpModel', () => {
  it('matches mlpReference for v1 and v2, batch 1 and 3', async () => {
    for (const variant of [1, 2]) {
      const session = await load(mlpModel(variant));
      expect(session.inputNames).toEqual([MLP_INPUT]);
      expect(session.outputNames).toEqual([MLP_OUTPUT]);
      for (const batch of [1, 3]) {
        const x = standardX(batch);
        expectClose(await run(session, x, batch), mlpReference(variant, x, batch), 1e-5);
      }
    }
  });

  it('v1 and v2 give clearly different outputs', () => {
    // On [1, 2, 3, 4] every output differs: v1 ≈ [-0.30, -0.41], v2 ≈ [6.01, -4.42].
    const v1 = mlpReference(1, standardX(1), 1);
    const v2 = mlpReference(2, standardX(1), 1);
    for (let i = 0; i < MLP_OUTPUTS; i++) expect(Math.abs(v1[i]! - v2[i]!)).toBeGreaterThan(1);
    // On other rows at least one output does (random weights can make one output coincide).
    const x = standardX(3);
    const w1 = mlpReference(1, x, 3);
    const w2 = mlpReference(2, x, 3);
    for (let r = 0; r < 3; r++) {
      const gaps = [0, 1].map((o) => Math.abs(w1[r * MLP_OUTPUTS + o]! - w2[r * MLP_OUTPUTS + o]!));
      expect(Math.max(...gaps)).toBeGreaterThan(0.1);
    }
  });

  it('mlpReference rejects an x of the wrong length', () => {
    expect(() => mlpReference(1, new Float32Array(5), 1)).toThrow(RangeError);
  });
});

describe('brokenModel', () => {
  it('is valid protobuf that onnxruntime rejects at create', async () => {
    expect(onnx.ModelProto.decode(brokenModel()).graph?.node?.[0]?.opType).toBe('BatonNoSuchOp');
    await expect(load(brokenModel())).rejects.toThrow(/BatonNoSuchOp/);
  });
});

describe('failingRunModel', () => {
  // ORT logs the failing kernel to stderr unless the run asks it not to.
  const quiet: ort.InferenceSession.RunOptions = { logSeverityLevel: 4 };

  it('returns exactly the MLP v1 output when every x[i, 0] is in [0, 16)', async () => {
    const [failing, mlp] = await Promise.all([load(failingRunModel()), load(mlpModel(1))]);
    for (const batch of [1, 3, 17]) {
      const x = failingRunInput(false, batch);
      const y = await run(failing, x, batch);
      expect(y).toEqual(await run(mlp, x, batch));
      expectClose(y, mlpReference(1, x, batch), 1e-5);
    }
    // Edges of the valid range.
    for (const x0 of [0, 15.999]) {
      const x = new Float32Array([x0, 1, 2, 3]);
      expectClose(await run(failing, x, 1), mlpReference(1, x, 1), 1e-5);
    }
  });

  it('rejects inside run() when any x[i, 0] is < 0, >= 16 or NaN, and stays usable', async () => {
    const session = await load(failingRunModel());
    // Negative values matter: Gather alone would accept -16..-1 and Cast turns -0.5 into 0.
    for (const x0 of [FAILING_RUN_ROWS, 16.5, 1e30, Infinity, -0.5, -1, -16, -17, -Infinity, Number.NaN]) {
      const x = new Float32Array([x0, 1, 2, 3]);
      await expect(run(session, x, 1, quiet), `x0 = ${x0}`).rejects.toThrow(/Gather/);
    }
    await expect(run(session, failingRunInput(true, 3), 3, quiet)).rejects.toThrow(/out of data bounds/);
    // A failed run does not poison the session.
    const good = failingRunInput(false, 2);
    expectClose(await run(session, good, 2), mlpReference(1, good, 2), 1e-5);
  });

  it('failingRunInput sets x[last, 0] out of range only when asked', () => {
    const ok = failingRunInput(false, 3);
    const bad = failingRunInput(true, 3);
    expect(ok.length).toBe(3 * MLP_FEATURES);
    for (let r = 0; r < 3; r++) expect(ok[r * MLP_FEATURES]).toBeLessThan(FAILING_RUN_ROWS);
    expect(bad[2 * MLP_FEATURES]).toBe(FAILING_RUN_ROWS);
    expect(bad.subarray(0, 2 * MLP_FEATURES)).toEqual(ok.subarray(0, 2 * MLP_FEATURES));
  });
});

describe('nanModel', () => {
  it('loads, runs, and returns NaN everywhere', async () => {
    const session = await load(nanModel());
    for (const batch of [1, 3]) {
      const y = await run(session, standardX(batch), batch);
      expect(y.length).toBe(batch * MLP_OUTPUTS);
      expect([...y].every(Number.isNaN)).toBe(true);
    }
  });
});

describe('slowModel', () => {
  it('gives the MLP v1 output, for small and default sizes', async () => {
    const mlp = await load(mlpModel(1));
    // Large inputs check the Clip: unclipped, the [size, size] product would overflow to Inf.
    const big = new Float32Array([3e5, -2e5, 1e5, 4e5]);
    for (const size of [1, 64, 384]) {
      const session = await load(slowModel(size));
      for (const batch of [1, 3]) {
        const x = standardX(batch);
        const y = await run(session, x, batch);
        expectClose(y, mlpReference(1, x, batch), 1e-4);
        expect(y).toEqual(await run(mlp, x, batch));
      }
      const y = await run(session, big, 1);
      expect([...y].every(Number.isFinite)).toBe(true);
      expect(y).toEqual(await run(mlp, big, 1));
    }
  });

  it('stays tiny and builds its matrix at run time', () => {
    const bytes = slowModel(4096);
    expect(bytes.length).toBeLessThan(2048);
    const graph = onnx.ModelProto.decode(bytes).graph!;
    const initializerNames = new Set(graph.initializer!.map((t) => t.name));
    const matMul = graph.node!.find((n) => n.opType === 'MatMul')!;
    expect(matMul.input!.some((name) => initializerNames.has(name))).toBe(false);
    expect(() => slowModel(0)).toThrow(RangeError);
  });
});

describe('allocModel', () => {
  it('gives exactly the MLP v1 output for ordinary inputs, whatever their x0', async () => {
    const session = await load(allocModel());
    const mlp = await load(mlpModel(1));
    for (const [x, batch] of [
      [standardX(1), 1],
      [Float32Array.of(-3, 1, 2, 3), 1],
      [Float32Array.of(64, 0, 0, 1), 1],
      [standardX(3), 3],
    ] as const) {
      // The zeros add exactly 0: the same floats as the MLP itself.
      expect(await run(session, x, batch)).toEqual(await run(mlp, x, batch));
    }
    expectClose(await run(session, standardX(1), 1), mlpReference(1, standardX(1), 1), 1e-5);
  });

  it('fails to allocate for x0 = 2^30 with a message the worker recognises, and stays usable', async () => {
    const session = await load(allocModel());
    const x = Float32Array.of(ALLOC_OVERFLOW_X0, 0.5, -1, 2);
    const error = await run(session, x, 1).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/Integer overflow/);
    expect(isAllocationFailure(error!.message)).toBe(true);
    const ok = Float32Array.of(0.5, -1, 2, 0.25);
    expectClose(await run(session, ok, 1), mlpReference(1, ok, 1), 1e-5);
  });
});

describe('largeModel', () => {
  const MEGABYTES = 4;
  const padBytes = Math.floor((MEGABYTES * 1024 * 1024) / 4) * 4;

  /** [first, last + 1) of the bytes where `a` and `b` differ. */
  function diffRange(a: Uint8Array, b: Uint8Array): { start: number; end: number } {
    let start = 0;
    while (start < a.length && a[start] === b[start]) start++;
    let end = a.length;
    while (end > start && a[end - 1] === b[end - 1]) end--;
    return { start, end };
  }

  it('v1 and v2 have the requested size and differ in one contiguous changedFraction', () => {
    for (const changedFraction of [0.05, 0.2]) {
      const v1 = largeModel({ megabytes: MEGABYTES, changedFraction });
      const v2 = largeModel({ megabytes: MEGABYTES, variant: 2, changedFraction });
      expect(v1.length).toBe(v2.length);
      expect(v1.length).toBeGreaterThanOrEqual(padBytes);
      expect(v1.length).toBeLessThan(padBytes + 4096);

      // Everything outside [start, end) is identical at the same offsets, by construction of the range.
      const { start, end } = diffRange(v1, v2);
      const expected = changedFraction * padBytes;
      expect(end - start).toBeGreaterThan(expected * 0.9);
      expect(end - start).toBeLessThan(expected * 1.1);

      // And the range is the one the generator documents, inside the `pad` tensor's raw bytes.
      const pad = onnx.ModelProto.decode(v1).graph!.initializer!.find((t) => t.name === 'pad')!;
      expect(pad.rawData!.length).toBe(padBytes);
      const padOffset = Buffer.from(v1.buffer, v1.byteOffset, v1.length).indexOf(pad.rawData!);
      expect(padOffset).toBeGreaterThan(0);
      const floats = largeModelChangedRange(padBytes / 4, changedFraction);
      expect(start).toBeGreaterThanOrEqual(padOffset + floats.start * 4);
      expect(end).toBeLessThanOrEqual(padOffset + floats.end * 4);
    }
  });

  it('v1 and v2 both run and give the MLP v1 output', async () => {
    for (const variant of [1, 2]) {
      const session = await load(largeModel({ megabytes: MEGABYTES, variant }));
      expect(session.outputNames).toEqual([MLP_OUTPUT]);
      for (const batch of [1, 3]) {
        const x = standardX(batch);
        expectClose(await run(session, x, batch), mlpReference(1, x, batch), 1e-4);
      }
      await session.release();
    }
  });

  it('rejects nonsense options', () => {
    expect(() => largeModel({ megabytes: 0 })).toThrow(RangeError);
    expect(() => largeModel({ megabytes: 1, changedFraction: 1.5 })).toThrow(RangeError);
  });
});

describe('sileroModelPath', () => {
  it('points at the Silero models shipped by @ricky0123/vad-web', async () => {
    for (const which of ['legacy', 'v5', 'v6'] as const) {
      const file = sileroModelPath(which);
      expect(isAbsolute(file)).toBe(true);
      expect(file.endsWith(`silero_vad_${which}.onnx`)).toBe(true);
      expect(statSync(file).size).toBeGreaterThan(1_000_000);
    }
    // legacy → v5 is the incompatible update: its recurrent state inputs change.
    const legacy = await load(await readFile(sileroModelPath('legacy')));
    const v5 = await load(await readFile(sileroModelPath('v5')));
    expect(legacy.inputNames).toEqual(expect.arrayContaining(['input', 'h', 'c', 'sr']));
    expect(v5.inputNames).toEqual(expect.arrayContaining(['input', 'state', 'sr']));
  });
});

describe('writeTestModels', () => {
  it('writes every model and returns absolute paths', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-models-'));
    try {
      const paths = await writeTestModels(dir, { largeMegabytes: 1 });
      expect(Object.keys(paths).sort()).toEqual(['alloc', 'broken', 'failing-run', 'large-v1', 'large-v2', 'mlp-v1', 'mlp-v2', 'nan', 'slow'].sort());
      for (const file of Object.values(paths)) {
        expect(isAbsolute(file)).toBe(true);
        expect(existsSync(file)).toBe(true);
      }
      expect(new Uint8Array(await readFile(paths['mlp-v2']))).toEqual(mlpModel(2));
      expect(new Uint8Array(await readFile(paths.slow))).toEqual(slowModel(384));
      expect(sameBytes(await readFile(paths['large-v2']), largeModel({ megabytes: 1, variant: 2 }))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
