import type { NodeId } from '../core/index.js';
import { ClockError, describeValue, isPlainObject } from '../core/index.js';
import { counterProblem, fail, nodeIdProblem, ok, type ParseResult } from './parse.js';
import type { VectorClock, VectorClockLimits } from './vector.js';
import { assertNodeId, EMPTY_VECTOR_CLOCK, mergeVectorClocks, parseVectorClock, vectorClockEntry } from './vector.js';

/**
 * A version vector: the causal context of a replicated value (Parker et al. 1983, "Detection of
 * Mutual Inconsistency in Distributed Systems"), the same data as a {@link VectorClock} with one
 * entry per replica that coordinated writes.
 *
 * @example
 * ```ts
 * import { VERSIONED_EMPTY, versionedGet, versionedPut, type VersionVector } from 'distkit/clocks';
 * const v1 = versionedPut(VERSIONED_EMPTY, 'r1', {}, 'milk');
 * // A read returns the context: the version vector of what it saw. A put with it replaces those values.
 * const ctx: VersionVector = versionedGet(v1).context;
 * [ctx, versionedGet(versionedPut(v1, 'r2', ctx, 'milk, eggs')).values]; //=> [{ r1: 1 }, ['milk, eggs']]
 * ```
 */
export type VersionVector = VectorClock;

/**
 * The identity of one write: the replica that coordinated it and that replica's counter for it.
 *
 * @example
 * ```ts
 * import { VERSIONED_EMPTY, versionedPut, type Dot } from 'distkit/clocks';
 * // Each put gets a dot: the writing node and its next counter.
 * const v = versionedPut(versionedPut(VERSIONED_EMPTY, 'r1', {}, 'a'), 'r1', {}, 'b');
 * const dots: Dot[] = v.siblings.map((s) => s.dot);
 * dots; //=> [{ node: 'r1', counter: 1 }, { node: 'r1', counter: 2 }]
 * ```
 */
export interface Dot {
  /** The coordinating replica. */
  readonly node: NodeId;
  /** Its write counter (≥ 1), unique per node. */
  readonly counter: number;
}

/**
 * One concurrent version of a value: the value, the dot of the write that made it, and the causal
 * context the writer had read (Preguiça, Baquero, Almeida, Fonte, Gonçalves 2010, "Dotted Version
 * Vectors" §4: a version vector plus a separate dot).
 *
 * @example
 * ```ts
 * import { VERSIONED_EMPTY, versionedPut, type Sibling } from 'distkit/clocks';
 * // Two writes with an empty context are concurrent: both are kept as siblings.
 * const v = versionedPut(versionedPut(VERSIONED_EMPTY, 'r1', {}, 'cart:[milk]'), 'r2', {}, 'cart:[eggs]');
 * const siblings: readonly Sibling<string>[] = v.siblings;
 * siblings; //=> [{ value: 'cart:[milk]', dot: { node: 'r1', counter: 1 }, context: {} }, { value: 'cart:[eggs]', dot: { node: 'r2', counter: 1 }, context: {} }]
 * ```
 */
export interface Sibling<V> {
  /** The written value. */
  readonly value: V;
  /** The write's identity. */
  readonly dot: Dot;
  /** What the writer had seen (the context it passed to put). */
  readonly context: VersionVector;
}

/**
 * The versions of one key at a replica (a dotted version vector set, Almeida, Baquero, Gonçalves,
 * Preguiça, Fonte 2014, "Scalable and Accurate Causality Tracking for Eventually Consistent
 * Stores" §5): the concurrent siblings, none superseding another, and `seen`, the causal context of
 * everything this replica has seen of the key, superseded writes included.
 *
 * @example
 * ```ts
 * import { VERSIONED_EMPTY, versionedPut, versionedSync, type VersionedValue } from 'distkit/clocks';
 * const a: VersionedValue<number> = versionedPut(VERSIONED_EMPTY, 'r1', {}, 1);
 * const b: VersionedValue<number> = versionedPut(VERSIONED_EMPTY, 'r2', {}, 2);
 * // Replicas merge by syncing: concurrent values both survive, and `seen` covers both writes.
 * versionedSync(a, b); //=> { siblings: [{ value: 1, dot: { node: 'r1', counter: 1 }, context: {} }, { value: 2, dot: { node: 'r2', counter: 1 }, context: {} }], seen: { r1: 1, r2: 1 } }
 * ```
 */
