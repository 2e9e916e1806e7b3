/** SHA-256 through WebCrypto, which runs natively in browsers, workers, service workers and Node. */
import { bytesToHex } from './encoding.js';

/** Lowercase hex SHA-256 of `data`. */
export async function sha256Hex(data: BufferSource): Promise<string> {
  return bytesToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data)));
}
