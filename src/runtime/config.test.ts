import { describe, expect, it } from 'vitest';
import type { BuildDefaults } from './build-defaults.js';
import { modelConfigOf, resolveConfig } from './config.js';

const key = { keyid: 'a'.repeat(64), alg: 'ed25519' as const, publicKey: 'AAAA' };
const pinned = { keyid: 'b'.repeat(64), alg: 'ed25519' as const, publicKey: 'BBBB' };
const PAGE = 'https://app.test/shop/index.html';
/** What baton-ml/vite pins into a production build with `base: './'`. */
const plugin: BuildDefaults = { publicKeys: [pinned], registryUrl: 'registry/', serviceWorker: { scriptUrl: 'sw.js' } };

describe('resolveConfig', () => {
  it('fills documented defaults and freezes the result', () => {
    const cfg = resolveConfig({ model: 'vad', manifestUrl: 'https://cdn.test/vad/manifest.json', publicKeys: [key] }, undefined, PAGE);
    expect(cfg).toMatchObject({
      executionProviders: ['webgpu', 'wasm'],
      autoSwitch: true,
      checkOnStart: true,
      checkIntervalMs: 300_000,
      standbyWorker: true,
      standbyRespawnDelayMs: 5000,
    });
    expect(cfg.serviceWorker).toBeUndefined();
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(() => ((cfg as { model: string }).model = 'x')).toThrow(TypeError);
  });

  it('names the bad value of a programmer mistake', () => {
    expect(() => resolveConfig({ model: '', manifestUrl: 'x', publicKeys: [key] }, undefined, PAGE)).toThrow(/config\.model/);
    expect(() => resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json', publicKeys: [] }, undefined, PAGE)).toThrow(/publicKeys/);
    expect(() =>
      resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json', publicKeys: [key], executionProviders: ['cuda' as never] }, undefined, PAGE),
    ).toThrow(/cuda/);
    expect(() => resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json', publicKeys: [{ ...key, alg: 'rsa' }] }, undefined, PAGE)).toThrow(
      /publicKeys\[0\].*'ed25519'.*rsa/,
    );
    expect(() => resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json', publicKeys: [key], checkIntervalMs: -1 }, undefined, PAGE)).toThrow(RangeError);
    for (const bad of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(() => resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json', publicKeys: [key], maxInputElements: bad }, undefined, PAGE)).toThrow(
        /maxInputElements/,
      );
    }
    expect(resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json', publicKeys: [key], maxInputElements: 4096 }, undefined, PAGE).maxInputElements).toBe(
      4096,
    );
  });

  it('accepts a key imported from JSON, whose alg a compiler types as string', () => {
    const imported: { keyid: string; alg: string; publicKey: string } = JSON.parse(JSON.stringify(key));
    expect(resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json', publicKeys: [imported] }, undefined, PAGE).publicKeys).toEqual([key]);
  });

  it('without the plugin, says what is missing and how to get it', () => {
    expect(() => resolveConfig({ model: 'm', manifestUrl: 'https://x/m.json' }, undefined, PAGE)).toThrow(
      /publicKeys is required.*baton keygen.*baton-ml\/vite/,
    );
    expect(() => resolveConfig({ model: 'm', publicKeys: [key] }, undefined, PAGE)).toThrow(/manifestUrl is required/);
  });

  it('with the plugin, takes its keys, registry and service worker, resolved against the page', () => {
    const cfg = resolveConfig({ model: 'vad' }, plugin, PAGE);
    expect(cfg.publicKeys).toEqual([pinned]);
    expect(cfg.manifestUrl).toBe('https://app.test/shop/registry/vad/manifest.json');
    expect(cfg.serviceWorker).toEqual({ scriptUrl: 'https://app.test/shop/sw.js' });
  });

  it('what the app passes wins over the plugin; serviceWorker: false turns it off', () => {
    const cfg = resolveConfig({ model: 'vad', publicKeys: [key], manifestUrl: 'https://cdn.test/r/vad/manifest.json', serviceWorker: false }, plugin, PAGE);
    expect(cfg.publicKeys).toEqual([key]);
    expect(cfg.manifestUrl).toBe('https://cdn.test/r/vad/manifest.json');
    expect(cfg.serviceWorker).toBeUndefined();
    expect(resolveConfig({ model: 'vad', serviceWorker: { scriptUrl: '/custom-sw.js', scope: '/' } }, plugin, PAGE).serviceWorker).toEqual({
      scriptUrl: 'https://app.test/custom-sw.js',
      scope: '/',
    });
  });

  it('in dev the plugin pins no service worker, and a registry on another origin is kept absolute', () => {
    const dev: BuildDefaults = { publicKeys: [pinned], registryUrl: 'https://models.example.com/registry' };
    const cfg = resolveConfig({ model: 'a b' }, dev, PAGE);
    expect(cfg.serviceWorker).toBeUndefined();
    expect(cfg.manifestUrl).toBe('https://models.example.com/registry/a%20b/manifest.json');
  });
});

describe('modelConfigOf', () => {
  it('tells the update client the model, its keys and what the worker can run', () => {
    const cfg = resolveConfig(
      { model: 'vad', manifestUrl: 'https://cdn.test/vad/manifest.json', publicKeys: [key], threshold: 1, deviceId: 'd1', download: { concurrency: 2 } },
      undefined,
      PAGE,
    );
    expect(modelConfigOf(cfg, { ep: 'webgpu', onnxruntimeWeb: '1.30.0' })).toEqual({
      name: 'vad',
      manifestUrl: 'https://cdn.test/vad/manifest.json',
      publicKeys: [key],
      runtime: { onnxruntimeWeb: '1.30.0', executionProviders: ['webgpu', 'wasm'] },
      threshold: 1,
      deviceId: 'd1',
      download: { concurrency: 2 },
    });
    expect(modelConfigOf(cfg, { ep: 'wasm', onnxruntimeWeb: '1.30.0' }).runtime.executionProviders).toEqual(['wasm']);
  });
});
