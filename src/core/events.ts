/**
 * Removes the listener it was returned for; calling it again does nothing.
 *
 * @example
 * ```ts
 * import { Emitter, type Unsubscribe } from 'distkit/core';
 * const off: Unsubscribe = new Emitter<number>().on(() => {});
 * off();
 * ```
 */
export type Unsubscribe = () => void;

/**
 * A typed list of listeners (the one event helper of the imperative wrappers, like cockatiel's
 * `EventEmitter`): `on(listener)` returns its {@link Unsubscribe}; `emit(event)` calls every
 * listener subscribed when it starts, in subscription order. A listener that throws does not stop
 * the others nor the code that emitted: its error goes to `onListenerError` (default: rethrown
 * from a promise reaction, so the host's unhandled-error reporting sees it). Emitting allocates nothing:
 * the list is copied on subscribe and unsubscribe instead.
 *
 * @example
 * ```ts
 * import { Emitter } from 'distkit/core';
 * const changes = new Emitter<string>();
 * const seen: string[] = [];
 * const off = changes.on((e) => seen.push(e));
 * changes.emit('open');
 * off();
 * changes.emit('closed');
 * seen; //=> ['open']
 * ```
 */
export class Emitter<T> {
  private listeners: readonly ((event: T) => void)[] = [];
  private readonly onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = rethrowLater) {
    this.onListenerError = onListenerError;
  }

  /** Listeners subscribed now. */
  get size(): number {
    return this.listeners.length;
  }

  /** Subscribes `listener`; the same function twice gets called twice. */
  on(listener: (event: T) => void): Unsubscribe {
    const entry = (event: T): void => listener(event);
    this.listeners = [...this.listeners, entry];
    return () => {
      const i = this.listeners.indexOf(entry);
      if (i >= 0) this.listeners = [...this.listeners.slice(0, i), ...this.listeners.slice(i + 1)];
    };
  }

  /** Calls every listener with `event`, each isolated from the others' errors. */
  emit(event: T): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i]!(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}

function rethrowLater(error: unknown): void {
  void Promise.resolve().then(() => {
    throw error;
  });
}
