import { ConfigError, checkObject, Emitter, assertNever, systemTimers, positiveInt, numberIn } from '../core/index.js';
import type { MessageInput, RejectedOutput, Timers, Transition, Unsubscribe } from '../core/index.js';
import { localStep, type LocalInput } from './local.js';
import { backoffInit, backoffNext, type Backoff, type BackoffState } from './backoff.js';
import { OperationAbortedError } from './errors.js';
import { orInfinity, type TimersOption } from './options.js';
import { linkedController, type AbortSignalLike, type PolicyContext } from './signals.js';
import type { Policy } from './wrap.js';

/**
 * The retry core's state: the attempts made in the current call and the backoff sequence (whose
 * jitter PRNG continues across calls).
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
 * Plain-data settings of the retry core.
 *
 * @example
 * ```ts
 * import { retryCore, type RetrySettings } from 'distkit/resilience';
 * const settings: RetrySettings = { maxAttempts: 4, backoff: { kind: 'exponential', initialMs: 50, jitter: 'none' }, seed: 42 };
 * // Without jitter the delays double: 50, 100, 200 ms, then the core gives up.
 * let s = retryCore.init(settings);
 * const decisions: unknown[] = [];
 * for (let i = 0; i < 4; i++) {
 *   s = retryCore.step(s, { type: 'attempt', now: 0 }).state;
 *   const t = retryCore.step(s, { type: 'failure', now: 0 });
 *   s = t.state;
 *   decisions.push(t.outputs[0]);
 * }
 * decisions; //=> [{ type: 'retry', delayMs: 50, attempt: 2 }, { type: 'retry', delayMs: 100, attempt: 3 }, { type: 'retry', delayMs: 200, attempt: 4 }, { type: 'give-up', attempts: 4 }]
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
 * Inputs of the retry core: an attempt starts, the attempt failed, or a new call begins (attempts
 * back to 0, the backoff sequence continues). Every input carries the caller's time `now`; a
 * `message` from a network is refused.
 *
 * @example
 * ```ts
 * import { retryCore, type RetryInput } from 'distkit/resilience';
 * const s = retryCore.init({ maxAttempts: 1, backoff: { kind: 'constant', delayMs: 10 }, seed: 1 });
 * // One attempt allowed: its failure ends the call.
 * const inputs: RetryInput[] = [{ type: 'attempt', now: 0 }, { type: 'failure', now: 120 }];
 * retryCore.step(retryCore.step(s, inputs[0]!).state, inputs[1]!).outputs; //=> [{ type: 'give-up', attempts: 1 }]
 * ```
 */
export type RetryInput = LocalInput<'attempt' | 'failure' | 'call'> | MessageInput<unknown>;

/**
 * Outputs of the retry core, after a `failure`: try again as attempt `attempt` after `delayMs`,
 * or give up after `attempts`.
 *
 * @example
 * ```ts
 * import { retryCore, type RetryOutput } from 'distkit/resilience';
 * let s = retryCore.init({ maxAttempts: 3, backoff: { kind: 'constant', delayMs: 200 }, seed: 1 });
 * s = retryCore.step(s, { type: 'attempt', now: 0 }).state;
 * const o: readonly RetryOutput[] = retryCore.step(s, { type: 'failure', now: 10 }).outputs;
 * o; //=> [{ type: 'retry', delayMs: 200, attempt: 2 }]
 * ```
 */
export type RetryOutput =
  | { readonly type: 'retry'; readonly delayMs: number; readonly attempt: number }
  | { readonly type: 'give-up'; readonly attempts: number }
  | RejectedOutput;

const NONE: readonly RetryOutput[] = [];

function rule(state: RetryState, input: LocalInput<'attempt' | 'failure' | 'call'>): Transition<RetryState, RetryOutput> {
  switch (input.type) {
    case 'call':
      return { state: state.attempts === 0 ? state : { ...state, attempts: 0 }, outputs: NONE };
    case 'attempt':
      return { state: { ...state, attempts: state.attempts + 1 }, outputs: NONE };
    case 'failure': {
      if (state.attempts >= state.maxAttempts) return { state, outputs: [{ type: 'give-up', attempts: state.attempts }] };
      const b = backoffNext(state.backoff);
      return { state: { ...state, backoff: b.state }, outputs: [{ type: 'retry', delayMs: b.delayMs, attempt: state.attempts + 1 }] };
    }
    default:
      return assertNever(input, 'input');
  }
}

