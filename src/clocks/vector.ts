import type { NodeId } from '../core/index.js';
import { ClockError, describeValue, isPlainObject } from '../core/index.js';
import { counterProblem, fail, nodeIdProblem, ok, type ParseResult } from './parse.js';

/**
 * A vector clock (Fidge 1988; Mattern 1988 §3): a sparse map from node id to the number of events
 * of that node known to have happened. An absent entry means 0, so membership is dynamic: a node
 * joins by incrementing its entry. Plain JSON data; never mutated by the functions of this module.
 *
 * @example
 * ```ts
 * import type { VectorClock } from 'distkit/clocks';
 * const vc: VectorClock = { a: 2, b: 1 };
 * ```
 */
export type VectorClock = Readonly<Record<NodeId, number>>;

/**
 * How two vector clocks relate (Mattern 1988 §3): `before` when the first happened before the
 * second (≤ everywhere, < somewhere), `after` for the converse, `equal` when every entry matches,
 * `concurrent` otherwise. Unlike a comparator returning 0 for both, `equal` and `concurrent` differ.
 *
 * @example
 * ```ts
 * import { compareVectorClocks, type ClockOrder } from 'distkit/clocks';
 * const o: ClockOrder = compareVectorClocks({ a: 1 }, { b: 1 }); //=> 'concurrent'
 * ```
 */
export type ClockOrder = 'before' | 'after' | 'equal' | 'concurrent';

/**
 * The empty vector clock (no event known). Frozen; shared.
 *
 * @example
 * ```ts
 * import { EMPTY_VECTOR_CLOCK, incrementVectorClock } from 'distkit/clocks';
 * incrementVectorClock(EMPTY_VECTOR_CLOCK, 'a'); //=> { a: 1 }
 * ```
 */
export const EMPTY_VECTOR_CLOCK: VectorClock = Object.freeze({});

/** @internal */
export function assertNodeId(id: unknown, what: string): asserts id is NodeId {
  const p = nodeIdProblem(id);
  if (p !== undefined) throw new ClockError(`${what}: ${p}`);
}

/**
 * The entry of `id` in `vc` (0 when absent).
 *
 * @example
 * ```ts
 * import { vectorClockEntry } from 'distkit/clocks';
 * vectorClockEntry({ a: 3 }, 'a'); //=> 3
 * vectorClockEntry({ a: 3 }, 'b'); //=> 0
 * ```
 */
export function vectorClockEntry(vc: VectorClock, id: NodeId): number {
  return Object.prototype.hasOwnProperty.call(vc, id) ? (vc[id] as number) : 0;
}

/**
 * Records one event of node `id`: a new clock with `vc[id] + 1` (Mattern 1988 §3, rule for a local
 * or send event). Throws {@link ClockError} on an invalid id or when the counter would pass 2^53 − 1.
 *
 * @example
 * ```ts
 * import { incrementVectorClock } from 'distkit/clocks';
 * incrementVectorClock({ a: 1 }, 'b'); //=> { a: 1, b: 1 }
 * ```
 */
export function incrementVectorClock(vc: VectorClock, id: NodeId): VectorClock {
  assertNodeId(id, 'incrementVectorClock');
  const next = vectorClockEntry(vc, id) + 1;
  if (next > Number.MAX_SAFE_INTEGER) throw new ClockError(`incrementVectorClock: counter of ${JSON.stringify(id)} would exceed 2^53 - 1`);
  return { ...vc, [id]: next };
}

/**
 * The pointwise maximum of two clocks (Mattern 1988 §3, rule for a receive event, before the
 * receiver's increment): the least clock that descends from both. Returns `a` itself when it
 * already descends from `b` (and `b` when `b` descends from `a`), so merging known history
 * allocates nothing. Commutative, associative and idempotent (up to entry order).
 *
 * Inputs must be valid clocks: local ones, or peer ones that passed {@link parseVectorClock}.
 *
 * @example
 * ```ts
 * import { mergeVectorClocks } from 'distkit/clocks';
 * mergeVectorClocks({ a: 2, b: 1 }, { b: 3, c: 1 }); //=> { a: 2, b: 3, c: 1 }
 * ```
 */
export function mergeVectorClocks(a: VectorClock, b: VectorClock): VectorClock {
  // Fast path: clocks exchanged among the same members usually list the same ids in the same
  // order (same hidden class), so one walk over each, reading only its own entries, decides.
  let n = 0;
  for (const k in a) {
    scratchKeys[n] = k;
    scratchValues[n++] = a[k] as number;
  }
  let j = 0;
  let ups = 0; // entries where b is ahead (their indices fill scratchUps from the front)
  let downs = 0; // entries where a is ahead (their indices fill scratchDowns)
  for (const k in b) {
    if (j >= n || scratchKeys[j] !== k) return mergeGeneric(a, b);
    const y = b[k] as number;
    const x = scratchValues[j] as number;
    if (y > x) {
      scratchUps[ups++] = j;
      scratchUpValues[j] = y;
    } else if (x > y) scratchDowns[downs++] = j;
    j++;
  }
  if (j !== n) return mergeGeneric(a, b);
  if (ups === 0) return a;
  if (downs === 0) return b;
  // Copy the clock that is ahead in more entries, then raise the fewer others.
  if (ups <= downs) {
    const out: Record<NodeId, number> = { ...a };
    for (let u = 0; u < ups; u++) {
      const i = scratchUps[u] as number;
      out[scratchKeys[i] as string] = scratchUpValues[i] as number;
    }
    return out;
  }
  const out: Record<NodeId, number> = { ...b };
  for (let d = 0; d < downs; d++) {
    const i = scratchDowns[d] as number;
    out[scratchKeys[i] as string] = scratchValues[i] as number;
  }
  return out;
}