export interface VersionedValue<V> {
  /** The concurrent versions (several after concurrent writes, none when never written). */
  readonly siblings: readonly Sibling<V>[];
  /** Everything seen: the siblings' dots and contexts and those of the writes they superseded. */
  readonly seen: VersionVector;
}

/**
 * A key never written: no siblings, nothing seen.
 *
 * @example
 * ```ts
 * import { VERSIONED_EMPTY, versionedGet } from 'distkit/clocks';
 * versionedGet(VERSIONED_EMPTY); //=> { values: [], context: {} }
 * ```
 */
export const VERSIONED_EMPTY: VersionedValue<never> = Object.freeze({ siblings: Object.freeze([]) as readonly never[], seen: EMPTY_VECTOR_CLOCK });

/**
 * What a read returns (Dynamo §4.4, DeCandia et al. 2007): every concurrent value, and the context
 * to pass back with the next write so that it supersedes them all.
 *
 * @example
 * ```ts
 * import { versionedGet, VERSIONED_EMPTY, type VersionedRead } from 'distkit/clocks';
 * const r: VersionedRead<number> = versionedGet(VERSIONED_EMPTY); //=> { values: [], context: {} }
 * ```
 */
export interface VersionedRead<V> {
  /** The siblings' values (several when writes were concurrent). */
  readonly values: readonly V[];
  /** The causal context covering every sibling read. */
  readonly context: VersionVector;
}

function covers(context: VersionVector, dot: Dot): boolean {
  return vectorClockEntry(context, dot.node) >= dot.counter;
}

const sameDot = (a: Dot, b: Dot) => a.node === b.node && a.counter === b.counter;

/**
 * Reads a key: all sibling values and the context to write back with (Dynamo §4.4: "the client
 * must perform the reconciliation"; pass `context` to the next {@link versionedPut}).
 *
 * @example
 * ```ts
 * import { versionedGet, versionedPut, VERSIONED_EMPTY } from 'distkit/clocks';
 * let s = versionedPut<string>(VERSIONED_EMPTY, 'r1', {}, 'a');
 * s = versionedPut(s, 'r1', {}, 'b'); // written without having read 'a': concurrent
 * versionedGet(s); //=> { values: ['a', 'b'], context: { r1: 2 } }
 * ```
 */
export function versionedGet<V>(value: VersionedValue<V>): VersionedRead<V> {
  return { values: value.siblings.map((s) => s.value), context: value.seen };
}

/**
 * Writes a value at replica `node`, given the `context` the client read (`{}` for a blind write).
 * The write gets a fresh dot (node, the node's highest counter seen + 1); siblings whose dot the
 * context covers are superseded and dropped; the others stay as concurrent siblings (Dynamo §4.4,
 * in the dotted form of Preguiça et al. 2010 §5, which keeps two writes with the same context at
 * the same replica as siblings where a plain server-side version vector would lose one of them).
 *
 * `node` and `context` are local inputs; a context from a remote client should first pass
 * {@link parseVectorClock}. Throws {@link ClockError} on an invalid node id.
 *
 * @example
 * ```ts
 * import { versionedGet, versionedPut, VERSIONED_EMPTY } from 'distkit/clocks';
 * let s = versionedPut<string>(VERSIONED_EMPTY, 'r1', {}, 'v1');
 * const { context } = versionedGet(s);
 * s = versionedPut(s, 'r1', context, 'v2'); // read-modify-write: supersedes v1
 * versionedGet(s).values; //=> ['v2']
 * ```
 */
