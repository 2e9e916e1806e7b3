/**
 * `npm run dev`: Vite's dev server with the plugin serves the registry folder live, the page
 * runs updates itself (no service worker in dev), and an open tab sees a publish without a
 * reload: the page checks again at once when the network comes back.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createServer } from 'vite';
import { expect, mlpModel, mlpReference, test } from 'baton-ml/testing';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

/** `npx baton publish` into the app's own registry/ folder, as its developer would. */
async function publish(model: Uint8Array, version: string): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'quickstart-model-'));
  try {
    await writeFile(join(dir, 'model.onnx'), model);
    await run(
      'npx',
      ['baton', 'publish', join(dir, 'model.onnx'), '--name', 'mlp', '--version', version, '--registry', 'registry', '--key', 'keys/baton-private.json'],
      { cwd: root },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('in dev the page serves the registry folder itself, and sees a publish when it comes back online', async ({ page, context }) => {
  await rm(join(root, 'registry'), { recursive: true, force: true });
  await publish(mlpModel(1), '1.0.0');
  const server = await createServer({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', server: { port: 0, host: '127.0.0.1' } });
  await server.listen();
  try {
    const failed: string[] = [];
    context.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
    context.on('response', (r) => void (r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`)));
    await page.goto(server.resolvedUrls!.local[0]!);
    await expect(page.locator('#serving')).toHaveText('1.0.0', { timeout: 30_000 });
    await expect(page.locator('#updates')).toHaveText('page');
    await page.locator('#run').click();
    await expect(page.locator('#result')).toHaveText(/^1\.0\.0: /);
    // The page shows `version: y0, y1`: the test MLP v1's answer to the page's input.
    const y = (await page.locator('#result').textContent())!
      .replace(/^1\.0\.0: /, '')
      .split(', ')
      .map(Number);
    const expected = Array.from(mlpReference(1, Float32Array.of(0.5, -1, 2, 0.25), 1));
    expect(y).toHaveLength(expected.length);
    expected.forEach((value, i) => expect(y[i]).toBeCloseTo(value, 5));

    await publish(mlpModel(2), '2.0.0');
    await context.setOffline(true);
    await context.setOffline(false);
    await expect(page.locator('#serving')).toHaveText('2.0.0', { timeout: 30_000 });
    expect(failed).toEqual([]);
  } finally {
    await server.close();
  }
});
