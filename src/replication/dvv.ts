/**
 * Dotted version vector sets (DVV-sets): the causality tracking of a replicated key's concurrent
 * values, in the compact form Riak uses (Preguiça, Baquero, Almeida, Fonte, Gonçalves 2010,
 * "Dotted Version Vectors: Logical Clocks for Optimistic Replication"; Almeida et al. 2014,
 * "Scalable and Accurate Causality Tracking for Eventually Consistent Stores" §5).
 *
 * @packageDocumentation
 */
import type { VectorClock } from '../clocks/index.js';
import { canonicalJson, isPlainObject, MAX_COUNTER, type NodeId } from '../core/index.js';

/**
 * One replica's entry in a {@link Dvv}: its counter (the number of writes it coordinated for the
 * key) and the values of its most recent writes that no later write has superseded, newest first.
 * The i-th value has the dot `(id, counter − i)`.
 *
 * @example
 * ```ts
 * import type { DvvEntry } from 'distkit/replication';
 * const e: DvvEntry<string> = { id: 'a', counter: 3, values: ['v3', 'v2'] }; // dots a:3 and a:2
 * ```
 */
export interface DvvEntry<V> {
  /** The replica that coordinated the writes. */
  readonly id: NodeId;
  /** How many writes of this replica the clock has seen (≥ 1). */
  readonly counter: number;
  /** Values of its latest writes still live, newest first (at most `counter` of them). */
  readonly values: readonly V[];
}

/**
 * A dotted version vector set: per replica an entry, sorted by id, plus anonymous values (values
 * known only through a context, kept until a clock that supersedes them arrives). Plain JSON; every
 * function of this module returns a new value and never mutates its arguments.
 *
 * @example
 * ```ts
 * import { dvvUpdate, DVV_EMPTY, type Dvv } from 'distkit/replication';
 * const c: Dvv<string> = dvvUpdate(DVV_EMPTY, {}, 'a', 'x');
 * c; //=> { entries: [{ id: 'a', counter: 1, values: ['x'] }], anonymous: [] }
 * ```
 */
export interface Dvv<V> {
  /** One entry per replica that coordinated a write, sorted by id (code-unit order). */
  readonly entries: readonly DvvEntry<V>[];
  /** Values without a dot of their own (deduplicated by canonical JSON). */
  readonly anonymous: readonly V[];
}

/**
 * The clock of a key nobody wrote. Frozen; shared.
 *
 * @example
 * ```ts
 * import { DVV_EMPTY, dvvValues } from 'distkit/replication';
 * dvvValues(DVV_EMPTY); //=> []
 * ```
 */
