/** Maps what IndexedDB throws to Baton's codes: quota is a state the app handles, the rest a failure. */
import { BatonError } from '../errors.js';

export function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  // Chromium names it QuotaExceededError; older Firefox used NS_ERROR_DOM_QUOTA_REACHED.
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

/** Runs a storage operation, translating its failure into a BatonError. */
export async function storageOp<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof BatonError) throw e;
    if (isQuotaError(e)) throw new BatonError('quota-exceeded', `storage quota exceeded while ${what}`, undefined, { cause: e });
    throw new BatonError('storage-failed', `storage failed while ${what}: ${(e as Error)?.message ?? String(e)}`, undefined, { cause: e });
  }
}
