/**
 * A throwaway registry for a test: its own directory, signing keys and fault-injecting server.
 * Publishing goes through the real `baton` CLI code and policy changes through the publisher's
 * own edits, so every test that publishes tests them too.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDuration } from '../cli/args.js';
import { runCli } from '../cli/run.js';
import { openEnvelope } from '../manifest/envelope.js';
import { parseManifestPayload } from '../manifest/schema.js';
import { parsePayloadJson } from '../manifest/verify.js';
import { readPrivateKey, readPublicKey, writeKeyPair } from '../publish/keys-fs.js';
import { editPolicy } from '../publish/publish.js';
import type { ChunkRef, Manifest, PublicKeyJson, Release, ShadowPolicy } from '../types.js';
import { findDeviceId, type DeviceWish } from './device.js';
import { applyPolicyChange, type PolicyChange } from './policy.js';
import { startTestServer, type Fault, type FaultHandle, type PathPattern, type RequestFilter, type RequestRecord, type TestServer } from './server.js';

/** When and for how long a signing command signs: for expired or long-lived manifests. */
export interface SigningOptions {
  /** The signer's clock (default: now), e.g. `Date.now() - 10 * DAY` for a manifest signed ten days ago. */
  readonly at?: number | Date;
  /** Validity from `at`: a duration such as '30d' or '1s' (`--expires`), or milliseconds. Default 30 days. */
  readonly expires?: string | number;
}

