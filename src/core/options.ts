/**
 * Options validation: one argument order for every check, `(field, value, fallback)`. A value
 * that is `undefined` takes the fallback; with no fallback the option is required. Every failure
 * throws {@link ConfigError} naming the field and the value it got.
 *
 * @packageDocumentation
 */
import { ConfigError } from './errors.js';
import { describeValue } from './validate.js';

function given<T>(field: string, value: unknown, fallback: T | undefined): unknown {
  if (value !== undefined) return value;
  if (fallback === undefined) throw new ConfigError(field, 'is required');
  return fallback;
}

function intAtLeast(field: string, value: unknown, fallback: number | undefined, min: number, what: string): number {
  const x = given(field, value, fallback);
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) throw new ConfigError(field, `must be a ${what} integer, got ${describeValue(x)}`);
  return x;
}

function msAbove(field: string, value: unknown, fallback: number | undefined, allowZero: boolean): number {
  const x = given(field, value, fallback);
  if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || (!allowZero && x === 0)) {
    throw new ConfigError(field, `must be a ${allowZero ? 'non-negative' : 'positive'} finite number of milliseconds, got ${describeValue(x)}`);
  }
  return x;
}

/**
 * A positive safe integer option.
 *
 * @example
 * ```ts
 * import { positiveInt } from 'distkit/core';
 * positiveInt('maxBatch', undefined, 64); //=> 64
 * ```
 */
export function positiveInt(field: string, value: unknown, fallback?: number): number {
  return intAtLeast(field, value, fallback, 1, 'positive');
}

/**
 * A non-negative safe integer option.
 *
 * @example
 * ```ts
 * import { nonNegativeInt } from 'distkit/core';
 * nonNegativeInt('retries', 0); //=> 0
 * ```
 */
export function nonNegativeInt(field: string, value: unknown, fallback?: number): number {
  return intAtLeast(field, value, fallback, 0, 'non-negative');
}

/**
 * A positive, finite duration in milliseconds.
 *
 * @example
 * ```ts
 * import { positiveMs } from 'distkit/core';
 * positiveMs('heartbeatMs', 50); //=> 50
 * ```
 */
export function positiveMs(field: string, value: unknown, fallback?: number): number {
  return msAbove(field, value, fallback, false);
}

/**
 * A non-negative, finite duration in milliseconds.
 *
 * @example
 * ```ts
 * import { nonNegativeMs } from 'distkit/core';
 * nonNegativeMs('delayMs', undefined, 0); //=> 0
 * ```
 */
export function nonNegativeMs(field: string, value: unknown, fallback?: number): number {
  return msAbove(field, value, fallback, true);
}

/**
 * A number option within `[min, max]`.
 *
 * @example
 * ```ts
 * import { numberIn } from 'distkit/core';
 * numberIn('jitter', 0.1, 0, 1); //=> 0.1
 * ```
 */
export function numberIn(field: string, value: unknown, min: number, max: number, fallback?: number): number {
  const x = given(field, value, fallback);
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) throw new ConfigError(field, `must be a number from ${min} to ${max}, got ${describeValue(x)}`);
  return x;
}

/**
 * An integer option within `[min, max]` (a size with a hard cap, a count bounded by another).
 *
 * @example
 * ```ts
 * import { intIn } from 'distkit/core';
 * intIn('buckets', 10, 1, 10_000); //=> 10
 * ```
 */
export function intIn(field: string, value: unknown, min: number, max: number, fallback?: number): number {
  const x = given(field, value, fallback);
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min || x > max) throw new ConfigError(field, `must be an integer from ${min} to ${max}, got ${describeValue(x)}`);
  return x;
}

/**
 * Checks that an options argument is an object (not `null`, not a primitive) before its fields
 * are read; throws {@link ConfigError} naming `field` with `problem` otherwise. Options come from
 * users' code and config files: a missing or mistyped one must be named, not crash on a property
 * read.
 *
 * @example
 * ```ts
 * import { checkObject, ConfigError } from 'distkit/core';
 * checkObject('options', { retries: 3 }); // passes, and narrows to an object
 * let problem = '';
 * try {
 *   checkObject('options', null);
 * } catch (e) {
 *   problem = (e as ConfigError).message;
 * }
 * problem; //=> 'options: must be an object'
 * ```
 */
export function checkObject(field: string, value: unknown, problem = 'must be an object'): asserts value is object {
  if (value === null || typeof value !== 'object') throw new ConfigError(field, problem);
}
