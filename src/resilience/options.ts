import type { Clock, Timers } from '../core/index.js';

/**
 * `Infinity` where a policy allows "no bound" (a queue, attempts, a timeout, a failure deadline);
 * any other value goes through `check`, the core option check of the finite case. @internal
 */
export function orInfinity(value: unknown, check: (value: unknown) => number): number {
  return value === Infinity ? Infinity : check(value);
}

/**
 * `min(cap, initialMs · factor^k)` without NaN: factor^k overflows to Infinity after enough
 * retries, and 0 · Infinity is NaN. @internal
 */
export function growth(initialMs: number, factor: number, k: number, cap: number): number {
  if (initialMs === 0) return 0;
  return Math.min(cap, initialMs * Math.pow(factor, k));
}

/**
 * The clock a policy wrapper reads, injected like every source of time in distkit (tests pass a
 * fake one).
 *
 * @example
 * ```ts
 * import { RateLimiter } from 'distkit/resilience';
 * const frozen = { now: () => 0, wallNow: () => 0 };
 * const limiter = new RateLimiter({ limit: 1, periodMs: 1000, clock: frozen });
 * [limiter.tryAcquire().allowed, limiter.tryAcquire().allowed]; //=> [true, false]
 * ```
 */
export interface ClockOption {
  /** Monotonic clock (default `systemClock`). */
  readonly clock?: Clock;
}

/**
 * The timers a policy wrapper waits with, injected (tests pass fake ones).
 *
 * @example
 * ```ts
 * import { Timeout, type TimersOption } from 'distkit/resilience';
 * import { systemTimers } from 'distkit/core';
 * const options: TimersOption = { timers: systemTimers };
 * new Timeout(500, options);
 * ```
 */
export interface TimersOption {
  /** Timers for the policy's waits (default `systemTimers`: a pending wait keeps the process alive). */
  readonly timers?: Timers;
}
