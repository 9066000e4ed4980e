/**
 * The engine's typed, in-process event bus: controllers publish what happened (reconcile results, cluster
 * connectivity, drift corrected) and the inbox, tray, alert providers and the api layer subscribe. Emission is
 * synchronous and a throwing listener never stops the others (it is reported through `onListenerError`).
 */
export type Listener<T> = (event: T) => void;

/** The publishing side of a bus, narrowed to the events a component emits (a bus of more events fits). */
export interface EventSink<Events> {
  emit<K extends keyof Events>(type: K, payload: Events[K]): void;
}

export class EventBus<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();
  private readonly anyListeners = new Set<
    Listener<{ [K in keyof Events]: { type: K; payload: Events[K] } }[keyof Events]>
  >();

  private readonly onListenerError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void = () => undefined) {
    this.onListenerError = onListenerError;
  }

  /** Subscribes to one event type; returns the unsubscribe function. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Subscribes to every event (the api layer forwards them to clients). */
  onAny(listener: Listener<{ [K in keyof Events]: { type: K; payload: Events[K] } }[keyof Events]>): () => void {
    this.anyListeners.add(listener);
    return () => this.anyListeners.delete(listener);
  }

  emit<K extends keyof Events>(type: K, payload: Events[K]): void {
    for (const l of this.listeners.get(type) ?? []) this.call(l as Listener<Events[K]>, payload);
    for (const l of this.anyListeners) this.call(l, { type, payload });
  }

  private call<T>(listener: Listener<T>, event: T): void {
    try {
      listener(event);
    } catch (err) {
      this.onListenerError(err);
    }
  }
}