export const DVV_EMPTY: Dvv<never> = Object.freeze({ entries: Object.freeze([]) as readonly never[], anonymous: Object.freeze([]) as readonly never[] });

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The causal context of a clock (`join` in Riak's dvvset): the version vector of every write it
 * has seen. A client reads it with the values and hands it back with its next write of the key.
 *
 * @example
 * ```ts
 * import { dvvJoin, dvvUpdate, DVV_EMPTY } from 'distkit/replication';
 * dvvJoin(dvvUpdate(dvvUpdate(DVV_EMPTY, {}, 'a', 1), {}, 'b', 2)); //=> { a: 1, b: 1 }
 * ```
 */
export function dvvJoin<V>(c: Dvv<V>): VectorClock {
  const out: Record<string, number> = {};
  for (const e of c.entries) Object.defineProperty(out, e.id, { value: e.counter, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * Every value of the clock: the siblings a read returns (anonymous values first, then each
 * replica's values newest first). One value means no conflict.
 *
 * @example
 * ```ts
 * import { dvvValues, dvvUpdate, DVV_EMPTY } from 'distkit/replication';
 * const a = dvvUpdate(DVV_EMPTY, {}, 'a', 'x');
 * dvvValues(dvvUpdate(a, {}, 'b', 'y')); //=> ['x', 'y']  (the second write had not seen the first)
 * ```
 */
export function dvvValues<V>(c: Dvv<V>): V[] {
  const out: V[] = [...c.anonymous];
  for (const e of c.entries) out.push(...e.values);
  return out;
}

/**
 * The number of values (siblings) in the clock.
 *
 * @example
 * ```ts
 * import { dvvSize, DVV_EMPTY } from 'distkit/replication';
 * dvvSize(DVV_EMPTY); //=> 0
 * ```
 */
export function dvvSize<V>(c: Dvv<V>): number {
  let n = c.anonymous.length;
  for (const e of c.entries) n += e.values.length;
  return n;
}

/**
 * True when `a`'s causal history is strictly contained in `b`'s (dvvset's `less`): `b` has seen
 * every write `a` has, and more.
 *
 * @example
 * ```ts
 * import { dvvLess, dvvUpdate, dvvJoin, DVV_EMPTY } from 'distkit/replication';
 * const a = dvvUpdate(DVV_EMPTY, {}, 'a', 1);
 * const b = dvvUpdate(a, dvvJoin(a), 'a', 2);
 * [dvvLess(a, b), dvvLess(b, a)]; //=> [true, false]
 * ```
 */
export function dvvLess<V>(a: Dvv<V>, b: Dvv<V>): boolean {
  return greater(b.entries, a.entries);
}

// b's entries strictly dominate a's: every counter of a is ≤ b's, and b is larger somewhere.
function greater<V>(b: readonly DvvEntry<V>[], a: readonly DvvEntry<V>[]): boolean {
  let strict = false;
  let i = 0;
  let j = 0;
  while (i < b.length || j < a.length) {
    if (j === a.length) return true;
    if (i === b.length) return false;
    const eb = b[i]!;
    const ea = a[j]!;
    const o = byId(eb.id, ea.id);
    if (o < 0) {
      strict = true;
      i++;
    } else if (o > 0) {
      return false;
    } else {
      if (eb.counter < ea.counter) return false;
      if (eb.counter > ea.counter) strict = true;
      i++;
      j++;
    }
  }
  return strict;
}

// One replica's entries from two clocks: the larger counter, and of the values only those the
// other clock has not seen superseded (a value with dot n survives when n > other.counter −
// other.values.length, i.e. the other clock either never saw it or still keeps it).
function mergeEntry<V>(a: DvvEntry<V>, b: DvvEntry<V>): DvvEntry<V> {
  const [hi, lo] = a.counter >= b.counter ? [a, b] : [b, a];
  if (hi.counter - hi.values.length >= lo.counter - lo.values.length) return hi;
  return { id: hi.id, counter: hi.counter, values: hi.values.slice(0, hi.counter - lo.counter + lo.values.length) };
}

function mergeEntries<V>(a: readonly DvvEntry<V>[], b: readonly DvvEntry<V>[]): DvvEntry<V>[] {
  const out: DvvEntry<V>[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const o = byId(a[i]!.id, b[j]!.id);
    if (o < 0) out.push(a[i++]!);
    else if (o > 0) out.push(b[j++]!);
    else out.push(mergeEntry(a[i++]!, b[j++]!));
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

function unionValues<V>(a: readonly V[], b: readonly V[]): V[] {
  const seen = new Set(a.map((x) => canonicalJson(x)));
  const out = [...a];
  for (const x of b) {
    const k = canonicalJson(x);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(x);
    }
  }
  return out;
}

/**
 * Merges two replicas' clocks of one key (dvvset's `sync`): the union of what both have seen,
 * keeping every value neither has seen superseded. Idempotent, commutative and associative up
 * to the order of anonymous values. Replicas run it on every replicated write, read repair and
 * hinted handoff.
 *
 * @example
 * ```ts
 * import { dvvSync, dvvValues, dvvUpdate, DVV_EMPTY } from 'distkit/replication';
 * const a = dvvUpdate(DVV_EMPTY, {}, 'a', 'x');
 * const b = dvvUpdate(DVV_EMPTY, {}, 'b', 'y');
 * dvvValues(dvvSync(a, b)); //=> ['x', 'y']
 * ```
 */
export function dvvSync<V>(a: Dvv<V>, b: Dvv<V>): Dvv<V> {
  if (a === b) return a;
  const anonymous = dvvLess(a, b) ? b.anonymous : dvvLess(b, a) ? a.anonymous : unionValues(a.anonymous, b.anonymous);
  return { entries: mergeEntries(a.entries, b.entries), anonymous };
}

/**
 * A write of `value` by replica `id` to a key whose stored clock is `stored`, made by a client
 * that had read `context` (dvvset's `update(new(context, value), stored, id)`): the new value
 * gets the next dot of `id` and supersedes exactly the values the context covers; values written
 * concurrently (not in the context) stay as siblings. Only a replica that keeps the key durably
 * may coordinate writes under its id, so that its counter never repeats.
 *
 * @example
 * ```ts
 * import { dvvUpdate, dvvJoin, dvvValues, DVV_EMPTY } from 'distkit/replication';
 * const v1 = dvvUpdate(DVV_EMPTY, {}, 'a', 'x');
 * const v2 = dvvUpdate(v1, dvvJoin(v1), 'a', 'y'); // read v1, then wrote
 * dvvValues(v2); //=> ['y']
 * ```
 */
export function dvvUpdate<V>(stored: Dvv<V>, context: VectorClock, id: NodeId, value: V): Dvv<V> {
  const synced = dvvSync(fromContext<V>(context), stored);
  return { entries: addEvent(synced.entries, id, value), anonymous: synced.anonymous };
}

// A clock that has seen exactly `context` and keeps no value of it.
function fromContext<V>(context: VectorClock): Dvv<V> {
  const entries: DvvEntry<V>[] = [];
  for (const id of Object.keys(context).sort(byId)) {
    const counter = context[id]!;
    if (counter > 0) entries.push({ id, counter, values: [] });
  }
  return { entries, anonymous: [] };
}

function addEvent<V>(entries: readonly DvvEntry<V>[], id: NodeId, value: V): DvvEntry<V>[] {
  const out: DvvEntry<V>[] = [];
  let placed = false;
  for (const e of entries) {
    if (!placed && e.id === id) {
      out.push({ id, counter: e.counter + 1, values: [value, ...e.values] });
      placed = true;
    } else {
      if (!placed && byId(e.id, id) > 0) {
        out.push({ id, counter: 1, values: [value] });
        placed = true;
      }
      out.push(e);
    }
  }
  if (!placed) out.push({ id, counter: 1, values: [value] });
  return out;
}

/**
 * Keeps one value: the newest by `newer(a, b)` (true when `a` is newer than `b`), in the entry it
 * came from, with the same causal history (dvvset's `lww`). What a store configured for
 * last-writer-wins does after every merge; the other values are lost, and {@link dvvSize} before
 * minus one says how many.
 *
 * @example
 * ```ts
 * import { dvvLww, dvvSync, dvvValues, dvvUpdate, DVV_EMPTY } from 'distkit/replication';
 * const both = dvvSync(dvvUpdate(DVV_EMPTY, {}, 'a', 3), dvvUpdate(DVV_EMPTY, {}, 'b', 7));
 * dvvValues(dvvLww(both, (x, y) => x > y)); //=> [7]
 * ```
 */
export function dvvLww<V>(c: Dvv<V>, newer: (a: V, b: V) => boolean): Dvv<V> {
  let best: { value: V; entry: number } | undefined;
  const consider = (value: V, entry: number): void => {
    if (best === undefined || newer(value, best.value)) best = { value, entry };
  };
  c.anonymous.forEach((x) => consider(x, -1));
  c.entries.forEach((e, i) => e.values.forEach((x) => consider(x, i)));
  if (best === undefined || dvvSize(c) === 1) return c;
  const winner = best;
  const entries = c.entries.map((e, i) => (i === winner.entry ? { id: e.id, counter: e.counter, values: [winner.value] } : e.values.length === 0 ? e : { id: e.id, counter: e.counter, values: [] }));
  return { entries, anonymous: winner.entry === -1 ? [winner.value] : [] };
}

/**
 * Limits on a clock received from a peer (see {@link dvvProblem}).
 *
 * @example
 * ```ts
 * import type { DvvLimits } from 'distkit/replication';
 * const limits: DvvLimits = { ids: ['a', 'b', 'c'], maxValues: 64, value: () => undefined };
 * ```
 */
export interface DvvLimits {
  /** The replica ids an entry may name (the ring's members). */
  readonly ids: readonly NodeId[];
  /** Most values (siblings) in the clock. */
  readonly maxValues: number;
  /** Checks one value; returns what is wrong with it, or `undefined`. */
  readonly value: (value: unknown) => string | undefined;
}

/**
 * What is wrong with a clock received from a peer, or `undefined` when it is well formed: entries
 * of known ids in strictly increasing order, counters in 1..MAX_COUNTER, at most `counter` values
 * per entry, at most `maxValues` values in all, each passing `limits.value`.
 *
 * @example
 * ```ts
 * import { dvvProblem } from 'distkit/replication';
 * const limits = { ids: ['a'], maxValues: 4, value: () => undefined };
 * dvvProblem({ entries: [{ id: 'a', counter: 1, values: ['x'] }], anonymous: [] }, limits); //=> undefined
 * dvvProblem({ entries: [{ id: 'z', counter: 1, values: [] }], anonymous: [] }, limits);   //=> 'entries[0].id: not a member: "z"'
 * ```
 */
export function dvvProblem(c: unknown, limits: DvvLimits): string | undefined {
  if (!isPlainObject(c) || !Array.isArray(c.entries) || !Array.isArray(c.anonymous)) return 'expected { entries: [], anonymous: [] }';
  const { entries, anonymous } = c as { entries: unknown[]; anonymous: unknown[] };
  if (entries.length > limits.ids.length) return `entries: more than ${limits.ids.length}`;
  let values = anonymous.length;
  if (values > limits.maxValues) return `more than ${limits.maxValues} values`;
  for (const x of anonymous) {
    const p = limits.value(x);
    if (p !== undefined) return `anonymous: ${p}`;
  }
  let last: string | undefined;
  for (let i = 0; i < entries.length; i++) {
    const p = entryProblem(entries[i], limits, last);
    if (p !== undefined) return `entries[${i}]${p}`;
    const e = entries[i] as DvvEntry<unknown>;
    last = e.id;
    values += e.values.length;
    if (values > limits.maxValues) return `more than ${limits.maxValues} values`;
  }
  return undefined;
}

function entryProblem(e: unknown, limits: DvvLimits, last: string | undefined): string | undefined {
  if (!isPlainObject(e) || typeof e.id !== 'string' || !Array.isArray(e.values)) return ': expected { id, counter, values }';
  if (!limits.ids.includes(e.id)) return `.id: not a member: ${JSON.stringify(e.id.slice(0, 64))}`;
  if (last !== undefined && byId(last, e.id) >= 0) return '.id: entries out of order or repeated';
  const n = e.counter;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1 || n > MAX_COUNTER) return '.counter: expected an integer in [1, MAX_COUNTER]';
  if (e.values.length > n) return '.values: more values than writes';
  if (e.values.length > limits.maxValues) return `.values: more than ${limits.maxValues}`;
  for (const x of e.values) {
    const p = limits.value(x);
    if (p !== undefined) return `.values: ${p}`;
  }
  return undefined;
}

/**
 * A copy of a clock that passed {@link dvvProblem}, keeping only its fields, with each value
 * copied by `copy`.
 *
 * @example
 * ```ts
 * import { dvvCopy } from 'distkit/replication';
 * dvvCopy({ entries: [{ id: 'a', counter: 1, values: [1], extra: true }], anonymous: [] }, (x) => x as number);
 * //=> { entries: [{ id: 'a', counter: 1, values: [1] }], anonymous: [] }
 * ```
 */
export function dvvCopy<V>(c: unknown, copy: (value: unknown) => V): Dvv<V> {
  const src = c as { entries: readonly { id: string; counter: number; values: readonly unknown[] }[]; anonymous: readonly unknown[] };
  return {
    entries: src.entries.map((e) => ({ id: e.id, counter: e.counter, values: e.values.map(copy) })),
    anonymous: src.anonymous.map(copy),
  };
}
