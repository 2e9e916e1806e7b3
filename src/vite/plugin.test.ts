/**
 * baton-ml/vite through Vite's own build, on a throwaway app: what it writes (the service worker,
 * its precache list, the registry copy) and what it pins into the bundle. `baton-ml` resolves to
 * this repository's sources by aliases, as in a monorepo; examples/test-installed.ts proves the
 * same from the packed package in a browser.
 */
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, createServer, preview, type Plugin } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeKeyPair } from '../publish/keys-fs.js';
import { baton } from './index.js';
import { resolvePluginOptions } from './options.js';
import { precacheList, wantsWasm } from './precache-list.js';

const src = (p: string) => fileURLToPath(new URL(`../${p}`, import.meta.url));
let app: string;
let keyid: string;

/** A minimal app: one page whose script prints what the plugin pinned. */
async function makeApp(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'baton-vite-plugin-'));
  await mkdir(join(dir, 'src'));
  await mkdir(join(dir, 'public'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><script type="module" src="/src/main.ts"></script>');
  await writeFile(
    join(dir, 'src/main.ts'),
    `import { buildDefaults } from 'baton-ml/build-defaults';\nconsole.log('PINNED', JSON.stringify(buildDefaults));\n`,
  );
  await writeFile(
    join(dir, 'src/my-sw.ts'),
    `import { installBaton } from 'baton-ml/sw';\ninstallBaton({ precache: self.__WB_MANIFEST, checkIntervalMs: 123456 });\n`,
  );
  await writeFile(join(dir, 'public/icon.svg'), '<svg/>');
  // What an onnxruntime-web build emits: the WASM build and the WebGPU (JSEP) one.
  await writeFile(join(dir, 'public/ort-wasm-simd-threaded-AbCdEf12.wasm'), 'wasm');
  await writeFile(join(dir, 'public/ort-wasm-simd-threaded.jsep-XyZ98765.wasm'), 'jsep');
  await mkdir(join(dir, 'registry/mlp/chunks'), { recursive: true });
  await writeFile(join(dir, 'registry/mlp/manifest.json'), '{}');
  await writeFile(join(dir, 'registry/mlp/.lock'), '1');
  keyid = (await writeKeyPair(join(dir, 'keys'))).keyid;
  return dir;
}

async function buildWith(plugin: Plugin, outDir: string, base = './'): Promise<void> {
  await build({
    root: app,
    base,
    configFile: false,
    logLevel: 'silent',
    resolve: {
      alias: [
        { find: /^baton-ml\/build-defaults$/, replacement: src('runtime/build-defaults.ts') },
        { find: /^baton-ml\/sw$/, replacement: fileURLToPath(new URL('../../sw/index.ts', import.meta.url)) },
      ],
    },
    plugins: [plugin],
    build: { outDir, emptyOutDir: true, minify: false },
  });
}

/** What the bundle's `console.log('PINNED', …)` prints: the defaults the plugin pinned. */
const pinned = async (outDir: string) =>
  JSON.parse(/"PINNED", JSON\.stringify\((\{[\s\S]*?\})\)\);/.exec(await bundleText(outDir))![1]!) as Record<string, unknown>;

const bundleText = async (outDir: string) => {
  const files = await readdir(join(outDir, 'assets'));
  return (await Promise.all(files.filter((f) => f.endsWith('.js')).map((f) => readFile(join(outDir, 'assets', f), 'utf8')))).join('\n');
};

beforeAll(async () => {
  app = await makeApp();
});

afterAll(async () => {
  if (!process.env['KEEP']) await rm(app, { recursive: true, force: true });
  else console.log(app);
});

