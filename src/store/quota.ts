/** Room for a download, checked before it starts: failing up front beats failing at 90 %. */
import { BatonError } from '../errors.js';

export type StorageEstimator = () => Promise<{ usage?: number; quota?: number }>;

/** Headroom kept free: IndexedDB needs space for its own bookkeeping and the next transaction. */
const SAFETY = 1.1;

/**
 * Resolves when `bytes` more fit in the origin's quota, running `freeSpace` once if they do not.
 * Throws `quota-exceeded` with the figures when even then they do not.
 */
export async function ensureSpace(bytes: number, estimate: StorageEstimator | undefined, freeSpace: () => Promise<unknown>): Promise<void> {
  if (!estimate || bytes === 0) return;
  const room = async () => {
    const { usage = 0, quota = Infinity } = await estimate();
    return { usage, quota, free: quota - usage };
  };
  let r = await room();
  if (r.free >= bytes * SAFETY) return;
  await freeSpace();
  r = await room();
  if (r.free >= bytes * SAFETY) return;
  throw new BatonError('quota-exceeded', `download needs ${bytes} bytes; ${Math.max(0, Math.floor(r.free))} of the ${r.quota}-byte quota are free`, {
    needed: bytes,
    usage: r.usage,
    quota: r.quota,
  });
}
