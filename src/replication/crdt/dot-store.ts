/**
 * Dot stores and their join (Almeida, Shoker and Baquero, arXiv:1603.01529, §5, Figure 4):
 * `DotSet`, `DotFun` and `DotMap`, each paired with a causal context. Every causal CRDT of this
 * folder (EWFlag, MVRegister, AWORSet, RWORSet, ORMap) is a dot store plus a context, and they
 * all share this one join.
 *
 * @packageDocumentation
 */

import { CausalContext, compareDots, type Dot } from './causal-context.js';
import { DOT_MAP_BUCKETS, findKey, type DotMap, type DotMapPair } from './dot-map.js';

/**
 * One entry of a dot set or dot function: the dot, and for a dot function the value it maps to.
 *
 * @example
 * ```ts
 * import type { DotEntry } from 'distkit/replication';
 * const e: DotEntry = ['a', 1, 'hello'];
 * ```
 */
export type DotEntry = readonly [replica: string, counter: number, ...value: unknown[]];

/**
 * A dot store: a sorted array of dot entries (a `DotSet` when entries are bare dots, a `DotFun`
 * when each dot carries a value), or a {@link DotMap} from keys to non-empty dot stores (kept in
 * buckets by a hash of the key).
 *
 * @example
 * ```ts
 * import { DotMap, type DotStore } from 'distkit/replication';
 * const s: DotStore = DotMap.from({ milk: [['a', 1]], eggs: [['b', 1]] }); // an AWORSet's store
 * ```
 */
export type DotStore = readonly DotEntry[] | DotMap<DotStore>;

/**
 * A dot store with its causal context: the state (and the delta) of every causal CRDT (§5).
 *
 * @example
 * ```ts
 * import type { Causal, DotEntry } from 'distkit/replication';
 * const flag: Causal<readonly DotEntry[]> = { store: [['a', 1]], cc: { vv: { a: 1 }, cloud: [] } };
 * ```
 */
export interface Causal<S extends DotStore> {
  readonly store: S;
  readonly cc: CausalContext;
}

const EMPTY_ENTRIES: readonly DotEntry[] = Object.freeze([]) as readonly DotEntry[];
const EMPTY_CC = CausalContext.empty();
const hasOwn = Object.prototype.hasOwnProperty;

/** `CausalContext.contains`, with the version-vector test inlined for the joins' inner loops. */
function seen(cc: CausalContext, e: DotEntry): boolean {
  const vv = cc.vv;
  if (hasOwn.call(vv, e[0]) && e[1] <= vv[e[0]]!) return true;
  return cc.cloud.length > 0 && CausalContext.contains(cc, e as unknown as Dot);
}

/** True when the store holds no dot. */
export function isEmptyStore(store: DotStore | undefined): boolean {
  if (store === undefined) return true;
  if (Array.isArray(store)) return store.length === 0;
  for (const _ in store) return false;
  return true;
}

type Pair = DotMapPair<DotStore>;
type Bucket = readonly Pair[];
type Buckets = DotMap<DotStore>;

/** Every dot of a store. */
export function dotsOf(store: DotStore | undefined, out: Dot[] = []): Dot[] {
  if (store === undefined) return out;
  if (Array.isArray(store)) {
    for (const e of store as readonly DotEntry[]) out.push([e[0], e[1]]);
    return out;
  }
  const map = store as Buckets;
  for (const id of Object.keys(map)) for (const p of map[id]!) dotsOf(p[1], out);
  return out;
}

function joinEntries(a: readonly DotEntry[], ca: CausalContext, b: readonly DotEntry[], cb: CausalContext): readonly DotEntry[] {
  // §5: (s, c) ⊔ (s', c') = (s ∩ s') ∪ (s \ c') ∪ (s' \ c), for dot sets and dot functions alike.
  const out: DotEntry[] = [];
  let i = 0;
  let j = 0;
  let same = true;
  while (i < a.length || j < b.length) {
    const c = i === a.length ? 1 : j === b.length ? -1 : compareDots(a[i] as unknown as Dot, b[j] as unknown as Dot);
    if (c === 0) {
      out.push(a[i]!);
      i++;
      j++;
    } else if (c < 0) {
      const e = a[i++]!;
      if (!seen(cb, e)) out.push(e);
      else same = false;
    } else {
      const e = b[j++]!;
      if (!seen(ca, e)) {
        out.push(e);
        same = false;
      }
    }
  }
  return same ? a : out;
}

