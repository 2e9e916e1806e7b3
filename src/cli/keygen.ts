/**
 * `baton keygen`: a signing key pair. Replacing one strands every device that pins it (they
 * refuse manifests signed only by the new key with `unknown-key`), so an existing pair is
 * replaced only with `--force`, and then the old and new key ids are both printed.
 */
import { existingKeyPair, keyPairPaths, writeKeyPair } from '../publish/keys-fs.js';
import { FileError } from '../publish/files.js';
import type { CliIo } from './io.js';
import type { Parsed } from './parse.js';

export async function keygenCommand(p: Parsed, io: CliIo): Promise<number> {
  const dir = p.required('out');
  const force = p.flag('force');
  const existing = await existingKeyPair(dir);
  const oldId = existing?.keyid ?? (existing ? 'unreadable' : undefined);
  if (existing && !force) {
    throw new FileError(
      `${existing.files.join(' and ')} already ${existing.files.length === 1 ? 'exists' : 'exist'} (key id ${oldId}); ` +
        'devices pinning that key refuse manifests signed only by a new one. --force replaces them; ' +
        'to rotate keys, write the new pair to another --out directory and sign with both',
    );
  }
  const { privatePath, publicPath } = keyPairPaths(dir);
  const keyid = p.dryRun ? undefined : (await writeKeyPair(dir)).keyid;
  if (p.json) {
    io.stdout(JSON.stringify({ privatePath, publicPath, keyid: keyid ?? null, replacedKeyid: oldId ?? null, dryRun: p.dryRun }) + '\n');
  } else {
    if (p.dryRun)
      io.stdout(`dry run: would ${existing ? `replace the key pair in ${dir} (key id ${oldId})` : `write a new key pair to ${dir}`}; nothing written\n`);
    io.stdout(`private key: ${privatePath}  (keep secret; used by publish and policy commands)\n`);
    io.stdout(`public key:  ${publicPath}  (pin this in the app: createRuntime({ publicKeys: [...] }))\n`);
    if (existing) io.stdout(`old key id:  ${oldId}\n`);
    if (keyid !== undefined) io.stdout(`${existing ? 'new key id: ' : 'key id:     '} ${keyid}\n`);
  }
  if (existing) {
    io.stderr(
      `warning: devices that pin only the old key (${oldId}) ${p.dryRun ? 'would refuse' : 'will refuse'} manifests signed only by the new one ` +
        `(unknown-key) unless the app pins both; signing with both (--key may be repeated) needs a copy of the old private key, which this ${p.dryRun ? 'would replace' : 'replaced'}\n`,
    );
  }
  return 0;
}