export interface PublishArgs extends SigningOptions {
  /** The model's name; default: the registry's `model`. */
  readonly name?: string;
  readonly version: string;
  /** Percentage of devices for a candidate (`--rollout`). */
  readonly rollout?: number;
  /** `--chunk-size`, e.g. 65536 or '64k'. */
  readonly chunkSize?: number | string;
  /** Devices outside the rollout shadow the candidate (`--shadow`, `--shadow-compare`, `--shadow-tolerance`). */
  readonly shadow?: Pick<ShadowPolicy, 'sampleRate'> & Partial<ShadowPolicy>;
  /** The candidate's bucket salt (`--salt`): fixed salts make bucket membership reproducible. */
  readonly salt?: string;
  /** Any further CLI flags. */
  readonly extraArgs?: readonly string[];
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Paths as the test server serves (and logs, and faults) them. */
export interface RegistryPaths {
  /** `/registry/<name>/manifest.json` */
  manifest(name?: string): string;
  /** `/registry/<name>/chunks/*`: a glob for every chunk of the model. */
  chunks(name?: string): string;
  /** `/registry/<name>/chunks/<sha256>` */
  chunk(sha256: string, name?: string): string;
}

/** An existing key pair (e.g. the one an app under test was built with) instead of fresh keys. */
export interface KeyFiles {
  readonly privatePath: string;
  readonly publicPath: string;
}

export interface TestRegistryOptions {
  /** The built app the server serves at `/`. */
  readonly appDir?: string;
  /** COOP/COEP on every response (default true). */
  readonly crossOriginIsolation?: boolean;
  /** The model name `publish` and the other helpers use when they are not given one. Default 'model'. */
  readonly model?: string;
  /** Sign with these keys instead of a fresh pair (an app pins its public key at build time). */
  readonly keys?: KeyFiles;
}

export interface TestRegistry {
  /** The registry's directory on disk. */
  readonly dir: string;
  readonly server: TestServer;
  /** Base URL of the registry: `${url}/<model>/manifest.json`. */
  readonly url: string;
  /** The key to pin in the app under test. */
  readonly publicKey: PublicKeyJson;
  readonly privateKeyPath: string;
  /** The default model name. */
  readonly model: string;
  readonly paths: RegistryPaths;
  /** `baton publish` of a model file path or of model bytes; throws with the CLI's stderr on failure. */
  publish(model: string | Uint8Array, args: PublishArgs): Promise<CliResult>;
  /**
   * Changes the signed rollout policy (see {@link PolicyChange}) and re-signs the manifest with the
   * next sequence number; resolves with the new manifest. Throws what the publisher would refuse.
   */
  setPolicy(change: PolicyChange, opts?: SigningOptions & { name?: string }): Promise<Manifest>;
  /** The manifest on disk, parsed (not verified): what the registry serves now. */
  manifest(name?: string): Promise<Manifest>;
  /** One release of the manifest on disk; throws if it is not listed. */
  release(version: string, name?: string): Promise<Release>;
  /** The chunks of `version` that `comparedTo` does not have: what a device on it must download. */
  newChunks(version: string, comparedTo: string, name?: string): Promise<ChunkRef[]>;
  /** A device id the router sends where `wish` says under the current policy (see `findDeviceId`). */
  findDeviceId(wish: DeviceWish, opts?: { name?: string; now?: number }): Promise<string>;
  /**
   * Injects `fault` into the requests whose path matches `pattern` (see `registry.paths`), the
   * next `times` only if given; the handle's `remove()` stops it.
   */
  fault(pattern: PathPattern, fault: Fault, opts?: { times?: number }): FaultHandle;
  clearFaults(): void;
  /** What the server saw (app and registry requests), in arrival order, filtered. */
  requests(filter?: RequestFilter): RequestRecord[];
  resetRequests(): void;
  /** Any `baton` command against this registry, with `--registry` and `--key` filled in where they apply. */
  cli(command: string, ...args: string[]): Promise<CliResult>;
  /** Stops the server and deletes the directory. */
  dispose(): Promise<void>;
}

const SIGNED = new Set(['publish', 'rollout', 'promote', 'rollback', 'kill', 'pin', 'unpin', 'ab', 'health', 'resign']);

/** A fresh Ed25519 key pair in `dir` (`baton keygen`), for an app build to pin and a registry to sign with. */
export async function createTestKeys(dir: string): Promise<KeyFiles & { publicKey: PublicKeyJson }> {
  const { privatePath, publicPath } = await writeKeyPair(dir);
  return { privatePath, publicPath, publicKey: await readPublicKey(publicPath) };
}

const timeOf = (at: number | Date) => (typeof at === 'number' ? at : at.getTime());
const expiresMs = (e: string | number) => (typeof e === 'number' ? e : parseDuration('expires', e));

/**
 * Creates a registry in a temporary directory and starts its server on a free loopback port.
 *
 * @example
 * const registry = await createTestRegistry({ appDir: 'dist', model: 'mlp' });
 * await registry.publish('models/v1.onnx', { version: '1' });
 * await registry.publish('models/v2.onnx', { version: '2', rollout: 10 });
 * await registry.setPolicy({ percent: 50 });
 * await registry.dispose();
 */
export async function createTestRegistry(opts: TestRegistryOptions = {}): Promise<TestRegistry> {
  const root = await mkdtemp(join(tmpdir(), 'baton-registry-'));
  const dir = join(root, 'registry');
  const keys = opts.keys ?? (await writeKeyPair(join(root, 'keys')));
  const publicKey = await readPublicKey(keys.publicPath);
  const server = await startTestServer({
    registryDir: dir,
    ...(opts.appDir === undefined ? {} : { appDir: opts.appDir }),
    ...(opts.crossOriginIsolation === undefined ? {} : { crossOriginIsolation: opts.crossOriginIsolation }),
  });
  const defaultName = opts.model ?? 'model';
  let models = 0;

  async function run(argv: string[], at: number | Date | undefined): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const io = { stdout: (t: string) => (stdout += t), stderr: (t: string) => (stderr += t), ...(at === undefined ? {} : { now: () => timeOf(at) }) };
    const code = await runCli(argv, io);
    return { code, stdout, stderr };
  }

