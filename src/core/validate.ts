/**
 * Shape checks for untrusted data (peer messages, frames, files). A check returns `undefined` when
 * the value is acceptable and a reason naming the offending path otherwise. Checks never throw.
 *
 * @packageDocumentation
 */

/**
 * A check over untrusted data. Returns `undefined` if `value` conforms, else a reason such as
 * `"entries[3].term: expected an integer >= 0, got -1"`. The phantom `T` is what a passing value is.
 *
 * @example
 * ```ts
 * import { v, type Check } from 'distkit/core';
 * const term: Check<number> = v.int({ min: 0 });
 * term(-1, 'term'); //=> 'term: expected an integer >= 0, got -1'
 * ```
 */
export interface Check<T> {
  (value: unknown, path?: string): string | undefined;
  /** Type-level only: the type a passing value has. Never set at run time. */
  readonly __type?: T;
}

/**
 * The type that values passing a {@link Check} have.
 *
 * @example
 * ```ts
 * import { v, type Infer } from 'distkit/core';
 * const ping = v.object({ type: v.literal('ping'), seq: v.int({ min: 0 }) });
 * type Ping = Infer<typeof ping>; // { type: 'ping'; seq: number }
 * ```
 */
export type Infer<C> = C extends Check<infer T> ? T : never;

/** The property checks of an object check (see {@link v}). */
export type Shape = Record<string, Check<unknown>>;
/** The keys of a shape whose checks are optional. */
export type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalCheck<unknown> ? K : never }[keyof S];
/**
 * The type of values passing `v.object(shape)`: required and optional properties per the shape.
 *
 * @example
 * ```ts
 * import { v, type ObjectOf } from 'distkit/core';
 * type P = ObjectOf<{ n: ReturnType<typeof v.int> }>; // { readonly n: number }
 * ```
 */
export type ObjectOf<S extends Shape> = {
  readonly [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]>;
} & { readonly [K in OptionalKeys<S>]?: Infer<S[K]> };

/**
 * A check for an optional object property (see {@link v}).
 *
 * @example
 * ```ts
 * import { v } from 'distkit/core';
 * const hint = v.optional(v.string()); // the property may be absent
 * ```
 */
export interface OptionalCheck<T> extends Check<T> {
  readonly optional: true;
}

