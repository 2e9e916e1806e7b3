/**
 * The reference profile the demo attaches to each release for drift detection: the distribution
 * of the `input` tensor over one pass of the demo clip, sampled as the device's drift monitor
 * samples it (a strided subset of each request's values). The CLI does not take a profile yet,
 * so the demo adds it with the publisher's own manifest edit, re-signed like any policy change.
 */
import { profileTensor, VALUES_PER_TENSOR } from '../../src/observe/drift.js';
import { editPolicy } from '../../src/publish/publish.js';
import { readPrivateKey } from '../../src/publish/keys-fs.js';
import type { Manifest, ReleaseProfile } from '../../src/types.js';
import { frameCount, requestInput, synthesizeClip } from '../clip.js';

export function clipProfile(): ReleaseProfile {
  const clip = synthesizeClip();
  const frames = frameCount(clip);
  const values: number[] = [];
  for (let i = 0; i < frames; i++) {
    const data = requestInput(clip, i);
    const step = Math.max(1, Math.floor(data.length / VALUES_PER_TENSOR));
    for (let j = 0; j < data.length; j += step) values.push(data[j]!);
  }
  return { samples: frames, inputs: [profileTensor('input', values)], outputs: [] };
}

/** Gives `version` the clip's reference profile and re-signs the manifest (sequence + 1). */
export async function attachProfile(registryDir: string, model: string, version: string, privateKeyPath: string, profile: ReleaseProfile): Promise<Manifest> {
  const key = await readPrivateKey(privateKeyPath);
  return editPolicy(registryDir, model, [key], (m) => ({
    ...m,
    versions: m.versions.map((r) => (r.version === version ? { ...r, profile } : r)),
  }));
}
