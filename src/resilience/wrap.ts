import type { AbortSignalLike, PolicyContext } from './signals.js';
import { invoke, neverAborted } from './signals.js';

/**
 * The one policy shape (cockatiel's `IPolicy`): anything that runs a function under a rule —
 * {@link Retry}, {@link Timeout}, {@link Bulkhead}, {@link RateLimiter}, {@link CircuitBreaker},
 * {@link LoadBalancer}, a per-key policy of {@link KeyedRateLimiter.forKey} or
 * {@link LoadBalancer.forKey}, or a {@link wrap} of them. `C` is the context the function gets:
 * {@link PolicyContext}, plus what the policy adds (a balancer adds the `node` it picked).
 *
 * @example
 * ```ts
 * import type { Policy } from 'distkit/resilience';
 * const noop: Policy = { execute: (fn, signal) => Promise.resolve(fn({ signal: signal!, attempt: 1 })) };
 * ```
 */
export interface Policy<C extends PolicyContext = PolicyContext> {
  /** Runs `fn` under the policy; `signal` cancels it. */
  execute<T>(fn: (context: C) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T>;
}

/**
 * The context a policy gives its function.
 *
 * @example
 * ```ts
 * import type { ContextOf, Retry } from 'distkit/resilience';
 * type C = ContextOf<Retry>; // PolicyContext & { attempt: number }
 * ```
 */
export type ContextOf<P> = P extends Policy<infer C> ? C : never;
/**
 * The intersection of the members of a union (`A | B` → `A & B`).
 *
 * @example
 * ```ts
 * import type { Intersection } from 'distkit/resilience';
 * type AB = Intersection<{ a: 1 } | { b: 2 }>; // { a: 1 } & { b: 2 }
 * ```
 */
export type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * The context a {@link wrap} of `Ps` gives its function: every policy's context merged.
 *
 * @example
 * ```ts
 * import type { WrappedContext, Retry, LoadBalancer } from 'distkit/resilience';
 * declare const ctx: WrappedContext<[Retry, LoadBalancer]>;
 * ctx.node; // the node the balancer picked
 * ```
 */
export type WrappedContext<Ps extends readonly Policy[]> = PolicyContext & Intersection<ContextOf<Ps[number]>>;

/**
 * Composes policies, outermost first: `wrap(breaker, retry, timeout).execute(fn)` runs
 * `breaker(retry(timeout(fn)))`, so each attempt has its own timeout, and the breaker sees one
 * outcome per logical call. Contexts merge inward: the attempt number of a retry, the signal of a
 * timeout and the node of a balancer all reach `fn`.
 *
 * @example
 * ```ts
 * import { wrap, CircuitBreaker, Retry, Timeout } from 'distkit/resilience';
 * const policy = wrap(new CircuitBreaker({ failureThreshold: 5 }), new Retry({ maxAttempts: 3 }), new Timeout(1000));
 * const data = await policy.execute(({ signal }) => fetch('https://example.com', { signal: signal as AbortSignal }));
 * ```
 */
export function wrap<Ps extends readonly Policy[]>(...policies: Ps): Policy<WrappedContext<Ps>> {
  const list = policies as unknown as readonly Policy<PolicyContext>[];
  return {
    execute<T>(fn: (context: WrappedContext<Ps>) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T> {
      const run = (i: number, ctx: PolicyContext | undefined, sig: AbortSignalLike | undefined): Promise<T> => {
        const p = list[i];
        if (p === undefined) return invoke(fn, (ctx ?? { signal: sig ?? neverAborted, attempt: 1 }) as WrappedContext<Ps>);
        // An inner policy's context adds to the outer one's; a retry's attempt number wins over a 1.
        return p.execute((c) => run(i + 1, ctx === undefined ? c : { ...ctx, ...c, attempt: c.attempt > 1 ? c.attempt : ctx.attempt }, c.signal), sig);
      };
      return run(0, undefined, signal);
    },
  };
}
