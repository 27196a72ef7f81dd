/**
 * Dots and causal contexts: the causality metadata of delta-state CRDTs (Almeida, Shoker and
 * Baquero, "Delta State Replicated Data Types", JPDC 2018, arXiv:1603.01529, §5).
 *
 * @packageDocumentation
 */
import { setOwn } from '../../core/index.js';
import { copyRecord } from './copy.js';

/**
 * A dot: the `counter`-th event of replica `replica` (§5, "dots"). Counters start at 1.
 *
 * @example
 * ```ts
 * import type { Dot } from 'distkit/replication';
 * const d: Dot = ['a', 3];
 * ```
 */
export type Dot = readonly [replica: string, counter: number];

/**
 * A causal context in the compact form of §5: a version vector `vv` (replica → every counter up
 * to it was seen) and a sorted dot cloud `cloud` of the seen dots not contiguous with `vv`.
 * Canonical: every cloud dot `[r, n]` has `n > vv[r] + 1`, so equal sets of dots have equal
 * contexts.
 *
 * @example
 * ```ts
 * import type { CausalContext } from 'distkit/replication';
 * const cc: CausalContext = { vv: { a: 2 }, cloud: [['a', 4]] }; // dots a1, a2, a4
 * ```
 */
export interface CausalContext {
  readonly vv: Readonly<Record<string, number>>;
  readonly cloud: readonly Dot[];
}

/** Orders dots by replica id, then counter (the canonical order of clouds and dot stores). */
export function compareDots(a: Dot, b: Dot): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] - b[1];
}

const hasOwn = Object.prototype.hasOwnProperty;

/** `vv[r]`, or 0: an own property only (a replica may be named `__proto__`). */
function counterOf(vv: Readonly<Record<string, number>>, r: string): number {
  return hasOwn.call(vv, r) ? vv[r]! : 0;
}

const EMPTY_CC: CausalContext = Object.freeze({ vv: Object.freeze({}), cloud: Object.freeze([]) as readonly Dot[] });

function contains(cc: CausalContext, dot: Dot): boolean {
  if (dot[1] <= counterOf(cc.vv, dot[0])) return true;
  const cloud = cc.cloud;
  let lo = 0;
  let hi = cloud.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = compareDots(cloud[mid]!, dot);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Folds cloud dots contiguous with the version vector into it (§5, "compact"); `cloud` is sorted. */
function compact(vv: Record<string, number>, cloud: readonly Dot[]): CausalContext {
  const rest: Dot[] = [];
  for (const dot of cloud) {
    const seen = counterOf(vv, dot[0]);
    if (dot[1] === seen + 1) setOwn(vv, dot[0], dot[1]);
    else if (dot[1] > seen && (rest.length === 0 || compareDots(rest[rest.length - 1]!, dot) !== 0)) rest.push(dot);
  }
  return { vv, cloud: rest };
}

function mergeSortedDots(a: readonly Dot[], b: readonly Dot[]): Dot[] {
  const out: Dot[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const c = i === a.length ? 1 : j === b.length ? -1 : compareDots(a[i]!, b[j]!);
    if (c <= 0) out.push(a[i++]!);
    if (c >= 0) {
      if (c > 0) out.push(b[j]!);
      j++;
    }
  }
  return out;
}

function join(a: CausalContext, b: CausalContext): CausalContext {
  if (a === b) return a;
  // Copy on write: a delta's context usually raises one replica, or adds a dot or two. (No
  // emptiness test up front: enumerating a large version vector costs as much as the join.)
  let vv: Record<string, number> | undefined;
  for (const r in b.vv) {
    if (!hasOwn.call(b.vv, r)) continue;
    const n = b.vv[r]!;
    if (n > counterOf(vv ?? a.vv, r)) setOwn((vv ??= copyRecord(a.vv)), r, n);
  }
  const seen: CausalContext = vv === undefined ? a : { vv, cloud: a.cloud };
  let fresh: Dot[] | undefined;
  for (const d of b.cloud) if (!contains(seen, d)) (fresh ??= []).push(d);
  if (vv === undefined && fresh === undefined) return a;
  vv ??= copyRecord(a.vv);
  if (fresh === undefined) return a.cloud.length === 0 ? { vv, cloud: a.cloud } : compact(vv, a.cloud);
  return compact(vv, a.cloud.length === 0 ? fresh : mergeSortedDots(a.cloud, fresh));
}

function isEmpty(cc: CausalContext): boolean {
  if (cc.cloud.length > 0) return false;
  for (const r in cc.vv) if (hasOwn.call(cc.vv, r)) return false;
  return true;
}

/** The compact context of a set of dots (any order, duplicates allowed). */
function fromDots(dots: readonly Dot[]): CausalContext {
  if (dots.length === 0) return EMPTY_CC;
  // A mutator's dots (a key's sorted entries, then the fresh dot) usually come sorted already.
  let sorted = true;
  for (let i = 1; i < dots.length && sorted; i++) sorted = compareDots(dots[i - 1]!, dots[i]!) <= 0;
  return compact({}, sorted ? dots : [...dots].sort(compareDots));
}

/** The next dot of `replica`: one past the largest counter of `replica` in `cc`. */
function nextDot(cc: CausalContext, replica: string): Dot {
  let max = counterOf(cc.vv, replica);
  for (const d of cc.cloud) if (d[0] === replica && d[1] > max) max = d[1];
  return [replica, max + 1];
}

/** Adds one dot (returns a new context). */
function add(cc: CausalContext, dot: Dot): CausalContext {
  return contains(cc, dot) ? cc : join(cc, fromDots([dot]));
}

/** True when every dot of `a` is in `b`. */
function leq(a: CausalContext, b: CausalContext): boolean {
  for (const r of Object.keys(a.vv)) {
    const n = a.vv[r]!;
    const have = counterOf(b.vv, r);
    if (n > have) {
      for (let k = have + 1; k <= n; k++) if (!contains(b, [r, k])) return false;
    }
  }
  return a.cloud.every((d) => contains(b, d));
}

/**
 * Causal contexts (§5): membership, join, the next dot of a replica, and the compact form.
 *
 * @example
 * ```ts
 * import { CausalContext } from 'distkit/replication';
 * const cc = CausalContext.fromDots([['a', 1], ['a', 2], ['b', 3]]);
 * cc;                                   //=> { vv: { a: 2 }, cloud: [['b', 3]] }
 * CausalContext.contains(cc, ['b', 3]); //=> true
 * CausalContext.nextDot(cc, 'a');       //=> ['a', 3]
 * CausalContext.join(cc, CausalContext.fromDots([['b', 1], ['b', 2]])); //=> { vv: { a: 2, b: 3 }, cloud: [] }
 * ```
 */
export const CausalContext = Object.freeze({
  /** The empty context. */
  empty: (): CausalContext => EMPTY_CC,
  /** True when `dot` is in the context. */
  contains,
  /** Least upper bound: the union of both dot sets, compacted. */
  join,
  /** The compact context of a set of dots. */
  fromDots,
  /** One past the largest counter of `replica` in the context. */
  nextDot,
  /** The context with one more dot. */
  add,
  /** True when the context has no dot. */
  isEmpty,
  /** True when every dot of `a` is in `b`. */
  leq,
});