/** True when `cc` has seen some dot of `store`. */
function anySeen(store: DotStore, cc: CausalContext): boolean {
  if (Array.isArray(store)) {
    for (const e of store as readonly DotEntry[]) if (seen(cc, e)) return true;
    return false;
  }
  const map = store as Buckets;
  for (const id of Object.keys(map)) for (const p of map[id]!) if (anySeen(p[1], cc)) return true;
  return false;
}

/** Keeps the part of `a` whose dots `cb` has not seen: `a ⊔ ⊥` under context `cb`. */
function filterUnseen(a: DotStore, cb: CausalContext): DotStore {
  // Most entries of a large state share no dot with a small delta: keep them without allocating.
  if (!anySeen(a, cb)) return a;
  if (Array.isArray(a)) return joinEntries(a as readonly DotEntry[], EMPTY_CC, EMPTY_ENTRIES, cb);
  return joinMaps(a as Buckets, EMPTY_CC, {}, cb);
}

/** True when `store` holds `dot` (entry arrays are sorted: binary search). */
function storeHas(store: DotStore | undefined, dot: Dot): boolean {
  if (store === undefined) return false;
  if (!Array.isArray(store)) {
    const map = store as Buckets;
    for (const id of Object.keys(map)) for (const p of map[id]!) if (storeHas(p[1], dot)) return true;
    return false;
  }
  const entries = store as readonly DotEntry[];
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareDots(entries[mid] as unknown as Dot, dot);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** The value of `key` in a sorted bucket, or `undefined`. */
function lookup(bucket: Bucket | undefined, key: string): DotStore | undefined {
  if (bucket === undefined) return undefined;
  const i = findKey(bucket, key);
  return i < 0 ? undefined : bucket[i]![1];
}

/** Above this many dots, a context is not enumerated: the join scans every key instead. */
const MAX_ENUMERATED_DOTS = 64;

/**
 * The dots of `cb` that `b` does not name: every dot of `cb` under a key `b` names, in `a` or in
 * `b`, is dealt with by joining that key; a dot names one event, so it is under one key only
 * (§5; {@link parseCrdt} refuses a store holding a dot twice), and the keys `b` does not name can
 * lose only the dots returned. A delta from a mutator (an add, a write, an update of one key) has
 * a context of a few dots, all under its own key: none is returned, and joining it into a large
 * state touches only that key's bucket. A removal returns the dots it removes, which the join
 * then looks for. `undefined` (scan every key) for a context too large to enumerate.
 */
function unnamedDots(a: Buckets, b: Buckets, bIds: readonly number[], cb: CausalContext): Dot[] | undefined {
  let count = cb.cloud.length;
  for (const r in cb.vv) {
    count += cb.vv[r]!;
    if (count > MAX_ENUMERATED_DOTS) return undefined;
  }
  const out: Dot[] = [];
  if (count === 0) return out;
  if (bIds.length === 1 && b[bIds[0]!]!.length === 1) {
    // A mutator's delta: one key, whose stores in `b` and in `a` hold every dot of `cb`.
    const [k, y] = b[bIds[0]!]![0]!;
    const x = lookup(hasOwn.call(a, bIds[0]!) ? a[bIds[0]!] : undefined, k);
    for (const d of cb.cloud) if (!storeHas(y, d) && !storeHas(x, d)) out.push(d);
    for (const r of Object.keys(cb.vv)) {
      for (let n = 1; n <= cb.vv[r]!; n++) if (!storeHas(y, [r, n]) && !storeHas(x, [r, n])) out.push([r, n]);
    }
    return out;
  }
  // The stores under the keys `b` names, in `b` and in `a`.
  const named: DotStore[] = [];
  for (const id of bIds) {
    const ab = hasOwn.call(a, id) ? a[id] : undefined;
    for (const p of b[id]!) {
      named.push(p[1]);
      const x = lookup(ab, p[0]);
      if (x !== undefined) named.push(x);
    }
  }
  for (const d of cb.cloud) if (!heldByAny(named, d)) out.push(d);
  for (const r of Object.keys(cb.vv)) {
    for (let n = 1; n <= cb.vv[r]!; n++) if (!heldByAny(named, [r, n])) out.push([r, n]);
  }
  return out;
}

function heldByAny(stores: readonly DotStore[], dot: Dot): boolean {
  for (const store of stores) if (storeHas(store, dot)) return true;
  return false;
}

/** How many of `entries` carry one of `dots`. */
function heldIn(entries: readonly DotEntry[], dots: readonly Dot[]): number {
  let n = 0;
  if (dots.length === 1) {
    const [r, c] = dots[0]!;
    for (const e of entries) if (e[1] === c && e[0] === r) n++;
    return n;
  }
  for (const e of entries) for (const d of dots) if (e[1] === d[1] && e[0] === d[0]) n++;
  return n;
}

/** How many entries of `store` (at any depth) carry one of `dots`. */
function countHeld(store: DotStore, dots: readonly Dot[]): number {
  if (Array.isArray(store)) return heldIn(store as readonly DotEntry[], dots);
  let n = 0;
  const map = store as Buckets;
  for (const id of Object.keys(map)) for (const p of map[id]!) n += countHeld(p[1], dots);
  return n;
}

/** Sets (or, when `v` is `undefined` or empty, deletes) bucket `id` in a copy of the bucket table `a`. */
function putBucket(out: Record<string, Bucket> | undefined, a: Buckets, id: string | number, v: Bucket | undefined): Record<string, Bucket> {
  out ??= { ...a };
  if (v === undefined || v.length === 0) delete out[id];
  else out[id] = v;
  return out;
}

/**
 * `a` without the `dots` that `cb` removes: looks for them key by key, stops once it has found
 * them all (each is under one key), and copies only the buckets where it found them. Buckets are
 * visited by index: their names are the decimal forms of `0 .. DOT_MAP_BUCKETS - 1`.
 */
function dropDots(a: Buckets, dots: readonly Dot[], cb: CausalContext): Buckets {
  if (dots.length === 1) return dropDot(a, dots[0]!, cb);
  let out: Record<string, Bucket> | undefined;
  let found = 0;
  for (let id = 0; id < DOT_MAP_BUCKETS && found < dots.length; id++) {
    const bucket = a[id];
    if (bucket === undefined || !hasOwn.call(a, id)) continue;
    let copy: Pair[] | undefined;
    for (let i = bucket.length - 1; i >= 0 && found < dots.length; i--) {
      const v = bucket[i]![1];
      const held = Array.isArray(v) ? heldIn(v as readonly DotEntry[], dots) : countHeld(v, dots);
      if (held === 0) continue;
      found += held;
      const kept = filterUnseen(v, cb);
      copy ??= bucket.slice();
      if (isEmptyStore(kept)) copy.splice(i, 1);
      else copy[i] = [bucket[i]![0], kept];
    }
    if (copy !== undefined) out = putBucket(out, a, id, copy);
  }
  return out ?? a;
}

/** {@link dropDots} for one dot (the removal of a key or element written once): a tight search. */
function dropDot(a: Buckets, dot: Dot, cb: CausalContext): Buckets {
  const r = dot[0];
  const c = dot[1];
  for (let id = 0; id < DOT_MAP_BUCKETS; id++) {
    const bucket = a[id];
    if (bucket === undefined || !hasOwn.call(a, id)) continue;
    for (let i = 0; i < bucket.length; i++) {
      const v = bucket[i]![1];
      let held = false;
      if (Array.isArray(v)) {
        const entries = v as readonly DotEntry[];
        for (let j = 0; j < entries.length && !held; j++) held = entries[j]![1] === c && entries[j]![0] === r;
      } else held = countHeld(v, [dot]) > 0;
      if (!held) continue;
      const kept = filterUnseen(v, cb);
      const copy = bucket.slice();
      if (isEmptyStore(kept)) copy.splice(i, 1);
      else copy[i] = [bucket[i]![0], kept];
      return putBucket(undefined, a, id, copy);
    }
  }
  return a;
}

/**
 * The dot-map join (§5) within one bucket: a merge of the two key-sorted pair arrays. `scan` also
 * filters the keys `b` does not name. Returns `a` itself when nothing changes.
 */
function joinBucket(a: Bucket, ca: CausalContext, b: Bucket, cb: CausalContext, scan: boolean): Bucket {
  const out: Pair[] = [];
  let changed = false;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    const c = x === undefined ? 1 : y === undefined ? -1 : x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0;
    if (c <= 0) {
      const joined = c === 0 ? joinStores(x![1], ca, y![1], cb) : scan ? filterUnseen(x![1], cb) : x![1];
      if (joined === x![1]) out.push(x!);
      else {
        changed = true;
        if (!isEmptyStore(joined)) out.push([x![0], joined]);
      }
      i++;
      if (c === 0) j++;
    } else {
      const joined = filterUnseen(y![1], ca);
      if (!isEmptyStore(joined)) {
        changed = true;
        out.push(joined === y![1] ? y! : [y![0], joined]);
      }
      j++;
    }
  }
  return changed ? out : a;
}

