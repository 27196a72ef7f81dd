import { ConfigError, systemTimers, type Timers, nonNegativeMs } from '../core/index.js';
import { TaskTimeoutError } from './errors.js';
import { orInfinity, type TimersOption } from './options.js';
import { linkedController, type AbortSignalLike, type PolicyContext } from './signals.js';
import type { Policy } from './wrap.js';

/**
 * `cooperative`: at the deadline the signal passed to the function aborts, and the call settles
 * when the function does (a rejection after the deadline becomes {@link TaskTimeoutError}).
 * `aggressive`: the call rejects with {@link TaskTimeoutError} at the deadline, whatever the
 * function does (its signal aborts too).
 *
 * @example
 * ```ts
 * import { Timeout, TaskTimeoutError, type TimeoutStrategy } from 'distkit/resilience';
 * // 'cooperative' aborts the signal and waits for the function to stop; 'aggressive' rejects at once.
 * const ignoresSignal = () => new Promise<string>((resolve) => setTimeout(() => resolve('finished anyway'), 40));
 * const run = (strategy: TimeoutStrategy) => new Timeout(5, { strategy }).execute(ignoresSignal).then((v) => v, (e: unknown) => (e instanceof TaskTimeoutError ? 'timed out' : 'other'));
 * [await run('aggressive'), await run('cooperative')]; //=> ['timed out', 'finished anyway']
 * ```
 */
export type TimeoutStrategy = 'cooperative' | 'aggressive';

/**
 * Options of {@link Timeout}.
 *
 * @example
 * ```ts
 * import { Timeout } from 'distkit/resilience';
 * const timeout = new Timeout(500, { strategy: 'aggressive' });
 * await timeout.execute(() => 'quick'); //=> 'quick'
 * ```
 */
export interface TimeoutOptions extends TimersOption {
  /** Default `cooperative`. */
  readonly strategy?: TimeoutStrategy;
}

/**
 * Bounds how long an operation may run (cooperative with an AbortSignal, or aggressive).
 *
 * @example
 * ```ts
 * import { Timeout, TaskTimeoutError } from 'distkit/resilience';
 * const timeout = new Timeout(10);
 * // The function gets an AbortSignal that fires at the deadline; honouring it ends the call.
 * const waitForAbort = ({ signal }: { signal: { aborted: boolean; addEventListener?(type: 'abort', listener: () => void): void } }) =>
 *   new Promise<string>((_resolve, reject) => signal.addEventListener?.('abort', () => reject(new Error('aborted'))));
 * await timeout.execute(waitForAbort).catch((e: unknown) => e instanceof TaskTimeoutError); //=> true
 * ```
 */
export class Timeout implements Policy {
  /** The time limit, ms. */
  readonly timeoutMs: number;
  private readonly strategy: TimeoutStrategy;
  private readonly timers: Timers;

  constructor(timeoutMs: number, options: TimeoutOptions = {}) {
    this.timeoutMs = orInfinity(timeoutMs, (v) => nonNegativeMs('timeoutMs', v));
    const strategy = options.strategy ?? 'cooperative';
    if (strategy !== 'cooperative' && strategy !== 'aggressive') {
      throw new ConfigError('strategy', `must be 'cooperative' or 'aggressive', got ${JSON.stringify(strategy)}`);
    }
    this.strategy = strategy;
    this.timers = options.timers ?? systemTimers;
  }

  /** Runs `fn` with a signal that aborts at the deadline or when `signal` aborts. */
  execute<T>(fn: (context: PolicyContext) => T | PromiseLike<T>, signal?: AbortSignalLike, attempt = 1): Promise<T> {
    const { controller, dispose } = linkedController(signal);
    let timedOut = false;
    return new Promise<T>((resolve, reject) => {
      const cancel =
        this.timeoutMs === Number.POSITIVE_INFINITY
          ? () => {}
          : this.timers.setTimer(this.timeoutMs, () => {
              timedOut = true;
              const err = new TaskTimeoutError(this.timeoutMs);
              controller.abort(err);
              if (this.strategy === 'aggressive') {
                dispose();
                reject(err);
              }
            });
      let r: T | PromiseLike<T>;
      try {
        r = fn({ signal: controller.signal, attempt });
      } catch (e) {
        cancel();
        dispose();
        reject(e);
        return;
      }
      Promise.resolve(r).then(
        (v) => {
          cancel();
          dispose();
          resolve(v);
        },
        (e: unknown) => {
          cancel();
          dispose();
          reject(timedOut ? new TaskTimeoutError(this.timeoutMs) : e);
        },
      );
    });
  }
}
