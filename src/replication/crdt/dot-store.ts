/**
 * Dot stores and their join (Almeida, Shoker and Baquero, arXiv:1603.01529, §5, Figure 4):
 * `DotSet`, `DotFun` and `DotMap`, each paired with a causal context. Every causal CRDT of this
 * folder (EWFlag, MVRegister, AWORSet, RWORSet, ORMap) is a dot store plus a context, and they
 * all share this one join.
 *
 * @packageDocumentation
 */
import { getOwn, setOwn } from '../../core/index.js';
import { CausalContext, compareDots, type Dot } from './causal-context.js';
import { copyRecord } from './copy.js';

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
 * when each dot carries a value), or a `DotMap` from keys to non-empty dot stores.
 *
 * @example
 * ```ts
 * import type { DotStore } from 'distkit/replication';
 * const s: DotStore = { milk: [['a', 1]], eggs: [['b', 1]] }; // an AWORSet's store
 * ```
 */
export type DotStore = readonly DotEntry[] | { readonly [key: string]: DotStore };

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

/** True when the store holds no dot. */
export function isEmptyStore(store: DotStore | undefined): boolean {
  if (store === undefined) return true;
  if (Array.isArray(store)) return store.length === 0;
  for (const _ in store) return false;
  return true;
}

/** Every dot of a store. */
export function dotsOf(store: DotStore | undefined, out: Dot[] = []): Dot[] {
  if (store === undefined) return out;
  if (Array.isArray(store)) {
    for (const e of store as readonly DotEntry[]) out.push([e[0], e[1]]);
    return out;
  }
  const map = store as Readonly<Record<string, DotStore>>;
  for (const k of Object.keys(map)) dotsOf(map[k], out);
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
      if (!CausalContext.contains(cb, e as unknown as Dot)) out.push(e);
      else same = false;
    } else {
      const e = b[j++]!;
      if (!CausalContext.contains(ca, e as unknown as Dot)) {
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
    for (const e of store as readonly DotEntry[]) if (CausalContext.contains(cc, e as unknown as Dot)) return true;
    return false;
  }
  const map = store as Readonly<Record<string, DotStore>>;
  for (const k in map) if (anySeen(map[k]!, cc)) return true;
  return false;
}

/** Keeps the part of `a` whose dots `cb` has not seen: `a ⊔ ⊥` under context `cb`. */
function filterUnseen(a: DotStore, cb: CausalContext): DotStore {
  // Most entries of a large state share no dot with a small delta: keep them without allocating.
  if (!anySeen(a, cb)) return a;
  if (Array.isArray(a)) return joinEntries(a as readonly DotEntry[], CausalContext.empty(), EMPTY_ENTRIES, cb);
  return joinMaps(a as Readonly<Record<string, DotStore>>, CausalContext.empty(), {}, cb);
}

/** True when `store` holds `dot` (entry arrays are sorted: binary search). */
function storeHas(store: DotStore | undefined, dot: Dot): boolean {
  if (store === undefined) return false;
  if (!Array.isArray(store)) {
    const map = store as Readonly<Record<string, DotStore>>;
    for (const k in map) if (storeHas(map[k], dot)) return true;
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

/** Above this many dots, a context is not enumerated: the join scans every key instead. */
const MAX_ENUMERATED_DOTS = 64;

/**
 * False when the keys of `a` that `b` does not name certainly keep all their dots: every dot of
 * `cb` is under a key `b` names, in `a` or in `b`, and a dot names one event, so it is under one
 * key only (§5; {@link parseCrdt} refuses a store holding a dot twice). A delta from a mutator (an
 * add, a write, an update of one key) has a context of a few dots, all under its own key, so
 * joining it into a large state touches only that key instead of scanning the whole map. True
 * (scan) when unsure, e.g. for a large context or a removal.
 */
function mayRemoveElsewhere(a: Readonly<Record<string, DotStore>>, b: Readonly<Record<string, DotStore>>, cb: CausalContext): boolean {
  let count = cb.cloud.length;
  for (const r in cb.vv) {
    count += cb.vv[r]!;
    if (count > MAX_ENUMERATED_DOTS) return true;
  }
  if (count === 0) return false;
  const keys = Object.keys(b);
  // Each dot is looked up under the named keys only (a binary search per sorted entry array).
  const named = (d: Dot) => keys.some((k) => storeHas(b[k]!, d) || storeHas(getOwn(a, k), d));
  for (const d of cb.cloud) if (!named(d)) return true;
  for (const r of Object.keys(cb.vv)) {
    for (let n = 1; n <= cb.vv[r]!; n++) if (!named([r, n])) return true;
  }
  return false;
}

function joinMaps(
  a: Readonly<Record<string, DotStore>>,
  ca: CausalContext,
  b: Readonly<Record<string, DotStore>>,
  cb: CausalContext,
): Readonly<Record<string, DotStore>> {
  // Copy on write: `out` is `a` until a key's store changes.
  let out: Record<string, DotStore> | undefined;
  const put = (k: string, v: DotStore | undefined) => {
    out ??= copyRecord(a);
    if (v === undefined || isEmptyStore(v)) delete out[k];
    else setOwn(out, k, v);
  };
  for (const k of Object.keys(b)) {
    const x = getOwn(a, k);
    const y = b[k]!;
    const joined = x === undefined ? filterUnseen(y, ca) : joinStores(x, ca, y, cb);
    if (joined !== x && !(x === undefined && isEmptyStore(joined))) put(k, joined);
  }
  if (mayRemoveElsewhere(a, b, cb)) {
    for (const k of Object.keys(a)) {
      if (Object.prototype.hasOwnProperty.call(b, k)) continue;
      const x = a[k]!;
      const kept = filterUnseen(x, cb);
      if (kept !== x) put(k, kept);
    }
  }
  return out ?? a;
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
  const bm = Array.isArray(b) ? {} : (b as Readonly<Record<string, DotStore>>);
  return joinMaps(a as Readonly<Record<string, DotStore>>, ca, bm, cb);
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
