/**
 * `baton publish`: model file → chunks in the registry → a new signed manifest. Chunks already
 * in the registry are not written again, so a version sharing weights with an older one costs
 * only its changed chunks; the manifest is replaced last, so readers see all or nothing.
 */
import { readFile } from 'node:fs/promises';
import { openEnvelope, type OpenedEnvelope } from '../manifest/envelope.js';
import { signManifest } from '../manifest/sign.js';
import { checkSignatures, parsePayloadJson } from '../manifest/verify.js';
import { parseManifestPayload } from '../manifest/schema.js';
import type { ExecutionProvider, Manifest, PrivateKeyJson, PublicKeyJson, Release, ShadowPolicy } from '../types.js';
import { chunkBytes, DEFAULT_CHUNK_SIZE } from './chunk.js';
import { defaultOrtRange, inspectOnnx } from './inspect-onnx.js';
import { addRelease, PolicyError, resign } from './policy-edit.js';
import { computeProfile, readSamples } from './profile.js';
import {
  chunkPath,
  readManifestBytes,
  registryPaths,
  storedSize,
  withRegistryLock,
  writeAtomic,
  writeManifest,
  type RegistryPaths,
} from './registry-fs.js';

export interface PublishOptions {
  readonly modelPath: string;
  readonly name: string;
  readonly version: string;
  readonly registry: string;
  readonly keys: readonly PrivateKeyJson[];
  readonly rolloutPercent?: number;
  readonly chunkSize?: number;
  readonly expiresInMs?: number;
  readonly ortRange?: string;
  readonly executionProviders?: readonly ExecutionProvider[];
  readonly salt?: string;
  readonly shadow?: ShadowPolicy;
  /** Sample inputs (JSON, see profile.ts) to compute the version's reference profile from. */
  readonly profileSamples?: string;
  readonly now?: () => number;
  /** Called after each chunk is handled, for progress output. */
  readonly onChunk?: (done: number, total: number, written: boolean) => void;
}

export interface PublishResult {
  readonly manifest: Manifest;
  readonly release: Release;
  readonly chunksWritten: number;
  readonly chunksReused: number;
  readonly bytesWritten: number;
}

export async function publish(opts: PublishOptions): Promise<PublishResult> {
  const now = opts.now ?? Date.now;
  const bytes = new Uint8Array(await readFile(opts.modelPath));
  const summary = inspectOnnx(bytes);
  const ortRange = opts.ortRange ?? defaultOrtRange(summary.opsets);
  if (ortRange === undefined) {
    throw new PolicyError(`model imports opset ${JSON.stringify(summary.opsets)}, newer than Baton's table; pass --ort-range`);
  }
  // Before the lock and before any write: profiling runs the model, which may fail.
  const profile = opts.profileSamples === undefined ? undefined : await computeProfile(bytes, summary.inputs, await readSamples(opts.profileSamples, summary.inputs));
  const file = await chunkBytes(bytes, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const paths = registryPaths(opts.registry, opts.name);

  return withRegistryLock(paths, async () => {
    const current = await loadOwnManifest(paths, opts.keys);
    const release: Release = {
      version: opts.version,
      size: file.size,
      sha256: file.sha256,
      chunkSize: file.chunkSize,
      chunks: file.chunks.map(({ sha256, size }) => ({ sha256, size })),
      inputs: summary.inputs,
      outputs: summary.outputs,
      opsets: summary.opsets,
      compat: { onnxruntimeWeb: ortRange, executionProviders: [...(opts.executionProviders ?? ['wasm', 'webgpu'])] },
      publishedAt: new Date(now()).toISOString(),
      ...(profile ? { profile } : {}),
    };
    // Fail on policy before writing a single chunk.
    const draft = addRelease(current, release, {
      name: opts.name,
      salt: opts.salt ?? `${opts.version}:${crypto.randomUUID()}`,
      ...(opts.rolloutPercent === undefined ? {} : { rolloutPercent: opts.rolloutPercent }),
      ...(opts.shadow ? { shadow: opts.shadow } : {}),
    });
    let written = 0;
    let bytesWritten = 0;
    const seen = new Set<string>();
    for (const [i, chunk] of file.chunks.entries()) {
      const path = chunkPath(paths, chunk.sha256);
      // A stored chunk of the wrong size is a leftover of something broken: replace it.
      const fresh = !seen.has(chunk.sha256) && (await storedSize(path)) !== chunk.size;
      if (fresh) {
        await writeAtomic(path, chunk.bytes);
        written++;
        bytesWritten += chunk.size;
      }
      seen.add(chunk.sha256);
      opts.onChunk?.(i + 1, file.chunks.length, fresh);
    }
    const manifest = await signAndWrite(paths, resign(draft, now(), opts.expiresInMs), opts.keys);
    return { manifest, release, chunksWritten: written, chunksReused: file.chunks.length - written, bytesWritten };
  });
}

/** Applies a policy edit to the registry's manifest and re-signs it. */
export async function editPolicy(
  registry: string,
  name: string,
  keys: readonly PrivateKeyJson[],
  edit: (m: Manifest) => Manifest,
  opts: { now?: () => number; expiresInMs?: number } = {},
): Promise<Manifest> {
  const paths = registryPaths(registry, name);
  return withRegistryLock(paths, async () => {
    const current = await loadOwnManifest(paths, keys);
    if (!current) throw new PolicyError(`model "${name}" has no manifest in ${registry}; publish a version first`);
    return signAndWrite(paths, resign(edit(current), (opts.now ?? Date.now)(), opts.expiresInMs), keys);
  });
}

/**
 * Reads the registry's current manifest, trusting it only if one of our keys signed it: a
 * publisher must never extend a manifest someone else slipped into the bucket. Expiry is not
 * checked: re-signing is how an expired manifest is renewed.
 */
async function loadOwnManifest(paths: RegistryPaths, keys: readonly PrivateKeyJson[]): Promise<Manifest | undefined> {
  const bytes = await readManifestBytes(paths);
  if (!bytes) return undefined;
  const opened: OpenedEnvelope = openEnvelope(bytes);
  const publicKeys: PublicKeyJson[] = keys.map(({ keyid, alg, publicKey }) => ({ keyid, alg, publicKey }));
  await checkSignatures(opened, publicKeys, 1);
  return parseManifestPayload(parsePayloadJson(opened.payloadBytes));
}

async function signAndWrite(paths: RegistryPaths, manifest: Manifest, keys: readonly PrivateKeyJson[]): Promise<Manifest> {
  await writeManifest(paths, await signManifest(manifest, keys), manifest.sequence);
  return manifest;
}
