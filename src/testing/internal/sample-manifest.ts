/** A valid manifest to start tests from; each test edits the one field it is about. */
import { FORMAT_VERSION } from '../../manifest/schema.js';
import { DEFAULT_HEALTH } from '../../publish/policy-edit.js';
import type { Manifest, Release } from '../../types.js';

const HASH = (n: number) => n.toString(16).padStart(2, '0').repeat(32);

export function sampleRelease(version: string, overrides: Partial<Release> = {}): Release {
  return {
    version,
    size: 10,
    sha256: HASH(version.length),
    chunkSize: 4,
    chunks: [
      { sha256: HASH(1), size: 4 },
      { sha256: HASH(2), size: 4 },
      { sha256: HASH(3), size: 2 },
    ],
    inputs: [{ name: 'x', type: 'float32', shape: ['batch', 4] }],
    outputs: [{ name: 'y', type: 'float32', shape: ['batch', 2] }],
    opsets: [{ domain: '', version: 17 }],
    compat: { onnxruntimeWeb: '>=1.13.0 <2', executionProviders: ['wasm', 'webgpu'] },
    publishedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** Issued 2026-01-01, expires 2026-02-01; stable 1.0.0, candidate 2.0.0 at 50 %. */
export function sampleManifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    formatVersion: FORMAT_VERSION,
    name: 'mlp',
    sequence: 5,
    issuedAt: '2026-01-01T00:00:00.000Z',
    expires: '2026-02-01T00:00:00.000Z',
    versions: [sampleRelease('1.0.0'), sampleRelease('2.0.0')],
    policy: { stable: '1.0.0', candidate: { version: '2.0.0', percent: 50, salt: 's' }, killed: [], health: DEFAULT_HEALTH },
    ...overrides,
  };
}

/** A time inside the sample manifest's validity window. */
export const SAMPLE_NOW = Date.parse('2026-01-15T00:00:00.000Z');