  function cli(command: string, ...args: string[]): Promise<CliResult> {
    const extra = [...(command === 'keygen' ? [] : ['--registry', dir]), ...(SIGNED.has(command) ? ['--key', keys.privatePath] : [])];
    return run([command, ...args, ...extra], undefined);
  }

  async function manifest(name = defaultName): Promise<Manifest> {
    const bytes = new Uint8Array(await readFile(join(dir, name, 'manifest.json')));
    return parseManifestPayload(parsePayloadJson(openEnvelope(bytes).payloadBytes));
  }

  async function release(version: string, name = defaultName): Promise<Release> {
    const m = await manifest(name);
    const found = m.versions.find((r) => r.version === version);
    if (!found) throw new Error(`the manifest of ${name} lists ${m.versions.map((r) => r.version).join(', ')}, not ${version}`);
    return found;
  }

  const paths: RegistryPaths = {
    manifest: (name = defaultName) => `/registry/${name}/manifest.json`,
    chunks: (name = defaultName) => `/registry/${name}/chunks/*`,
    chunk: (sha256, name = defaultName) => `/registry/${name}/chunks/${sha256}`,
  };

  return {
    dir,
    server,
    url: server.registryUrl,
    publicKey,
    privateKeyPath: keys.privatePath,
    model: defaultName,
    paths,
    cli,
    async publish(model, args) {
      const path = typeof model === 'string' ? model : join(root, `model-${++models}.onnx`);
      if (typeof model !== 'string') await writeFile(path, model);
      const flags = ['--name', args.name ?? defaultName, '--version', args.version];
      if (args.rollout !== undefined) flags.push('--rollout', String(args.rollout));
      if (args.chunkSize !== undefined) flags.push('--chunk-size', String(args.chunkSize));
      if (args.salt !== undefined) flags.push('--salt', args.salt);
      if (args.expires !== undefined) flags.push('--expires', typeof args.expires === 'number' ? `${Math.ceil(args.expires / 1000)}s` : args.expires);
      if (args.shadow !== undefined) {
        flags.push('--shadow', String(args.shadow.sampleRate));
        if (args.shadow.compare !== undefined) flags.push('--shadow-compare', args.shadow.compare);
        if (args.shadow.tolerance !== undefined) flags.push('--shadow-tolerance', String(args.shadow.tolerance));
      }
      const result = await run(['publish', path, ...flags, ...(args.extraArgs ?? []), '--registry', dir, '--key', keys.privatePath], args.at);
      if (result.code !== 0) throw new Error(`baton publish failed (${result.code}): ${result.stderr}`);
      return result;
    },
    async setPolicy(change, signing = {}) {
      const key = await readPrivateKey(keys.privatePath);
      return editPolicy(dir, signing.name ?? defaultName, [key], (m) => applyPolicyChange(m, change), {
        ...(signing.at === undefined ? {} : { now: () => timeOf(signing.at!) }),
        ...(signing.expires === undefined ? {} : { expiresInMs: expiresMs(signing.expires) }),
      });
    },
    manifest,
    release,
    async newChunks(version, comparedTo, name = defaultName) {
      const [next, base] = [await release(version, name), await release(comparedTo, name)];
      const old = new Set(base.chunks.map((c) => c.sha256));
      return next.chunks.filter((c) => !old.has(c.sha256));
    },
    async findDeviceId(wish, o = {}) {
      return findDeviceId((await manifest(o.name)).policy, wish, o.now === undefined ? {} : { now: o.now });
    },
    fault: (pattern, fault, o) => server.fault(pattern, fault, o),
    clearFaults: () => server.clearFaults(),
    requests: (filter) => server.requests(filter),
    resetRequests: () => server.resetRequests(),
    async dispose() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The bytes of a registry file, e.g. `manifestBytes(reg, 'mlp')`, for tests that tamper with them. */
export function manifestBytes(registry: TestRegistry, name = registry.model): Promise<Buffer> {
  return readFile(join(registry.dir, name, 'manifest.json'));
}
