import type { AbortSignalLike, PolicyContext } from './signals.js';

/**
 * Anything that runs a function under a policy: {@link Retry}, {@link Timeout}, {@link Bulkhead},
 * {@link RateLimiter}, {@link CircuitBreaker}, or a {@link wrap} of them.
 *
 * @example
 * ```ts
 * import type { Policy } from 'distkit/resilience';
 * const noop: Policy = { execute: (fn, signal) => Promise.resolve(fn({ signal: signal!, attempt: 1 })) };
 * ```
 */
export interface Policy {
  /** Runs `fn` under the policy. */
  execute<T>(fn: (context: PolicyContext) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T>;
}

/**
 * Composes policies, outermost first: `wrap(breaker, retry, timeout).execute(fn)` runs
 * `breaker(retry(timeout(fn)))`, so each attempt has its own timeout, and the breaker sees one
 * outcome per logical call. The attempt number and signal flow inward.
 *
 * @example
 * ```ts
 * import { wrap, CircuitBreaker, Retry, Timeout } from 'distkit/resilience';
 * const policy = wrap(new CircuitBreaker({ failureThreshold: 5 }), new Retry({ maxAttempts: 3 }), new Timeout(1000));
 * const data = await policy.execute(({ signal }) => fetch('https://example.com', { signal: signal as AbortSignal }));
 * ```
 */
export function wrap(...policies: readonly Policy[]): Policy {
  return {
    execute<T>(fn: (context: PolicyContext) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T> {
      const run = (i: number, ctx: PolicyContext | undefined, sig: AbortSignalLike | undefined): Promise<T> => {
        const p = policies[i];
        if (p === undefined) {
          try {
            return Promise.resolve(fn(ctx ?? { signal: sig ?? neverSignal, attempt: 1 }));
          } catch (e) {
            return Promise.reject(e);
          }
        }
        return p.execute((c) => run(i + 1, ctx === undefined || c.attempt > 1 ? c : { ...c, attempt: ctx.attempt }, c.signal), sig);
      };
      return run(0, undefined, signal);
    },
  };
}

const neverSignal: AbortSignalLike = { aborted: false, addEventListener() {}, removeEventListener() {} };
