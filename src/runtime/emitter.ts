/**
 * The runtime's event emitter: typed, synchronous, and a throwing handler never breaks the
 * runtime's own flow (it is logged and the other handlers still run).
 */
export interface Emitter<Events extends Record<string, unknown>> {
  emit<K extends keyof Events>(type: K, event: Events[K]): void;
  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof Events>(type: K, handler: (event: Events[K]) => void): () => void;
  clear(): void;
}

export function createEmitter<Events extends Record<string, unknown>>(): Emitter<Events> {
  const handlers = new Map<keyof Events, Set<(event: never) => void>>();
  return {
    emit(type, event) {
      // A snapshot: a handler that subscribes or unsubscribes others changes the next emit, not this one.
      for (const handler of Array.from(handlers.get(type) ?? [])) {
        try {
          (handler as (e: typeof event) => void)(event);
        } catch (e) {
          console.error(`baton: a "${String(type)}" handler threw`, e);
        }
      }
    },
    on(type, handler) {
      let set = handlers.get(type);
      if (!set) handlers.set(type, (set = new Set()));
      // A wrapper per subscription, so the same function subscribed twice is called twice and
      // each unsubscribe removes its own.
      const entry = (e: never) => handler(e);
      set.add(entry);
      return () => void set.delete(entry);
    },
    clear: () => handlers.clear(),
  };
}