/**
 * Describes a value for an error message: short, and safe on any input (cycles, huge strings).
 *
 * @example
 * ```ts
 * import { describeValue } from 'distkit/core';
 * describeValue(NaN);      //=> 'NaN'
 * describeValue([1, 2]);   //=> 'an array'
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
      return String(value);
    case 'string':
      return value.length > 40 ? `a string of length ${value.length}` : JSON.stringify(value);
    case 'boolean':
      return String(value);
    case 'bigint':
      return 'a bigint';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

const at = (path: string | undefined, problem: string): string => (path ? `${path}: ${problem}` : problem);

/** `true` when `value` is an object created by `{}` / JSON.parse (not an array, class instance or null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function int(opts: { min?: number; max?: number } = {}): Check<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const range =
    opts.min !== undefined && opts.max !== undefined
      ? `in [${min}, ${max}]`
      : opts.min !== undefined
        ? `>= ${min}`
        : opts.max !== undefined
          ? `<= ${max}`
          : 'that is safe';
  return (value, path) =>
    typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max
      ? undefined
      : at(path, `expected an integer ${range}, got ${describeValue(value)}`);
}

function num(opts: { min?: number; max?: number } = {}): Check<number> {
  const min = opts.min ?? -Infinity;
  const max = opts.max ?? Infinity;
  return (value, path) =>
    typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max
      ? undefined
      : at(path, `expected a finite number in [${min}, ${max}], got ${describeValue(value)}`);
}

function str(opts: { minLength?: number; maxLength?: number } = {}): Check<string> {
  const minLength = opts.minLength ?? 0;
  const maxLength = opts.maxLength ?? 1 << 20;
  return (value, path) =>
    typeof value === 'string' && value.length >= minLength && value.length <= maxLength
      ? undefined
      : at(path, `expected a string of length ${minLength}..${maxLength}, got ${describeValue(value)}`);
}

function bool(): Check<boolean> {
  return (value, path) => (typeof value === 'boolean' ? undefined : at(path, `expected a boolean, got ${describeValue(value)}`));
}

function literal<const L extends readonly (string | number | boolean | null)[]>(...values: L): Check<L[number]> {
  return (value, path) =>
    values.includes(value as L[number])
      ? undefined
      : at(path, `expected ${values.map((x) => JSON.stringify(x)).join(' | ')}, got ${describeValue(value)}`);
}

function array<T>(item: Check<T>, opts: { maxLength?: number; minLength?: number } = {}): Check<readonly T[]> {
  const maxLength = opts.maxLength ?? 1 << 20;
  const minLength = opts.minLength ?? 0;
  return (value, path) => {
    if (!Array.isArray(value)) return at(path, `expected an array, got ${describeValue(value)}`);
    if (value.length > maxLength || value.length < minLength)
      return at(path, `expected ${minLength}..${maxLength} items, got ${value.length}`);
    for (let i = 0; i < value.length; i++) {
      const r = item(value[i], `${path ?? ''}[${i}]`);
      if (r !== undefined) return r;
    }
    return undefined;
  };
}

function object<S extends Shape>(shape: S): Check<ObjectOf<S>> {
  const keys = Object.keys(shape);
  return (value, path) => {
    if (!isPlainObject(value)) return at(path, `expected an object, got ${describeValue(value)}`);
    for (const key of keys) {
      const check = shape[key] as Check<unknown> & { optional?: boolean };
      const has = Object.prototype.hasOwnProperty.call(value, key);
      const sub = path ? `${path}.${key}` : key;
      if (!has) {
        if (check.optional) continue;
        return `${sub}: missing`;
      }
      const r = check(value[key], sub);
      if (r !== undefined) return r;
    }
    return undefined;
  };
}

function optional<T>(check: Check<T>): OptionalCheck<T> {
  const c = ((value: unknown, path?: string) => (value === undefined ? undefined : check(value, path))) as Check<T> & {
    optional: true;
  };
  c.optional = true;
  return c as OptionalCheck<T>;
}

function nullable<T>(check: Check<T>): Check<T | null> {
  return (value, path) => (value === null ? undefined : check(value, path));
}

function record<T>(item: Check<T>, opts: { maxKeys?: number } = {}): Check<Readonly<Record<string, T>>> {
  const maxKeys = opts.maxKeys ?? 1 << 16;
  return (value, path) => {
    if (!isPlainObject(value)) return at(path, `expected an object, got ${describeValue(value)}`);
    const keys = Object.keys(value);
    if (keys.length > maxKeys) return at(path, `expected at most ${maxKeys} keys, got ${keys.length}`);
    for (const key of keys) {
      const r = item(value[key], path ? `${path}.${key}` : key);
      if (r !== undefined) return r;
    }
    return undefined;
  };
}

function union<C extends readonly Check<unknown>[]>(...checks: C): Check<Infer<C[number]>> {
  return (value, path) => {
    let first: string | undefined;
    for (const c of checks) {
      const r = c(value, path);
      if (r === undefined) return undefined;
      first ??= r;
    }
    return first ?? at(path, 'no alternative given');
  };
}

/**
 * Checks a discriminated union by its `type` field: each variant's check runs only for its tag.
 */
function tagged<V extends Record<string, Check<unknown>>>(variants: V, tagField = 'type'): Check<Infer<V[keyof V]>> {
  return (value, path) => {
    if (!isPlainObject(value)) return at(path, `expected an object, got ${describeValue(value)}`);
    const tag = value[tagField];
    const sub = path ? `${path}.${tagField}` : tagField;
    if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(variants, tag)) {
      return `${sub}: expected one of ${Object.keys(variants).join(', ')}, got ${describeValue(tag)}`;
    }
    return (variants[tag] as Check<unknown>)(value, path);
  };
}

