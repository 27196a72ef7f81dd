/**
 * Sets as delta-state CRDTs (Almeida, Shoker and Baquero, arXiv:1603.01529): the grow-only and
 * two-phase sets (§4), and the add-wins and remove-wins observed-remove sets built on dot maps
 * (§5 and Figure 6 for add-wins; remove-wins as in the authors' reference implementation, a dot
 * function of add/remove tokens per element). Elements are strings; encode richer elements with
 * `canonicalJson`.
 *
 * @packageDocumentation
 */
import type { Parsed } from '../../core/index.js';
import { CausalContext, type Dot } from './causal-context.js';
import { DotMap } from './dot-map.js';
import { dotsOf, joinCausal, type Causal, type DotEntry } from './dot-store.js';
import { CRDT_LIMITS, element, field, object, parseCausal, parseDotMap, parseEntries, refuse, runParser, spend, type CrdtLimits, type ParseContext } from './parse.js';

/**
 * A grow-only set: its elements, sorted (code-unit order) and unique.
 *
 * @example
 * ```ts
 * import type { GSet } from 'distkit/replication';
 * const s: GSet = ['a', 'b'];
 * ```
 */
export type GSet = readonly string[];

function unionSorted(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length === 0) return a;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x < y)) out.push(a[i++]!);
    else if (x === undefined || y < x) out.push(b[j++]!);
    else {
      out.push(a[i++]!);
      j++;
    }
  }
  return out.length === a.length ? a : out;
}

