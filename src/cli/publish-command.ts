/**
 * `baton publish`: flags → {@link publish} → what was done, said in full: the rollout applied
 * (even the default), the candidate it replaced, an interface change let through.
 */
import { describeInterfaceChanges } from '../publish/policy-edit.js';
import { publish, type PublishOptions, type PublishResult } from '../publish/publish.js';
import type { ExecutionProvider, ShadowPolicy } from '../types.js';
import { formatBytes, parsePercent, parseSize, UsageError } from './args.js';
import { count } from './describe.js';
import { progressLine, type CliIo } from './io.js';
import { expiresOption, keyPaths, readKeys, type Parsed } from './parse.js';

export async function publishCommand(p: Parsed, io: CliIo): Promise<number> {
  // Every flag first, so a mistake in one is reported before any file is read.
  const modelPath = p.positionals[0];
  if (!modelPath) throw new UsageError('the model file to publish is required: baton publish <model.onnx> …');
  const rollout = p.str('rollout');
  const chunkSize = p.str('chunk-size');
  const ortRange = p.str('ort-range');
  const ep = p.str('ep');
  const salt = p.str('salt');
  const profile = p.str('profile');
  const progress = progressLine(io, 'publish');
  const options: Omit<PublishOptions, 'keys'> = {
    modelPath,
    name: p.required('name'),
    version: p.required('version'),
    registry: p.required('registry'),
    ...(rollout === undefined ? {} : { rolloutPercent: parsePercent('rollout', rollout) }),
    ...(chunkSize === undefined ? {} : { chunkSize: parseSize('chunk-size', chunkSize) }),
    ...(ortRange === undefined ? {} : { ortRange }),
    ...(ep === undefined ? {} : { executionProviders: parseEps(ep) }),
    ...(salt === undefined ? {} : { salt }),
    ...(profile === undefined ? {} : { profileSamples: profile }),
    ...shadowOption(p),
    ...expiresOption(p),
    allowIncompatible: p.flag('allow-incompatible'),
    dryRun: p.dryRun,
    ...(io.now ? { now: io.now } : {}),
    onChunk: (done, total) => progress(done, total, 'chunks'),
  };
  const paths = keyPaths(p);
  const result = await publish({ ...options, keys: await readKeys(paths) });
  if (result.interfaceChanges.length > 0) {
    io.stderr(
      `warning: version ${result.release.version} changes the model interface of stable version ${result.comparedTo} (${describeInterfaceChanges(result.interfaceChanges)}); ` +
        'devices running an app that declares the old interface refuse it (incompatible-model)\n',
    );
  }
  const { pinned, ab } = result.manifest.policy;
  if (!result.firstRelease && pinned !== undefined) io.stderr(`note: every device is pinned to ${pinned}: the candidate serves none until "baton unpin"\n`);
  if (!result.firstRelease && ab !== undefined) io.stderr('note: an A/B test is running: its arms serve the devices in it, whatever the rollout\n');
  io.stdout(p.json ? JSON.stringify(asJson(result)) + '\n' : describe(result));
  return 0;
}

function asJson(r: PublishResult): Record<string, unknown> {
  const { release, manifest } = r;
  return {
    version: release.version,
    sequence: manifest.sequence,
    size: release.size,
    sha256: release.sha256,
    chunks: release.chunks.length,
    chunksWritten: r.chunksWritten,
    chunksReused: r.chunksReused,
    bytesWritten: r.bytesWritten,
    dryRun: r.dryRun,
    role: r.firstRelease ? 'stable' : 'candidate',
    firstRelease: r.firstRelease,
    rollout: r.rolloutPercent,
    rolloutDefaulted: r.rolloutDefaulted,
    replacedCandidate: r.replacedCandidate ?? null,
    comparedTo: r.comparedTo ?? null,
    interfaceChanges: r.interfaceChanges,
    policy: manifest.policy,
  };
}

function describe(r: PublishResult): string {
  const { release, manifest } = r;
  const role = r.firstRelease ? 'stable' : `candidate at ${r.rolloutPercent}%`;
  const chunks = `${count(release.chunks.length, 'chunk')}: ${r.chunksWritten} ${r.dryRun ? 'to write' : 'written'}, ${r.chunksReused} already stored`;
  const lines = [
    r.dryRun
      ? `dry run: would publish ${manifest.name} ${release.version} (${formatBytes(release.size)}, ${chunks}) as ${role}; next manifest sequence ${manifest.sequence}`
      : `published ${manifest.name} ${release.version} (${formatBytes(release.size)}, ${chunks}) as ${role}; manifest sequence ${manifest.sequence}`,
  ];
  if (r.firstRelease) lines.push('rollout: stable (first release)');
  else {
    const rest = r.rolloutPercent < 100 ? `; the other devices stay on stable ${manifest.policy.stable}` : '';
    lines.push(`rollout: ${r.rolloutPercent} % of devices (${r.rolloutDefaulted ? 'no --rollout given' : `--rollout ${r.rolloutPercent}`})${rest}`);
  }
  if (r.replacedCandidate) lines.push(`replaces candidate ${r.replacedCandidate.version} (was at ${r.replacedCandidate.percent} %)`);
  if (r.dryRun) lines.push('nothing written (--dry-run)');
  return lines.join('\n') + '\n';
}

function shadowOption(p: Parsed): { shadow?: ShadowPolicy } {
  const share = p.str('shadow');
  if (share === undefined) {
    const stray = ['shadow-compare', 'shadow-tolerance'].find((flag) => p.str(flag) !== undefined);
    if (stray) throw new UsageError(`--${stray} applies to a shadowed candidate: add --shadow <share>`);
    return {};
  }
  const sampleRate = Number(share);
  if (!(sampleRate > 0 && sampleRate <= 1)) throw new UsageError(`--shadow must be the share of requests to shadow, in (0, 1]; got "${share}"`);
  const compare = p.str('shadow-compare') ?? 'max-abs-diff';
  if (compare !== 'max-abs-diff' && compare !== 'argmax') throw new UsageError(`--shadow-compare takes max-abs-diff or argmax; got "${compare}"`);
  const tolerance = Number(p.str('shadow-tolerance') ?? '0.001');
  if (!(tolerance >= 0)) throw new UsageError('--shadow-tolerance must be a number ≥ 0');
  return { shadow: { sampleRate, compare, tolerance } };
}

function parseEps(text: string): ExecutionProvider[] {
  const eps = text.split(',').map((s) => s.trim());
  for (const ep of eps) if (ep !== 'wasm' && ep !== 'webgpu') throw new UsageError(`--ep takes wasm and/or webgpu; got "${ep}"`);
  return eps as ExecutionProvider[];
}
