/** The signed health policy: `alpha` is optional (older manifests lack it) and bounded when present. */
import { describe, expect, it } from 'vitest';
import { BatonError } from '../errors.js';
import { sampleManifest } from '../testing/internal/sample-manifest.js';
import type { HealthPolicy } from '../types.js';
import { parseManifestPayload } from './schema.js';

const withHealth = (health: Record<string, unknown>) => {
  const m = structuredClone(sampleManifest()) as unknown as { policy: { health: Record<string, unknown> } };
  m.policy.health = health;
  return m;
};

describe('policy.health', () => {
  const { alpha: _alpha, ...older } = sampleManifest().policy.health;

  it('accepts a policy without alpha (manifests before it), and keeps one that has it', () => {
    expect(parseManifestPayload(withHealth(older)).policy.health).toEqual(older);
    expect(parseManifestPayload(withHealth({ ...older, alpha: 0.05 })).policy.health).toEqual({ ...older, alpha: 0.05 } satisfies HealthPolicy);
  });

  it.each([0, 1, -0.1, 1.5, '0.01'])('refuses alpha = %j, naming the field', (alpha) => {
    let error: unknown;
    try {
      parseManifestPayload(withHealth({ ...older, alpha }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe('manifest-invalid');
    expect((error as BatonError).details?.['field']).toBe('policy.health.alpha');
  });
});
