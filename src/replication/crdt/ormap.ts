/**
 * The observed-remove map of delta-state CRDTs (Almeida, Shoker and Baquero, arXiv:1603.01529,
 * §7.2, "ORMap"): a dot map from keys to embedded causal CRDTs (flags, registers, sets, maps)
 * that all share the map's one causal context. Removing a key removes the dots seen under it; an
 * update concurrent with the removal survives.
 *
 * @packageDocumentation
 */
import { getOwn, setOwn } from '../../core/index.js';
import { CausalContext } from './causal-context.js';
import { dotsOf, isEmptyStore, joinCausal, type Causal, type DotStore } from './dot-store.js';

/**
 * An observed-remove map whose values are the stores of embedded causal CRDTs of type `S`.
 *
 * @example
 * ```ts
 * import type { ORMap, ElementDots } from 'distkit/replication';
 * const m: ORMap<ElementDots> = { store: { cart: { milk: [['a', 1]] } }, cc: { vv: { a: 1 }, cloud: [] } };
 * ```
 */
export type ORMap<S extends DotStore = DotStore> = Causal<Readonly<Record<string, S>>>;

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
    return { store: getOwn(m.store, key) ?? emptyLike(empty), cc: m.cc };
  },
  /** The map delta of applying the embedded delta mutator `f` to the value under `key`. */
  update<S extends DotStore>(m: ORMap<S>, key: string, f: (value: Causal<S>) => Causal<S>, empty?: S): ORMap<S> {
    const d = f(ORMap.get(m, key, empty));
    const store: Record<string, S> = {};
    if (!isEmptyStore(d.store)) setOwn(store, key, d.store);
    return { store, cc: d.cc };
  },
  /** The delta of removing `key` (every dot under it this replica has seen). */
  remove: <S extends DotStore>(m: ORMap<S>, key: string): ORMap<S> => ({ store: {}, cc: CausalContext.fromDots(dotsOf(getOwn(m.store, key))) }),
  /** The delta of removing every key. */
  clear: <S extends DotStore>(m: ORMap<S>): ORMap<S> => ({ store: {}, cc: CausalContext.fromDots(dotsOf(m.store)) }),
  /** Least upper bound (§5: the dot-map join, recursively). */
  join: <S extends DotStore>(a: ORMap<S>, b: ORMap<S>): ORMap<S> => joinCausal(a, b),
  /** The keys present, sorted. */
  keys: (m: ORMap): string[] => Object.keys(m.store).sort(),
  /** Every key's value, read by `read` from the embedded CRDT. */
  value<S extends DotStore, V>(m: ORMap<S>, read: (value: Causal<S>, key: string) => V): Record<string, V> {
    const out: Record<string, V> = {};
    for (const k of Object.keys(m.store).sort()) setOwn(out, k, read({ store: m.store[k]!, cc: m.cc }, k));
    return out;
  },
});
