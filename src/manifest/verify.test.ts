import { beforeAll, describe, expect, it, vi } from 'vitest';
import { BatonError, type BatonErrorCode } from '../errors.js';
import { bytesToBase64, utf8Decode, utf8Encode } from '../crypto/encoding.js';
import { generateKeyPair } from '../crypto/ed25519.js';
import { sampleManifest, sampleRelease, SAMPLE_NOW } from '../testing/sample-manifest.js';
import type { Manifest, PrivateKeyJson, PublicKeyJson } from '../types.js';
import { MAX_ENVELOPE_BYTES } from './envelope.js';
import { signEnvelope, signManifest } from './sign.js';
import { markUnderKeys, verifyManifest, type VerifyOptions } from './verify.js';

let key: { publicKey: PublicKeyJson; privateKey: PrivateKeyJson };
let other: { publicKey: PublicKeyJson; privateKey: PrivateKeyJson };

beforeAll(async () => {
  key = await generateKeyPair();
  other = await generateKeyPair();
});

const now = () => SAMPLE_NOW;
const opts = (extra: Partial<VerifyOptions> = {}): VerifyOptions => ({ publicKeys: [key.publicKey], now, ...extra });

async function rejectsWith(promise: Promise<unknown>, code: BatonErrorCode, field?: string): Promise<BatonError> {
  const error = await promise.then(
    () => expect.unreachable(`expected ${code}, but it verified`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BatonError);
  expect((error as BatonError).code).toBe(code);
  if (field !== undefined) expect((error as BatonError).details?.['field']).toBe(field);
  return error as BatonError;
}

/** Signs any JSON value as a payload, bypassing the schema check signManifest does. */
const signRaw = (payload: unknown, keys = [key.privateKey]) => signEnvelope(utf8Encode(JSON.stringify(payload)), keys);

/** Re-serialises the envelope with `edit` applied: simulates tampering in transit. */
function editEnvelope(bytes: Uint8Array, edit: (env: Record<string, unknown>) => void): Uint8Array {
  const env = JSON.parse(utf8Decode(bytes)) as Record<string, unknown>;
  edit(env);
  return utf8Encode(JSON.stringify(env));
}

describe('verifyManifest accepts', () => {
  it('a manifest signed by a pinned key, returning the payload as signed', async () => {
    const manifest = sampleManifest();
    const result = await verifyManifest(await signManifest(manifest, [key.privateKey]), opts({ expectedName: 'mlp' }));
    expect(result.manifest).toEqual(manifest);
    expect(result.signedBy).toEqual([key.publicKey.keyid]);
    expect(result.unchanged).toBe(false);
    expect(result.payloadSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a manifest signed by two keys when either one is pinned (key rotation)', async () => {
    const bytes = await signManifest(sampleManifest(), [key.privateKey, other.privateKey]);
    await expect(verifyManifest(bytes, opts({ publicKeys: [other.publicKey] }))).resolves.toBeDefined();
    const both = await verifyManifest(bytes, opts({ publicKeys: [key.publicKey, other.publicKey], threshold: 2 }));
    expect([...both.signedBy].sort()).toEqual([key.publicKey.keyid, other.publicKey.keyid].sort());
  });

  it('the same manifest again, reporting it unchanged', async () => {
    const bytes = await signManifest(sampleManifest(), [key.privateKey]);
    const first = await verifyManifest(bytes, opts());
    const again = await verifyManifest(bytes, opts({ lastAccepted: { sequence: 5, payloadSha256: first.payloadSha256 } }));
    expect(again.unchanged).toBe(true);
  });

  it('unknown fields from a newer minor format version, ignoring them', async () => {
    const payload = { ...sampleManifest(), formatVersion: '1.7', futureField: { x: 1 } };
    const { manifest } = await verifyManifest(await signRaw(payload), opts());
    expect(manifest.formatVersion).toBe('1.7');
    expect('futureField' in manifest).toBe(false);
  });
});

describe('verifyManifest refuses with a typed error', () => {
  it('manifest-invalid: bytes that are not JSON', async () => {
    await rejectsWith(verifyManifest(utf8Encode('{"payloadType": '), opts()), 'manifest-invalid', '(envelope)');
    await rejectsWith(verifyManifest(utf8Encode('<html>not found</html>'), opts()), 'manifest-invalid', '(envelope)');
    await rejectsWith(verifyManifest(new Uint8Array([0xff, 0xfe, 0x00]), opts()), 'manifest-invalid', '(envelope)');
  });

  it('manifest-invalid: an envelope of the wrong shape, naming the field', async () => {
    const good = await signManifest(sampleManifest(), [key.privateKey]);
    await rejectsWith(verifyManifest('[]', opts()), 'manifest-invalid', '(envelope)');
    await rejectsWith(
      verifyManifest(
        editEnvelope(good, (e) => (e['payloadType'] = 'text/plain')),
        opts(),
      ),
      'manifest-invalid',
      'payloadType',
    );
    await rejectsWith(
      verifyManifest(
        editEnvelope(good, (e) => (e['payload'] = 'not base64!')),
        opts(),
      ),
      'manifest-invalid',
      'payload',
    );
    await rejectsWith(
      verifyManifest(
        editEnvelope(good, (e) => (e['signatures'] = [])),
        opts(),
      ),
      'manifest-invalid',
      'signatures',
    );
    await rejectsWith(
      verifyManifest(
        editEnvelope(good, (e) => (e['signatures'] = [{ keyid: 'abc', sig: 'AAAA' }])),
        opts(),
      ),
      'manifest-invalid',
      'signatures[0].keyid',
    );
  });

  it('manifest-invalid: an oversized manifest, before parsing it', async () => {
    const huge = new Uint8Array(MAX_ENVELOPE_BYTES + 1).fill(0x20);
    const error = await rejectsWith(verifyManifest(huge, opts()), 'manifest-invalid', '(envelope)');
    expect(error.message).toMatch(/limit/);
  });

  it('manifest-invalid: a signed payload that is not JSON', async () => {
    await rejectsWith(verifyManifest(await signEnvelope(utf8Encode('not json'), [key.privateKey]), opts()), 'manifest-invalid', 'payload');
  });

  it.each<[string, (m: Record<string, unknown>) => void, string]>([
    ['a wrong type', (m) => (m['sequence'] = '6'), 'sequence'],
    ['a missing field', (m) => delete m['expires'], 'expires'],
    ['an oversized string', (m) => (m['name'] = 'x'.repeat(65)), 'name'],
    ['a bad chunk hash', (m) => (((m['versions'] as Manifest['versions'])[0]!.chunks[1] as { sha256: string }).sha256 = 'XYZ'), 'versions[0].chunks[1].sha256'],
    ['too many versions', (m) => (m['versions'] = Array.from({ length: 257 }, (_, i) => sampleRelease(`${i}.0.0`))), 'versions'],
    ['chunks that do not tile the file', (m) => ((m['versions'] as { size: number }[])[1]!.size = 11), 'versions[1].size'],
    ['a stable version that is not listed', (m) => ((m['policy'] as { stable: string }).stable = '9.9.9'), 'policy.stable'],
    ['a killed stable version', (m) => ((m['policy'] as { killed: string[] }).killed = ['1.0.0']), 'policy.stable'],
    ['a percentage over 100', (m) => ((m['policy'] as { candidate: { percent: number } }).candidate.percent = 101), 'policy.candidate.percent'],
    [
      'an unknown execution provider',
      (m) => ((m['versions'] as { compat: { executionProviders: string[] } }[])[0]!.compat.executionProviders = ['cuda']),
      'versions[0].compat.executionProviders[0]',
    ],
    ['expiry before issue time', (m) => (m['expires'] = '2025-01-01T00:00:00.000Z'), 'expires'],
  ])('manifest-invalid: %s, naming the field', async (_what, edit, field) => {
    const payload = structuredClone(sampleManifest()) as unknown as Record<string, unknown>;
    edit(payload);
    const error = await rejectsWith(verifyManifest(await signRaw(payload), opts()), 'manifest-invalid', field);
    expect(error.message).toContain(field);
  });

  it('unsupported-format: a major format version this runtime does not know', async () => {
    const error = await rejectsWith(verifyManifest(await signRaw({ ...sampleManifest(), formatVersion: '2.0' }), opts()), 'unsupported-format');
    expect(error.details).toEqual({ formatVersion: '2.0' });
  });

  it('signature-invalid: a payload changed after signing', async () => {
    const signed = await signManifest(sampleManifest(), [key.privateKey]);
    const tampered = editEnvelope(signed, (e) => {
      const payload = JSON.parse(atob(e['payload'] as string)) as Manifest;
      e['payload'] = bytesToBase64(utf8Encode(JSON.stringify({ ...payload, policy: { ...payload.policy, stable: '2.0.0', candidate: undefined } })));
    });
    await rejectsWith(verifyManifest(tampered, opts()), 'signature-invalid');
  });

  it('signature-invalid: a signature copied from another manifest', async () => {
    const a = await signManifest(sampleManifest(), [key.privateKey]);
    const b = await signManifest(sampleManifest({ sequence: 6 }), [key.privateKey]);
    const sigA = (JSON.parse(utf8Decode(a)) as { signatures: unknown }).signatures;
    await rejectsWith(
      verifyManifest(
        editEnvelope(b, (e) => (e['signatures'] = sigA)),
        opts(),
      ),
      'signature-invalid',
    );
  });

  it('unknown-key: signed only by a key the app does not pin', async () => {
    const error = await rejectsWith(verifyManifest(await signManifest(sampleManifest(), [other.privateKey]), opts()), 'unknown-key');
    expect(error.details?.['keyids']).toEqual([other.publicKey.keyid]);
  });

  it('unknown-key: fewer valid signatures from pinned keys than the threshold', async () => {
    const bytes = await signManifest(sampleManifest(), [key.privateKey]);
    await rejectsWith(verifyManifest(bytes, opts({ publicKeys: [key.publicKey, other.publicKey], threshold: 2 })), 'unknown-key');
  });

  it('manifest-wrong-model: a valid manifest for another model', async () => {
    const bytes = await signManifest(sampleManifest({ name: 'other-model' }), [key.privateKey]);
    await rejectsWith(verifyManifest(bytes, opts({ expectedName: 'mlp' })), 'manifest-wrong-model');
  });

  it('manifest-expired: at and after the expiry time', async () => {
    const bytes = await signManifest(sampleManifest(), [key.privateKey]);
    const expires = Date.parse(sampleManifest().expires);
    await rejectsWith(verifyManifest(bytes, opts({ now: () => expires })), 'manifest-expired');
    await rejectsWith(verifyManifest(bytes, opts({ now: () => expires + 86_400_000 })), 'manifest-expired');
    await expect(verifyManifest(bytes, opts({ now: () => expires - 1 }))).resolves.toBeDefined();
  });

  it('manifest-rollback: an older sequence than the one accepted', async () => {
    const bytes = await signManifest(sampleManifest({ sequence: 4 }), [key.privateKey]);
    const error = await rejectsWith(verifyManifest(bytes, opts({ lastAccepted: { sequence: 5, payloadSha256: '0'.repeat(64) } })), 'manifest-rollback');
    expect(error.details).toMatchObject({ sequence: 4, accepted: 5 });
  });

  it('manifest-rollback: the accepted sequence with different content', async () => {
    const bytes = await signManifest(sampleManifest({ sequence: 5 }), [key.privateKey]);
    await rejectsWith(verifyManifest(bytes, opts({ lastAccepted: { sequence: 5, payloadSha256: '0'.repeat(64) } })), 'manifest-rollback');
  });

  it('checks the signature before reading the payload: an unsigned bad payload is a key error', async () => {
    await rejectsWith(verifyManifest(await signRaw({ garbage: true }, [other.privateKey]), opts()), 'unknown-key');
  });
});

describe('pinned keys are configuration', () => {
  it('throws TypeError, not a BatonError, for a malformed pinned key', async () => {
    const bytes = await signManifest(sampleManifest(), [key.privateKey]);
    await expect(verifyManifest(bytes, opts({ publicKeys: [{ ...key.publicKey, keyid: 'f'.repeat(64) }] }))).rejects.toThrow(TypeError);
    await expect(verifyManifest(bytes, opts({ publicKeys: [] }))).rejects.toThrow(TypeError);
  });
});

describe('Ed25519 without WebCrypto support (the @noble/ed25519 fallback)', () => {
  it('verifies what WebCrypto signed and refuses what it should', async () => {
    const bytes = await signManifest(sampleManifest(), [key.privateKey]);
    vi.resetModules();
    const importKey = vi.spyOn(crypto.subtle, 'importKey').mockImplementation(async (...args: unknown[]) => {
      const algorithm = args[2] as { name?: string } | string;
      if (typeof algorithm === 'object' && algorithm.name === 'Ed25519') throw new DOMException('Ed25519 unsupported', 'NotSupportedError');
      throw new Error('unexpected importKey in this test');
    });
    try {
      const fresh = await import('./verify.js');
      const freshEd = await import('../crypto/ed25519.js');
      expect(await freshEd.hasNativeEd25519()).toBe(false);
      await expect(fresh.verifyManifest(bytes, opts())).resolves.toBeDefined();
      const tampered = editEnvelope(bytes, (e) => {
        const sig = (e['signatures'] as { sig: string }[])[0]!;
        sig.sig = (sig.sig.startsWith('A') ? 'B' : 'A') + sig.sig.slice(1);
      });
      await expect(fresh.verifyManifest(tampered, opts())).rejects.toMatchObject({ code: 'signature-invalid' });
      // And it signs: a key pair made and used entirely by the fallback round-trips.
      const pair = await freshEd.generateKeyPair();
      const signed = await (await import('./sign.js')).signManifest(sampleManifest(), [pair.privateKey]);
      await expect(fresh.verifyManifest(signed, opts({ publicKeys: [pair.publicKey] }))).resolves.toBeDefined();
    } finally {
      importKey.mockRestore();
      vi.resetModules();
    }
  });
});

describe('BatonError across a boundary', () => {
  it('keeps code and details through structured clone and JSON', () => {
    const error = new BatonError('hash-mismatch', 'chunk 3 is corrupt', { chunk: 3 });
    const cloned = structuredClone(error.toWire());
    expect(BatonError.isWire(cloned)).toBe(true);
    const back = BatonError.fromWire(cloned);
    expect(back).toBeInstanceOf(BatonError);
    expect(back).toMatchObject({ code: 'hash-mismatch', message: 'chunk 3 is corrupt', details: { chunk: 3 } });
    expect(BatonError.fromWire(JSON.parse(JSON.stringify(error.toWire())))).toMatchObject({ code: 'hash-mismatch' });
    expect(BatonError.isWire({ name: 'BatonError', code: 'made-up', message: 'x' })).toBe(false);
  });
});

describe('markUnderKeys: anti-rollback after a key rotation', () => {
  const mark = { sequence: 2 ** 53 - 1, payloadSha256: 'f'.repeat(64) };

  it('keeps the mark while the manifest that set it is signed by the pinned keys', async () => {
    const bytes = await signManifest(sampleManifest(), [key.privateKey]);
    expect(await markUnderKeys({ bytes, mark }, [key.publicKey])).toBe(mark);
    // A transition that pins both keys still trusts it.
    expect(await markUnderKeys({ bytes, mark }, [key.publicKey, other.publicKey])).toBe(mark);
  });

  it('drops a mark set by a key the app no longer pins (a compromised key rotated out)', async () => {
    const bytes = await signManifest(sampleManifest(), [key.privateKey]);
    expect(await markUnderKeys({ bytes, mark }, [other.publicKey])).toBeUndefined();
  });

  it('keeps a mark the new key also vouched for (signed by both during the transition): no replay after the rotation', async () => {
    const bytes = await signManifest(sampleManifest(), [key.privateKey, other.privateKey]);
    expect(await markUnderKeys({ bytes, mark }, [other.publicKey])).toBe(mark);
  });

  it('drops a mark that no longer meets a raised threshold, and keeps one that does', async () => {
    const one = await signManifest(sampleManifest(), [key.privateKey]);
    const two = await signManifest(sampleManifest(), [key.privateKey, other.privateKey]);
    const both = [key.publicKey, other.publicKey];
    expect(await markUnderKeys({ bytes: one, mark }, both, 2)).toBeUndefined();
    expect(await markUnderKeys({ bytes: two, mark }, both, 2)).toBe(mark);
  });

  it('has no mark without a stored manifest, and never lifts it for the caller’s own mistake', async () => {
    expect(await markUnderKeys(undefined, [key.publicKey])).toBeUndefined();
    const bytes = await signManifest(sampleManifest(), [key.privateKey]);
    await expect(markUnderKeys({ bytes, mark }, [])).rejects.toThrow(TypeError);
    await expect(markUnderKeys({ bytes, mark }, [key.publicKey], 0)).rejects.toThrow(RangeError);
  });
});
