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
 * import { wrap, Retry, type Policy } from 'distkit/resilience';
 * // Any object with execute(fn, signal) is a policy and composes with wrap.
 * const calls: string[] = [];
 * const logged: Policy = { execute: (fn, signal) => { calls.push('call'); return Promise.resolve(fn({ signal: signal!, attempt: 1 })); } };
 * let n = 0;
 * const policy = wrap(new Retry({ maxAttempts: 3, backoff: { kind: 'constant', delayMs: 1 } }), logged);
 * [await policy.execute(() => { if (++n < 3) throw new Error('busy'); return n; }), calls]; //=> [3, ['call', 'call', 'call']]
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
 * import { Retry, type ContextOf } from 'distkit/resilience';
 * type C = ContextOf<Retry>; // PolicyContext & { attempt: number }
 * const seen: number[] = [];
 * const record = (ctx: C) => { seen.push(ctx.attempt); if (ctx.attempt < 2) throw new Error('again'); return 'ok'; };
 * [await new Retry({ maxAttempts: 2, backoff: { kind: 'constant', delayMs: 1 } }).execute(record), seen]; //=> ['ok', [1, 2]]
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
 * const ab: AB = { a: 1, b: 2 };
 * Object.keys(ab); //=> ['a', 'b']
 * ```
 */
export type Intersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * The context a {@link wrap} of `Ps` gives its function: every policy's context merged.
 *
 * @example
 * ```ts
 * import { wrap, LoadBalancer, Retry, type WrappedContext } from 'distkit/resilience';
 * const lb = new LoadBalancer({ strategy: 'round-robin', nodes: [{ id: 'a' }, { id: 'b' }] });
 * const retry = new Retry({ maxAttempts: 2, backoff: { kind: 'constant', delayMs: 1 } });
 * // The wrapped context has every policy's fields: the attempt from Retry, the node from the balancer.
 * const seen: string[] = [];
 * const call = (ctx: WrappedContext<[Retry, LoadBalancer]>) => { seen.push(`${ctx.attempt}@${ctx.node}`); if (ctx.attempt === 1) throw new Error('retry'); return ctx.node; };
 * [await wrap(retry, lb).execute(call), seen]; //=> ['b', ['1@a', '2@b']]
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
 * import { wrap, CircuitBreaker, Retry, Timeout, TaskTimeoutError } from 'distkit/resilience';
 * // Outermost first: the breaker sees each whole retried call; each attempt has its own timeout.
 * const policy = wrap(new CircuitBreaker({ failureThreshold: 5 }), new Retry({ maxAttempts: 3, backoff: { kind: 'constant', delayMs: 1 } }), new Timeout(20, { strategy: 'aggressive' }));
 * let attempts = 0;
 * const slowThenFast = () => (++attempts < 3 ? new Promise<string>((resolve) => setTimeout(() => resolve('late'), 200)) : Promise.resolve('fast'));
 * [await policy.execute(slowThenFast), attempts]; //=> ['fast', 3]
 * void TaskTimeoutError;
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
