/**
 * `startDemo()`: everything `npm run demo` does, as a function the Playwright test calls too.
 * Builds the demo app with the demo's public key pinned, writes the broken v3 model, creates a
 * registry, starts Baton's test server (the app at `/`, the registry at `/registry/`, the
 * scenario's API at `/demo/api/`, a telemetry collector at `/collector/`) and publishes v1.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { readPublicKey, writeKeyPair } from '../../src/publish/keys-fs.js';
import { startTestServer, type TestServer } from '../../src/testing/server.js';
import type { PublicKeyJson } from '../../src/types.js';
import { createDemoControl, type DemoControl } from './control.js';
import { writeDemoModels } from './models.js';
import { clipProfile } from './profile.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Keys and generated models live here across runs (gitignored); the built app pins this key. */
export const DEMO_CACHE = join(ROOT, '.cache/demo');
export const DEMO_APP_DIR = join(ROOT, 'dist/app');

export interface StartDemoOptions {
  /** Default 0: a free port. `npm run demo` asks for 4173 (falling back to a free one). */
  readonly port?: number;
  /** Build the app first (default true). */
  readonly build?: boolean;
  /** Where the app is built and served from (default dist/app). */
  readonly appDir?: string;
  /** Keys and generated models (default .cache/demo). */
  readonly cacheDir?: string;
  /** The page plays the whole scenario by itself on load. */
  readonly autoplay?: boolean;
  /**
   * Each chunk is held this long before it is sent (default 400 ms; the test server's `delay`
   * fault): over loopback a 2.3 MB model arrives in a blink, and the download is worth seeing.
   */
  readonly chunkDelayMs?: number;
  /** Progress and the CLI transcript (default: silent). */
  readonly log?: (line: string) => void;
}

export interface Demo {
  /** The dashboard, e.g. `http://127.0.0.1:4173/`. */
  readonly url: string;
  readonly server: TestServer;
  readonly control: DemoControl;
  readonly publicKey: PublicKeyJson;
  close(): Promise<void>;
}

/** The key pair in `dir`, created on first use: the app is built with its public half pinned. */
async function demoKeys(dir: string): Promise<{ privatePath: string; publicKey: PublicKeyJson }> {
  const privatePath = join(dir, 'baton-private.json');
  const publicPath = join(dir, 'baton-public.json');
  if (!existsSync(privatePath) || !existsSync(publicPath)) await writeKeyPair(dir);
  return { privatePath, publicKey: await readPublicKey(publicPath) };
}

/** `vite build` (default mode: the demo) into `outDir` with `publicKey` pinned in the bundle. */
export async function buildDemo(outDir: string, publicKey: PublicKeyJson): Promise<void> {
  await build({
    configFile: join(ROOT, 'vite.config.ts'),
    mode: 'production',
    logLevel: 'warn',
    build: { outDir },
    define: { __BATON_DEMO_PUBLIC_KEY__: JSON.stringify(publicKey) },
  });
}

export async function startDemo(opts: StartDemoOptions = {}): Promise<Demo> {
  const log = opts.log ?? (() => {});
  const chunkDelayMs = opts.chunkDelayMs ?? 400;
  const cacheDir = opts.cacheDir ?? DEMO_CACHE;
  const appDir = opts.appDir ?? DEMO_APP_DIR;
  const keys = await demoKeys(join(cacheDir, 'keys'));
  if (opts.build ?? true) {
    log('building the demo app (vite build)…');
    await buildDemo(appDir, keys.publicKey);
  } else if (!existsSync(join(appDir, 'index.html'))) {
    throw new Error(`startDemo: ${appDir} has no built app; build it first (or pass build: true)`);
  }
  const models = await writeDemoModels(join(cacheDir, 'models'));
  const registryRoot = await mkdtemp(join(tmpdir(), 'baton-demo-'));
  const registryDir = join(registryRoot, 'registry');

  let server: TestServer | undefined;
  const control = createDemoControl({
    registryDir,
    privateKeyPath: keys.privatePath,
    models,
    profile: clipProfile(),
    autoplay: opts.autoplay ?? false,
    chunkDelayMs,
    telemetry: () => server?.telemetry() ?? [],
    log,
  });
  const start = (port: number) => startTestServer({ registryDir, appDir, port, extraRoutes: (req, res, url) => control.route(req, res, url) });
  try {
    server = await start(opts.port ?? 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || !opts.port) throw e;
    log(`port ${opts.port} is taken; using a free one`);
    server = await start(0);
  }
  const running = server;
  if (chunkDelayMs > 0) running.fault('/registry/*/chunks/*', { kind: 'delay', ms: chunkDelayMs });
  await control.reset();
  return {
    url: `${running.url}/`,
    server: running,
    control,
    publicKey: keys.publicKey,
    async close() {
      await running.close();
      await rm(registryRoot, { recursive: true, force: true });
    },
  };
}
