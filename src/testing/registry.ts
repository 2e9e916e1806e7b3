/**
 * A throwaway registry for a test: its own directory, signing keys and fault-injecting server.
 * Publishing goes through the real `baton` CLI code, so every test that publishes tests it too.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/run';
import type { PublicKeyJson } from '../types';
import { readPublicKey, writeKeyPair } from '../publish/keys-fs';
import { startTestServer, type TestServer } from './server';

export interface PublishArgs {
  readonly name: string;
  readonly version: string;
  /** Percentage of devices for a candidate (`--rollout`). */
  readonly rollout?: number;
  /** `--chunk-size`, e.g. 65536 or '64k'. */
  readonly chunkSize?: number | string;
  /** Any further CLI flags. */
  readonly extraArgs?: readonly string[];
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
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
  /** `baton publish` of a model file path or of model bytes; throws with the CLI's stderr on failure. */
  publish(model: string | Uint8Array, args: PublishArgs): Promise<CliResult>;
  /** Any `baton` command against this registry, with `--registry` and `--key` filled in where they apply. */
  cli(command: string, ...args: string[]): Promise<CliResult>;
  /** Stops the server and deletes the directory. */
  dispose(): Promise<void>;
}

const SIGNED = new Set(['publish', 'rollout', 'promote', 'rollback', 'kill', 'pin', 'unpin', 'ab', 'health']);

export async function createTestRegistry(opts: { appDir?: string; crossOriginIsolation?: boolean } = {}): Promise<TestRegistry> {
  const root = await mkdtemp(join(tmpdir(), 'baton-registry-'));
  const dir = join(root, 'registry');
  const keys = await writeKeyPair(join(root, 'keys'));
  const publicKey = await readPublicKey(keys.publicPath);
  const server = await startTestServer({
    registryDir: dir,
    ...(opts.appDir === undefined ? {} : { appDir: opts.appDir }),
    ...(opts.crossOriginIsolation === undefined ? {} : { crossOriginIsolation: opts.crossOriginIsolation }),
  });
  let models = 0;

  async function cli(command: string, ...args: string[]): Promise<CliResult> {
    let stdout = '';
    let stderr = '';
    const extra = [...(command === 'keygen' ? [] : ['--registry', dir]), ...(SIGNED.has(command) ? ['--key', keys.privatePath] : [])];
    const code = await runCli([command, ...args, ...extra], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  }

  return {
    dir,
    server,
    url: server.registryUrl,
    publicKey,
    privateKeyPath: keys.privatePath,
    cli,
    async publish(model, args) {
      let path = typeof model === 'string' ? model : join(root, `model-${++models}.onnx`);
      if (typeof model !== 'string') await writeFile(path, model);
      else path = model;
      const flags = ['--name', args.name, '--version', args.version];
      if (args.rollout !== undefined) flags.push('--rollout', String(args.rollout));
      if (args.chunkSize !== undefined) flags.push('--chunk-size', String(args.chunkSize));
      const result = await cli('publish', path, ...flags, ...(args.extraArgs ?? []));
      if (result.code !== 0) throw new Error(`baton publish failed (${result.code}): ${result.stderr}`);
      return result;
    },
    async dispose() {
      await server.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The bytes of a registry file, e.g. `manifestBytes(reg, 'mlp')`, for tests that tamper with them. */
export function manifestBytes(registry: TestRegistry, name: string): Promise<Buffer> {
  return readFile(join(registry.dir, name, 'manifest.json'));
}
