/**
 * The origin-wide event bus: a BroadcastChannel reaches every tab and worker, but not the context
 * that posts, so local listeners are called directly as well.
 */
import { EVENT_CHANNEL, type UpdateEvent } from './messages.js';

export interface EventChannel {
  on(listener: (event: UpdateEvent) => void): () => void;
  /** Tells local listeners and every other context of the origin. */
  publish(event: UpdateEvent): void;
  close(): void;
}

export function openEventChannel(): EventChannel {
  const channel = new BroadcastChannel(EVENT_CHANNEL);
  const listeners = new Set<(e: UpdateEvent) => void>();
  const deliver = (e: UpdateEvent) => listeners.forEach((l) => l(e));
  channel.onmessage = (e: MessageEvent<UpdateEvent>) => deliver(e.data);
  return {
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    publish(event) {
      deliver(event);
      channel.postMessage(event);
    },
    close() {
      channel.close();
      listeners.clear();
    },
  };
}
