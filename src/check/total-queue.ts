/**
 * Jepsen's total-queue checker: what goes into a queue must come out. Counts of lost, unexpected,
 * duplicated and recovered values say how bad a failing history is.
 *
 * @packageDocumentation
 */
import { canonicalJson, v } from '../core/index.js';
import type { History, Operation } from './history.js';
import { assertHistory } from './linearizability.js';

/**
 * Operations of a queue history: `enqueue` a value, `dequeue` one (output the value, or `null` when
 * the queue was empty), or `drain` the rest (output every value taken). For a queue with
 * acknowledgements, record a `dequeue` when the consumer's ack succeeded.
 *
 * @example
 * ```ts
 * import { checkTotalQueue } from 'distkit/check';
 * const op = (id: number, input: { f: 'enqueue'; value: number } | { f: 'dequeue' } | { f: 'drain' }, output: number | null | readonly number[] | true) => ({ id, client: `c${id}`, call: id * 2, ret: id * 2 + 1, input, output });
 * import type { TotalQueueInput } from 'distkit/check';
 * const inputs: TotalQueueInput<number>[] = [{ f: 'enqueue', value: 1 }, { f: 'enqueue', value: 2 }, { f: 'dequeue' }, { f: 'drain' }];
 * const outputs: (number | readonly number[] | true)[] = [true, true, 1, [2]];
 * // Every enqueued value comes out exactly once: valid.
 * checkTotalQueue(inputs.map((input, id) => op(id, input, outputs[id]!))).valid; //=> true
 * ```
 */
export type TotalQueueInput<V> = { readonly f: 'enqueue'; readonly value: V } | { readonly f: 'dequeue' } | { readonly f: 'drain' };

/**
 * Outputs of a queue history: a dequeued value or `null`, a drain's values, anything for an
 * enqueue (its presence means the enqueue was acknowledged).
 *
 * @example
 * ```ts
 * import { checkTotalQueue } from 'distkit/check';
 * const op = (id: number, input: { f: 'enqueue'; value: number } | { f: 'dequeue' } | { f: 'drain' }, output: number | null | readonly number[] | true) => ({ id, client: `c${id}`, call: id * 2, ret: id * 2 + 1, input, output });
 * import type { TotalQueueOutput } from 'distkit/check';
 * // The final drain returns what is left; 2 was acknowledged but never comes out: lost.
 * const drained: TotalQueueOutput<number> = [];
 * const r = checkTotalQueue([op(0, { f: 'enqueue', value: 1 }, true), op(1, { f: 'enqueue', value: 2 }, true), op(2, { f: 'dequeue' }, 1), op(3, { f: 'drain' }, drained)]);
 * [r.valid, r.lost]; //=> [false, [2]]
 * ```
 */
export type TotalQueueOutput<V> = V | null | readonly V[] | true;

/**
 * The verdict of {@link checkTotalQueue}, with Jepsen's `total-queue` definitions (multisets):
 *
 * - `attempts`: values of every enqueue invoked; `acknowledged`: of every enqueue that returned;
 * - `dequeued`: values every successful dequeue or drain returned;
 * - `lost` = acknowledged − dequeued: definitely enqueued, never came out;
 * - `unexpected`: dequeued values never enqueued at all;
 * - `duplicated` = dequeued − attempts − unexpected: came out more often than they went in;
 * - `recovered` = (dequeued ∩ attempts) − acknowledged: enqueues of unknown outcome that came out.
 *
 * `valid` when nothing is lost or unexpected; duplicates are allowed (at-least-once delivery).
 * The history must include draining the queue, or values still in it count as lost.
 *
 * @example
 * ```ts
 * import { checkTotalQueue } from 'distkit/check';
 * const op = (id: number, input: { f: 'enqueue'; value: number } | { f: 'dequeue' } | { f: 'drain' }, output: number | null | readonly number[] | true) => ({ id, client: `c${id}`, call: id * 2, ret: id * 2 + 1, input, output });
 * import type { TotalQueueResult } from 'distkit/check';
 * // 1 delivered twice, 9 never enqueued: duplicated and unexpected.
 * const r: TotalQueueResult<number> = checkTotalQueue<number>([op(0, { f: 'enqueue', value: 1 }, true), op(1, { f: 'dequeue' }, 1), op(2, { f: 'dequeue' }, 1), op(3, { f: 'drain' }, [9])]);
 * [r.valid, r.duplicated, r.unexpected]; //=> [false, [1], [9]]
 * ```
 */
export interface TotalQueueResult<V> {
  readonly valid: boolean;
  readonly attemptCount: number;
  readonly acknowledgedCount: number;
  /** Dequeued values that were attempted (multiset intersection). */
  readonly okCount: number;
  readonly lostCount: number;
  readonly unexpectedCount: number;
  readonly duplicatedCount: number;
  readonly recoveredCount: number;
  /** Each lost value once per lost copy. */
  readonly lost: readonly V[];
  readonly unexpected: readonly V[];
  readonly duplicated: readonly V[];
  readonly recovered: readonly V[];
}

