/**
 * Can this device run a version? Checked before a single chunk is fetched: a version the runtime
 * cannot load, or whose interface the app was not written for, is refused with
 * `incompatible-model` rather than downloaded and then broken at the first request.
 */
import satisfies from 'semver/functions/satisfies.js';
import { BatonError } from '../errors.js';
import type { Release } from '../types.js';
import type { ModelInterface, RuntimeInfo } from './config.js';

export function checkCompatibility(release: Release, runtime: RuntimeInfo, expected: ModelInterface | undefined): void {
  const refuse = (reason: string, details: Record<string, unknown>) => {
    throw new BatonError('incompatible-model', `version ${release.version} cannot run here: ${reason}`, { version: release.version, ...details });
  };
  if (!satisfies(runtime.onnxruntimeWeb, release.compat.onnxruntimeWeb, { includePrerelease: true })) {
    refuse(`it needs onnxruntime-web ${release.compat.onnxruntimeWeb}, this runtime is ${runtime.onnxruntimeWeb}`, {
      reason: 'runtime-version',
      needs: release.compat.onnxruntimeWeb,
      has: runtime.onnxruntimeWeb,
    });
  }
  if (!release.compat.executionProviders.some((ep) => runtime.executionProviders.includes(ep))) {
    refuse(`it runs on ${release.compat.executionProviders.join('/')}, this device has ${runtime.executionProviders.join('/')}`, {
      reason: 'execution-provider',
    });
  }
  if (expected) {
    for (const side of ['inputs', 'outputs'] as const) {
      const want = signature(expected[side]);
      const got = signature(release[side]);
      if (want !== got) refuse(`its ${side} are ${got}, the app expects ${want}`, { reason: 'interface', side, expected: want, actual: got });
    }
  }
}

/** The interface of a release, as the app would declare it. */
export function interfaceOf(release: Release): ModelInterface {
  const pick = (t: { name: string; type: ModelInterface['inputs'][number]['type'] }) => ({ name: t.name, type: t.type });
  return { inputs: release.inputs.map(pick), outputs: release.outputs.map(pick) };
}

function signature(tensors: ModelInterface['inputs']): string {
  return tensors
    .map((t) => `${t.name}:${t.type}`)
    .sort()
    .join(', ');
}
