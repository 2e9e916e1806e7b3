/**
 * Schema of the signed manifest payload (docs/release-format.md). Everything here runs on bytes
 * that already passed signature verification, but a signing tool can still have bugs, so every
 * field is bounded and cross-checked before anything downstream trusts it.
 *
 * `zod/mini` rather than `zod`: the same validator tree-shakes to a few kB in the service worker.
 */
import * as z from 'zod/mini';
import { BatonError } from '../errors.js';
import type { Manifest } from '../types.js';

/** The format major this runtime reads. Minor bumps only add optional fields. */
export const FORMAT_MAJOR = 1;
/** 1.1 added the optional `profile` of a release; 1.0 readers ignore it. */
export const FORMAT_VERSION = `${FORMAT_MAJOR}.2`;

/** Limits that keep a hostile or buggy manifest from exhausting memory. */
export const LIMITS = {
  versions: 256,
  chunksPerVersion: 65_536,
  tensorsPerSide: 256,
  tensorRank: 16,
  opsets: 32,
  maxChunkSize: 1 << 30,
  // 2^53 - 1 bytes would be absurd, but any size must stay an exact integer in JS.
  maxModelSize: Number.MAX_SAFE_INTEGER,
  shortString: 128,
  killed: 1024,
  stages: 16,
  arms: 16,
  profileBins: 64,
} as const;

const sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256'));
const shortString = z.string().check(z.minLength(1), z.maxLength(LIMITS.shortString));
const versionId = z.string().check(z.minLength(1), z.maxLength(64), z.regex(/^[0-9A-Za-z][0-9A-Za-z.+_-]*$/, 'letters, digits and . + _ - (not leading)'));
export const modelName = z.string().check(z.regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits and . _ - (max 64)'));
const isoTime = z.iso.datetime();
const percent = z.number().check(z.gte(0), z.lte(100));
const fraction = z.number().check(z.gte(0), z.lte(1));
const count = z.int().check(z.gte(0), z.lte(Number.MAX_SAFE_INTEGER));

const tensorSpec = z.object({
  name: z.string().check(z.minLength(1), z.maxLength(256)),
  type: z.enum(['float32', 'float16', 'float64', 'bfloat16', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string']),
  shape: z.array(z.union([count, shortString])).check(z.maxLength(LIMITS.tensorRank)),
});

const finite = z.number().check(z.refine(Number.isFinite, 'a finite number'));
const tensorProfile = z
  .object({
    name: z.string().check(z.minLength(1), z.maxLength(256)),
    mean: finite,
    std: finite,
    edges: z.array(finite).check(z.maxLength(LIMITS.profileBins)),
    freq: z.array(z.number().check(z.gte(0), z.lte(1))).check(z.maxLength(LIMITS.profileBins + 1)),
  })
  .check(
    z.refine((t) => t.freq.length === t.edges.length + 1, 'freq needs one share per bin (edges + 1)'),
    z.refine((t) => t.edges.every((e, i) => i === 0 || e > t.edges[i - 1]!), 'edges must ascend'),
  );

const release = z
  .object({
    version: versionId,
    size: z.int().check(z.gte(1), z.lte(LIMITS.maxModelSize)),
    sha256,
    chunkSize: z.int().check(z.gte(1), z.lte(LIMITS.maxChunkSize)),
    chunks: z
      .array(z.object({ sha256, size: z.int().check(z.gte(1), z.lte(LIMITS.maxChunkSize)) }))
      .check(z.minLength(1), z.maxLength(LIMITS.chunksPerVersion)),
    inputs: z.array(tensorSpec).check(z.minLength(1), z.maxLength(LIMITS.tensorsPerSide)),
    outputs: z.array(tensorSpec).check(z.minLength(1), z.maxLength(LIMITS.tensorsPerSide)),
    opsets: z
      .array(z.object({ domain: z.string().check(z.maxLength(256)), version: z.int().check(z.gte(1), z.lte(10_000)) }))
      .check(z.maxLength(LIMITS.opsets)),
    compat: z.object({
      onnxruntimeWeb: shortString,
      executionProviders: z.array(z.enum(['wasm', 'webgpu'])).check(z.minLength(1), z.maxLength(4)),
    }),
    publishedAt: isoTime,
    profile: z.exactOptional(
      z.object({
        samples: count,
        inputs: z.array(tensorProfile).check(z.maxLength(LIMITS.tensorsPerSide)),
        outputs: z.array(tensorProfile).check(z.maxLength(LIMITS.tensorsPerSide)),
      }),
    ),
  })
  .check(
    z.superRefine((r, ctx) => {
      // The chunk list must tile the file exactly, or a verifier could be led to accept
      // a file assembled from the right chunks in the wrong sizes.
      let total = 0;
      r.chunks.forEach((c, i) => {
        total += c.size;
        const last = i === r.chunks.length - 1;
        if ((!last && c.size !== r.chunkSize) || (last && c.size > r.chunkSize)) {
          ctx.issues.push({
            code: 'custom',
            input: c.size,
            path: ['chunks', i, 'size'],
            message: `must be ${last ? 'at most' : 'exactly'} chunkSize (${r.chunkSize})`,
          });
        }
      });
      if (total !== r.size) {
        ctx.issues.push({ code: 'custom', input: r.size, path: ['size'], message: `chunks add up to ${total} bytes, not ${r.size}` });
      }
    }),
  );

const policy = z.object({
  stable: versionId,
  candidate: z.exactOptional(
    z.object({
      version: versionId,
      percent,
      salt: shortString,
      stages: z.exactOptional(
        z.array(z.object({ percent, after: z.exactOptional(isoTime), minHealthyRuns: z.exactOptional(count) })).check(z.maxLength(LIMITS.stages)),
      ),
      shadow: z.exactOptional(
        z.object({
          sampleRate: fraction,
          compare: z.enum(['max-abs-diff', 'argmax']),
          tolerance: z.number().check(z.gte(0)),
        }),
      ),
    }),
  ),
  ab: z.exactOptional(
    z.object({
      salt: shortString,
      arms: z.array(z.object({ name: shortString, version: versionId, weight: z.number().check(z.gt(0)) })).check(z.minLength(2), z.maxLength(LIMITS.arms)),
    }),
  ),
  pinned: z.exactOptional(versionId),
  killed: z.array(versionId).check(z.maxLength(LIMITS.killed)),
  health: z.object({
    windowRequests: z.int().check(z.gte(1), z.lte(1_000_000)),
    windowMs: z.int().check(z.gte(1)),
    minRequests: z.int().check(z.gte(1)),
    maxErrorRateIncrease: fraction,
    maxP95Ratio: z.number().check(z.gte(1)),
    minShadowAgreement: fraction,
    promoteAfterRequests: z.int().check(z.gte(1)),
    // The gates' false-rollback rate; older manifests lack it (the runtime then uses 0.01).
    alpha: z.exactOptional(z.number().check(z.gt(0), z.lt(1))),
  }),
});

const manifest = z
  .object({
    formatVersion: z.string().check(z.regex(/^\d+\.\d+$/, '"<major>.<minor>"')),
    name: modelName,
    sequence: z.int().check(z.gte(1), z.lte(Number.MAX_SAFE_INTEGER)),
    issuedAt: isoTime,
    expires: isoTime,
    versions: z.array(release).check(z.minLength(1), z.maxLength(LIMITS.versions)),
    policy,
  })
  .check(z.superRefine((m, ctx) => checkReferences(m, (issue) => ctx.issues.push(issue))));

type Issue = { code: 'custom'; input: unknown; path: (string | number)[]; message: string };

/** Cross-field rules: every version the policy names must exist and be servable. */
function checkReferences(m: z.infer<typeof manifest>, report: (issue: Issue) => void): void {
  const issues = { push: report };
  const known = new Set<string>();
  m.versions.forEach((r, i) => {
    if (known.has(r.version)) issues.push({ code: 'custom', input: r.version, path: ['versions', i, 'version'], message: 'is listed twice' });
    known.add(r.version);
  });
  const killed = new Set(m.policy.killed);
  const mustServe = (version: string, path: (string | number)[]) => {
    if (!known.has(version)) issues.push({ code: 'custom', input: version, path, message: `names version ${version}, which is not in versions` });
    else if (killed.has(version)) issues.push({ code: 'custom', input: version, path, message: `names version ${version}, which is killed` });
  };
  const p = m.policy;
  mustServe(p.stable, ['policy', 'stable']);
  if (p.candidate) {
    mustServe(p.candidate.version, ['policy', 'candidate', 'version']);
    if (p.candidate.version === p.stable)
      issues.push({ code: 'custom', input: p.stable, path: ['policy', 'candidate', 'version'], message: 'is the stable version' });
  }
  if (p.pinned !== undefined) mustServe(p.pinned, ['policy', 'pinned']);
  p.ab?.arms.forEach((a, i) => mustServe(a.version, ['policy', 'ab', 'arms', i, 'version']));
  if (Date.parse(m.expires) <= Date.parse(m.issuedAt)) issues.push({ code: 'custom', input: m.expires, path: ['expires'], message: 'is not after issuedAt' });
}

// Compile-time proof that the schema and the documented types in types.ts agree.
const _typesAgree: z.ZodMiniType<Manifest> = manifest;
void _typesAgree;

/**
 * Validates a decoded payload. Throws `unsupported-format` for an unknown major version and
 * `manifest-invalid` naming the first bad field (`details.field`, e.g. `versions[0].chunks[3].sha256`).
 */
export function parseManifestPayload(json: unknown): Manifest {
  const format = (json as { formatVersion?: unknown } | null)?.formatVersion;
  if (typeof format === 'string' && /^\d+\./.test(format) && Number.parseInt(format, 10) !== FORMAT_MAJOR) {
    throw new BatonError('unsupported-format', `manifest format ${format} is not supported (this runtime reads ${FORMAT_MAJOR}.x)`, { formatVersion: format });
  }
  const result = manifest.safeParse(json, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue ? formatPath(issue.path) : '(root)';
  throw new BatonError('manifest-invalid', `manifest field ${field} ${issue ? describeIssue(issue) : 'is invalid'}`, {
    field,
    issues: result.error.issues.length,
  });
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

/** zod/mini ships no message locale, so issues are described here, briefly and in one voice. */
function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is missing' : `must be ${issue.expected}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `has more than ${issue.maximum} entries`
        : `must be at most ${issue.maximum}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `needs at least ${issue.minimum} entries`
        : `must be at least ${issue.minimum}${issue.origin === 'string' ? ' characters' : ''}`;
    case 'invalid_format':
      return `must be ${issue.format === 'regex' ? issue.message : `a valid ${issue.format}`}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'custom':
      return issue.message;
    default:
      return 'is invalid';
  }
}
