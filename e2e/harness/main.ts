/**
 * The page the browser tests drive. It uses Baton's modules exactly as an app bundle would,
 * and returns plain data (or a BatonError's wire form) so Playwright can assert on it.
 */
import * as ort from 'onnxruntime-web/wasm';
import { BatonError, verifyManifest, type BatonErrorWire, type PublicKeyJson, type Release } from '../../src/index.js';
import { sha256Hex } from '../../src/crypto/sha256.js';
import type { ModelConfig, RuntimeInfo } from '../../src/update/config.js';
import type { CheckResult, ModelStatus, UpdateEvent } from '../../src/update/messages.js';
import { connectServiceWorker, type UpdateClient } from '../../src/update/sw-client.js';
import { runtimeHarness } from './runtime-harness.js';
import { createPageUpdateClient } from '../../src/update/page-client.js';

type Outcome<T> = { ok: true; value: T } | { ok: false; error: BatonErrorWire | { name: string; message: string } };

async function outcome<T>(fn: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    const error = e instanceof BatonError ? e.toWire() : { name: (e as Error).name, message: (e as Error).message };
    log(`error: ${JSON.stringify(error)}`);
    return { ok: false, error };
  }
}

function log(line: string): void {
  document.getElementById('log')!.textContent += line + '\n';
}

async function fetchVerified(manifestUrl: string, publicKeys: PublicKeyJson[], name: string) {
  const res = await fetch(manifestUrl, { cache: 'no-store' });
  return verifyManifest(new Uint8Array(await res.arrayBuffer()), { publicKeys, expectedName: name });
}

/** Fetches a release's chunks and checks each, then the whole file (the download issue replaces this). */
async function fetchModel(baseUrl: string, release: Release): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = new Uint8Array(release.size);
  let offset = 0;
  for (const chunk of release.chunks) {
    const data = new Uint8Array(await (await fetch(`${baseUrl}/chunks/${chunk.sha256}`)).arrayBuffer());
    if (data.length !== chunk.size) throw new BatonError('size-mismatch', `chunk ${chunk.sha256} is ${data.length} bytes`);
    if ((await sha256Hex(data)) !== chunk.sha256) throw new BatonError('hash-mismatch', `chunk ${chunk.sha256} does not match`);
    bytes.set(data, offset);
    offset += data.length;
  }
  if ((await sha256Hex(bytes)) !== release.sha256) throw new BatonError('hash-mismatch', 'model does not match its hash');
  return bytes;
}

/** What this page's onnxruntime-web can run: told to the service worker for compatibility checks. */
const runtime: RuntimeInfo = { onnxruntimeWeb: ort.env.versions.web ?? ort.env.versions.common ?? '0.0.0', executionProviders: ['wasm'] };

let client: UpdateClient | undefined;
const events: UpdateEvent[] = [];

async function runBytes(bytes: Uint8Array<ArrayBuffer>, input: number[], batch: number) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(input), [batch, input.length / batch]) };
    const output = (await session.run(feeds))[session.outputNames[0]!]!;
    return Array.from(output.data as Float32Array);
  } finally {
    await session.release();
  }
}

