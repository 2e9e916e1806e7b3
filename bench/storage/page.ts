/**
 * The storage bench's page, driven by bench/scenarios/storage.ts through `window.storageBench`:
 * runs an operation here, in a dedicated worker, or in the service worker.
 */
import { answer, type OpReply, type StorageOp } from './ops.js';

let worker: Worker | undefined;

const unwrap = (reply: OpReply): unknown => {
  if (!reply.ok) throw new Error(reply.error);
  return reply.value;
};

const storageBench = {
  async ready(): Promise<void> {
    await navigator.serviceWorker.register('./storage-sw.js', { type: 'module', scope: './' });
    await navigator.serviceWorker.ready;
  },
  async page(o: StorageOp): Promise<unknown> {
    return unwrap(await answer(o));
  },
  async worker(o: StorageOp): Promise<unknown> {
    worker ??= new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    const w = worker;
    return unwrap(
      await new Promise<OpReply>((resolve, reject) => {
        w.onmessage = (e: MessageEvent<OpReply>) => resolve(e.data);
        w.onerror = (e) => reject(new Error(`storage worker: ${e.message}`));
        w.postMessage(o);
      }),
    );
  },
  async sw(o: StorageOp): Promise<unknown> {
    const active = (await navigator.serviceWorker.ready).active;
    if (!active) throw new Error('no active storage service worker');
    const { port1, port2 } = new MessageChannel();
    const reply = new Promise<OpReply>((resolve) => (port1.onmessage = (e: MessageEvent<OpReply>) => resolve(e.data)));
    active.postMessage(o, [port2]);
    return unwrap(await reply);
  },
};

declare global {
  interface Window {
    storageBench: typeof storageBench;
  }
}
window.storageBench = storageBench;
document.body.dataset['ready'] = 'true';
