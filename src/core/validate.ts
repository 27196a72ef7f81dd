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
  /**
   * Copies a value that passed this check, keeping only what the check validated (an object
   * check drops undeclared properties). Set by every combinator of {@link v}; {@link parse} uses
   * it so that a machine never stores a field it did not check.
   */
  readonly copy?: (value: unknown) => T;
}

/**
 * The type that values passing a {@link Check} have.
 *
 * @example
 * ```ts
 * import { v, parse, type Infer } from 'distkit/core';
 * const ping = v.object({ type: v.literal('ping'), seq: v.int({ min: 0 }) });
 * type Ping = Infer<typeof ping>; // { type: 'ping'; seq: number }
 * const r = parse(ping, JSON.parse('{"type":"ping","seq":3}'));
 * const p: Ping | null = r.ok ? r.value : null;
 * p; //=> { type: 'ping', seq: 3 }
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
 * import { v, parse, type ObjectOf } from 'distkit/core';
 * type P = ObjectOf<{ n: ReturnType<typeof v.int> }>; // { readonly n: number }
 * const r = parse(v.object({ n: v.int() }), { n: 1, extra: true });
 * // Unknown fields are dropped: a parsed value has exactly the fields its type names.
 * const value: P | null = r.ok ? r.value : null;
 * [value, r.ok ? '' : r.problem]; //=> [{ n: 1 }, '']
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
 * import { v, parse } from 'distkit/core';
 * const hello = v.object({ type: v.literal('hello'), hint: v.optional(v.string()) });
 * // The property may be absent, but when present it must conform.
 * [parse(hello, { type: 'hello' }).ok, parse(hello, { type: 'hello', hint: 'x' }).ok, parse(hello, { type: 'hello', hint: 3 }).ok]; //=> [true, true, false]
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

function withCopy<T>(check: (value: unknown, path?: string) => string | undefined, copy: (value: unknown) => T): Check<T> {
  (check as { copy?: (value: unknown) => T }).copy = copy;
  return check as Check<T>;
}

const copyOf = (check: Check<unknown>): ((value: unknown) => unknown) => check.copy ?? ((x) => x);

function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // Keys that Object.prototype has (`__proto__` is an accessor; a frozen prototype makes the
  // others read-only) are defined; every other key assigns, which is much faster.
  if (Object.prototype.hasOwnProperty.call(Object.prototype, key)) Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

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
  const copyItem = copyOf(item);
  return withCopy(
    (value, path) => {
      if (!Array.isArray(value)) return at(path, `expected an array, got ${describeValue(value)}`);
      if (value.length > maxLength || value.length < minLength)
        return at(path, `expected ${minLength}..${maxLength} items, got ${value.length}`);
      for (let i = 0; i < value.length; i++) {
        const r = item(value[i], `${path ?? ''}[${i}]`);
        if (r !== undefined) return r;
      }
      return undefined;
    },
    (value) => (value as unknown[]).map((x) => copyItem(x)) as readonly T[],
  );
}

function object<S extends Shape>(shape: S): Check<ObjectOf<S>> {
  const keys = Object.keys(shape);
  // Scalars need no copy; shape keys other than Object.prototype's members assign directly.
  const copies = keys.map((k) => (shape[k] as Check<unknown>).copy);
  const assignable = keys.map((k) => !Object.prototype.hasOwnProperty.call(Object.prototype, k));
  return withCopy(
    (value, path) => {
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
    },
    (value) => {
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!;
        if (!Object.prototype.hasOwnProperty.call(src, key)) continue;
        const x = src[key];
        if (x === undefined) continue;
        const copy = copies[i];
        const y = copy === undefined ? x : copy(x);
        if (assignable[i]) out[key] = y;
        else defineOwn(out, key, y);
      }
      return out as ObjectOf<S>;
    },
  );
}

function optional<T>(check: Check<T>): OptionalCheck<T> {
  const copy = copyOf(check);
  const c = withCopy((value: unknown, path?: string) => (value === undefined ? undefined : check(value, path)), (x) =>
    x === undefined ? undefined : copy(x),
  ) as Check<T> & { optional: true };
  c.optional = true;
  return c as OptionalCheck<T>;
}

function nullable<T>(check: Check<T>): Check<T | null> {
  const copy = copyOf(check);
  return withCopy(
    (value, path) => (value === null ? undefined : check(value, path)),
    (x) => (x === null ? null : (copy(x) as T)),
  );
}

function record<T>(item: Check<T>, opts: { maxKeys?: number } = {}): Check<Readonly<Record<string, T>>> {
  const maxKeys = opts.maxKeys ?? 1 << 16;
  const copyItem = copyOf(item);
  return withCopy(
    (value, path) => {
      if (!isPlainObject(value)) return at(path, `expected an object, got ${describeValue(value)}`);
      const keys = Object.keys(value);
      if (keys.length > maxKeys) return at(path, `expected at most ${maxKeys} keys, got ${keys.length}`);
      for (const key of keys) {
        const r = item(value[key], path ? `${path}.${key}` : key);
        if (r !== undefined) return r;
      }
      return undefined;
    },
    (value) => {
      const src = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(src)) defineOwn(out, key, copyItem(src[key]));
      return out as Readonly<Record<string, T>>;
    },
  );
}

function union<C extends readonly Check<unknown>[]>(...checks: C): Check<Infer<C[number]>> {
  return withCopy(
    (value, path) => {
      let first: string | undefined;
      for (const c of checks) {
        const r = c(value, path);
        if (r === undefined) return undefined;
        first ??= r;
      }
      return first ?? at(path, 'no alternative given');
    },
    (value) => {
      for (const c of checks) if (c(value) === undefined) return copyOf(c)(value) as Infer<C[number]>;
      return value as Infer<C[number]>;
    },
  );
}

/**
 * Checks a discriminated union by its `type` field: each variant's check runs only for its tag.
 */
