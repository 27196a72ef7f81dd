import { MAX_ID_LENGTH, describeValue } from '../core/index.js';

/**
 * The outcome of validating untrusted data (a peer's clock or timestamp): the value, typed, or the
 * reason it was refused. Validators never throw on peer data.
 *
 * @example
 * ```ts
 * import { parseVectorClock, type ParseResult, type VectorClock } from 'distkit/clocks';
 * const r: ParseResult<VectorClock> = parseVectorClock(JSON.parse('{"a":-1}'));
 * if (!r.ok) r.reason; //=> 'a: expected an integer >= 0, got -1'
 * ```
 */
export type ParseResult<T> = ParseOk<T> | ParseError;

/**
 * A successful {@link ParseResult}.
 *
 * @example
 * ```ts
 * import type { ParseOk } from 'distkit/clocks';
 * const r: ParseOk<number> = { ok: true, value: 3 };
 * ```
 */
export interface ParseOk<T> {
  /** Always `true`: the input conformed. */
  readonly ok: true;
  /** The validated value. */
  readonly value: T;
}

/**
 * A refused {@link ParseResult}, with the reason naming the offending path.
 *
 * @example
 * ```ts
 * import type { ParseError } from 'distkit/clocks';
 * const r: ParseError = { ok: false, reason: 'time: expected an integer >= 0, got NaN' };
 * ```
 */
export interface ParseError {
  /** Always `false`: the input was refused. */
  readonly ok: false;
  /** Why, naming the offending path and value. */
  readonly reason: string;
}

/**
 * Why `id` is not acceptable as a node id (a key of a vector clock), or `undefined` if it is: a
 * non-empty string of at most `MAX_ID_LENGTH` (from `distkit/core`) characters that is not a property name of
 * `Object.prototype` (`__proto__`, `constructor`, `toString`...), so that plain-object clocks can
 * never be used to reach or replace a prototype.
 *
 * @example
 * ```ts
 * import { nodeIdProblem } from 'distkit/clocks';
 * nodeIdProblem('a');         //=> undefined
 * nodeIdProblem('__proto__'); //=> 'node id "__proto__" is reserved (an Object.prototype property)'
 * ```
 */
export function nodeIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return `node id: expected a string, got ${describeValue(id)}`;
  if (id.length === 0) return 'node id: expected a non-empty string';
  if (id.length > MAX_ID_LENGTH) return `node id: longer than ${MAX_ID_LENGTH} characters`;
  if (id in Object.prototype) return `node id ${JSON.stringify(id)} is reserved (an Object.prototype property)`;
  return undefined;
}

/** Why `x` is not a counter (safe integer >= 0), or `undefined`. @internal */
export function counterProblem(x: unknown, path: string): string | undefined {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
    ? undefined
    : `${path}: expected an integer >= 0, got ${describeValue(x)}`;
}

/** @internal */
export const ok = <T>(value: T): ParseOk<T> => ({ ok: true, value });
/** @internal */
export const fail = (reason: string): ParseError => ({ ok: false, reason });

/**
 * The parse step shared by validators built on a `…Problem` function: refuse `value` with the
 * problem `problemOf` finds, otherwise return the fresh copy `copy` makes of it (only the declared
 * fields, so nothing else a peer sent is kept). @internal
 */
export function parseChecked<T>(value: unknown, problemOf: (value: unknown) => string | undefined, copy: (checked: T) => T): ParseResult<T> {
  const p = problemOf(value);
  return p === undefined ? ok(copy(value as T)) : fail(p);
}
