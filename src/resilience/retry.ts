import { ConfigError, Emitter, systemTimers, type Timers, type Unsubscribe } from '../core/index.js';
import { backoffInit, backoffNext, type Backoff, type BackoffState } from './backoff.js';
import { OperationAbortedError } from './errors.js';
import { checkNumber } from './options.js';
import { linkedController, type AbortSignalLike, type PolicyContext } from './signals.js';
import type { Policy } from './wrap.js';

/**
 * The pure retry decision: the attempts made so far and the backoff sequence.
 *
 * @example
 * ```ts
 * import { retryCore } from 'distkit/resilience';
 * const s = retryCore.init({ maxAttempts: 3, backoff: { kind: 'constant', delayMs: 10 }, seed: 1 });
 * s.attempts; //=> 0
 * ```
 */
export interface RetryState {
  /** Total attempts allowed (first try included). */
  readonly maxAttempts: number;
  /** Attempts started so far. */
  readonly attempts: number;
  /** The backoff sequence. */
  readonly backoff: BackoffState;
}

/**
 * A retry decision after a failed attempt: wait `delayMs` then try again, or give up.
 *
 * @example
 * ```ts
 * import type { RetryDecision } from 'distkit/resilience';
 * const d: RetryDecision = { retry: true, delayMs: 200, attempt: 2 };
 * ```
 */
export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly attempt: number }
  | { readonly retry: false; readonly attempts: number };

/**
 * Plain-data settings of the retry core.
 *
 * @example
 * ```ts
 * import type { RetrySettings } from 'distkit/resilience';
 * const s: RetrySettings = { maxAttempts: 5, backoff: { kind: 'exponential', initialMs: 50, jitter: 'full' }, seed: 42 };
 * ```
 */
export interface RetrySettings {
  /** Total attempts, first try included (>= 1). */
  readonly maxAttempts: number;
  /** Delay between attempts. */
  readonly backoff: Backoff;
  /** Seed of the jitter PRNG. */
  readonly seed: number;
}

/**
 * The pure retry core: `init(settings)`, `start(state)` when an attempt begins, and
 * `onFailure(state)` to decide whether and when to retry.
 *
 * @example
 * ```ts
 * import { retryCore } from 'distkit/resilience';
 * let s = retryCore.start(retryCore.init({ maxAttempts: 2, backoff: { kind: 'constant', delayMs: 5 }, seed: 1 }));
 * const d = retryCore.onFailure(s);
 * d.decision; //=> { retry: true, delayMs: 5, attempt: 2 }
 * ```
 */
export const retryCore = {
  /** Validates settings (ConfigError naming the option) and returns the initial state. */
  init(settings: RetrySettings): RetryState {
    const maxAttempts = checkNumber('maxAttempts', settings.maxAttempts, { min: 1, integer: true, infinite: true });
    return { maxAttempts, attempts: 0, backoff: backoffInit(settings.backoff, checkNumber('seed', settings.seed)) };
  },
  /** Records that an attempt starts. */
  start(state: RetryState): RetryState {
    return { ...state, attempts: state.attempts + 1 };
  },
  /** After a failed attempt: the decision and the next state. */
  onFailure(state: RetryState): { readonly decision: RetryDecision; readonly state: RetryState } {
    if (state.attempts >= state.maxAttempts) return { decision: { retry: false, attempts: state.attempts }, state };
    const b = backoffNext(state.backoff);
    return { decision: { retry: true, delayMs: b.delayMs, attempt: state.attempts + 1 }, state: { ...state, backoff: b.state } };
  },
};

/**
 * Options of {@link Retry}.
 *
 * @example
 * ```ts
 * import { Retry } from 'distkit/resilience';
 * new Retry({ maxAttempts: 4, backoff: { kind: 'exponential', initialMs: 100, jitter: 'full', maxDelayMs: 5000 } });
 * ```
 */
export interface RetryOptions {
  /** Total attempts, first try included (default 3). */
  readonly maxAttempts?: number;
  /** Delay between attempts (default exponential from 100 ms, factor 2, full jitter, max 30 s). */
  readonly backoff?: Backoff;
  /** Which errors are retried (default: all). Other errors are rethrown at once. */
  readonly retryOn?: (error: unknown) => boolean;
  /** Which results are retried (default: none). The last result is returned when attempts run out. */
  readonly retryOnResult?: (result: unknown) => boolean;
  /** Jitter seed (default 0x5eed). */
  readonly seed?: number;
  /** Timers for the delays (default `systemTimers`, unref'd). */
  readonly timers?: Timers;
}

