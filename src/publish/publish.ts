/**
 * `baton publish`: model file → chunks in the registry → a new signed manifest. Chunks already
 * in the registry are not written again, so a version sharing weights with an older one costs
 * only its changed chunks; the manifest is replaced last, so readers see all or nothing.
 *
 * Nothing is written until everything is checked: the name, the model, the profile samples,
 * the keys against the current manifest, the policy edit, the interface against the stable
 * version and the schema of the manifest that would be signed. A dry run stops there.
 */
import { BatonError } from '../errors.js';
import { openEnvelope } from '../manifest/envelope.js';
import { parseManifestPayload } from '../manifest/schema.js';
import { signManifest } from '../manifest/sign.js';
import { checkSignatures, parsePayloadJson } from '../manifest/verify.js';
import type { ExecutionProvider, Manifest, PrivateKeyJson, PublicKeyJson, Release, ShadowPolicy, VersionId } from '../types.js';
import { chunkBytes, DEFAULT_CHUNK_SIZE, type ChunkedFile } from './chunk.js';
import { readInputFile } from './files.js';
import { defaultOrtRange, inspectOnnx } from './inspect-onnx.js';
import { addRelease, describeInterfaceChanges, interfaceChanges, PolicyError, resign, type InterfaceChange } from './policy-edit.js';
import { computeProfile, readSamples } from './profile.js';
import {
  chunkPath,
  modelNameProblem,
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
  /** Publish even when the inputs or outputs differ from the stable version's (see {@link interfaceChanges}). */
  readonly allowIncompatible?: boolean;
  /** Check everything and report what would happen, writing nothing. */
  readonly dryRun?: boolean;
  readonly now?: () => number;
  /** Called after each chunk is handled, for progress output. */
  readonly onChunk?: (done: number, total: number, written: boolean) => void;
}

export interface PublishResult {
  /** The manifest signed (or, in a dry run, the one that would be). */
  readonly manifest: Manifest;
  readonly release: Release;
  /** Chunks written (in a dry run: that would be written) and those already stored. */
  readonly chunksWritten: number;
  readonly chunksReused: number;
  readonly bytesWritten: number;
  readonly dryRun: boolean;
  /** The model had no manifest: this version became the stable one. */
  readonly firstRelease: boolean;
  /** The share of devices the new version was given, and whether that was the default (100). */
  readonly rolloutPercent: number;
  readonly rolloutDefaulted: boolean;
  /** The earlier candidate this version took the place of. */
  readonly replacedCandidate?: { readonly version: VersionId; readonly percent: number };
  /** The stable version the interface was compared with, and how it differs (allowed by the caller). */
  readonly comparedTo?: VersionId;
  readonly interfaceChanges: readonly InterfaceChange[];
}

export async function publish(opts: PublishOptions): Promise<PublishResult> {
  const at = (opts.now ?? Date.now)();
  const nameProblem = modelNameProblem(opts.name);
  if (nameProblem) throw new PolicyError(`--name ${nameProblem}`);
  const bytes = await readInputFile(opts.modelPath, 'model file');
  const summary = inspectOnnx(bytes);
  const ortRange = opts.ortRange ?? defaultOrtRange(summary.opsets);
  if (ortRange === undefined) {
    throw new PolicyError(`model imports opset ${JSON.stringify(summary.opsets)}, newer than Baton's table; pass --ort-range`);
  }
  // Profiling runs the model, which may fail: one more check before any write.
  const profile =
    opts.profileSamples === undefined ? undefined : await computeProfile(bytes, summary.inputs, await readSamples(opts.profileSamples, summary.inputs));
  const file = await chunkBytes(bytes, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const paths = registryPaths(opts.registry, opts.name);
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
    publishedAt: new Date(at).toISOString(),
    ...(profile ? { profile } : {}),
  };
  const salt = opts.salt ?? `${opts.version}:${crypto.randomUUID()}`;
  const planFrom = (own: OwnManifest | undefined) => plan(own, release, opts, salt, at);

  const checked = planFrom(await loadOwnManifest(paths, opts.keys));
  if (opts.dryRun) {
    const stored = await storedChunks(paths, file);
    return {
      ...checked.facts,
      chunksWritten: stored.missing,
      chunksReused: file.chunks.length - stored.missing,
      bytesWritten: stored.missingBytes,
      dryRun: true,
    };
  }
  return withRegistryLock(paths, async () => {
    // Another publisher may have signed between the check and the lock: plan again on what is there now.
    const fresh = await loadOwnManifest(paths, opts.keys);
    const final = sameBytes(fresh, checked.own) ? checked : planFrom(fresh);
    let written = 0;
    let bytesWritten = 0;
    const seen = new Set<string>();
    for (const [i, chunk] of file.chunks.entries()) {
      const path = chunkPath(paths, chunk.sha256);
      // A stored chunk of the wrong size is a leftover of something broken: replace it.
      const isNew = !seen.has(chunk.sha256) && (await storedSize(path)) !== chunk.size;
      if (isNew) {
        await writeAtomic(path, chunk.bytes);
        written++;
        bytesWritten += chunk.size;
      }
      seen.add(chunk.sha256);
      opts.onChunk?.(i + 1, file.chunks.length, isNew);
    }
    await signAndWrite(paths, final.facts.manifest, opts.keys);
    return { ...final.facts, chunksWritten: written, chunksReused: file.chunks.length - written, bytesWritten, dryRun: false };
  });
}