function sortedHas(a: readonly string[], x: string): boolean {
  let lo = 0;
  let hi = a.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = a[mid]!;
    if (m === x) return true;
    if (m < x) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

function parseSorted(x: unknown, path: string, ctx: ParseContext): readonly string[] {
  if (!Array.isArray(x)) refuse(path, 'expected an array of strings');
  spend(ctx, path, x.length);
  const out: string[] = [];
  for (let i = 0; i < x.length; i++) {
    const e = element(x[i], `${path}[${i}]`, ctx);
    if (i > 0 && !(out[i - 1]! < e)) refuse(`${path}[${i}]`, 'elements must be sorted (code-unit order) without duplicates');
    out.push(e);
  }
  return out;
}

/**
 * Grow-only set operations (§4): `add` returns the delta `[element]`, `join` is union.
 *
 * @example
 * ```ts
 * import { GSet } from 'distkit/replication';
 * const s = GSet.join(GSet.add(GSet.empty(), 'y'), GSet.add(GSet.empty(), 'x'));
 * GSet.value(s); //=> ['x', 'y']
 * ```
 */
export const GSet = Object.freeze({
  /** The empty set. */
  empty: (): GSet => [],
  /** The delta of adding `element`. */
  add: (_s: GSet, element: string): GSet => [element],
  /** Union. */
  join: unionSorted,
  /** True when `element` is in the set. */
  has: sortedHas,
  /** The elements, sorted. */
  value: (s: GSet): readonly string[] => s,
  /** Validates an untrusted set or delta. */
  parse: (x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<GSet> => runParser(limits, (ctx) => parseSorted(x, 'delta', ctx)),
});

/**
 * A two-phase set: the elements present (`added`) and the removed ones (tombstones, `removed`);
 * an element once removed never comes back (§4). Both sorted; disjoint in the canonical form that
 * `join` returns, so a removed element costs one tombstone, not an add and a tombstone.
 *
 * @example
 * ```ts
 * import type { TwoPSet } from 'distkit/replication';
 * const s: TwoPSet = { added: ['b'], removed: ['a'] }; // value ['b']; 'a' can never return
 * ```
 */
export interface TwoPSet {
  readonly added: GSet;
  readonly removed: GSet;
}

/** The elements of sorted `a` not in sorted `b`; `a` itself when none is. */
function differenceSorted(a: readonly string[], b: readonly string[]): readonly string[] {
  if (b.length === 0 || a.length === 0) return a;
  const out = a.filter((x) => !sortedHas(b, x));
  return out.length === a.length ? a : out;
}

/** `was` when `xs` holds the same elements, else `xs` (keeps the identity of an unchanged half). */
function sameElements(xs: readonly string[], was: readonly string[]): readonly string[] {
  if (xs === was || xs.length !== was.length) return xs;
  for (let i = 0; i < xs.length; i++) if (xs[i] !== was[i]) return xs;
  return was;
}

/** The canonical form: removed elements only as tombstones (§4's value, added minus removed, is kept). */
function canonical2P(added: readonly string[], removed: readonly string[]): TwoPSet {
  return { added: differenceSorted(added, removed), removed };
}

/**
 * Two-phase set operations: `add` and `remove` return deltas (removing an element not in the
 * set is a no-op delta), `join` unions both halves and keeps a removed element only as its
 * tombstone (the quotient of §4's lattice by "added minus removed": join, value and every law are
 * unchanged, the state is smaller), `value` is added minus removed.
 *
 * @example
 * ```ts
 * import { TwoPSet } from 'distkit/replication';
 * let s = TwoPSet.join(TwoPSet.empty(), TwoPSet.add(TwoPSet.empty(), 'x'));
 * s = TwoPSet.join(s, TwoPSet.remove(s, 'x'));
 * s = TwoPSet.join(s, TwoPSet.add(s, 'x'));
 * TwoPSet.value(s); //=> []
 * ```
 */
export const TwoPSet = Object.freeze({
  /** The empty set. */
  empty: (): TwoPSet => ({ added: [], removed: [] }),
  /** The delta of adding `element`. */
  add: (_s: TwoPSet, element: string): TwoPSet => ({ added: [element], removed: [] }),
  /** The delta of removing `element` (empty when it is not in the set). */
  remove: (s: TwoPSet, element: string): TwoPSet => ({ added: [], removed: sortedHas(s.added, element) ? [element] : [] }),
  /** Union of both halves, removed elements dropped from `added`. */
  join(a: TwoPSet, b: TwoPSet): TwoPSet {
    const removed = unionSorted(a.removed, b.removed);
    const added = sameElements(differenceSorted(unionSorted(a.added, b.added), removed), a.added);
    // A late add of a removed element changes nothing: the join returns `a` itself (no inflation).
    return added === a.added && removed === a.removed ? a : { added, removed };
  },
  /** True when `element` was added and not removed. */
  has: (s: TwoPSet, element: string): boolean => sortedHas(s.added, element) && !sortedHas(s.removed, element),
  /** The elements, sorted. */
  value: (s: TwoPSet): string[] => s.added.filter((e) => !sortedHas(s.removed, e)),
  /** Validates an untrusted set or delta, returned in the canonical form (an element both added and removed kept as its tombstone). */
  parse: (x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<TwoPSet> =>
    runParser(limits, (ctx) => {
      const o = object(x, 'delta');
      return canonical2P(parseSorted(field(o, 'added', 'delta'), 'delta.added', ctx), parseSorted(field(o, 'removed', 'delta'), 'delta.removed', ctx));
    }),
});

/** The store of an observed-remove set: a {@link DotMap} from element to the dots (and tokens) supporting it. */
export type ElementDots = DotMap<readonly DotEntry[]>;

/**
 * An add-wins observed-remove set: a dot map from elements to dot sets, with its causal context
 * (§5, Figure 6).
 *
 * @example
 * ```ts
 * import type { AWORSet } from 'distkit/replication';
 * import { DotMap } from 'distkit/replication';
 * const s: AWORSet = { store: DotMap.from({ milk: [['a', 1]] }), cc: { vv: { a: 1 }, cloud: [] } };
 * ```
 */
export type AWORSet = Causal<ElementDots>;

/** The delta that replaces `element`'s dots with `entry` (or removes them when `entry` is absent). */
function replaceElement(s: Causal<ElementDots>, element: string, entry: DotEntry | undefined, dot?: Dot): Causal<ElementDots> {
  const old = dotsOf(DotMap.get(s.store, element));
  const store = entry === undefined ? {} : DotMap.of<readonly DotEntry[]>(element, [entry]);
  return { store, cc: CausalContext.fromDots(dot === undefined ? old : [...old, dot]) };
}

function elementsWhere(store: ElementDots, keep: (entries: readonly DotEntry[]) => boolean): string[] {
  const out: string[] = [];
  for (const b of Object.keys(store)) for (const [e, entries] of store[b]!) if (keep(entries)) out.push(e);
  return out.sort();
}

/**
 * Add-wins observed-remove set operations (§5, Figure 6): `add` returns a delta with a fresh dot
 * for the element and, in its context, the element's dots it saw; `remove` returns just that
 * context, so an add the remover did not see survives (add wins).
 *
 * @example
 * ```ts
 * import { AWORSet } from 'distkit/replication';
 * let a = AWORSet.join(AWORSet.empty(), AWORSet.add(AWORSet.empty(), 'a', 'milk'));
 * const remove = AWORSet.remove(a, 'milk');
 * const concurrentAdd = AWORSet.add(a, 'b', 'milk');
 * AWORSet.value(AWORSet.join(AWORSet.join(a, remove), concurrentAdd)); //=> ['milk']
 * AWORSet.value(AWORSet.join(a, remove)); //=> []
 * ```
 */
export const AWORSet = Object.freeze({
  /** The empty set. */
  empty: (): AWORSet => ({ store: {}, cc: CausalContext.empty() }),
  /** The delta of adding `element` at `replica`. */
  add(s: AWORSet, replica: string, element: string): AWORSet {
    const dot = CausalContext.nextDot(s.cc, replica);
    return replaceElement(s, element, dot, dot);
  },
  /** The delta of removing `element` (every dot of it this replica has seen). */
  remove: (s: AWORSet, element: string): AWORSet => replaceElement(s, element, undefined),
  /** The delta of removing every element seen. */
  clear: (s: AWORSet): AWORSet => ({ store: {}, cc: CausalContext.fromDots(dotsOf(s.store)) }),
  /** Least upper bound (§5). */
  join: (a: AWORSet, b: AWORSet): AWORSet => joinCausal(a, b),
  /** True when `element` is in the set. */
  has: (s: AWORSet, element: string): boolean => DotMap.get(s.store, element) !== undefined,
  /** The elements, sorted. */
  value: (s: AWORSet): string[] => DotMap.keys(s.store).sort(),
  /** Validates an untrusted set or delta. */
  parse: (x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<AWORSet> =>
    runParser(limits, (ctx) => parseCausal(x, 'delta', ctx, (s, p, cc) => parseDotMap(s, p, ctx, (v, q) => parseEntries(v, q, 'dot', cc, ctx)))),
});

/**
 * A remove-wins observed-remove set: a dot map from elements to dot functions whose values are
 * `true` (an add) or `false` (a remove token). An element is in the set when it has entries and
 * all of them are adds, so a remove concurrent with an add wins.
 *
 * @example
 * ```ts
 * import type { RWORSet } from 'distkit/replication';
 * import { DotMap } from 'distkit/replication';
 * const s: RWORSet = { store: DotMap.from({ milk: [['a', 1, true]] }), cc: { vv: { a: 1 }, cloud: [] } };
 * ```
 */
export type RWORSet = Causal<ElementDots>;

const allAdds = (entries: readonly DotEntry[]): boolean => entries.every((e) => e[2] === true);

/**
 * Appends to `out` the dots of every element of a remove-wins store whose tokens all lie in
 * `stable` and include a remove token: an element whose removal is decided for good (the dots
 * that `RWORSet.collect` removes).
 *
 * @example
 * ```ts
 * import { collectableDots, DotMap, type DotEntry } from 'distkit/replication';
 * const store = DotMap.from<readonly DotEntry[]>({ x: [['a', 1, true], ['b', 1, false]], y: [['a', 2, true]] });
 * collectableDots(store, { vv: { a: 2, b: 1 }, cloud: [] }); //=> [['a', 1], ['b', 1]]
 * collectableDots(store, { vv: { a: 2 }, cloud: [] });       //=> []
 * ```
 */
export function collectableDots(store: ElementDots, stable: CausalContext, out: Dot[] = []): Dot[] {
  for (const b of Object.keys(store)) {
    for (const [, entries] of store[b]!) {
      if (allAdds(entries) || !entries.every((x) => CausalContext.contains(stable, x as unknown as Dot))) continue;
      for (const x of entries) out.push([x[0], x[1]]);
    }
  }
  return out;
}

/**
 * Remove-wins observed-remove set operations: `add` and `remove` each return a delta holding one
 * fresh token for the element (an add or a remove) and, in its context, the element's tokens it
 * saw. Remove tokens stay until a later operation on the element covers them, or until `collect`
 * (causal stability, Baquero, Almeida and Shoker, "Making Operation-based CRDTs Operation-based",
 * 2014) returns a delta that removes them everywhere. Tokens are never just dropped locally: a
 * replica that did so would re-add the element with a context that cannot name the token, and a
 * replica still holding it would keep the element removed for good.
 *
 * @example
 * ```ts
 * import { RWORSet } from 'distkit/replication';
 * const a = RWORSet.join(RWORSet.empty(), RWORSet.add(RWORSet.empty(), 'a', 'milk'));
 * const removeAtB = RWORSet.remove(a, 'b', 'milk');
 * const addAtA = RWORSet.add(a, 'a', 'milk');
 * const both = RWORSet.join(RWORSet.join(a, addAtA), removeAtB);
 * RWORSet.value(both); //=> []
 * RWORSet.value(RWORSet.join(a, addAtA)); //=> ['milk']
 * // Once every replica has seen a2 and b2, the decided removal's tokens can go:
 * RWORSet.join(both, RWORSet.collect(both, both.cc)).store; //=> {}
 * ```
 */
export const RWORSet = Object.freeze({
  /** The empty set. */
  empty: (): RWORSet => ({ store: {}, cc: CausalContext.empty() }),
  /** The delta of adding `element` at `replica`. */
  add(s: RWORSet, replica: string, element: string): RWORSet {
    const dot = CausalContext.nextDot(s.cc, replica);
    return replaceElement(s, element, [dot[0], dot[1], true], dot);
  },
  /** The delta of removing `element` at `replica` (a remove token that wins over concurrent adds). */
  remove(s: RWORSet, replica: string, element: string): RWORSet {
    const dot = CausalContext.nextDot(s.cc, replica);
    return replaceElement(s, element, [dot[0], dot[1], false], dot);
  },
  /**
   * The delta that collects the tombstones of elements removed for good: an observed-remove of
   * every token of each element whose tokens are all in `stable` and include a remove token.
   * `stable` must be causally stable at this replica — every replica has seen its dots, and this
   * replica has seen every dot any of them had seen (what `stableContext` of `deltaAntiEntropy`
   * returns) — so that every later operation is causally after the collected tokens. Ship it like
   * any delta: a replica that joins it drops the same tokens, and one that re-adds the element
   * afterwards is not beaten by a token it no longer holds.
   */
  collect: (s: RWORSet, stable: CausalContext): RWORSet => ({ store: {}, cc: CausalContext.fromDots(collectableDots(s.store, stable)) }),
  /** Least upper bound (§5). */
  join: (a: RWORSet, b: RWORSet): RWORSet => joinCausal(a, b),
  /** True when `element` is in the set. */
  has(s: RWORSet, element: string): boolean {
    const entries = DotMap.get(s.store, element);
    return entries !== undefined && allAdds(entries);
  },
  /** The elements, sorted. */
  value: (s: RWORSet): string[] => elementsWhere(s.store, allAdds),
  /** Validates an untrusted set or delta. */
  parse: (x: unknown, limits: CrdtLimits = CRDT_LIMITS): Parsed<RWORSet> =>
    runParser(limits, (ctx) => parseCausal(x, 'delta', ctx, (s, p, cc) => parseDotMap(s, p, ctx, (v, q) => parseEntries(v, q, 'flag', cc, ctx)))),
});
