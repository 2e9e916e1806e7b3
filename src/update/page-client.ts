/**
 * The update pipeline run in the page itself, for apps without a service worker (or contexts
 * where none can register): the same updater and storage as the service worker, so the same
 * checks apply; only offline start-up and background checks are lost. Events reach the other
 * tabs on the same BroadcastChannel, and Web Locks keep two tabs from downloading twice.
 */
import { openBatonDb } from '../store/db.js';
import { openEventChannel } from './event-channel.js';
import type { UpdateClient } from './sw-client.js';
import { checkResultFromWire, statusFromWire } from './messages.js';
import { createUpdater } from './updater.js';

export async function createPageUpdateClient(opts: { dbName?: string; fetch?: typeof fetch } = {}): Promise<UpdateClient> {
  const db = await openBatonDb(opts.dbName);
  const events = openEventChannel();
  const updater = createUpdater({
    db,
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    notify: (e) => events.publish(e),
    ...(navigator.storage?.estimate ? { estimate: () => navigator.storage.estimate() } : {}),
  });
  void navigator.storage?.persist?.().catch(() => false);
  return {
    configure: (config) => updater.configure(config),
    check: (model) => updater.check(model).then(checkResultFromWire),
    status: (model) => updater.status(model).then(statusFromWire),
    activate: (model, version) => updater.activate(model, version).then(statusFromWire),
    quarantine: (model, version, reason) => updater.quarantine(model, version, reason.toWire()).then(statusFromWire),
    async readModel(model, version) {
      const found = await updater.readModel(model, version);
      return { version: found.version, bytes: new Uint8Array(await found.blob.arrayBuffer()) };
    },
    readMeta: (key) => db.get('meta', key),
    writeMeta: async (key, value) => void (await db.put('meta', value, key)),
    on: (listener) => events.on(listener),
    close() {
      events.close();
      db.close();
    },
  };
}
