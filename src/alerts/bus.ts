/**
 * A small synchronous typed event bus. Listeners must not block: sinks only
 * enqueue. A throwing listener is reported to onListenerError and does not
 * stop delivery to the others.
 */
export type Listener<E> = (event: E) => void;

export class EventBus<E extends { readonly type: string }> {
  private listeners: Listener<E>[] = [];

  constructor(private readonly onListenerError: (err: unknown, event: E) => void = () => undefined) {}

  subscribe(listener: Listener<E>): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  publish(event: E): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err, event);
      }
    }
  }
}
