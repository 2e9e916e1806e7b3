/** The storage bench's dedicated worker: where `FileSystemSyncAccessHandle` exists. */
import { answer, type StorageOp } from './ops.js';

// A dedicated worker's global scope, typed by hand (this file is checked with the DOM library).
const scope = self as unknown as { onmessage: ((e: MessageEvent<StorageOp>) => void) | null; postMessage(message: unknown): void };
scope.onmessage = (e) => void answer(e.data).then((reply) => scope.postMessage(reply));
