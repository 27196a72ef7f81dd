/**
 * The part of the platform `AbortSignal` the policies use (structural, so the isomorphic code
 * needs no DOM types). A real `AbortSignal` satisfies it.
 *
 * @example
 * ```ts
 * import type { AbortSignalLike } from 'distkit/resilience';
 * const s: AbortSignalLike = new AbortController().signal;
 * ```
 */
export interface AbortSignalLike {
  /** Whether the signal has been aborted. */
  readonly aborted: boolean;
  /** Why it was aborted. */
  readonly reason?: unknown;
  /** Subscribes to the abort event. */
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  /** Unsubscribes from the abort event. */
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * What every policy passes to the function it runs: a signal that aborts when the caller cancels
 * or a timeout fires, and the attempt number (1-based) under a retry.
 *
 * @example
 * ```ts
 * import { Timeout } from 'distkit/resilience';
 * await new Timeout(1000).execute(({ signal }) => fetch('https://example.com', { signal: signal as AbortSignal }));
 * ```
 */
export interface PolicyContext {
  /** Aborts when the operation should stop. */
  readonly signal: AbortSignalLike;
  /** 1-based attempt number (1 outside a retry). */
  readonly attempt: number;
}

/** A controller pairing a signal with its abort function. @internal */
export interface ControllerLike {
  readonly signal: AbortSignalLike;
  abort(reason?: unknown): void;
}

interface ControllerCtor {
  new (): ControllerLike;
}

class SimpleSignal implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];
  addEventListener(_type: 'abort', listener: () => void): void {
    this.listeners.push(listener);
  }
  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners.indexOf(listener);
    if (i >= 0) this.listeners.splice(i, 1);
  }
  fire(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const ls = this.listeners;
    this.listeners = [];
    for (const l of ls) l();
  }
}

/** Creates an AbortController (the platform's when present). @internal */
export function newController(): ControllerLike {
  const Ctor = (globalThis as unknown as { AbortController?: ControllerCtor }).AbortController;
  if (Ctor !== undefined) return new Ctor();
  const signal = new SimpleSignal();
  return { signal, abort: (reason?: unknown) => signal.fire(reason) };
}

/** A signal that never aborts. @internal */
export const neverAborted: AbortSignalLike = {
  aborted: false,
  addEventListener() {},
  removeEventListener() {},
};

/** A controller that also aborts when `parent` aborts; `dispose` unlinks it. @internal */
export function linkedController(parent: AbortSignalLike | undefined): { controller: ControllerLike; dispose: () => void } {
  const controller = newController();
  if (parent === undefined || parent === neverAborted) return { controller, dispose: () => {} };
  if (parent.aborted) {
    controller.abort(parent.reason);
    return { controller, dispose: () => {} };
  }
  const onAbort = (): void => controller.abort(parent.reason);
  parent.addEventListener('abort', onAbort, { once: true });
  return { controller, dispose: () => parent.removeEventListener('abort', onAbort) };
}

/** Calls `fn(context)` as a promise: a synchronous throw becomes a rejection. @internal */
export function invoke<C, T>(fn: (context: C) => T | PromiseLike<T>, context: C): Promise<T> {
  try {
    return Promise.resolve(fn(context));
  } catch (e) {
    return Promise.reject(e);
  }
}
