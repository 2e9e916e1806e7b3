/**
 * What the runtime does with the update pipeline's broadcast events (service worker or page):
 * re-emits them as runtime events, and re-routes when what the device holds or may serve changed.
 */
import { BatonError } from '../errors.js';
import type { UpdateEvent } from '../update/messages.js';
import type { RuntimeEvents } from './api.js';

export function relayUpdateEvent(e: UpdateEvent, emit: <K extends keyof RuntimeEvents>(type: K, event: RuntimeEvents[K]) => void, reconcile: () => void): void {
  switch (e.type) {
    case 'progress':
      emit('progress', e);
      break;
    case 'version-ready':
      emit('version-ready', { version: e.version });
      reconcile();
      break;
    case 'manifest-accepted':
      emit('manifest-accepted', { sequence: e.sequence, unchanged: e.unchanged, ...(e.keysChanged ? { keysChanged: true } : {}) });
      // A policy change (kill, pin, rollback) may need a switch to a version already stored.
      if (!e.unchanged) reconcile();
      break;
    case 'update-failed':
      emit('update-failed', { ...(e.version ? { version: e.version } : {}), error: BatonError.fromWire(e.error) });
      break;
    case 'version-quarantined':
      emit('quarantined', { version: e.version, code: e.reason.code });
      reconcile();
      break;
    case 'version-activated':
      break;
  }
}