/** The service-worker path: the same calls an app makes through Baton's update client. */
const sw = {
  /** `heartbeatMs`: how often a running check asks whether the worker still runs it (tests shorten it). */
  connect: (opts: { heartbeatMs?: number } = {}) =>
    outcome(async () => {
      if (!client) {
        client = await connectServiceWorker({ scriptUrl: './sw.js', ...opts });
        client.on((e) => {
          events.push(e);
          if (e.type !== 'progress') log(`event: ${JSON.stringify(e)}`);
        });
      }
      return { controlled: navigator.serviceWorker.controller !== null };
    }),
  configure: (config: Omit<ModelConfig, 'runtime'> & { runtime?: RuntimeInfo }) => outcome(() => client!.configure({ runtime, ...config })),
  // JSON: the BatonErrors in these become their wire form (code included), which Playwright can carry.
  check: (model: string) => outcome(async () => JSON.parse(JSON.stringify(await client!.check(model))) as CheckResult),
  status: (model: string) => outcome(async () => JSON.parse(JSON.stringify(await client!.status(model))) as ModelStatus),
  activate: (model: string, version: string) => outcome(async () => JSON.parse(JSON.stringify(await client!.activate(model, version))) as ModelStatus),
  /** Quarantines a version, as the runtime does after a rollback (reason: `unhealthy`). */
  quarantine: (model: string, version: string) =>
    outcome(
      async () => JSON.parse(JSON.stringify(await client!.quarantine(model, version, new BatonError('unhealthy', `quarantined by the test`)))) as ModelStatus,
    ),
  events: () => events.slice(),
  /** Loads a stored version (default: the active one) from IndexedDB and runs it: no network involved. */
  runStored: (model: string, input: number[], batch: number, version?: string) =>
    outcome(async () => {
      const stored = await client!.readModel(model, version);
      return { version: stored.version, output: await runBytes(stored.bytes, input, batch) };
    }),
  /**
   * Fetches a model through the service worker's model route (`<scope>__baton-model/<name>/<version|active>`):
   * what came back, its SHA-256, and the parsed body when it is JSON (an error's wire form).
   */
  fetchModel: (model: string, version = 'active') =>
    outcome(async () => {
      const res = await fetch(`./__baton-model/${encodeURIComponent(model)}/${encodeURIComponent(version)}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const contentType = res.headers.get('Content-Type');
      return {
        status: res.status,
        version: res.headers.get('X-Baton-Version'),
        contentType,
        size: bytes.byteLength,
        sha256: await sha256Hex(bytes),
        json: contentType?.startsWith('application/json') ? (JSON.parse(new TextDecoder().decode(bytes)) as unknown) : undefined,
      };
    }),
};

/** The update pipeline in the page, without a service worker or a runtime: for rollout tests. */
const pageUpdates = {
  check: (config: Omit<ModelConfig, 'runtime'>) =>
    outcome(async () => {
      const client = await createPageUpdateClient();
      try {
        await client.configure({ runtime, ...config });
        return JSON.parse(JSON.stringify(await client.check(config.name))) as CheckResult;
      } finally {
        client.close();
      }
    }),
};

const harness = {
  sw,
  pageUpdates,
  rt: runtimeHarness,
  /** Verifies the manifest at `manifestUrl` with the same module the service worker uses. */
  verify: (manifestUrl: string, publicKeys: PublicKeyJson[], name: string) =>
    outcome(async () => {
      const { manifest, signedBy } = await fetchVerified(manifestUrl, publicKeys, name);
      log(`verified ${manifest.name} sequence ${manifest.sequence}`);
      return { sequence: manifest.sequence, stable: manifest.policy.stable, versions: manifest.versions.map((r) => r.version), signedBy };
    }),

  /** Verifies, downloads the stable version, runs it once on WASM and returns the output. */
  loadAndRun: (registryUrl: string, publicKeys: PublicKeyJson[], name: string, input: number[], batch: number) =>
    outcome(async () => {
      const { manifest } = await fetchVerified(`${registryUrl}/${name}/manifest.json`, publicKeys, name);
      const release = manifest.versions.find((r) => r.version === manifest.policy.stable)!;
      const bytes = await fetchModel(`${registryUrl}/${name}`, release);
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      try {
        const feedName = release.inputs[0]!.name;
        const feeds = { [feedName]: new ort.Tensor('float32', Float32Array.from(input), [batch, input.length / batch]) };
        const results = await session.run(feeds);
        const output = results[release.outputs[0]!.name]!;
        log(`ran ${release.version}: ${Array.from(output.data as Float32Array).join(', ')}`);
        return {
          version: release.version,
          output: Array.from(output.data as Float32Array),
          dims: [...output.dims],
          crossOriginIsolated: self.crossOriginIsolated,
          numThreads: ort.env.wasm.numThreads,
        };
      } finally {
        await session.release();
      }
    }),
};

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
document.body.dataset['ready'] = 'true';

// `?demo=<model>`: run once against this server's registry and show the result (npm run demo).
const demoModel = new URLSearchParams(location.search).get('demo');
if (demoModel) {
  const registryUrl = `${location.origin}/registry`;
  const key = (await (await fetch(`${registryUrl}/demo-key.json`)).json()) as PublicKeyJson;
  const result = await harness.loadAndRun(registryUrl, [key], demoModel, [0.5, -1, 2, 0.25], 1);
  document.body.dataset['demo'] = result.ok ? 'ok' : 'failed';
}