const EMPTY_BUCKET: Bucket = Object.freeze([]) as Bucket;

/** The buckets a map holds, by index (bucket names are the decimal forms of `0 .. DOT_MAP_BUCKETS - 1`). */
function bucketIds(m: Buckets): number[] {
  const ids: number[] = [];
  for (let id = 0; id < DOT_MAP_BUCKETS; id++) if (m[id] !== undefined && hasOwn.call(m, id)) ids.push(id);
  return ids;
}

function joinMaps(a: Buckets, ca: CausalContext, b: Buckets, cb: CausalContext): Buckets {
  const bIds = bucketIds(b);
  const lost = unnamedDots(a, b, bIds, cb);
  const scan = lost === undefined;
  // The keys `b` does not name lose exactly the dots it does not name (found without a scan).
  const base = lost === undefined || lost.length === 0 ? a : dropDots(a, lost, cb);
  // Copy on write, one level up: the bucket table is copied once, and only changed buckets.
  let out: Record<string, Bucket> | undefined;
  for (const id of bIds) {
    const x = (hasOwn.call(base, id) ? base[id] : undefined) ?? EMPTY_BUCKET;
    const joined = joinBucket(x, ca, b[id]!, cb, scan);
    if (joined !== x) out = putBucket(out, base, id, joined);
  }
  if (scan) {
    for (const id of bucketIds(base)) {
      if (hasOwn.call(b, id)) continue;
      const x = base[id]!;
      const kept = joinBucket(x, ca, EMPTY_BUCKET, cb, true);
      if (kept !== x) out = putBucket(out, base, id, kept);
    }
  }
  return out ?? base;
}

