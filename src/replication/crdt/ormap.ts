/**
 * The observed-remove map of delta-state CRDTs (Almeida, Shoker and Baquero, arXiv:1603.01529,
 * §7.2, "ORMap"): a dot map from keys to embedded causal CRDTs (flags, registers, sets, maps)
 * that all share the map's one causal context. Removing a key removes the dots seen under it; an
 * update concurrent with the removal survives.
 *
 * @packageDocumentation
 */
import { setOwn } from '../../core/index.js';
import { CausalContext } from './causal-context.js';
import { DotMap } from './dot-map.js';
import { dotsOf, isEmptyStore, joinCausal, type Causal, type DotStore } from './dot-store.js';

/**
 * An observed-remove map whose values are the stores of embedded causal CRDTs of type `S`.
 *
 * @example
 * ```ts
 * import type { ORMap, ElementDots } from 'distkit/replication';
 * import { DotMap } from 'distkit/replication';
 * const m: ORMap<ElementDots> = { store: DotMap.from({ cart: DotMap.from({ milk: [['a', 1]] }) }), cc: { vv: { a: 1 }, cloud: [] } };
 * ```
 */
export type ORMap<S extends DotStore = DotStore> = Causal<DotMap<S>>;

function emptyLike<S extends DotStore>(empty: S | undefined): S {
  return (empty ?? ({} as S)) as S;
}

/**
 * Observed-remove map operations (§7.2). `update(m, key, f, empty)` hands `f` the embedded
 * CRDT under `key` (its store, or `empty` when the key is absent, with the map's context) and
 * lifts the delta `f` returns into a map delta; `remove` returns the context of the key's dots.
 * `value` reads every key through the embedded type's own `value`.
 *
 * @example
 * ```ts
 * import { ORMap, AWORSet, type ElementDots } from 'distkit/replication';
 * let m = ORMap.empty<ElementDots>();
 * m = ORMap.join(m, ORMap.update(m, 'cart', (s) => AWORSet.add(s, 'a', 'milk'), {}));
 * m = ORMap.join(m, ORMap.update(m, 'pantry', (s) => AWORSet.add(s, 'a', 'rice'), {}));
 * ORMap.value(m, AWORSet.value); //=> { cart: ['milk'], pantry: ['rice'] }
 * ORMap.keys(ORMap.join(m, ORMap.remove(m, 'cart'))); //=> ['pantry']
 * ```
 */
export const ORMap = Object.freeze({
  /** The empty map. */
  empty: <S extends DotStore = DotStore>(): ORMap<S> => ({ store: {}, cc: CausalContext.empty() }),
  /** The embedded CRDT under `key` (its store, or `empty`, with the map's context). */
  get<S extends DotStore>(m: ORMap<S>, key: string, empty?: S): Causal<S> {
    return { store: DotMap.get(m.store, key) ?? emptyLike(empty), cc: m.cc };
  },
  /** The map delta of applying the embedded delta mutator `f` to the value under `key`. */
  update<S extends DotStore>(m: ORMap<S>, key: string, f: (value: Causal<S>) => Causal<S>, empty?: S): ORMap<S> {
    const d = f(ORMap.get(m, key, empty));
    return { store: isEmptyStore(d.store) ? {} : DotMap.of(key, d.store), cc: d.cc };
  },
  /** The delta of removing `key` (every dot under it this replica has seen). */
  remove: <S extends DotStore>(m: ORMap<S>, key: string): ORMap<S> => ({ store: {}, cc: CausalContext.fromDots(dotsOf(DotMap.get(m.store, key))) }),
  /** The delta of removing every key. */
  clear: <S extends DotStore>(m: ORMap<S>): ORMap<S> => ({ store: {}, cc: CausalContext.fromDots(dotsOf(m.store)) }),
  /** Least upper bound (§5: the dot-map join, recursively). */
  join: <S extends DotStore>(a: ORMap<S>, b: ORMap<S>): ORMap<S> => joinCausal(a, b),
  /** The keys present, sorted. */
  keys: (m: ORMap): string[] => DotMap.keys(m.store).sort(),
  /** Every key's value, read by `read` from the embedded CRDT. */
  value<S extends DotStore, V>(m: ORMap<S>, read: (value: Causal<S>, key: string) => V): Record<string, V> {
    const pairs: [string, S][] = [];
    for (const b of Object.keys(m.store)) for (const p of m.store[b]!) pairs.push([p[0], p[1]]);
    pairs.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    const out: Record<string, V> = {};
    for (const [k, store] of pairs) setOwn(out, k, read({ store, cc: m.cc }, k));
    return out;
  },
});