function tagged<V extends Record<string, Check<unknown>>>(variants: V, tagField = 'type'): Check<Infer<V[keyof V]>> {
  return withCopy(
    (value, path) => {
      if (!isPlainObject(value)) return at(path, `expected an object, got ${describeValue(value)}`);
      const tag = Object.prototype.hasOwnProperty.call(value, tagField) ? value[tagField] : undefined;
      const sub = path ? `${path}.${tagField}` : tagField;
      if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(variants, tag)) {
        return `${sub}: expected one of ${Object.keys(variants).join(', ')}, got ${describeValue(tag)}`;
      }
      return (variants[tag] as Check<unknown>)(value, path);
    },
    (value) => copyOf(variants[(value as Record<string, string>)[tagField]!] as Check<unknown>)(value) as Infer<V[keyof V]>,
  );
}

/**
 * Accepts plain JSON data (see {@link plainDataProblem}) within `limits` (default
 * {@link PAYLOAD_LIMITS}): an opaque payload from a peer is checked iteratively, so no nesting
 * depth can overflow the stack, and its size is bounded before it is stored.
 */
function json(limits: Partial<DataLimits> = {}): Check<unknown> {
  const full: DataLimits = { ...PAYLOAD_LIMITS, ...limits };
  return withCopy(
    (value, path) => {
      const r = plainDataProblem(value, '', full);
      return r === undefined ? undefined : at(path, r);
    },
    // The value passed the check: bounded, acyclic plain data. JSON.parse defines `__proto__`
    // keys as own properties, so the copy is safe to store.
    (value) => (value === undefined ? undefined : (JSON.parse(JSON.stringify(value)) as unknown)),
  );
}

/**
 * A node id from a peer: a non-empty string of at most {@link MAX_ID_LENGTH} characters.
 */
function id(): Check<string> {
  return str({ minLength: 1, maxLength: MAX_ID_LENGTH });
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
  /** Plain JSON data (no NaN, undefined, class instances or cycles) within depth and size limits. */
  json,
  /** A node id: a non-empty string of at most {@link MAX_ID_LENGTH} characters. */
  id,
} as const;

/**
 * The longest node id (or other peer-chosen name) a machine accepts from the network.
 *
 * @example
 * ```ts
 * import { MAX_ID_LENGTH, v } from 'distkit/core';
 * v.id()('x'.repeat(MAX_ID_LENGTH + 1)) !== undefined; //=> true
 * ```
 */
export const MAX_ID_LENGTH = 256;

/**
 * Bounds on an opaque value: how deep it may nest and about how large its JSON text may be.
 *
 * @example
 * ```ts
 * import { plainDataProblem, type DataLimits } from 'distkit/core';
 * const small: DataLimits = { maxDepth: 3, maxBytes: 4096 };
 * // Untrusted JSON data deeper than the limit is refused before anything walks it.
 * [plainDataProblem({ a: { b: 1 } }, 'op', small), plainDataProblem({ a: { b: { c: { d: 1 } } } }, 'op', small)]; //=> [undefined, 'op.a.b.c: nested deeper than 3']
 * ```
 */
export interface DataLimits {
  /** Deepest nesting of arrays and objects (a scalar is depth 0, `[1]` depth 1). */
  readonly maxDepth: number;
  /** Largest size, counted as the length of the value's JSON text (UTF-16 code units). */
  readonly maxBytes: number;
}

/**
 * The default limits on an opaque payload from a peer (a command, a value, an application
 * message): 64 levels deep, 1 MiB of JSON text. Machines that carry payloads take these as
 * configurable options.
 *
 * @example
 * ```ts
 * import { PAYLOAD_LIMITS } from 'distkit/core';
 * PAYLOAD_LIMITS.maxDepth; //=> 64
 * ```
 */
export const PAYLOAD_LIMITS: DataLimits = Object.freeze({ maxDepth: 64, maxBytes: 1 << 20 });

