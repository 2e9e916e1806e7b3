/**
 * The DSSE envelope (github.com/secure-systems-lab/dsse) that carries a signed manifest.
 * Signatures cover PAE(payloadType, payload bytes): the exact bytes, never a re-serialisation,
 * and bound to the payload type so a signature over another kind of document cannot be replayed.
 */
import { BatonError } from '../errors.js';
import { base64ToBytes, isBase64, utf8Decode, utf8Encode } from '../crypto/encoding.js';
import type { SignedEnvelope } from '../types.js';

export const MANIFEST_PAYLOAD_TYPE = 'application/vnd.baton.manifest+json';

/** A manifest larger than this is refused before parsing (a real one is a few kB per version). */
export const MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;
const MAX_SIGNATURES = 16;

/** The envelope and its decoded (still unverified) payload bytes. */
export interface OpenedEnvelope {
  readonly envelope: SignedEnvelope;
  readonly payloadBytes: Uint8Array<ArrayBuffer>;
}

/** DSSE v1 pre-authentication encoding. */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const type = utf8Encode(payloadType);
  const head = utf8Encode(`DSSEv1 ${type.length} ${payloadType} ${payload.length} `);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

function invalid(field: string, problem: string): BatonError {
  return new BatonError('manifest-invalid', `manifest field ${field} ${problem}`, { field });
}

/**
 * Parses `manifest.json` into its envelope and payload bytes; checks shape only.
 * Throws `manifest-invalid` naming the field for anything malformed.
 */
export function openEnvelope(input: Uint8Array | string): OpenedEnvelope {
  const size = typeof input === 'string' ? input.length : input.byteLength;
  if (size > MAX_ENVELOPE_BYTES) throw invalid('(envelope)', `is ${size} bytes, over the ${MAX_ENVELOPE_BYTES}-byte limit`);
  let json: unknown;
  try {
    json = JSON.parse(typeof input === 'string' ? input : utf8Decode(input));
  } catch (e) {
    throw new BatonError('manifest-invalid', `manifest is not valid JSON: ${(e as Error).message}`, { field: '(envelope)' }, { cause: e });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw invalid('(envelope)', 'must be a JSON object');
  const { payloadType, payload, signatures } = json as Record<string, unknown>;
  if (payloadType !== MANIFEST_PAYLOAD_TYPE) throw invalid('payloadType', `must be ${JSON.stringify(MANIFEST_PAYLOAD_TYPE)}`);
  if (typeof payload !== 'string' || !isBase64(payload)) throw invalid('payload', 'must be base64');
  if (!Array.isArray(signatures) || signatures.length === 0) throw invalid('signatures', 'must be a non-empty array');
  if (signatures.length > MAX_SIGNATURES) throw invalid('signatures', `has more than ${MAX_SIGNATURES} entries`);
  const sigs = signatures.map((s: unknown, i) => {
    const { keyid, sig } = (s ?? {}) as Record<string, unknown>;
    if (typeof keyid !== 'string' || !/^[0-9a-f]{64}$/.test(keyid)) throw invalid(`signatures[${i}].keyid`, 'must be a lowercase hex SHA-256');
    if (typeof sig !== 'string' || !isBase64(sig)) throw invalid(`signatures[${i}].sig`, 'must be base64');
    return { keyid, sig };
  });
  return {
    envelope: { payloadType, payload, signatures: sigs },
    payloadBytes: base64ToBytes(payload),
  };
}
