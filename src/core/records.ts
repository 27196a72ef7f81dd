/**
 * Safe access to tables keyed by peer-controlled strings, and the bounds on everything a peer can
 * grow or raise.
 *
 * A peer may name itself, a transaction or a key `__proto__`, `constructor` or `toString`. On a
 * plain object `record[id]` then reads `Object.prototype`'s members, `id in record` is true for
 * keys nobody stored, and `record[id] = x` can replace the object's prototype. These helpers only
 * ever touch own properties, and define properties instead of assigning them.
 *
 * @packageDocumentation
 */

/**
 * True when `record` has `key` as an own property (never an inherited one such as `constructor`).
 *
 * @example
 * ```ts
 * import { hasOwn } from 'distkit/core';
 * hasOwn({ a: 1 }, 'a');           //=> true
 * hasOwn({ a: 1 }, 'constructor'); //=> false
 * ```
 */
export function hasOwn(record: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(record, key);
}

/**
 * The own property `key` of `record`, or `undefined` (never an inherited member).
 *
 * @example
 * ```ts
 * import { getOwn } from 'distkit/core';
 * getOwn({ a: 1 }, 'a');        //=> 1
 * getOwn({ a: 1 }, 'toString'); //=> undefined
 * ```
 */
export function getOwn<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/**
 * A copy of `record` with `key` set to `value`, defined as an own data property (so `__proto__`
 * is stored as a key, not as the prototype). The input is not modified.
 *
 * @example
 * ```ts
 * import { withOwn, getOwn } from 'distkit/core';
 * const r = withOwn({}, '__proto__', 7);
 * getOwn(r, '__proto__'); //=> 7
 * Object.getPrototypeOf(r) === Object.prototype; //=> true
 * ```
 */
export function withOwn<T>(record: Readonly<Record<string, T>>, key: string, value: T): Record<string, T> {
  const out: Record<string, T> = { ...record };
  setOwn(out, key, value);
  return out;
}

/**
 * A copy of `record` without the own property `key`; `record` itself when it has no such key.
 *
 * @example
 * ```ts
 * import { withoutOwn } from 'distkit/core';
 * withoutOwn({ a: 1, b: 2 }, 'a'); //=> { b: 2 }
 * const r = { a: 1 };
 * withoutOwn(r, 'constructor') === r; //=> true
 * ```
 */
export function withoutOwn<T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!Object.prototype.hasOwnProperty.call(record, key)) return record;
  const out: Record<string, T> = { ...record };
  delete out[key];
  return out;
}

/**
 * Sets an own data property on a record the caller owns (a fresh copy being built), even for
 * `__proto__`. Returns the record.
 *
 * @example
 * ```ts
 * import { setOwn } from 'distkit/core';
 * const r: Record<string, number> = {};
 * setOwn(r, '__proto__', 1);
 * Object.keys(r); //=> ['__proto__']
 * ```
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): Record<string, T> {
  // Keys that Object.prototype has (`__proto__` is an accessor; a frozen prototype makes the
  // others read-only) are defined; every other key assigns, which is much faster.
  if (Object.prototype.hasOwnProperty.call(Object.prototype, key)) Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  else record[key] = value;
  return record;
}

/**
 * The largest value accepted for a counter a peer can raise (a term, ballot, timestamp,
 * incarnation, generation, sequence number): 2^53 − 2. A local increment past an accepted value
 * therefore stays an exact integer (`MAX_COUNTER + 1` is still safe), while a value at which
 * `x + 1 === x` can never be reached from the network. Validate peer counters with
 * `v.int({ min: 0, max: MAX_COUNTER })` or {@link isCounter}.
 *
 * @example
 * ```ts
 * import { MAX_COUNTER } from 'distkit/core';
 * MAX_COUNTER + 1 === Number.MAX_SAFE_INTEGER; //=> true
 * ```
 */
export const MAX_COUNTER = Number.MAX_SAFE_INTEGER - 1;

/**
 * True for a non-negative safe integer no larger than {@link MAX_COUNTER}.
 *
 * @example
 * ```ts
 * import { isCounter } from 'distkit/core';
 * isCounter(3);                         //=> true
 * isCounter(Number.MAX_SAFE_INTEGER);   //=> false
 * isCounter(-1);                        //=> false
 * ```
 */
export function isCounter(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x <= MAX_COUNTER;
}

/**
 * Whether a counter can still be advanced by one and stay exact. Machines refuse a local action
 * (with a typed error or a `rejected` output) instead of incrementing past it.
 *
 * @example
 * ```ts
 * import { canIncrement, MAX_COUNTER } from 'distkit/core';
 * canIncrement(MAX_COUNTER);     //=> true
 * canIncrement(MAX_COUNTER + 1); //=> false
 * ```
 */
export function canIncrement(x: number): boolean {
  return x < Number.MAX_SAFE_INTEGER;
}