/**
 * A retry event, as seen by {@link Retry.onRetry} and {@link Retry.onGiveUp}.
 *
 * @example
 * ```ts
 * import type { RetryEvent } from 'distkit/resilience';
 * const e: RetryEvent = { attempt: 2, delayMs: 100, error: new Error('boom') };
 * ```
 */
export interface RetryEvent {
  /** The attempt about to start (retry) or the last attempt made (give up). */
  readonly attempt: number;
  /** The delay before it, ms (0 when giving up). */
  readonly delayMs: number;
  /** The error of the failed attempt, when it threw. */
  readonly error?: unknown;
  /** The result of the failed attempt, when `retryOnResult` matched. */
  readonly result?: unknown;
}

/**
 * Retries a failing async operation with backoff. Each call to {@link Retry.execute} starts a fresh
 * attempt count; the jitter PRNG continues across calls.
 *
 * @example
 * ```ts
 * import { Retry } from 'distkit/resilience';
 * const retry = new Retry({ maxAttempts: 3, retryOn: (e) => (e as { code?: string }).code === 'ECONNRESET' });
 * const body = await retry.execute(({ attempt }) => download(attempt));
 * declare function download(attempt: number): Promise<string>;
 * ```
 */
export class Retry implements Policy {
  private readonly settings: RetryState;
  private backoff: BackoffState;
  private readonly retryOn: ((error: unknown) => boolean) | undefined;
  private readonly retryOnResult: ((result: unknown) => boolean) | undefined;
  private readonly timers: Timers;
  private readonly retryEvents = new Emitter<RetryEvent>();
  private readonly giveUpEvents = new Emitter<RetryEvent>();

  constructor(options: RetryOptions = {}) {
    if (options === null || typeof options !== 'object') throw new ConfigError('options', 'must be an object');
    this.settings = retryCore.init({
      maxAttempts: options.maxAttempts ?? 3,
      backoff: options.backoff ?? { kind: 'exponential', initialMs: 100, factor: 2, jitter: 'full', maxDelayMs: 30_000 },
      seed: options.seed ?? 0x5eed,
    });
    this.backoff = this.settings.backoff;
    this.retryOn = options.retryOn;
    this.retryOnResult = options.retryOnResult;
    this.timers = options.timers ?? systemTimers;
  }

  /** Runs `fn` until it succeeds, a filter says stop, attempts run out or `signal` aborts. */
  async execute<T>(fn: (context: PolicyContext) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T> {
    let state: RetryState = { ...this.settings, backoff: this.backoff };
    for (;;) {
      if (signal?.aborted === true) throw new OperationAbortedError(signal.reason);
      state = retryCore.start(state);
      let failure: { error: unknown } | { result: unknown };
      const { controller, dispose } = linkedController(signal);
      try {
        const result = await fn({ signal: controller.signal, attempt: state.attempts });
        if (this.retryOnResult === undefined || !this.retryOnResult(result)) return result;
        failure = { result };
      } catch (error) {
        if (error instanceof OperationAbortedError || (this.retryOn !== undefined && !this.retryOn(error))) throw error;
        if (isAborted(signal)) throw error;
        failure = { error };
      } finally {
        dispose();
      }
      const next = retryCore.onFailure(state);
      state = next.state;
      this.backoff = state.backoff;
      if (!next.decision.retry) {
        this.giveUpEvents.emit({ attempt: state.attempts, delayMs: 0, ...failure });
        if ('error' in failure) throw failure.error;
        return failure.result as T;
      }
      this.retryEvents.emit({ attempt: next.decision.attempt, delayMs: next.decision.delayMs, ...failure });
      await sleep(this.timers, next.decision.delayMs, signal);
    }
  }

  /** Listens for retries (before each delay). */
  onRetry(listener: (event: RetryEvent) => void): Unsubscribe {
    return this.retryEvents.on(listener);
  }

  /** Listens for give-ups (attempts exhausted). */
  onGiveUp(listener: (event: RetryEvent) => void): Unsubscribe {
    return this.giveUpEvents.on(listener);
  }
}

function isAborted(signal: AbortSignalLike | undefined): boolean {
  return signal?.aborted === true;
}

/** Waits `ms` on `timers`, rejecting with OperationAbortedError when `signal` aborts. @internal */
export function sleep(timers: Timers, ms: number, signal?: AbortSignalLike): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new OperationAbortedError(signal.reason));
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(new OperationAbortedError(signal?.reason));
    };
    const cancel = timers.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
