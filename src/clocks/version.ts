import type { NodeId } from '../core/index.js';
import { describeValue, isPlainObject } from '../core/index.js';
import { counterProblem, fail, nodeIdProblem, ok, type ParseResult } from './parse.js';
import {
  assertNodeId,
  ClockError,
  EMPTY_VECTOR_CLOCK,
  mergeVectorClocks,
  parseVectorClock,
  vectorClockEntry,
  type VectorClock,
  type VectorClockLimits,
} from './vector.js';

/**
 * A version vector: the causal context of a replicated value (Parker et al. 1983, "Detection of
 * Mutual Inconsistency in Distributed Systems"), the same data as a {@link VectorClock} with one
 * entry per replica that coordinated writes.
 *
 * @example
 * ```ts
 * import type { VersionVector } from 'distkit/clocks';
 * const ctx: VersionVector = { r1: 2, r2: 1 };
 * ```
 */
export type VersionVector = VectorClock;

/**
 * The identity of one write: the replica that coordinated it and that replica's counter for it.
 *
 * @example
 * ```ts
 * import type { Dot } from 'distkit/clocks';
 * const d: Dot = { node: 'r1', counter: 3 };
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
 * import type { Sibling } from 'distkit/clocks';
 * const s: Sibling<string> = { value: 'cart:[milk]', dot: { node: 'r1', counter: 1 }, context: {} };
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
 * The versions of one key at a replica: concurrent siblings, none superseding another. `[]` means
 * never written.
 *
 * @example
 * ```ts
 * import type { SiblingSet } from 'distkit/clocks';
 * const empty: SiblingSet<number> = [];
 * ```
 */
export type SiblingSet<V> = readonly Sibling<V>[];

/**
 * What a read returns (Dynamo §4.4, DeCandia et al. 2007): every concurrent value, and the merged
 * context to pass back with the next write so that it supersedes them all.
 *
 * @example
 * ```ts
 * import { versionedGet, type VersionedRead } from 'distkit/clocks';
 * const r: VersionedRead<number> = versionedGet([]); //=> { values: [], context: {} }
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

/** The version vector a sibling stands for: its context plus its own dot. */
function siblingClock<V>(s: Sibling<V>): VersionVector {
  return covers(s.context, s.dot) ? s.context : { ...s.context, [s.dot.node]: s.dot.counter };
}

/**
 * Reads a key: all sibling values and their merged context (Dynamo §4.4: "the client must perform
 * the reconciliation"; pass `context` to the next {@link versionedPut}).
 *
 * @example
 * ```ts
 * import { versionedGet, versionedPut } from 'distkit/clocks';
 * let s = versionedPut([], 'r1', {}, 'a');
 * s = versionedPut(s, 'r1', {}, 'b'); // written without having read 'a': concurrent
 * versionedGet(s); //=> { values: ['a', 'b'], context: { r1: 2 } }
 * ```
 */
export function versionedGet<V>(siblings: SiblingSet<V>): VersionedRead<V> {
  let context: VersionVector = EMPTY_VECTOR_CLOCK;
  const values: V[] = [];
  for (const s of siblings) {
    values.push(s.value);
    context = mergeVectorClocks(context, siblingClock(s));
  }
  return { values, context };
}

/**
 * Writes a value at replica `node`, given the `context` the client read (empty for a blind write).
 * The write gets a fresh dot (node, max counter of node seen here + 1); siblings whose dot the
 * context covers are superseded and dropped; the others stay as concurrent siblings (Dynamo §4.4;
 * the dotted form of Preguiça et al. 2010 §5, which keeps two writes with the same context at the
 * same replica as siblings where a plain server-side version vector would lose one of them).
 *
 * `node` and `context` are local inputs; a context from a remote client should first pass
 * {@link parseVectorClock}. Throws {@link ClockError} on an invalid node id.
 *
 * @example
 * ```ts
 * import { versionedGet, versionedPut } from 'distkit/clocks';
 * let s = versionedPut([], 'r1', {}, 'v1');
 * const { context } = versionedGet(s);
 * s = versionedPut(s, 'r1', context, 'v2'); // read-modify-write: supersedes v1
 * versionedGet(s).values; //=> ['v2']
 * ```
 */