/** A multiset keyed by canonical JSON. */
class Bag<V> {
  readonly items = new Map<string, { value: V; count: number }>();
  add(value: V, count = 1): void {
    const key = canonicalJson(value);
    const e = this.items.get(key);
    if (e === undefined) this.items.set(key, { value, count });
    else e.count += count;
  }
  count(value: V): number {
    return this.items.get(canonicalJson(value))?.count ?? 0;
  }
  get size(): number {
    let n = 0;
    for (const e of this.items.values()) n += e.count;
    return n;
  }
  /** Keeps `count(a) op count(b)` copies of each value of `this`. */
  combine(other: Bag<V>, op: (a: number, b: number) => number): Bag<V> {
    const out = new Bag<V>();
    for (const [key, e] of this.items) {
      const n = op(e.count, other.items.get(key)?.count ?? 0);
      if (n > 0) out.items.set(key, { value: e.value, count: n });
    }
    return out;
  }
  minus(other: Bag<V>): Bag<V> {
    return this.combine(other, (a, b) => a - b);
  }
  intersect(other: Bag<V>): Bag<V> {
    return this.combine(other, Math.min);
  }
  list(): V[] {
    const out: V[] = [];
    for (const e of this.items.values()) for (let i = 0; i < e.count; i++) out.push(e.value);
    return out;
  }
}

/**
 * Jepsen's `total-queue` check (jepsen.checker/total-queue): every acknowledged enqueue must be
 * dequeued, and nothing may be dequeued that was never enqueued. O(n). Operations without an
 * output have an unknown outcome: their enqueues are attempts (so their values may be
 * `recovered`), their dequeues count for nothing.
 *
 * @example
 * ```ts
 * import { checkTotalQueue } from 'distkit/check';
 * const r = checkTotalQueue<number>([
 *   { id: 0, client: 'p', input: { f: 'enqueue', value: 1 }, call: 0, output: true, ret: 1 },
 *   { id: 1, client: 'p', input: { f: 'enqueue', value: 2 }, call: 2, output: true, ret: 3 },
 *   { id: 2, client: 'c', input: { f: 'enqueue', value: 3 }, call: 2 },
 *   { id: 3, client: 'q', input: { f: 'drain' }, call: 4, output: [1, 3, 3, 9], ret: 5 },
 * ]);
 * [r.valid, r.lost, r.unexpected, r.duplicated, r.recovered]; //=> [false, [2], [9], [3], [3]]
 * ```
 */
export function checkTotalQueue<V>(history: History<TotalQueueInput<V>, TotalQueueOutput<V>>): TotalQueueResult<V> {
  assertHistory(history, queueOpProblem);
  const attempts = new Bag<V>();
  const acknowledged = new Bag<V>();
  const dequeued = new Bag<V>();
  for (const op of history) {
    const input = op.input;
    const known = op.output !== undefined;
    if (input.f === 'enqueue') {
      attempts.add(input.value);
      if (known) acknowledged.add(input.value);
    } else if (input.f === 'dequeue') {
      if (known && op.output !== null) dequeued.add(op.output as V);
    } else if (input.f === 'drain' && known && Array.isArray(op.output)) {
      for (const value of op.output as readonly V[]) dequeued.add(value);
    }
  }
  const ok = dequeued.intersect(attempts);
  const unexpected = dequeued.combine(attempts, (a, b) => (b === 0 ? a : 0));
  const duplicated = dequeued.minus(attempts).minus(unexpected);
  const lost = acknowledged.minus(dequeued);
  const recovered = ok.minus(acknowledged);
  return {
    valid: lost.size === 0 && unexpected.size === 0,
    attemptCount: attempts.size,
    acknowledgedCount: acknowledged.size,
    okCount: ok.size,
    lostCount: lost.size,
    unexpectedCount: unexpected.size,
    duplicatedCount: duplicated.size,
    recoveredCount: recovered.size,
    lost: lost.list(),
    unexpected: unexpected.list(),
    duplicated: duplicated.list(),
    recovered: recovered.list(),
  };
}

const queueInput = v.tagged({ enqueue: v.object({ f: v.literal('enqueue') }), dequeue: v.object({ f: v.literal('dequeue') }), drain: v.object({ f: v.literal('drain') }) }, 'f');

/** An enqueue, dequeue or drain; a drain's known output is the array of values left. */
function queueOpProblem(op: Operation): string | undefined {
  const problem = queueInput(op.input, 'input');
  if (problem !== undefined) return problem;
  const f = (op.input as { f: string }).f;
  if (f === 'drain' && op.output !== undefined && !Array.isArray(op.output)) return 'output: a drain outputs the array of values it took';
  return undefined;
}