type PlanFacts = Omit<PublishResult, 'chunksWritten' | 'chunksReused' | 'bytesWritten' | 'dryRun'>;

/**
 * The manifest that would be signed, and what it means for devices. Pure; throws what the
 * publisher refuses:
 * - the policy edit (`addRelease`: wrong model, version taken, rollout on a first release);
 * - an interface unlike the stable version's, unless allowed (`incompatible-model`);
 * - anything the manifest schema rejects (version syntax, limits).
 */
function plan(
  own: OwnManifest | undefined,
  release: Release,
  opts: PublishOptions,
  salt: string,
  at: number,
): { own: OwnManifest | undefined; facts: PlanFacts } {
  const current = own?.manifest;
  const draft = addRelease(current, release, {
    name: opts.name,
    salt,
    ...(opts.rolloutPercent === undefined ? {} : { rolloutPercent: opts.rolloutPercent }),
    ...(opts.shadow ? { shadow: opts.shadow } : {}),
  });
  const stable = current?.versions.find((r) => r.version === current.policy.stable);
  const changes = stable ? interfaceChanges(stable, release) : [];
  if (changes.length > 0 && !opts.allowIncompatible) {
    throw new BatonError(
      'incompatible-model',
      `version ${release.version} changes the model interface of stable version ${stable!.version} (${describeInterfaceChanges(changes)}); ` +
        'devices running an app that declares the old interface refuse it. Pass --allow-incompatible if the app already declares the new one',
      { version: release.version, stable: stable!.version, changes },
    );
  }
  const manifest = validateForSigning(resign(draft, at, opts.expiresInMs));
  const replaced = current?.policy.candidate;
  return {
    own,
    facts: {
      manifest,
      release,
      firstRelease: current === undefined,
      rolloutPercent: opts.rolloutPercent ?? 100,
      rolloutDefaulted: opts.rolloutPercent === undefined,
      ...(replaced ? { replacedCandidate: { version: replaced.version, percent: replaced.percent } } : {}),
      ...(stable ? { comparedTo: stable.version } : {}),
      interfaceChanges: changes,
    },
  };
}

