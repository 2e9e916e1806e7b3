/**
 * The `baton` command line: argument handling and output for each command. The work itself is
 * in ../publish; this file only translates between flags, those functions and the terminal.
 * Exit codes: 0 done, 1 the operation failed (e.g. verify found problems), 2 bad usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BatonError } from '../errors.js';
import { openEnvelope } from '../manifest/envelope.js';
import { parseManifestPayload } from '../manifest/schema.js';
import { parsePayloadJson, verifyManifest } from '../manifest/verify.js';
import type { AbArm, ExecutionProvider, Manifest, ShadowPolicy } from '../types.js';
import { readPrivateKey, readPublicKey, writeKeyPair } from '../publish/keys-fs.js';
import { endAb, kill, pin, PolicyError, promote, rollbackTo, setHealth, setRolloutPercent, setStages, startAb, unpin } from '../publish/policy-edit.js';
import { editPolicy, publish } from '../publish/publish.js';
import { readManifestBytes, registryPaths } from '../publish/registry-fs.js';
import { verifyRegistry } from '../publish/verify-registry.js';
import { formatBytes, HEALTH_FLAGS, parseDuration, parseHealthFlags, parsePercent, parseSize, parseStage, table, UsageError } from './args.js';

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Whether stderr is a terminal: progress then redraws one line instead of printing many. */
  readonly isTTY?: boolean;
  readonly now?: () => number;
}

const USAGE = `Usage: baton <command> [options]

  keygen   --out <dir>                         write an Ed25519 key pair (baton-private.json, baton-public.json)
  publish  <model.onnx> --name <n> --version <v> --registry <dir> --key <private.json>
           [--rollout <percent>] [--chunk-size <bytes|4MiB>] [--expires <30d>]
           [--ort-range <semver range>] [--ep wasm,webgpu] [--salt <s>] [--json]
           [--shadow <share 0-1> [--shadow-compare max-abs-diff|argmax] [--shadow-tolerance <t>]]
           [--profile <samples.json>]   reference profile for drift detection (runs the model on the samples)
  rollout  --percent <p> | --stage <p>[@<time|+duration>][/<n>runs] … | --no-stages   (+ --registry --name --key)
  health   [--promote-after <n>] [--min-requests <n>] [--window-requests <n>] [--window <90s>]
           [--max-error-increase <0-1>] [--max-p95-ratio <k>] [--min-shadow-agreement <0-1>]   (+ --registry --name --key)
  promote                     --registry <dir> --name <n> --key <private.json>
  rollback --to <version>     --registry <dir> --name <n> --key <private.json>
  kill     <version>          --registry <dir> --name <n> --key <private.json>
  pin      <version>          --registry <dir> --name <n> --key <private.json>
  unpin                       --registry <dir> --name <n> --key <private.json>
  ab       --arm <name>=<version>[:<weight>] --arm … [--salt <s>] | --end   (+ --registry --name --key)
  verify   --registry <dir> --name <n> --pub <public.json> [--json]
  status   --registry <dir> --name <n> [--pub <public.json>] [--json]

  --key and --pub may be repeated (key rotation: sign with both, pin either).
  Policy commands also take --expires <duration> (default 30d).`;

type Options = NonNullable<ParseArgsConfig['options']>;
const REGISTRY: Options = { registry: { type: 'string' }, name: { type: 'string' } };
const SIGNING: Options = { ...REGISTRY, key: { type: 'string', multiple: true }, expires: { type: 'string' } };