export function versionedPut<V>(siblings: SiblingSet<V>, node: NodeId, context: VersionVector, value: V): SiblingSet<V> {
  assertNodeId(node, 'versionedPut');
  let counter = vectorClockEntry(context, node);
  for (const s of siblings) {
    counter = Math.max(counter, vectorClockEntry(s.context, node));
    if (s.dot.node === node) counter = Math.max(counter, s.dot.counter);
  }
  if (counter >= Number.MAX_SAFE_INTEGER) throw new ClockError('versionedPut: write counter would exceed 2^53 - 1');
  const kept = siblings.filter((s) => !covers(context, s.dot));
  kept.push({ value, dot: { node, counter: counter + 1 }, context });
  return kept;
}

/**
 * Joins the sibling sets of the same key from two replicas (anti-entropy, read repair): keeps each
 * sibling unless the other side has superseded it — i.e. the other side does not hold the same dot
 * and one of its siblings' contexts covers it. Commutative, associative and idempotent up to order.
 *
 * @example
 * ```ts
 * import { versionedGet, versionedPut, versionedSync } from 'distkit/clocks';
 * const a = versionedPut([], 'r1', {}, 'x');
 * const b = versionedPut([], 'r2', {}, 'y');
 * versionedGet(versionedSync(a, b)).values; //=> ['x', 'y']
 * ```
 */
export function versionedSync<V>(a: SiblingSet<V>, b: SiblingSet<V>): SiblingSet<V> {
  const out: Sibling<V>[] = [];
  const has = (set: SiblingSet<V>, d: Dot) => set.some((s) => s.dot.node === d.node && s.dot.counter === d.counter);
  const superseded = (set: SiblingSet<V>, d: Dot) => set.some((s) => covers(s.context, d));
  for (const s of a) if (has(b, s.dot) || !superseded(b, s.dot)) out.push(s);
  for (const s of b) if (!has(a, s.dot) && !superseded(a, s.dot)) out.push(s);
  return out;
}

/**
 * Validates a sibling set received from a peer replica: an array (at most `maxSiblings`, default
 * 256) of `{ value, dot: { node, counter ≥ 1 }, context }` with valid contexts and distinct dots.
 * `parseValue` validates each value (default: accept any value).
 *
 * @example
 * ```ts
 * import { parseSiblingSet } from 'distkit/clocks';
 * parseSiblingSet([{ value: 1, dot: { node: 'r1', counter: 1 }, context: {} }]).ok; //=> true
 * parseSiblingSet([{ value: 1, dot: { node: 'r1', counter: 0 }, context: {} }]).ok; //=> false
 * ```
 */
export function parseSiblingSet<V = unknown>(
  value: unknown,
  options: VectorClockLimits & {
    /** Most siblings accepted (default 256). */
    readonly maxSiblings?: number;
    /** Validates one value; default accepts anything. */
    readonly parseValue?: (value: unknown) => ParseResult<V>;
  } = {},
): ParseResult<SiblingSet<V>> {
  const maxSiblings = options.maxSiblings ?? 256;
  if (!Array.isArray(value)) return fail(`siblings: expected an array, got ${describeValue(value)}`);
  if (value.length > maxSiblings) return fail(`siblings: expected at most ${maxSiblings}, got ${value.length}`);
  const out: Sibling<V>[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < value.length; i++) {
    const s: unknown = value[i];
    const at = `siblings[${i}]`;
    if (!isPlainObject(s)) return fail(`${at}: expected an object, got ${describeValue(s)}`);
    const dot = s['dot'];
    if (!isPlainObject(dot)) return fail(`${at}.dot: expected an object, got ${describeValue(dot)}`);
    const np = nodeIdProblem(dot['node']);
    if (np !== undefined) return fail(`${at}.dot.node: ${np}`);
    const cp = counterProblem(dot['counter'], `${at}.dot.counter`);
    if (cp !== undefined) return fail(cp);
    if (dot['counter'] === 0) return fail(`${at}.dot.counter: expected an integer >= 1, got 0`);
    const key = `${dot['counter'] as number}@${dot['node'] as string}`;
    if (seen.has(key)) return fail(`${at}.dot: duplicate dot ${key}`);
    seen.add(key);
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
    out.push({ value: v, dot: { node: dot['node'] as NodeId, counter: dot['counter'] as number }, context: ctx.value });
  }
  return ok(out);
}