/**
 * The result of {@link parse}: the cleaned value, or the reason it was refused.
 *
 * @example
 * ```ts
 * import { v, parse, type Parsed } from 'distkit/core';
 * const term = v.int({ min: 0 });
 * const results: Parsed<number>[] = [parse(term, 4, 'term'), parse(term, -1, 'term')];
 * results; //=> [{ ok: true, value: 4 }, { ok: false, problem: 'term: expected an integer >= 0, got -1' }]
 * ```
 */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/**
 * Checks untrusted data and returns a copy holding only what the check validated: undeclared
 * properties of objects are dropped, keys are own properties, opaque payloads are deep-copied.
 * Store the returned value, never the input.
 *
 * @example
 * ```ts
 * import { v, parse } from 'distkit/core';
 * const ping = v.object({ type: v.literal('ping'), seq: v.int({ min: 0 }) });
 * parse(ping, { type: 'ping', seq: 1, junk: 'x'.repeat(100) }); //=> { ok: true, value: { type: 'ping', seq: 1 } }
 * parse(ping, { type: 'ping' });                                 //=> { ok: false, problem: 'seq: missing' }
 * ```
 */
export function parse<T>(check: Check<T>, value: unknown, path?: string): Parsed<T> {
  const problem = check(value, path);
  if (problem !== undefined) return { ok: false, problem };
  return { ok: true, value: check.copy ? check.copy(value) : (value as T) };
}

/**
 * Narrows `value` to the checked type when it passes.
 *
 * @example
 * ```ts
 * import { v, conforms } from 'distkit/core';
 * const data: unknown = JSON.parse('{"n":1}');
 * // A type guard: inside the branch data.n is a number.
 * conforms(v.object({ n: v.int() }), data) ? data.n + 1 : null; //=> 2
 * ```
 */
export function conforms<T>(check: Check<T>, value: unknown): value is T {
  return check(value) === undefined;
}

/**
 * Finds why `value` is not plain JSON data (the machine contract's rule 5): returns `undefined`
 * for plain data, or a reason naming the path of the first offending part (`undefined`, NaN,
 * Infinity, bigint, functions, symbols, class instances such as Map/Set/Date, cycles, holes).
 * The walk is iterative, so no depth overflows the stack; `limits` bounds depth (default 10,000)
 * and JSON size (default unbounded). JSON.stringify itself recurses, so a state deeper than
 * the default 1,000 levels is refused as not serializable everywhere.
 *
 * @example
 * ```ts
 * import { plainDataProblem } from 'distkit/core';
 * plainDataProblem({ a: [1, 'x', null] }); //=> undefined
 * plainDataProblem({ a: new Map() });      //=> 'a: not a plain object or array (Map)'
 * plainDataProblem([[[1]]], '', { maxDepth: 2, maxBytes: 100 }); //=> '[0][0]: nested deeper than 2'
 * ```
 */
export function plainDataProblem(value: unknown, path = '', limits: Partial<DataLimits> = {}): string | undefined {
  const maxDepth = limits.maxDepth ?? 1000;
  const maxBytes = limits.maxBytes ?? Infinity;
  let bytes = 0;
  // Frames: a value to visit, or (value === EXIT) the end of an object on the current path.
  const values: unknown[] = [value];
  const paths: string[] = [path];
  const depths: number[] = [0];
  const onPath = new Set<object>();
  while (values.length > 0) {
    const x = values.pop();
    const p = paths.pop()!;
    const depth = depths.pop()!;
    if (x === EXIT) {
      onPath.delete(p as unknown as object);
      continue;
    }
    const here = p === '' ? 'value' : p;
    switch (typeof x) {
      case 'string':
        bytes += x.length + 2;
        break;
      case 'boolean':
        bytes += 5;
        break;
      case 'number':
        if (!Number.isFinite(x)) return `${here}: non-finite number ${String(x)}`;
        bytes += 8;
        break;
      case 'object': {
        bytes += 2;
        if (x === null) break;
        if (onPath.has(x)) return `${here}: cycle`;
        if (depth >= maxDepth) return `${here}: nested deeper than ${maxDepth}`;
        if (Array.isArray(x)) {
          bytes += x.length;
          if (bytes > maxBytes) return `${here}: larger than ${maxBytes} bytes of JSON`;
          values.push(EXIT);
          paths.push(x as unknown as string);
          depths.push(0);
          onPath.add(x);
          for (let i = x.length - 1; i >= 0; i--) {
            if (!(i in x)) return `${p}[${i}]: hole in array`;
            values.push(x[i]);
            paths.push(`${p}[${i}]`);
            depths.push(depth + 1);
          }
          break;
        }
        if (!isPlainObject(x)) {
          const ctor = (x as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
          return `${here}: not a plain object or array (${ctor})`;
        }
        const keys = Object.keys(x);
        values.push(EXIT);
        paths.push(x as unknown as string);
        depths.push(0);
        onPath.add(x);
        for (let i = keys.length - 1; i >= 0; i--) {
          const key = keys[i]!;
          bytes += key.length + 4;
          values.push(x[key]);
          paths.push(p === '' ? key : `${p}.${key}`);
          depths.push(depth + 1);
        }
        break;
      }
      default:
        return `${here}: ${typeof x} is not JSON data`;
    }
    if (bytes > maxBytes) return `${here}: larger than ${maxBytes} bytes of JSON`;
  }
  return undefined;
}

const EXIT: unique symbol = Symbol('exit');
