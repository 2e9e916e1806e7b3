/**
 * A signing key that was stolen can fast-forward every device's anti-rollback mark (a valid
 * manifest at sequence 2^53 − 1), after which no honest manifest is ever accepted again. The way
 * out, as in TUF, is a rotation: an app build that pins only the new key no longer honours a
 * mark that the old key set, and adopts the next release the new key signs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { signManifest } from '../src/manifest/sign.js';
import { openEnvelope } from '../src/manifest/envelope.js';
import { parsePayloadJson } from '../src/manifest/verify.js';
import { readPrivateKey } from '../src/publish/keys-fs.js';
import { test, expect } from '../src/testing/playwright.js';
import { createTestKeys } from '../src/testing/registry.js';
import type { Manifest } from '../src/types.js';
import { model } from './paths.js';
import { expectMlpAnswer, expectOk } from './runtime-helpers.js';
import { check, connect, errorCode, events, openHarness, runStored, status } from './sw-helpers.js';

test.use({ batonModel: 'mlp' });

const X = [0.5, -1, 2, 0.25];

async function expectServingV1(page: Parameters<typeof runStored>[0]) {
  const out = expectOk(await runStored(page, X, 1), 'running the stored active version').value;
  expectMlpAnswer(out.output, 1, X);
  expect((await status(page)).active).toBe('1');
}

test('a stolen key fast-forwards the sequence; an app build pinning only the new key recovers and adopts the next release', async ({
  page,
  registry,
}, testInfo) => {
  await registry.publish(model('mlp-v1.onnx'), { version: '1' });
  await openHarness(page, registry);
  await connect(page, registry);
  expect(errorCode(await check(page))).toBeUndefined();
  const file = join(registry.dir, 'mlp', 'manifest.json');
  const genuine = await readFile(file);

  // The thief, with the old key, serves a harmless manifest at the highest sequence there is.
  const stolen = await readPrivateKey(registry.privateKeyPath);
  const current = parsePayloadJson(openEnvelope(new Uint8Array(genuine)).payloadBytes) as Manifest;
  await writeFile(file, await signManifest({ ...current, sequence: Number.MAX_SAFE_INTEGER }, [stolen]));
  const hijacked = await check(page);
  expect(hijacked.ok && hijacked.value.sequence).toBe(Number.MAX_SAFE_INTEGER);
  await writeFile(file, genuine);

  // The publisher rotates: a new key pair, and the next release signed by both keys.
  const fresh = await createTestKeys(testInfo.outputPath('new-key'));
  await registry.publish(model('mlp-v2.onnx'), { version: '2', extraArgs: ['--key', fresh.privatePath] });
  // Devices on the old build refuse it for good: their mark is 2^53 − 1. v1 keeps serving.
  const refused = await check(page);
  expect(errorCode(refused)).toBe('manifest-rollback');
  await expectServingV1(page);
  expect((await status(page)).versions.map((v) => v.version)).toEqual(['1']);
  const v2Chunks = (await registry.newChunks('2', '1')).map((c) => registry.paths.chunk(c.sha256));
  expect(registry.requests().filter((r) => v2Chunks.includes(r.path))).toEqual([]);

  // The app's next build pins only the new key: the stolen key's mark no longer binds.
  const since = (await events(page)).length;
  const configured = await page.evaluate((c) => window.harness.sw.configure(c), {
    name: 'mlp',
    manifestUrl: `${registry.url}/mlp/manifest.json`,
    publicKeys: [fresh.publicKey],
  });
  expect(configured.ok).toBe(true);
  const recovered = await check(page);
  expect(recovered.ok && recovered.value, JSON.stringify(recovered)).toMatchObject({ ready: expect.arrayContaining(['2']), failed: [] });
  expect((await events(page)).slice(since).find((e) => e.type === 'manifest-accepted')).toMatchObject({ keysChanged: true, sequence: 2 });

  // And the new mark binds from here on: the stolen key's manifest is refused outright now.
  await writeFile(file, await signManifest({ ...current, sequence: Number.MAX_SAFE_INTEGER }, [stolen]));
  expect(errorCode(await check(page))).toBe('unknown-key');
});