/** Runs one CLI invocation and returns its exit code; never calls process.exit. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'keygen':
        return await keygen(rest, io);
      case 'publish':
        return await publishCommand(rest, io);
      case 'rollout':
      case 'promote':
      case 'rollback':
      case 'kill':
      case 'pin':
      case 'unpin':
      case 'ab':
      case 'health':
        return await policyCommand(command, rest, io);
      case 'verify':
        return await verifyCommand(rest, io);
      case 'status':
        return await statusCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout(USAGE + '\n');
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof PolicyError || e instanceof TypeError || e instanceof RangeError) {
      io.stderr(`baton ${command}: ${e.message}\n${e instanceof UsageError ? `\n${USAGE}\n` : ''}`);
      return 2;
    }
    if (e instanceof BatonError) {
      io.stderr(`baton ${command}: ${e.code}: ${e.message}\n`);
      return 1;
    }
    io.stderr(`baton ${command}: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

function parse(args: readonly string[], options: Options, positionals = 0) {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: { ...options, json: { type: 'boolean' } }, allowPositionals: positionals > 0, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`);
  const values = parsed.values as Record<string, string | string[] | boolean | undefined>;
  const str = (flag: string): string | undefined => values[flag] as string | undefined;
  return {
    positionals: parsed.positionals,
    json: values['json'] === true,
    str,
    required(flag: string): string {
      const v = str(flag);
      if (v === undefined || v === '') throw new UsageError(`--${flag} is required`);
      return v;
    },
    list(flag: string): string[] {
      return (values[flag] as string[] | undefined) ?? [];
    },
  };
}

async function keygen(args: readonly string[], io: CliIo): Promise<number> {
  const p = parse(args, { out: { type: 'string' } });
  const written = await writeKeyPair(p.required('out'));
  if (p.json) io.stdout(JSON.stringify(written) + '\n');
  else {
    io.stdout(`private key: ${written.privatePath}  (keep secret; used by publish and policy commands)\n`);
    io.stdout(`public key:  ${written.publicPath}  (pin this in the app: createRuntime({ publicKeys: [...] }))\n`);
    io.stdout(`key id:      ${written.keyid}\n`);
  }
  return 0;
}

async function privateKeys(p: ReturnType<typeof parse>) {
  const paths = p.list('key');
  if (paths.length === 0) throw new UsageError('--key <private.json> is required');
  return Promise.all(paths.map(readPrivateKey));
}

function expiresOption(p: ReturnType<typeof parse>): { expiresInMs?: number } {
  const text = p.str('expires');
  return text === undefined ? {} : { expiresInMs: parseDuration('expires', text) };
}

async function publishCommand(args: readonly string[], io: CliIo): Promise<number> {
  const p = parse(
    args,
    {
      ...SIGNING,
      version: { type: 'string' },
      rollout: { type: 'string' },
      'chunk-size': { type: 'string' },
      'ort-range': { type: 'string' },
      ep: { type: 'string' },
      salt: { type: 'string' },
      shadow: { type: 'string' },
      'shadow-compare': { type: 'string' },
      'shadow-tolerance': { type: 'string' },
      profile: { type: 'string' },
    },
    1,
  );
  const modelPath = p.positionals[0];
  if (!modelPath) throw new UsageError('the model file to publish is required: baton publish <model.onnx> …');
  const rollout = p.str('rollout');
  const chunkSize = p.str('chunk-size');
  const ortRange = p.str('ort-range');
  const salt = p.str('salt');
  const progress = progressLine(io, 'publish');
  const result = await publish({
    modelPath,
    name: p.required('name'),
    version: p.required('version'),
    registry: p.required('registry'),
    keys: await privateKeys(p),
    ...(rollout === undefined ? {} : { rolloutPercent: parsePercent('rollout', rollout) }),
    ...(chunkSize === undefined ? {} : { chunkSize: parseSize('chunk-size', chunkSize) }),
    ...(ortRange === undefined ? {} : { ortRange }),
    ...(p.str('ep') === undefined ? {} : { executionProviders: parseEps(p.required('ep')) }),
    ...(salt === undefined ? {} : { salt }),
    ...(p.str('profile') === undefined ? {} : { profileSamples: p.required('profile') }),
    ...shadowOption(p),
    ...expiresOption(p),
    ...(io.now ? { now: io.now } : {}),
    onChunk: (done, total) => progress(done, total, 'chunks'),
  });
  const { release, manifest } = result;
  if (p.json) {
    io.stdout(JSON.stringify({ version: release.version, sequence: manifest.sequence, size: release.size, sha256: release.sha256, chunks: release.chunks.length, chunksWritten: result.chunksWritten, chunksReused: result.chunksReused, bytesWritten: result.bytesWritten, policy: manifest.policy }) + '\n');
  } else {
    const role = manifest.policy.stable === release.version ? 'stable' : `candidate at ${manifest.policy.candidate?.percent}%`;
    io.stdout(
      `published ${manifest.name} ${release.version} (${formatBytes(release.size)}, ${release.chunks.length} chunks: ` +
        `${result.chunksWritten} written, ${result.chunksReused} already stored) as ${role}; manifest sequence ${manifest.sequence}\n`,
    );
  }
  return 0;
}

function shadowOption(p: ReturnType<typeof parse>): { shadow?: ShadowPolicy } {
  const share = p.str('shadow');
  if (share === undefined) return {};
  const sampleRate = Number(share);
  if (!(sampleRate > 0 && sampleRate <= 1)) throw new UsageError(`--shadow must be the share of requests to shadow, in (0, 1]; got "${share}"`);
  const compare = p.str('shadow-compare') ?? 'max-abs-diff';
  if (compare !== 'max-abs-diff' && compare !== 'argmax') throw new UsageError(`--shadow-compare takes max-abs-diff or argmax; got "${compare}"`);
  const tolerance = Number(p.str('shadow-tolerance') ?? '0.001');
  if (!(tolerance >= 0)) throw new UsageError('--shadow-tolerance must be a number ≥ 0');
  return { shadow: { sampleRate, compare, tolerance } };
}

function parseArm(text: string): AbArm {
  const m = /^([^=]+)=([^:]+)(?::(\d+(?:\.\d+)?))?$/.exec(text);
  if (!m) throw new UsageError(`--arm takes <name>=<version>[:<weight>], e.g. a=1.0.0:1; got "${text}"`);
  return { name: m[1]!, version: m[2]!, weight: m[3] === undefined ? 1 : Number(m[3]) };
}

function parseEps(text: string): ExecutionProvider[] {
  const eps = text.split(',').map((s) => s.trim());
  for (const ep of eps) if (ep !== 'wasm' && ep !== 'webgpu') throw new UsageError(`--ep takes wasm and/or webgpu; got "${ep}"`);
  return eps as ExecutionProvider[];
}

async function policyCommand(command: string, args: readonly string[], io: CliIo): Promise<number> {
  const positional = command === 'kill' || command === 'pin' ? 1 : 0;
  const p = parse(
    args,
    {
      ...SIGNING,
      percent: { type: 'string' },
      stage: { type: 'string', multiple: true },
      'no-stages': { type: 'boolean' },
      to: { type: 'string' },
      arm: { type: 'string', multiple: true },
      salt: { type: 'string' },
      end: { type: 'boolean' },
      ...Object.fromEntries(HEALTH_FLAGS.map((f) => [f, { type: 'string' as const }])),
    },
    positional,
  );
  const target = (): string => {
    const v = p.positionals[0];
    if (!v) throw new UsageError(`baton ${command} <version>: the version is required`);
    return v;
  };
  let edit: (m: Manifest) => Manifest;
  switch (command) {
    case 'rollout': {
      const now = io.now?.() ?? Date.now();
      const stages = p.list('stage').map((text) => parseStage(text, now));
      const percent = p.str('percent');
      if (percent === undefined && stages.length === 0 && !args.includes('--no-stages')) throw new UsageError('baton rollout needs --percent, --stage or --no-stages');
      edit = (m) => {
        let next = percent === undefined ? m : setRolloutPercent(m, parsePercent('percent', percent));
        if (stages.length > 0) next = setRolloutPercent(setStages(next, stages), stages.at(-1)!.percent);
        return args.includes('--no-stages') ? setStages(next, []) : next;
      };
      break;
    }
    case 'health': {
      const health = parseHealthFlags((flag) => p.str(flag));
      if (Object.keys(health).length === 0) throw new UsageError(`baton health needs at least one of ${HEALTH_FLAGS.map((f) => `--${f}`).join(', ')}`);
      edit = (m) => setHealth(m, health);
      break;
    }
    case 'promote':
      edit = promote;
      break;
    case 'rollback': {
      const to = p.required('to');
      edit = (m) => rollbackTo(m, to);
      break;
    }
    case 'kill': {
      const v = target();
      edit = (m) => kill(m, v);
      break;
    }
    case 'pin': {
      const v = target();
      edit = (m) => pin(m, v);
      break;
    }
    case 'ab': {
      if (p.list('arm').length === 0 && !args.includes('--end')) throw new UsageError('baton ab needs --arm <name>=<version>[:<weight>] (twice or more) or --end');
      const arms = p.list('arm').map(parseArm);
      const salt = p.str('salt') ?? `ab:${crypto.randomUUID()}`;
      edit = args.includes('--end') ? endAb : (m) => startAb(m, arms, salt);
      break;
    }
    default:
      edit = unpin;
  }
  const manifest = await editPolicy(p.required('registry'), p.required('name'), await privateKeys(p), edit, {
    ...expiresOption(p),
    ...(io.now ? { now: io.now } : {}),
  });
  if (p.json) io.stdout(JSON.stringify({ sequence: manifest.sequence, policy: manifest.policy }) + '\n');
  else io.stdout(`${command}: ${describePolicy(manifest)}; manifest sequence ${manifest.sequence}\n`);
  return 0;
}

async function verifyCommand(args: readonly string[], io: CliIo): Promise<number> {
  const p = parse(args, { ...REGISTRY, pub: { type: 'string', multiple: true } });
  const pubs = p.list('pub');
  if (pubs.length === 0) throw new UsageError('--pub <public.json> is required: verify checks against the keys devices pin');
  const progress = progressLine(io, 'verify');
  const report = await verifyRegistry({
    registry: p.required('registry'),
    name: p.required('name'),
    publicKeys: await Promise.all(pubs.map(readPublicKey)),
    ...(io.now ? { now: io.now } : {}),
    onChunk: (done, total) => progress(done, total, 'chunks'),
  });
  if (p.json) {
    const { manifest, ...rest } = report;
    io.stdout(JSON.stringify({ ...rest, sequence: manifest?.sequence, versions: manifest?.versions.map((r) => r.version) }) + '\n');
  } else if (report.ok) {
    io.stdout(`ok: ${report.name} sequence ${report.manifest?.sequence}, ${report.manifest?.versions.length} versions, ${report.chunksChecked} chunks (${formatBytes(report.bytesChecked)}) verified\n`);
  } else {
    for (const problem of report.problems) io.stdout(`FAIL ${problem.code}: ${problem.message}\n`);
  }
  return report.ok ? 0 : 1;
}

async function statusCommand(args: readonly string[], io: CliIo): Promise<number> {
  const p = parse(args, { ...REGISTRY, pub: { type: 'string', multiple: true } });
  const registry = p.required('registry');
  const name = p.required('name');
  const bytes = await readManifestBytes(registryPaths(registry, name));
  if (!bytes) throw new BatonError('manifest-invalid', `no manifest for "${name}" in ${registry}`);
  const pubs = p.list('pub');
  let manifest: Manifest;
  if (pubs.length > 0) {
    const publicKeys = await Promise.all(pubs.map(readPublicKey));
    manifest = (await verifyManifest(bytes, { publicKeys, expectedName: name, ...(io.now ? { now: io.now } : {}) })).manifest;
  } else {
    // Without keys the status is informational: say so rather than imply it was verified.
    manifest = parseManifestPayload(parsePayloadJson(openEnvelope(bytes).payloadBytes));
    io.stderr('note: signature not checked (pass --pub to verify)\n');
  }
  if (p.json) {
    io.stdout(JSON.stringify({ name: manifest.name, sequence: manifest.sequence, issuedAt: manifest.issuedAt, expires: manifest.expires, policy: manifest.policy, versions: manifest.versions.map((r) => ({ version: r.version, size: r.size, chunks: r.chunks.length, sha256: r.sha256, publishedAt: r.publishedAt, role: roleOf(manifest, r.version) })) }) + '\n');
    return 0;
  }
  io.stdout(`${manifest.name}  sequence ${manifest.sequence}  issued ${manifest.issuedAt}  expires ${manifest.expires}\n`);
  io.stdout(`policy: ${describePolicy(manifest)}\n\n`);
  const rows = manifest.versions.map((r) => [r.version, roleOf(manifest, r.version), formatBytes(r.size), String(r.chunks.length), r.sha256.slice(0, 12), r.publishedAt]);
  io.stdout(table(['version', 'role', 'size', 'chunks', 'sha256', 'published'], rows) + '\n');
  return 0;
}

function roleOf(m: Manifest, version: string): string {
  const p = m.policy;
  const roles: string[] = [];
  if (p.stable === version) roles.push('stable');
  if (p.candidate?.version === version) roles.push(`candidate ${p.candidate.percent}%`);
  if (p.pinned === version) roles.push('pinned');
  for (const arm of p.ab?.arms ?? []) if (arm.version === version) roles.push(`arm ${arm.name}`);
  if (p.killed.includes(version)) roles.push('killed');
  return roles.join(', ') || '-';
}

function describePolicy(m: Manifest): string {
  const p = m.policy;
  const parts = [`stable ${p.stable}`];
  if (p.candidate) {
    const stages = p.candidate.stages?.map((s) => `${s.percent}%${s.after ? `@${s.after}` : ''}${s.minHealthyRuns ? `/${s.minHealthyRuns}runs` : ''}`);
    parts.push(`candidate ${p.candidate.version} at ${stages ? `stages ${stages.join(' → ')}` : `${p.candidate.percent}%`}`);
  }
  if (p.pinned) parts.push(`pinned to ${p.pinned}`);
  if (p.ab) parts.push(`A/B ${p.ab.arms.map((a) => `${a.name}=${a.version}×${a.weight}`).join(' / ')}`);
  if (p.killed.length) parts.push(`killed ${p.killed.join(', ')}`);
  return parts.join(', ');
}

/** Progress on stderr: one redrawn line on a terminal, a line per 10 % otherwise (CI logs). */
function progressLine(io: CliIo, label: string): (done: number, total: number, unit: string) => void {
  let lastDecile = -1;
  return (done, total, unit) => {
    if (io.isTTY) {
      io.stderr(`\r${label}: ${done}/${total} ${unit}${done === total ? '\n' : ''}`);
      return;
    }
    const decile = Math.floor((done / total) * 10);
    if (decile !== lastDecile && (decile > lastDecile || done === total) && total > 1) {
      lastDecile = decile;
      io.stderr(`${label}: ${done}/${total} ${unit}\n`);
    }
  };
}
