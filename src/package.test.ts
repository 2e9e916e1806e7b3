/**
 * The package as npm would publish it: every exports-map target exists, every relative import
 * in what ships carries its `.js` extension (so declarations resolve under NodeNext and Node16),
 * the inference worker ships as a module beside the client that starts it by URL, and the
 * tarball holds no tests or sources. examples/test-installed.ts then uses it from outside.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const lib = join(root, 'dist/lib');
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, string | { types: string; import: string }>;
  bin: Record<string, string>;
};

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
/** Every import/export specifier of a JS or declaration file (static, dynamic, type-only). */
const specifiers = (code: string): string[] => [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);

beforeAll(async () => {
  await run('npm', ['run', 'build:lib'], { cwd: root });
}, 180_000);

describe('the published package', () => {
  it('is baton-ml, and its `baton` bin runs and knows its version', async () => {
    expect(pkg.name).toBe('baton-ml');
    const bin = `${root}${pkg.bin['baton']}`;
    expect((await run(process.execPath, [bin, 'help'])).stdout).toMatch(/Usage: baton <command>/);
    expect((await run(process.execPath, [bin, '--version'])).stdout.trim()).toContain(pkg.version);
  });

  it('has types and an ESM module for every entry of its exports map', () => {
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './package.json', './sw', './testing', './testing/app', './vite', './worker']);
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(existsSync(`${root}${target.types}`), `${entry} types ${target.types}`).toBe(true);
      expect(existsSync(`${root}${target.import}`), `${entry} module ${target.import}`).toBe(true);
    }
  });

  it('writes every relative import with its .js extension, in modules and declarations alike', () => {
    const bad: string[] = [];
    for (const file of filesUnder(lib).filter((f) => /\.(js|d\.ts)$/.test(f))) {
      for (const spec of specifiers(readFileSync(file, 'utf8'))) {
        if (spec.startsWith('.') && !spec.endsWith('.js')) bad.push(`${relative(lib, file)}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('starts the inference worker from a module shipped beside its client, the pattern every bundler follows', () => {
    const client = readFileSync(join(lib, 'src/worker/worker-client.js'), 'utf8');
    expect(client).toContain("new Worker(new URL('./inference-worker.js', import.meta.url), { type: 'module'");
    const worker = readFileSync(join(lib, 'src/worker/inference-worker.js'), 'utf8');
    // onnxruntime-web is left to the app's bundler (one copy, and the wasm the app serves itself).
    expect(worker).toMatch(/import\('onnxruntime-web\/wasm'\)/);
    expect((pkg.exports['./worker'] as { import: string }).import).toBe('./dist/lib/src/worker/inference-worker.js');
  });

  it('lists for Vite’s dev server exactly the dependencies its browser half imports (the plugin pre-bundles them)', async () => {
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const spec of specifiers(readFileSync(file, 'utf8'))) if (spec.startsWith('.')) visit(join(file, '..', spec));
    };
    for (const entry of ['src/index.js', 'src/worker/inference-worker.js', 'src/testing/expose.js']) visit(join(lib, entry));
    const bare = new Set([...seen].flatMap((f) => specifiers(readFileSync(f, 'utf8')).filter((s) => !s.startsWith('.'))));
    const { BROWSER_DEPENDENCIES } = (await import(pathToFileURL(join(lib, 'src/vite/index.js')).href)) as { BROWSER_DEPENDENCIES: readonly string[] };
    // onnxruntime-web is served as it is in dev (the plugin excludes it from pre-bundling).
    expect([...bare].filter((s) => !s.startsWith('onnxruntime-web')).sort()).toEqual([...BROWSER_DEPENDENCIES].sort());
    expect([...seen].some((f) => /[\\/](cli|publish|testing[\\/](?!expose))/.test(relative(lib, f)))).toBe(false);
  });

  it('exports the runtime, the verifier and the error class from the page entry', async () => {
    const mod = (await import(pathToFileURL(join(root, (pkg.exports['.'] as { import: string }).import)).href)) as Record<string, unknown>;
    expect(typeof mod['verifyManifest']).toBe('function');
    expect(typeof mod['createRuntime']).toBe('function');
    expect(typeof mod['BatonError']).toBe('function');
  });

  it('gives apps the kit’s browser half (exposeRuntimeForTests) without any Node or Playwright import', async () => {
    const target = pkg.exports['./testing/app'] as { import: string };
    const code = readFileSync(`${root}${target.import}`, 'utf8');
    expect(specifiers(code).filter((s) => !s.startsWith('.'))).toEqual([]);
    const mod = (await import(pathToFileURL(`${root}${target.import}`).href)) as Record<string, unknown>;
    expect(typeof mod['exposeRuntimeForTests']).toBe('function');
  });

  it('packs its build, docs and README, and no tests or TypeScript sources', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
    const files = (JSON.parse(stdout) as [{ files: { path: string }[] }])[0].files.map((f) => f.path);
    expect(files).toContain('dist/lib/src/worker/inference-worker.js');
    expect(files).toContain('README.md');
    expect(files.filter((f) => /\.test\.|(?<!\.d)\.ts$/.test(f))).toEqual([]);
    expect(files.filter((f) => !/^(dist\/lib\/|docs\/|README\.md$|package\.json$|LICENSE)/.test(f))).toEqual([]);
  });
});
