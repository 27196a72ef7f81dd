import { ConfigError, type Clock, type Timers } from '../core/index.js';

/** Options for {@link checkNumber}. @internal */
export interface NumberRule {
  /** Smallest allowed value (inclusive). */
  readonly min?: number;
  /** Largest allowed value (inclusive). */
  readonly max?: number;
  /** Whether the value must be an integer. */
  readonly integer?: boolean;
  /** Whether `min` itself is excluded. */
  readonly exclusiveMin?: boolean;
  /** Whether `Infinity` is accepted. */
  readonly infinite?: boolean;
}

/**
 * Validates a numeric option and returns it, or throws {@link ConfigError} naming the option:
 * `checkNumber('maxAttempts', 3, { min: 1, integer: true })` returns 3. @internal
 */
export function checkNumber(field: string, value: unknown, rule: NumberRule = {}): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ConfigError(field, `must be a number, got ${describe(value)}`);
  }
  if (!Number.isFinite(value) && !(rule.infinite === true && value > 0)) {
    throw new ConfigError(field, `must be finite, got ${value}`);
  }
  if (rule.integer === true && Number.isFinite(value) && !Number.isInteger(value)) {
    throw new ConfigError(field, `must be an integer, got ${value}`);
  }
  if (rule.min !== undefined) {
    if (rule.exclusiveMin === true ? value <= rule.min : value < rule.min) {
      throw new ConfigError(field, `must be ${rule.exclusiveMin === true ? '>' : '>='} ${rule.min}, got ${value}`);
    }
  }
  if (rule.max !== undefined && value > rule.max) {
    throw new ConfigError(field, `must be <= ${rule.max}, got ${value}`);
  }
  return value;
}

/** Validates an optional numeric option: `fallback` when absent. @internal */
export function optNumber(field: string, value: unknown, fallback: number, rule: NumberRule = {}): number {
  return value === undefined ? fallback : checkNumber(field, value, rule);
}

/** A ratio in [0, 1]. @internal */
export function checkRatio(field: string, value: unknown): number {
  return checkNumber(field, value, { min: 0, max: 1 });
}

/** @internal */
export function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
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
  /** Timers for the policy's waits (default `systemTimers`, unref'd). */
  readonly timers?: Timers;
}
