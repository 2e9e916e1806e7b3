/**
 * `baton verify`: checks a registry the way a device would, plus every byte a device might fetch:
 * the manifest's signature, expiry and schema; each chunk's presence, size and hash; each
 * version's whole-file hash. Reports every problem found, not just the first.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { BatonError, type BatonErrorCode } from '../errors.js';
import { verifyManifest } from '../manifest/verify.js';
import type { Manifest, PublicKeyJson } from '../types.js';
import { FileError, fsReason } from './files.js';
import { chunkPath, readManifestBytes, registryPaths } from './registry-fs.js';

export interface RegistryProblem {
  readonly code: BatonErrorCode;
  readonly message: string;
  readonly version?: string;
  readonly chunk?: string;
}

export interface RegistryReport {
  readonly ok: boolean;
  readonly name: string;
  readonly manifest?: Manifest;
  readonly problems: RegistryProblem[];
  readonly chunksChecked: number;
  readonly bytesChecked: number;
}

export interface VerifyRegistryOptions {
  readonly registry: string;
  readonly name: string;
  readonly publicKeys: readonly PublicKeyJson[];
  readonly now?: () => number;
  readonly onChunk?: (done: number, total: number) => void;
}

export async function verifyRegistry(opts: VerifyRegistryOptions): Promise<RegistryReport> {
  const paths = registryPaths(opts.registry, opts.name);
  const problems: RegistryProblem[] = [];
  const base = { name: opts.name, chunksChecked: 0, bytesChecked: 0 };
  const bytes = await readManifestBytes(paths);
  if (!bytes) {
    return { ...base, ok: false, problems: [{ code: 'manifest-invalid', message: `no manifest at ${paths.manifest}` }] };
  }
  let manifest: Manifest;
  try {
    const verifyOpts = { publicKeys: opts.publicKeys, expectedName: opts.name, ...(opts.now ? { now: opts.now } : {}) };
    manifest = (await verifyManifest(bytes, verifyOpts)).manifest;
  } catch (e) {
    if (!(e instanceof BatonError)) throw e;
    return { ...base, ok: false, problems: [{ code: e.code, message: e.message }] };
  }

  // A chunk shared by several versions is verified once; only its bytes are read again, for
  // the whole-file hash, so memory stays at one chunk whatever the registry's size.
  const verdicts = new Map<string, 'ok' | RegistryProblem>();
  const total = manifest.versions.reduce((n, r) => n + r.chunks.length, 0);
  let done = 0;
  let bytesChecked = 0;
  for (const release of manifest.versions) {
    const whole = createHash('sha256');
    let complete = true;
    for (const chunk of release.chunks) {
      const path = chunkPath(paths, chunk.sha256);
      let verdict = verdicts.get(chunk.sha256);
      if (verdict === undefined) {
        const checked = await checkChunk(path, chunk.sha256, chunk.size);
        verdict = checked instanceof Uint8Array ? 'ok' : checked;
        verdicts.set(chunk.sha256, verdict);
        if (checked instanceof Uint8Array) {
          bytesChecked += checked.length;
          whole.update(checked);
        }
      } else if (verdict === 'ok') {
        whole.update(await readFile(path));
      }
      if (verdict !== 'ok') {
        complete = false;
        problems.push({ ...verdict, version: release.version });
      }
      opts.onChunk?.(++done, total);
    }
    if (complete && whole.digest('hex') !== release.sha256) {
      problems.push({
        code: 'hash-mismatch',
        version: release.version,
        message: `version ${release.version}: chunks do not assemble into the file hash ${release.sha256}`,
      });
    }
  }
  return { ...base, ok: problems.length === 0, manifest, problems, chunksChecked: verdicts.size, bytesChecked };
}

async function checkChunk(path: string, sha256: string, size: number): Promise<Uint8Array | RegistryProblem> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new FileError(`cannot read registry chunk ${path}: ${fsReason(e)}`, { cause: e });
    return { code: 'chunk-missing', chunk: sha256, message: `chunk ${sha256} is missing` };
  }
  if (bytes.length !== size) {
    return { code: 'size-mismatch', chunk: sha256, message: `chunk ${sha256} is ${bytes.length} bytes, manifest says ${size}` };
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) return { code: 'hash-mismatch', chunk: sha256, message: `chunk ${sha256} hashes to ${actual}` };
  return bytes;
}