/**
 * The pure retry core (a machine like {@link circuitBreakerCore}): `init(settings)`, then
 * `step(state, input)` on `attempt` (one starts), `failure` (decides whether and when to retry)
 * and `call` (a new logical call).
 *
 * @example
 * ```ts
 * import { retryCore } from 'distkit/resilience';
 * let s = retryCore.init({ maxAttempts: 2, backoff: { kind: 'constant', delayMs: 5 }, seed: 1 });
 * s = retryCore.step(s, { type: 'attempt', now: 0 }).state;
 * retryCore.step(s, { type: 'failure', now: 3 }).outputs; //=> [{ type: 'retry', delayMs: 5, attempt: 2 }]
 * ```
 */
export const retryCore = {
  /** Name for traces. */
  name: 'retry',
  /** Validates settings (ConfigError naming the option) and returns the initial state. */
  init(settings: RetrySettings): RetryState {
    checkObject('settings', settings);
    const maxAttempts = orInfinity(settings.maxAttempts, (v) => positiveInt('maxAttempts', v));
    return { maxAttempts, attempts: 0, backoff: backoffInit(settings.backoff, numberIn('seed', settings.seed, -Infinity, Infinity)) };
  },
  /** Applies one input; pure. */
  step: localStep('retry core', rule),
};

/**
 * Options of {@link Retry}.
 *
 * @example
 * ```ts
 * import { Retry } from 'distkit/resilience';
 * let calls = 0;
 * const flaky = async () => { if (++calls < 3) throw new Error('busy'); return 'done'; };
 * const retry = new Retry({ maxAttempts: 4, backoff: { kind: 'constant', delayMs: 1 } });
 * [await retry.execute(flaky), calls]; //=> ['done', 3]
 * ```
 */
export interface RetryOptions extends TimersOption {
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
}

/**
 * A retry event, as seen by {@link Retry.onRetry} and {@link Retry.onGiveUp}.
 *
 * @example
 * ```ts
 * import { Retry, type RetryEvent } from 'distkit/resilience';
 * const retry = new Retry({ maxAttempts: 2, backoff: { kind: 'constant', delayMs: 1 } });
 * const events: RetryEvent[] = [];
 * retry.onRetry((e) => events.push(e));
 * retry.onGiveUp((e) => events.push(e));
 * await retry.execute(() => Promise.reject(new Error('boom'))).catch(() => undefined);
 * events.map((e) => [e.attempt, e.delayMs, (e.error as Error).message]); //=> [[2, 1, 'boom'], [2, 0, 'boom']]
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
 * const retry = new Retry({ maxAttempts: 3, backoff: { kind: 'constant', delayMs: 1 }, retryOn: (e) => (e as { code?: string }).code === 'ECONNRESET' });
 * const attempts: number[] = [];
 * const download = async (attempt: number) => {
 *   attempts.push(attempt);
 *   if (attempt === 1) throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
 *   return 'body';
 * };
 * [await retry.execute(({ attempt }) => download(attempt)), attempts]; //=> ['body', [1, 2]]
 * // An error retryOn refuses is rethrown at once.
 * await retry.execute(() => Promise.reject(new Error('404'))).catch((e: Error) => e.message); //=> '404'
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
    checkObject('options', options);
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
      // The retry rule does not depend on time; the wrapper has no clock to read.
      state = retryCore.step(state, { type: 'attempt', now: 0 }).state;
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
      const next = retryCore.step(state, { type: 'failure', now: 0 });
      state = next.state;
      this.backoff = state.backoff;
      const d = next.outputs[0]!;
      if (d.type !== 'retry') {
        this.giveUpEvents.emit({ attempt: state.attempts, delayMs: 0, ...failure });
        if ('error' in failure) throw failure.error;
        return failure.result as T;
      }
      this.retryEvents.emit({ attempt: d.attempt, delayMs: d.delayMs, ...failure });
      await sleep(this.timers, d.delayMs, signal);
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