export function versionedPut<V>(value: VersionedValue<V>, node: NodeId, context: VersionVector, v: V): VersionedValue<V> {
  assertNodeId(node, 'versionedPut');
  const counter = Math.max(vectorClockEntry(value.seen, node), vectorClockEntry(context, node)) + 1;
  if (counter > Number.MAX_SAFE_INTEGER) throw new ClockError('versionedPut: write counter would exceed 2^53 - 1');
  const siblings = value.siblings.filter((s) => !covers(context, s.dot));
  siblings.push({ value: v, dot: { node, counter }, context });
  const seen = mergeVectorClocks(mergeVectorClocks(value.seen, context), { [node]: counter });
  return { siblings, seen };
}

/**
 * Joins the versions of the same key from two replicas (anti-entropy, read repair; Almeida et al.
 * 2014 §5, sync): a sibling survives if both sides hold it, or if the other side has not seen its
 * dot (had it, it would only have dropped it for a write that superseded it). Commutative,
 * associative and idempotent up to sibling order.
 *
 * @example
 * ```ts
 * import { versionedGet, versionedPut, versionedSync, VERSIONED_EMPTY } from 'distkit/clocks';
 * const a = versionedPut(VERSIONED_EMPTY, 'r1', {}, 'x');
 * const b = versionedPut(VERSIONED_EMPTY, 'r2', {}, 'y');
 * versionedGet(versionedSync(a, b)).values; //=> ['x', 'y']
 * ```
 */
export function versionedSync<V>(a: VersionedValue<V>, b: VersionedValue<V>): VersionedValue<V> {
  const siblings: Sibling<V>[] = [];
  const holds = (x: VersionedValue<V>, d: Dot) => x.siblings.some((s) => sameDot(s.dot, d));
  for (const s of a.siblings) if (!covers(b.seen, s.dot) || holds(b, s.dot)) siblings.push(s);
  for (const s of b.siblings) if (!covers(a.seen, s.dot) && !holds(a, s.dot)) siblings.push(s);
  return { siblings, seen: mergeVectorClocks(a.seen, b.seen) };
}

/**
 * Validates the versions of a key received from a peer replica: `{ siblings, seen }` where
 * `siblings` is an array (at most `maxSiblings`, default 256) of `{ value, dot: { node,
 * counter ≥ 1 }, context }` with valid contexts and distinct dots, and `seen` a valid version
 * vector covering every dot. `parseValue` validates each value (default: accept any value).
 *
 * @example
 * ```ts
 * import { parseVersionedValue } from 'distkit/clocks';
 * parseVersionedValue({ siblings: [{ value: 1, dot: { node: 'r1', counter: 1 }, context: {} }], seen: { r1: 1 } }).ok; //=> true
 * parseVersionedValue({ siblings: [{ value: 1, dot: { node: 'r1', counter: 0 }, context: {} }], seen: {} }).ok;        //=> false
 * ```
 */
