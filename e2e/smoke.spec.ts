/**
 * The smallest end-to-end proof: a manifest published by the real CLI is verified in Chromium by
 * the same module the CLI uses, and model v1 runs in onnxruntime-web (WASM, self-hosted).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { test, expect } from '../src/testing/playwright.js';
import { mlpReference } from '../src/testing/models.js';
import { model } from './paths.js';
import { expectOk } from './runtime-helpers.js';

const INPUT = [0.5, -1, 2, 0.25, 1, 1, -0.5, 3];

test.beforeEach(async ({ page, registry }) => {
  await page.goto(`${registry.server.url}/index.html`);
  await expect(page.locator('body[data-ready=true]')).toBeAttached();
});

test('verifies a published manifest and runs model v1 with self-hosted WASM', async ({ page, registry }) => {
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(registry.server.url)) foreign.push(r.url());
  });
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1.0.0', chunkSize: 256 });

  const result = await page.evaluate(([url, key, input]) => window.harness.loadAndRun(url, [key], 'mlp', input, 2), [
    registry.url,
    registry.publicKey,
    INPUT,
  ] as const);
  const ran = expectOk(result, 'loadAndRun').value;
  const expected = Array.from(mlpReference(1, Float32Array.from(INPUT), 2));
  expect(ran.version).toBe('1.0.0');
  expect(ran.dims).toEqual([2, 2]);
  expect(ran.output).toHaveLength(expected.length);
  ran.output.forEach((y, i) => expect(y).toBeCloseTo(expected[i]!, 5));
  expect(ran.crossOriginIsolated).toBe(true);

  // What the server saw: the wasm came from us, and each chunk was fetched exactly once.
  expect(foreign).toEqual([]);
  expect(registry.requests({ path: /\/assets\/ort-wasm[^/]*\.wasm$/ }).map((r) => r.status)).toEqual([200]);
  const release = await registry.release('1.0.0', 'mlp');
  const chunkPaths = registry.requests({ path: registry.paths.chunks('mlp') }).map((r) => r.path);
  expect(chunkPaths.length).toBeGreaterThan(1);
  expect(chunkPaths.sort()).toEqual(release.chunks.map((c) => registry.paths.chunk(c.sha256, 'mlp')).sort());
});

test('refuses in the browser what the CLI would refuse, with the same error codes', async ({ page, registry }) => {
  await registry.publish(model('mlp-v1.onnx'), { name: 'mlp', version: '1.0.0' });
  const manifestUrl = `${registry.url}/mlp/manifest.json`;
  const verify = (key = registry.publicKey, name = 'mlp') =>
    page.evaluate(([url, k, n]) => window.harness.verify(url, [k], n), [manifestUrl, key, name] as const);
  const code = async (p: ReturnType<typeof verify>) => {
    const r = await p;
    return r.ok ? 'ok' : 'code' in r.error ? r.error.code : r.error.message;
  };

  expect(await code(verify())).toBe('ok');
  expect(await code(verify(registry.publicKey, 'vad'))).toBe('manifest-wrong-model');

  registry.fault('/registry/mlp/manifest.json', { kind: 'garbage' }, { times: 1 });
  expect(await code(verify())).toBe('manifest-invalid');

  registry.fault('/registry/mlp/manifest.json', { kind: 'truncate', bytes: 100 }, { times: 1 });
  expect(await code(verify())).toBe('manifest-invalid');

  // A byte flipped in transit breaks the base64 payload: malformed, refused before any crypto.
  const path = `${registry.dir}/mlp/manifest.json`;
  const genuine = await readFile(path, 'utf8');
  registry.fault('/registry/mlp/manifest.json', { kind: 'flip-byte', offset: genuine.indexOf('"payload"') + 40 }, { times: 1 });
  expect(await code(verify())).toBe('manifest-invalid');

  // A payload re-encoded after an edit (stable switched to a version of the attacker's choosing).
  const envelope = JSON.parse(genuine);
  const payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString());
  payload.policy.killed = ['0.0.1'];
  await writeFile(path, JSON.stringify({ ...envelope, payload: Buffer.from(JSON.stringify(payload)).toString('base64') }));
  expect(await code(verify())).toBe('signature-invalid');
  await writeFile(path, genuine);

  // The page's clock moved past the 30-day expiry: a frozen registry is refused.
  await page.clock.setFixedTime(Date.now() + 31 * 86_400_000);
  expect(await code(verify())).toBe('manifest-expired');
  await page.clock.setFixedTime(Date.now());

  const other = await registry.cli('keygen', '--out', `${registry.dir}/../other-keys`);
  expect(other.code).toBe(0);
  const otherKey = JSON.parse(await readFile(`${registry.dir}/../other-keys/baton-public.json`, 'utf8'));
  expect(await code(verify(otherKey))).toBe('unknown-key');

  // After all that, the genuine manifest is still accepted.
  expect(await code(verify())).toBe('ok');
});