// Reused buffers of the aligned fast paths (single-threaded and never re-entered, so sharing them
// is invisible to callers; they only avoid an allocation per call).
const scratchKeys: string[] = [];
const scratchValues: number[] = [];
const scratchUps: number[] = [];
const scratchUpValues: number[] = [];
const scratchDowns: number[] = [];

/** Whether `x` has some entry above `y`'s (an absent entry is 0). */
function somewhereAhead(x: VectorClock, y: VectorClock): boolean {
  for (const k in x) {
    const other = y[k];
    if (other === undefined ? (x[k] as number) > 0 : (x[k] as number) > other) return true;
  }
  return false;
}

function mergeGeneric(a: VectorClock, b: VectorClock): VectorClock {
  if (!somewhereAhead(b, a)) return a;
  if (!somewhereAhead(a, b)) return b;
  const out: Record<NodeId, number> = { ...a };
  for (const k in b) {
    const y = b[k] as number;
    const x = out[k];
    if (x === undefined || y > x) out[k] = y;
  }
  return out;
}

/**
 * Compares two clocks (Mattern 1988 §3): `before` iff `a < b`, `after` iff `a > b`, `equal` iff
 * every entry is the same (absent = 0), `concurrent` otherwise. For clocks stamped on events,
 * `before` is exactly Lamport's happened-before and `concurrent` exactly "neither".
 *
 * @example
 * ```ts
 * import { compareVectorClocks } from 'distkit/clocks';
 * compareVectorClocks({ a: 1 }, { a: 1, b: 1 });       //=> 'before'
 * compareVectorClocks({ a: 2, b: 0 }, { a: 2 });       //=> 'equal'
 * compareVectorClocks({ a: 2 }, { a: 1, b: 1 });       //=> 'concurrent'
 * ```
 */
export function compareVectorClocks(a: VectorClock, b: VectorClock): ClockOrder {
  // Fast path for clocks listing the same ids in the same order (see mergeVectorClocks).
  let n = 0;
  for (const k in a) {
    scratchKeys[n] = k;
    scratchValues[n++] = a[k] as number;
  }
  let less = false; // some entry of a is below b's
  let greater = false; // some entry of a is above b's
  let j = 0;
  for (const k in b) {
    if (j >= n || scratchKeys[j] !== k) return compareGeneric(a, b);
    const y = b[k] as number;
    const x = scratchValues[j] as number;
    if (x > y) {
      if (less) return 'concurrent';
      greater = true;
    } else if (x < y) {
      if (greater) return 'concurrent';
      less = true;
    }
    j++;
  }
  if (j !== n) return compareGeneric(a, b);
  return less ? 'before' : greater ? 'after' : 'equal';
}

function compareGeneric(a: VectorClock, b: VectorClock): ClockOrder {
  let less = false;
  let greater = false;
  for (const k in a) {
    const x = a[k] as number;
    const y = b[k];
    if (y === undefined) {
      if (x > 0) {
        greater = true;
        if (less) return 'concurrent';
      }
    } else if (x > y) {
      greater = true;
      if (less) return 'concurrent';
    } else if (x < y) {
      less = true;
      if (greater) return 'concurrent';
    }
  }
  // Entries of b that a lacks.
  for (const k in b) {
    if (a[k] === undefined && (b[k] as number) > 0) {
      if (greater) return 'concurrent';
      less = true;
      break;
    }
  }
  return less ? 'before' : greater ? 'after' : 'equal';
}

/**
 * `true` when `a` descends from `b` (Riak's `descends`): `a ≥ b` pointwise, i.e. `a` is `after` or
 * `equal` to `b` — every event `b` knows of, `a` knows of.
 *
 * @example
 * ```ts
 * import { vectorClockDescends } from 'distkit/clocks';
 * vectorClockDescends({ a: 2, b: 1 }, { a: 1 }); //=> true
 * vectorClockDescends({ a: 1 }, { a: 1 });       //=> true
 * vectorClockDescends({ a: 1 }, { b: 1 });       //=> false
 * ```
 */
export function vectorClockDescends(a: VectorClock, b: VectorClock): boolean {
  for (const k in b) {
    const y = b[k] as number;
    if (y > 0) {
      const x = a[k];
      if (x === undefined || x < y) return false;
    }
  }
  return true;
}