export function parseVersionedValue<V = unknown>(
  value: unknown,
  options: VersionedValueLimits<V> = {},
): ParseResult<VersionedValue<V>> {
  const maxSiblings = options.maxSiblings ?? 256;
  if (!isPlainObject(value)) return fail(`versioned value: expected an object, got ${describeValue(value)}`);
  const list = value['siblings'];
  if (!Array.isArray(list)) return fail(`siblings: expected an array, got ${describeValue(list)}`);
  if (list.length > maxSiblings) return fail(`siblings: expected at most ${maxSiblings}, got ${list.length}`);
  const seen = parseVectorClock(value['seen'], options);
  if (!seen.ok) return fail(`seen: ${seen.reason}`);
  const siblings: Sibling<V>[] = [];
  const dots = new Set<string>();
  for (let i = 0; i < list.length; i++) {
    const s: unknown = list[i];
    const at = `siblings[${i}]`;
    if (!isPlainObject(s)) return fail(`${at}: expected an object, got ${describeValue(s)}`);
    const dot = s['dot'];
    if (!isPlainObject(dot)) return fail(`${at}.dot: expected an object, got ${describeValue(dot)}`);
    const np = nodeIdProblem(dot['node']);
    if (np !== undefined) return fail(`${at}.dot.node: ${np}`);
    const cp = counterProblem(dot['counter'], `${at}.dot.counter`);
    if (cp !== undefined) return fail(cp);
    const d: Dot = { node: dot['node'] as NodeId, counter: dot['counter'] as number };
    if (d.counter === 0) return fail(`${at}.dot.counter: expected an integer >= 1, got 0`);
    const key = `${d.counter}@${d.node}`;
    if (dots.has(key)) return fail(`${at}.dot: duplicate dot ${key}`);
    dots.add(key);
    if (!covers(seen.value, d)) return fail(`${at}.dot: ${key} is not covered by seen`);
    const ctx = parseVectorClock(s['context'], options);
    if (!ctx.ok) return fail(`${at}.context: ${ctx.reason}`);
    let v: V;
    if (options.parseValue) {
      const r = options.parseValue(s['value']);
      if (!r.ok) return fail(`${at}.value: ${r.reason}`);
      v = r.value;
    } else {
      if (!Object.prototype.hasOwnProperty.call(s, 'value')) return fail(`${at}.value: missing`);
      v = s['value'] as V;
    }
    siblings.push({ value: v, dot: d, context: ctx.value });
  }
  return ok({ siblings, seen: seen.value });
}

/**
 * Options of {@link parseVersionedValue}.
 *
 * @example
 * ```ts
 * import { parseVersionedValue, type VersionedValueLimits } from 'distkit/clocks';
 * const limits: VersionedValueLimits<number> = { maxSiblings: 16, parseValue: (v) => (typeof v === 'number' ? { ok: true, value: v } : { ok: false, reason: 'not a number' }) };
 * // A peer's value is parsed with the application's own value check.
 * parseVersionedValue({ siblings: [{ value: 'x', dot: { node: 'r1', counter: 1 }, context: {} }], seen: { r1: 1 } }, limits); //=> { ok: false, reason: 'siblings[0].value: not a number' }
 * ```
 */
export interface VersionedValueLimits<V> extends VectorClockLimits {
  /** Most siblings accepted (default 256). */
  readonly maxSiblings?: number;
  /** Validates one value; default accepts anything. */
  readonly parseValue?: (value: unknown) => ParseResult<V>;
}

/**
 * A replica's keyed store of versioned values (a Dynamo/Riak-style bucket): key → versions. Plain
 * data; any string is a valid key, `__proto__` included (keys are own properties, never looked up
 * through the prototype).
 *
 * @example
 * ```ts
 * import { versionedStoreGet, versionedStorePut, versionedStoreSync, type VersionedStore } from 'distkit/clocks';
 * let r1: VersionedStore<string[]> = {};
 * let r2: VersionedStore<string[]> = {};
 * r1 = versionedStorePut(r1, 'cart', 'r1', {}, ['milk']);
 * r2 = versionedStorePut(r2, 'cart', 'r2', {}, ['eggs']);
 * // After a sync the concurrent carts are siblings for the application to merge.
 * versionedStoreGet(versionedStoreSync(r1, r2), 'cart').values; //=> [['milk'], ['eggs']]
 * ```
 */
export type VersionedStore<V> = Readonly<Record<string, VersionedValue<V>>>;

function entry<V>(store: VersionedStore<V>, key: string): VersionedValue<V> {
  return Object.prototype.hasOwnProperty.call(store, key) ? (store[key] as VersionedValue<V>) : VERSIONED_EMPTY;
}

/**
 * Reads a key of a store (see {@link versionedGet}); a key never written reads as no values.
 *
 * @example
 * ```ts
 * import { versionedStoreGet, versionedStorePut, type VersionedStore } from 'distkit/clocks';
 * const s: VersionedStore<number> = versionedStorePut({}, 'x', 'r1', {}, 1);
 * versionedStoreGet(s, 'x'); //=> { values: [1], context: { r1: 1 } }
 * versionedStoreGet(s, 'y'); //=> { values: [], context: {} }
 * ```
 */