describe('baton-ml/vite, in a production build', () => {
  it('pins the key, the registry and the service worker into the bundle, copies the registry and writes a classic service worker', async () => {
    const out = join(app, 'dist');
    await buildWith(baton({ publicKey: 'keys/baton-public.json' }), out);
    expect(await pinned(out)).toEqual({
      publicKeys: [expect.objectContaining({ keyid, alg: 'ed25519' })],
      registryUrl: 'registry/',
      serviceWorker: { scriptUrl: 'sw.js' },
    });

    expect(await readFile(join(out, 'registry/mlp/manifest.json'), 'utf8')).toBe('{}');
    await expect(readFile(join(out, 'registry/mlp/.lock'))).rejects.toThrow(/ENOENT/);

    const sw = await readFile(join(out, 'sw.js'), 'utf8');
    expect(sw.trimStart()).toMatch(/^(var \w+ = )?\(function/);
    expect(sw).not.toMatch(/\bimport\.meta\b|^\s*import\s|^\s*export\s/m);
    // The list is injected where the source says self.__WB_MANIFEST.
    expect(sw).toMatch(/installBaton\(\{\s*precache:\s*\[/);
    const urls = [...sw.matchAll(/"url":\s*"([^"]+)"/g)].map((m) => m[1]);
    expect(urls).toEqual(expect.arrayContaining(['index.html', 'icon.svg', 'ort-wasm-simd-threaded-AbCdEf12.wasm']));
    expect(urls.some((u) => u!.startsWith('assets/') && u!.endsWith('.js'))).toBe(true);
    // Not the WebGPU wasm, not the registry, not the service worker itself.
    expect(urls.filter((u) => /jsep|registry|sw\.js/.test(u!))).toEqual([]);
  });

  it('with an absolute base, pins absolute URLs', async () => {
    const out = join(app, 'dist-base');
    await buildWith(baton({ publicKey: 'keys/baton-public.json', registryUrl: 'https://models.example.com/registry/' }), out, '/shop/');
    expect(await pinned(out)).toMatchObject({ registryUrl: 'https://models.example.com/registry/', serviceWorker: { scriptUrl: '/shop/sw.js' } });
    // A registry elsewhere is not copied.
    await expect(readdir(join(out, 'registry'))).rejects.toThrow(/ENOENT/);
  });

  it('builds the app’s own service worker instead, with the precache list injected', async () => {
    const out = join(app, 'dist-own');
    await buildWith(
      baton({ publicKey: 'keys/baton-public.json', serviceWorker: { entry: 'src/my-sw.ts', filename: 'service-worker.js' }, precacheWasm: 'both' }),
      out,
    );
    const sw = await readFile(join(out, 'service-worker.js'), 'utf8');
    expect(sw).toMatch(/installBaton\(\{\s*precache:\s*\[[^\]]*\],\s*checkIntervalMs: 123456/);
    expect(sw).toContain('ort-wasm-simd-threaded.jsep-XyZ98765.wasm');
    expect(await pinned(out)).toMatchObject({ serviceWorker: { scriptUrl: 'service-worker.js' } });
  });

  it('with serviceWorker: false, pins none and writes none', async () => {
    const out = join(app, 'dist-none');
    await buildWith(baton({ publicKey: 'keys/baton-public.json', serviceWorker: false }), out);
    expect(await pinned(out)).not.toHaveProperty('serviceWorker');
    expect((await readdir(out)).filter((f) => f.endsWith('.js'))).toEqual([]);
  });

  it('fails the build with a clear message when the key file is missing', async () => {
    await expect(buildWith(baton({ publicKey: 'keys/missing.json' }), join(app, 'dist-x'))).rejects.toThrow(
      /public key keys\/missing\.json cannot be used.*npx baton keygen --out keys/,
    );
  });
});

describe('baton-ml/vite, in dev and preview', () => {
  it('serves the registry live, sends COOP/COEP when asked, and pins no service worker in dev', async () => {
    const server = await createServer({
      root: app,
      configFile: false,
      logLevel: 'silent',
      plugins: [baton({ publicKey: 'keys/baton-public.json', crossOriginIsolated: true })],
      server: { port: 0, host: '127.0.0.1', hmr: false, fs: { strict: false } },
      optimizeDeps: { noDiscovery: true, include: [] },
    });
    await server.listen();
    try {
      const url = server.resolvedUrls!.local[0]!;
      const page = await fetch(url);
      expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(await (await fetch(`${url}registry/mlp/manifest.json`)).text()).toBe('{}');
      expect((await fetch(`${url}registry/mlp/missing.json`)).status).toBe(404);
      const defaults = await server.transformRequest(`/@fs${src('runtime/build-defaults.ts')}`);
      const pinnedInDev = JSON.parse(/export const buildDefaults = (\{.*\});/.exec(defaults!.code)![1]!) as Record<string, unknown>;
      // The default base, '/': absolute URLs.
      expect(pinnedInDev).toEqual({ publicKeys: [expect.objectContaining({ keyid })], registryUrl: '/registry/' });
    } finally {
      await server.close();
    }
  });

  it('vite preview serves the live registry folder, not the copy the build made', async () => {
    const out = join(app, 'dist-preview');
    await buildWith(baton({ publicKey: 'keys/baton-public.json' }), out);
    await writeFile(join(app, 'registry/mlp/manifest.json'), '{"published":"after the build"}');
    const server = await preview({
      root: app,
      configFile: false,
      logLevel: 'silent',
      plugins: [baton({ publicKey: 'keys/baton-public.json' })],
      build: { outDir: out },
      preview: { port: 0, host: '127.0.0.1' },
    });
    try {
      const url = server.resolvedUrls!.local[0]!;
      expect(await (await fetch(`${url}registry/mlp/manifest.json`)).text()).toBe('{"published":"after the build"}');
      expect(await readFile(join(out, 'registry/mlp/manifest.json'), 'utf8')).toBe('{}');
      expect((await fetch(`${url}sw.js`)).status).toBe(200);
    } finally {
      await server.close();
      await writeFile(join(app, 'registry/mlp/manifest.json'), '{}');
    }
  });
});

describe('the plugin’s options', () => {
  it('fill their defaults', () => {
    expect(resolvePluginOptions({ publicKey: 'k.json' })).toEqual({
      publicKeyFiles: ['k.json'],
      registryDir: 'registry',
      serviceWorker: { filename: 'sw.js' },
      precacheWasm: 'wasm',
      crossOriginIsolated: false,
    });
  });

  it('name the bad value of a mistake', () => {
    expect(() => resolvePluginOptions({ publicKey: [] })).toThrow(/publicKey must be the public key file/);
    expect(() => resolvePluginOptions({ publicKey: 'k', registryUrl: 'registry/' })).toThrow(/registryUrl must be an absolute URL.*"registry\/"/);
    expect(() => resolvePluginOptions({ publicKey: 'k', registry: false })).toThrow(/with registry: false, registryUrl/);
    expect(() => resolvePluginOptions({ publicKey: 'k', serviceWorker: { filename: '../sw.js' } })).toThrow(/filename/);
    expect(() => resolvePluginOptions({ publicKey: 'k', precacheWasm: 'all' as never })).toThrow(/precacheWasm.*"all"/);
  });
});

describe('the precache list', () => {
  it('keeps one onnxruntime-web wasm build, as asked', () => {
    const wasm = 'assets/ort-wasm-simd-threaded-DcHrbrbl.wasm';
    const webgpu = 'assets/ort-wasm-simd-threaded.jsep-MDYUKy93.wasm';
    expect([wasm, webgpu].map((f) => wantsWasm(f, 'wasm'))).toEqual([true, false]);
    expect([wasm, webgpu].map((f) => wantsWasm(f, 'webgpu'))).toEqual([false, true]);
    expect([wasm, webgpu].map((f) => wantsWasm(f, 'both'))).toEqual([true, true]);
    expect([wasm, webgpu].map((f) => wantsWasm(f, false))).toEqual([false, false]);
    expect(wantsWasm('assets/other.wasm', false)).toBe(true);
  });

  it('gives every file a content revision (known SHA-256 prefixes) and leaves out maps and what it is told to', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'baton-precache-'));
    try {
      await mkdir(join(dir, 'assets'));
      await writeFile(join(dir, 'index.html'), 'abc');
      await writeFile(join(dir, 'assets/a.js'), '');
      await writeFile(join(dir, 'assets/a.js.map'), '{}');
      await writeFile(join(dir, 'sw.js'), 'x');
      await mkdir(join(dir, 'registry'));
      await writeFile(join(dir, 'registry/m.json'), '{}');
      expect(await precacheList(dir, { exclude: ['sw.js', 'registry'], precacheWasm: 'wasm' })).toEqual([
        { url: 'assets/a.js', revision: 'e3b0c44298fc1c14' },
        { url: 'index.html', revision: 'ba7816bf8f01cfea' },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