/**
 * `true` when neither clock descends from the other (a conflict, for version vectors).
 *
 * @example
 * ```ts
 * import { vectorClocksConcurrent } from 'distkit/clocks';
 * vectorClocksConcurrent({ a: 1 }, { b: 1 }); //=> true
 * ```
 */
export function vectorClocksConcurrent(a: VectorClock, b: VectorClock): boolean {
  return compareVectorClocks(a, b) === 'concurrent';
}

/**
 * Drops the entries of departed nodes. Only safe once every clock that will ever be compared with
 * the result has also dropped them (or the departed nodes' events are known to everyone): pruning
 * forgets history, so a clock pruned on one side may compare `concurrent` where it was `before`.
 * Returns `vc` itself when none of `departed` is present.
 *
 * @example
 * ```ts
 * import { pruneVectorClock } from 'distkit/clocks';
 * pruneVectorClock({ a: 2, b: 1, c: 4 }, ['c']); //=> { a: 2, b: 1 }
 * ```
 */
export function pruneVectorClock(vc: VectorClock, departed: Iterable<NodeId>): VectorClock {
  let out: Record<NodeId, number> | undefined;
  for (const id of departed) {
    if (Object.prototype.hasOwnProperty.call(out ?? vc, id)) {
      out ??= { ...vc };
      delete out[id];
    }
  }
  return out ?? vc;
}

/**
 * Keeps only the entries of current members: the dual of {@link pruneVectorClock} for a host that
 * knows the membership rather than who left. Returns `vc` itself when nothing is dropped.
 *
 * @example
 * ```ts
 * import { retainVectorClock } from 'distkit/clocks';
 * retainVectorClock({ a: 2, b: 1, c: 4 }, ['a', 'b']); //=> { a: 2, b: 1 }
 * ```
 */
export function retainVectorClock(vc: VectorClock, members: Iterable<NodeId>): VectorClock {
  const keep = new Set(members);
  let drop = false;
  for (const k in vc) {
    if (!keep.has(k)) {
      drop = true;
      break;
    }
  }
  if (!drop) return vc;
  const out: Record<NodeId, number> = {};
  for (const k in vc) if (keep.has(k)) out[k] = vc[k] as number;
  return out;
}

/**
 * Options of {@link parseVectorClock}.
 *
 * @example
 * ```ts
 * import { parseVectorClock } from 'distkit/clocks';
 * parseVectorClock({ a: 1, b: 1 }, { maxEntries: 1 }).ok; //=> false
 * ```
 */
export interface VectorClockLimits {
  /** Most entries accepted (default 4096): a bound on what a peer can make us store and scan. */
  readonly maxEntries?: number;
}

/**
 * Validates a vector clock received from a peer. Accepts a plain object whose keys are valid node
 * ids (see {@link nodeIdProblem}: no `__proto__`, `constructor`...) and whose values are safe
 * integers ≥ 0, with at most `maxEntries` entries. Anything else — negative, NaN, fractional,
 * infinite or > 2^53 − 1 counters, strings, arrays, class instances, prototype keys — is refused
 * with a reason, so it never reaches {@link mergeVectorClocks}. The accepted value is a fresh copy.
 *
 * @example
 * ```ts
 * import { parseVectorClock } from 'distkit/clocks';
 * parseVectorClock({ a: 1, b: 2 });                     //=> { ok: true, value: { a: 1, b: 2 } }
 * parseVectorClock({ a: 1.5 });                         //=> { ok: false, reason: 'a: expected an integer >= 0, got 1.5' }
 * parseVectorClock(JSON.parse('{"__proto__": 1}')).ok;  //=> false
 * ```
 */
export function parseVectorClock(value: unknown, limits: VectorClockLimits = {}): ParseResult<VectorClock> {
  const maxEntries = limits.maxEntries ?? 4096;
  if (!isPlainObject(value)) return fail(`vector clock: expected a plain object, got ${describeValue(value)}`);
  if (Object.getOwnPropertySymbols(value).length > 0) return fail('vector clock: symbol keys are not allowed');
  const keys = Object.getOwnPropertyNames(value);
  if (keys.length > maxEntries) return fail(`vector clock: expected at most ${maxEntries} entries, got ${keys.length}`);
  for (const k of keys) {
    const idp = nodeIdProblem(k);
    if (idp !== undefined) return fail(`vector clock: ${idp}`);
    const desc = Object.getOwnPropertyDescriptor(value, k);
    if (desc === undefined || !('value' in desc) || !desc.enumerable) return fail(`${k}: expected a plain data property`);
    const cp = counterProblem(desc.value, k);
    if (cp !== undefined) return fail(cp);
  }
  // Only own enumerable data properties with safe keys remain, so a spread copies exactly them,
  // and (unlike key-by-key assignment) gives an object engines keep in their fast representation.
  return ok({ ...(value as Record<NodeId, number>) });
}