function sameBytes(a: OwnManifest | undefined, b: OwnManifest | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.bytes.length === b.bytes.length && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

/** How many distinct chunks (and bytes) the registry lacks: what a real run would write. */
async function storedChunks(paths: RegistryPaths, file: ChunkedFile): Promise<{ missing: number; missingBytes: number }> {
  let missing = 0;
  let missingBytes = 0;
  const seen = new Set<string>();
  for (const chunk of file.chunks) {
    if (seen.has(chunk.sha256)) continue;
    seen.add(chunk.sha256);
    if ((await storedSize(chunkPath(paths, chunk.sha256))) !== chunk.size) {
      missing++;
      missingBytes += chunk.size;
    }
  }
  return { missing, missingBytes };
}

/**
 * Applies a policy edit to the registry's manifest and re-signs it; with `dryRun`, returns the
 * manifest that would be signed and writes nothing. `edit` must be pure: it runs once to check
 * before the lock, and again under the lock only if another publisher signed in between.
 */
export async function editPolicy(
  registry: string,
  name: string,
  keys: readonly PrivateKeyJson[],
  edit: (m: Manifest) => Manifest,
  opts: { now?: () => number; expiresInMs?: number; dryRun?: boolean } = {},
): Promise<Manifest> {
  const nameProblem = modelNameProblem(name);
  if (nameProblem) throw new PolicyError(`--name ${nameProblem}`);
  const paths = registryPaths(registry, name);
  const at = (opts.now ?? Date.now)();
  const next = (own: OwnManifest | undefined): Manifest => {
    if (!own) throw new PolicyError(`model "${name}" has no manifest in ${registry}; publish a version first`);
    return validateForSigning(resign(edit(own.manifest), at, opts.expiresInMs));
  };
  const checkedFrom = await loadOwnManifest(paths, keys);
  const checked = next(checkedFrom);
  if (opts.dryRun) return checked;
  return withRegistryLock(paths, async () => {
    const fresh = await loadOwnManifest(paths, keys);
    const manifest = sameBytes(fresh, checkedFrom) ? checked : next(fresh);
    await signAndWrite(paths, manifest, keys);
    return manifest;
  });
}

/** The registry's manifest, parsed, with the bytes it was read from. */
interface OwnManifest {
  readonly bytes: Uint8Array;
  readonly manifest: Manifest;
}

/**
 * Reads the registry's current manifest, trusting it only if one of our keys signed it: a
 * publisher must never extend a manifest someone else slipped into the bucket. Expiry is not
 * checked: re-signing is how an expired manifest is renewed.
 */
async function loadOwnManifest(paths: RegistryPaths, keys: readonly PrivateKeyJson[]): Promise<OwnManifest | undefined> {
  const bytes = await readManifestBytes(paths);
  if (!bytes) return undefined;
  const opened = openEnvelope(bytes);
  const publicKeys: PublicKeyJson[] = keys.map(({ keyid, alg, publicKey }) => ({ keyid, alg, publicKey }));
  try {
    await checkSignatures(opened, publicKeys, 1);
  } catch (e) {
    // "Not signed by any pinned key" would send a publisher looking at devices; here the pinned keys are --key.
    if (!(e instanceof BatonError) || e.code !== 'unknown-key') throw e;
    const ours = keys.map((k) => `${k.keyid.slice(0, 16)}…`).join(', ');
    throw new BatonError(
      'unknown-key',
      `${paths.manifest} was not signed by the --key given (${ours}): ${e.message}; sign with the key that published it (add --key to sign with both)`,
      e.details,
      { cause: e },
    );
  }
  return { bytes, manifest: parseManifestPayload(parsePayloadJson(opened.payloadBytes)) };
}

/**
 * What `signManifest` would refuse, found before any write and worded for the flag behind it.
 * The schema stays the one authority on names, versions and limits; only its message is reworded.
 */
function validateForSigning(m: Manifest): Manifest {
  try {
    return parseManifestPayload(m);
  } catch (e) {
    if (!(e instanceof BatonError) || e.code !== 'manifest-invalid') throw e;
    const raw = e.details?.['field'];
    const field = typeof raw === 'string' ? raw : '';
    const reason = e.message.startsWith(`manifest field ${field} `) ? e.message.slice(`manifest field ${field} `.length) : e.message;
    const index = /^versions\[(\d+)\]\.(version|chunks)$/.exec(field);
    const release = index ? m.versions[Number(index[1])] : undefined;
    if (index?.[2] === 'version') throw new PolicyError(`--version "${release?.version}" is not a valid version: it ${reason}`);
    if (index?.[2] === 'chunks') throw new PolicyError(`version ${release?.version} ${reason.replace(/entries$/, 'chunks')}: pass a larger --chunk-size`);
    if (field === 'name') throw new PolicyError(`--name "${m.name}" ${reason}`);
    throw e;
  }
}

async function signAndWrite(paths: RegistryPaths, manifest: Manifest, keys: readonly PrivateKeyJson[]): Promise<void> {
  await writeManifest(paths, await signManifest(manifest, keys), manifest.sequence);
}
