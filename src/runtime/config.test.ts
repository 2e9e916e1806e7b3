import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';

const key = { keyid: 'a'.repeat(64), alg: 'ed25519' as const, publicKey: 'AAAA' };

describe('resolveConfig', () => {
  it('fills documented defaults and freezes the result', () => {
    const cfg = resolveConfig({ model: 'vad', manifestUrl: 'https://cdn.test/vad/manifest.json', publicKeys: [key] });
    expect(cfg).toMatchObject({ executionProviders: ['webgpu', 'wasm'], autoSwitch: true, checkOnStart: true, checkIntervalMs: 0, standbyWorker: true, standbyRespawnDelayMs: 5000 });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(() => ((cfg as { model: string }).model = 'x')).toThrow(TypeError);
  });

  it('names the bad value of a programmer mistake', () => {
    expect(() => resolveConfig({ model: '', manifestUrl: 'x', publicKeys: [key] })).toThrow(/config\.model/);
    expect(() => resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json', publicKeys: [] })).toThrow(/publicKeys/);
    expect(() => resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json', publicKeys: [key], executionProviders: ['cuda' as never] })).toThrow(/cuda/);
  });
});
