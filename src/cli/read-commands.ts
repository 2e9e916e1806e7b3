/** The commands that only read the registry: `verify` (every byte, as a device would), `status` and `keys`. */
import { BatonError } from '../errors.js';
import { openEnvelope } from '../manifest/envelope.js';
import { parseManifestPayload } from '../manifest/schema.js';
import { checkSignatures, parsePayloadJson, verifyManifest } from '../manifest/verify.js';
import { readPublicKey } from '../publish/keys-fs.js';
import { readManifestBytes, registryPaths } from '../publish/registry-fs.js';
import { verifyRegistry } from '../publish/verify-registry.js';
import type { Manifest } from '../types.js';
import { formatBytes, table, UsageError } from './args.js';
import { describePolicy, roleOf } from './describe.js';
import { progressLine, type CliIo } from './io.js';
import type { Parsed } from './parse.js';

export async function verifyCommand(p: Parsed, io: CliIo): Promise<number> {
  const pubs = p.list('pub');
  if (pubs.length === 0) throw new UsageError('--pub <public.json> is required: verify checks against the keys devices pin');
  const registry = p.required('registry');
  const name = p.required('name');
  const progress = progressLine(io, 'verify');
  const report = await verifyRegistry({
    registry,
    name,
    publicKeys: await Promise.all(pubs.map(readPublicKey)),
    ...(io.now ? { now: io.now } : {}),
    onChunk: (done, total) => progress(done, total, 'chunks'),
  });
  if (p.json) {
    const { manifest, ...rest } = report;
    io.stdout(JSON.stringify({ ...rest, sequence: manifest?.sequence, versions: manifest?.versions.map((r) => r.version) }) + '\n');
  } else if (report.ok) {
    io.stdout(
      `ok: ${report.name} sequence ${report.manifest?.sequence}, ${report.manifest?.versions.length} versions, ${report.chunksChecked} chunks (${formatBytes(report.bytesChecked)}) verified\n`,
    );
  } else {
    for (const problem of report.problems) io.stdout(`FAIL ${problem.code}: ${problem.message}\n`);
  }
  return report.ok ? 0 : 1;
}

export async function statusCommand(p: Parsed, io: CliIo): Promise<number> {
  const registry = p.required('registry');
  const name = p.required('name');
  const pubs = p.list('pub');
  const publicKeys = await Promise.all(pubs.map(readPublicKey));
  const bytes = await readManifestBytes(registryPaths(registry, name));
  if (!bytes) throw new BatonError('manifest-invalid', `no manifest for "${name}" in ${registry}`);
  let manifest: Manifest;
  if (publicKeys.length > 0) {
    manifest = (await verifyManifest(bytes, { publicKeys, expectedName: name, ...(io.now ? { now: io.now } : {}) })).manifest;
  } else {
    // Without keys the status is informational: say so rather than imply it was verified.
    manifest = parseManifestPayload(parsePayloadJson(openEnvelope(bytes).payloadBytes));
    io.stderr('note: signature not checked (pass --pub to verify)\n');
  }
  if (p.json) {
    io.stdout(
      JSON.stringify({
        name: manifest.name,
        sequence: manifest.sequence,
        issuedAt: manifest.issuedAt,
        expires: manifest.expires,
        policy: manifest.policy,
        versions: manifest.versions.map((r) => ({
          version: r.version,
          size: r.size,
          chunks: r.chunks.length,
          sha256: r.sha256,
          publishedAt: r.publishedAt,
          role: roleOf(manifest, r.version),
        })),
      }) + '\n',
    );
    return 0;
  }
  io.stdout(`${manifest.name}  sequence ${manifest.sequence}  issued ${manifest.issuedAt}  expires ${manifest.expires}\n`);
  io.stdout(`policy: ${describePolicy(manifest)}\n\n`);
  const rows = manifest.versions.map((r) => [
    r.version,
    roleOf(manifest, r.version),
    formatBytes(r.size),
    String(r.chunks.length),
    r.sha256.slice(0, 12),
    r.publishedAt,
  ]);
  io.stdout(table(['version', 'role', 'size', 'chunks', 'sha256', 'published'], rows) + '\n');
  return 0;
}

/**
 * `baton keys`: who signed the current manifest, and whether each key an app pins verifies it.
 * During a rotation every manifest must verify with the old key (apps not yet updated) and the
 * new one (apps already updated).
 */
export async function keysCommand(p: Parsed, io: CliIo): Promise<number> {
  const registry = p.required('registry');
  const name = p.required('name');
  const pinned = await Promise.all(p.list('pub').map(async (path) => ({ path, key: await readPublicKey(path) })));
  const bytes = await readManifestBytes(registryPaths(registry, name));
  if (!bytes) throw new BatonError('manifest-invalid', `no manifest for "${name}" in ${registry}`);
  const opened = openEnvelope(bytes);
  const manifest = parseManifestPayload(parsePayloadJson(opened.payloadBytes));
  const signedBy = opened.envelope.signatures.map((s) => s.keyid);
  const checks = await Promise.all(
    pinned.map(async ({ path, key }) => ({
      path,
      keyid: key.keyid,
      verifies: await checkSignatures(opened, [key], 1).then(
        () => true,
        () => false,
      ),
    })),
  );
  if (p.json) {
    io.stdout(JSON.stringify({ name, sequence: manifest.sequence, signedBy, pinned: checks }) + '\n');
  } else {
    io.stdout(`${name} sequence ${manifest.sequence} is signed by ${signedBy.length} key(s):\n`);
    for (const keyid of signedBy) io.stdout(`  ${keyid}\n`);
    for (const c of checks)
      io.stdout(
        `${c.verifies ? 'ok  ' : 'FAIL'} ${c.path} (${c.keyid.slice(0, 16)}…): ${c.verifies ? 'an app pinning it accepts this manifest' : 'an app pinning only this key refuses this manifest (unknown-key)'}\n`,
      );
  }
  return checks.every((c) => c.verifies) ? 0 : 1;
}
