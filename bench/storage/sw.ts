/**
 * The storage bench's service worker (a module worker): where Baton downloads, so where writes and
 * the whole-file hash are measured. Answers `{ op }` messages on the port the page sends.
 */
import { answer, type StorageOp } from './ops.js';

// The service worker's global scope, typed by hand (this file is checked with the DOM library).
interface SwScope {
  addEventListener(type: 'install', fn: (e: Event & { waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'activate', fn: (e: Event & { waitUntil(p: Promise<unknown>): void }) => void): void;
  addEventListener(type: 'message', fn: (e: MessageEvent<StorageOp> & { waitUntil(p: Promise<unknown>): void }) => void): void;
  skipWaiting(): Promise<void>;
  clients: { claim(): Promise<void> };
}
const scope = self as unknown as SwScope;

scope.addEventListener('install', (e) => e.waitUntil(scope.skipWaiting()));
scope.addEventListener('activate', (e) => e.waitUntil(scope.clients.claim()));
scope.addEventListener('message', (e) => {
  const port = e.ports[0];
  if (!port) return;
  e.waitUntil(answer(e.data).then((reply) => port.postMessage(reply)));
});