/**
 * Joins two dot stores of the same shape under their contexts (§5): a dot survives when both
 * stores have it, or when one has it and the other's context has not seen it. Returns `a` itself
 * when nothing changes, so a join that adds nothing allocates nothing.
 */
export function joinStores(a: DotStore, ca: CausalContext, b: DotStore, cb: CausalContext): DotStore {
  if (Array.isArray(a)) {
    const bb = Array.isArray(b) ? (b as readonly DotEntry[]) : EMPTY_ENTRIES;
    return joinEntries(a as readonly DotEntry[], ca, bb, cb);
  }
  const bm = Array.isArray(b) ? {} : (b as Buckets);
  return joinMaps(a as Buckets, ca, bm, cb);
}

/**
 * Joins two causal CRDT states or deltas: their stores by {@link joinStores}, their contexts by
 * union (§5). Returns `a` itself when `b` adds nothing.
 *
 * @example
 * ```ts
 * import { joinCausal, type EWFlag } from 'distkit/replication';
 * const a: EWFlag = { store: [['a', 1]], cc: { vv: { a: 1 }, cloud: [] } };
 * const removal: EWFlag = { store: [], cc: { vv: { a: 1 }, cloud: [] } };
 * joinCausal({ store: [], cc: { vv: {}, cloud: [] } }, a).store; //=> [['a', 1]]
 * joinCausal(a, removal).store; //=> []
 * ```
 */
export function joinCausal<S extends DotStore>(a: Causal<S>, b: Causal<S>): Causal<S> {
  if (a === b) return a;
  const store = joinStores(a.store, a.cc, b.store, b.cc) as S;
  const cc = CausalContext.join(a.cc, b.cc);
  return store === a.store && cc === a.cc ? a : { store, cc };
}

/** The entries of a dot-store array with this replica's next dot (and value) appended in order. */
export function withEntry(entries: readonly DotEntry[], entry: DotEntry): readonly DotEntry[] {
  return [...entries, entry].sort((x, y) => compareDots(x as unknown as Dot, y as unknown as Dot));
}