export function versionedStoreGet<V>(store: VersionedStore<V>, key: string): VersionedRead<V> {
  return versionedGet(entry(store, key));
}

/**
 * Writes a key of a store at replica `node` with the context the client read (see
 * {@link versionedPut}). Returns a new store sharing every other key.
 *
 * @example
 * ```ts
 * import { versionedStoreGet, versionedStorePut, type VersionedStore } from 'distkit/clocks';
 * let s: VersionedStore<string> = {};
 * s = versionedStorePut(s, 'cart', 'r1', {}, 'milk');
 * s = versionedStorePut(s, 'cart', 'r2', {}, 'eggs'); // blind write elsewhere: a sibling
 * versionedStoreGet(s, 'cart').values; //=> ['milk', 'eggs']
 * ```
 */
export function versionedStorePut<V>(store: VersionedStore<V>, key: string, node: NodeId, context: VersionVector, value: V): VersionedStore<V> {
  if (typeof key !== 'string') throw new ClockError(`versionedStorePut: key must be a string, got ${describeValue(key)}`);
  return { ...store, [key]: versionedPut(entry(store, key), node, context, value) };
}

/**
 * Joins two replicas' stores key by key (see {@link versionedSync}): anti-entropy for a bucket.
 *
 * @example
 * ```ts
 * import { versionedStoreGet, versionedStorePut, versionedStoreSync } from 'distkit/clocks';
 * const a = versionedStorePut<string>({}, 'k', 'r1', {}, 'x');
 * const b = versionedStorePut<string>({}, 'k', 'r2', {}, 'y');
 * versionedStoreGet(versionedStoreSync(a, b), 'k').values; //=> ['x', 'y']
 * ```
 */
export function versionedStoreSync<V>(a: VersionedStore<V>, b: VersionedStore<V>): VersionedStore<V> {
  const out: Record<string, VersionedValue<V>> = { ...a };
  for (const key of Object.keys(b)) {
    const merged = Object.prototype.hasOwnProperty.call(a, key) ? versionedSync(a[key] as VersionedValue<V>, b[key] as VersionedValue<V>) : (b[key] as VersionedValue<V>);
    Object.defineProperty(out, key, { value: merged, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/**
 * Validates a store received from a peer replica: a plain object (at most `maxKeys` keys, default
 * 65 536) whose every value passes {@link parseVersionedValue}. Keys may be any string.
 *
 * @example
 * ```ts
 * import { parseVersionedStore } from 'distkit/clocks';
 * parseVersionedStore({ k: { siblings: [], seen: {} } }).ok;                 //=> true
 * parseVersionedStore({ k: { siblings: [], seen: { r1: -1 } } }).ok;         //=> false
 * ```
 */
export function parseVersionedStore<V = unknown>(
  value: unknown,
  options: VersionedValueLimits<V> & {
    /** Most keys accepted (default 65 536). */
    readonly maxKeys?: number;
  } = {},
): ParseResult<VersionedStore<V>> {
  const maxKeys = options.maxKeys ?? 1 << 16;
  if (!isPlainObject(value)) return fail(`versioned store: expected a plain object, got ${describeValue(value)}`);
  const keys = Object.keys(value);
  if (keys.length > maxKeys) return fail(`versioned store: expected at most ${maxKeys} keys, got ${keys.length}`);
  const out: Record<string, VersionedValue<V>> = {};
  for (const key of keys) {
    const r = parseVersionedValue(value[key], options);
    if (!r.ok) return fail(`${JSON.stringify(key.length > 40 ? key.slice(0, 40) + '…' : key)}: ${r.reason}`);
    Object.defineProperty(out, key, { value: r.value, enumerable: true, writable: true, configurable: true });
  }
  return ok(out);
}
