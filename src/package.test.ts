/** The package as npm would publish it: every exports-map target and the bin exist and load. */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  name: string;
  exports: Record<string, string | { types: string; import: string }>;
  bin: Record<string, string>;
};

beforeAll(async () => {
  await run('npm', ['run', 'build:lib'], { cwd: root });
}, 120_000);

describe('the published package', () => {
  it('is named baton and has a baton bin that runs', async () => {
    expect(pkg.name).toBe('baton');
    const { stdout } = await run(process.execPath, [`${root}${pkg.bin['baton']}`, 'help']);
    expect(stdout).toMatch(/Usage: baton <command>/);
  });

  it('has types and an ESM module for every entry of its exports map', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(existsSync(`${root}${target.types}`), `${entry} types ${target.types}`).toBe(true);
      expect(existsSync(`${root}${target.import}`), `${entry} module ${target.import}`).toBe(true);
    }
  });

  it('ships the inference worker as a small module that leaves onnxruntime-web to the app’s bundler', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const worker = (await readdir(`${root}dist/lib/assets`)).find((f) => /^inference-worker-.*\.js$/.test(f));
    expect(worker).toBeDefined();
    const code = await readFile(`${root}dist/lib/assets/${worker}`, 'utf8');
    expect(code.length).toBeLessThan(200_000);
    expect(code).toMatch(/import\("onnxruntime-web\/wasm"\)/);
  });

  it('exports the verifier and the error class from the page entry', async () => {
    const target = pkg.exports['.'] as { import: string };
    const mod = (await import(pathToFileURL(`${root}${target.import}`).href)) as Record<string, unknown>;
    expect(typeof mod['verifyManifest']).toBe('function');
    expect(typeof mod['createRuntime']).toBe('function');
    expect(typeof mod['BatonError']).toBe('function');
  });

  it('gives apps the kit’s browser half (exposeRuntimeForTests) without any Node or Playwright import', async () => {
    const target = pkg.exports['./testing/app'] as { import: string };
    const code = readFileSync(`${root}${target.import}`, 'utf8');
    expect(code).not.toMatch(/from\s+["'](node:|@playwright|playwright)/);
    const mod = (await import(pathToFileURL(`${root}${target.import}`).href)) as Record<string, unknown>;
    expect(typeof mod['exposeRuntimeForTests']).toBe('function');
  });
});