/** Accepts anything that is JSON data (see {@link plainDataProblem}). */
function json(): Check<unknown> {
  return (value, path) => {
    const r = plainDataProblem(value);
    return r === undefined ? undefined : at(path, r);
  };
}

/**
 * Check combinators for untrusted data. Each returns a {@link Check}.
 *
 * @example
 * ```ts
 * import { v } from 'distkit/core';
 * const vote = v.object({
 *   type: v.literal('vote'),
 *   term: v.int({ min: 0 }),
 *   granted: v.boolean(),
 *   hint: v.optional(v.string({ maxLength: 256 })),
 * });
 * vote({ type: 'vote', term: 2, granted: true });    //=> undefined
 * vote({ type: 'vote', term: 2.5, granted: true });  //=> 'term: expected an integer >= 0, got 2.5'
 * ```
 */
export const v = {
  /** A safe integer, optionally within `[min, max]`. */
  int,
  /** A finite number, optionally within `[min, max]`. */
  number: num,
  /** A string whose length is within `[minLength, maxLength]` (default max 1 MiB). */
  string: str,
  /** A boolean. */
  boolean: bool,
  /** One of the given literal values. */
  literal,
  /** An array of bounded length whose items all pass `item`. */
  array,
  /** A plain object with the given properties (extra properties are allowed and ignored). */
  object,
  /** Marks an object property as optional. */
  optional,
  /** The check, or `null`. */
  nullable,
  /** A plain object used as a dictionary: every value passes `item`; at most `maxKeys` keys. */
  record,
  /** Passes when any of the checks passes; reports the first check's reason otherwise. */
  union,
  /** A discriminated union: dispatches on the `type` field to the matching variant's check. */
  tagged,
  /** Any plain JSON data (no NaN, undefined, class instances or cycles). */
  json,
} as const;

/**
 * Narrows `value` to the checked type when it passes.
 *
 * @example
 * ```ts
 * import { v, conforms } from 'distkit/core';
 * const data: unknown = JSON.parse('{"n":1}');
 * if (conforms(v.object({ n: v.int() }), data)) data.n; // typed as number
 * ```
 */
export function conforms<T>(check: Check<T>, value: unknown): value is T {
  return check(value) === undefined;
}

/**
 * Finds why `value` is not plain JSON data (the machine contract's rule 5): returns `undefined`
 * for plain data, or a reason naming the path of the first offending part (`undefined`, NaN,
 * Infinity, bigint, functions, symbols, class instances such as Map/Set/Date, cycles).
 *
 * @example
 * ```ts
 * import { plainDataProblem } from 'distkit/core';
 * plainDataProblem({ a: [1, 'x', null] }); //=> undefined
 * plainDataProblem({ a: new Map() });      //=> 'a: not a plain object or array (Map)'
 * ```
 */
export function plainDataProblem(value: unknown, path = '', seen: Set<object> = new Set()): string | undefined {
  const here = path === '' ? 'value' : path;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${here}: non-finite number ${String(value)}`;
    case 'object': {
      if (value === null) return undefined;
      if (seen.has(value)) return `${here}: cycle`;
      if (Array.isArray(value)) {
        seen.add(value);
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) return `${path}[${i}]: hole in array`;
          const r = plainDataProblem(value[i], `${path}[${i}]`, seen);
          if (r !== undefined) return r;
        }
        seen.delete(value);
        return undefined;
      }
      if (!isPlainObject(value)) {
        const ctor = (value as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
        return `${here}: not a plain object or array (${ctor})`;
      }
      seen.add(value);
      for (const key of Object.keys(value)) {
        const r = plainDataProblem(value[key], path === '' ? key : `${path}.${key}`, seen);
        if (r !== undefined) return r;
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return `${here}: ${typeof value} is not JSON data`;
  }
}
