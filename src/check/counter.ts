/**
 * Jepsen's counter checker: is every read between what was surely added and what may have been?
 *
 * @packageDocumentation
 */
import type { History, Operation } from './history.js';
import { assertHistory } from './linearizability.js';

/**
 * Inputs of a counter history: add `value` (an increment, or a decrement when negative), or read.
 *
 * @example
 * ```ts
 * import { checkCounter } from 'distkit/check';
 * import type { CounterInput } from 'distkit/check';
 * const add: CounterInput = { f: 'add', value: 1 };
 * const read: CounterInput = { f: 'read' };
 * // Two acknowledged adds, then a read of 2: within [acknowledged, attempted].
 * checkCounter([
 *   { id: 0, client: 'a', input: add, call: 0, ret: 1, output: null },
 *   { id: 1, client: 'b', input: add, call: 0, ret: 1, output: null },
 *   { id: 2, client: 'c', input: read, call: 2, ret: 3, output: 2 },
 * ]).valid; //=> true
 * ```
 */
export type CounterInput = { readonly f: 'add'; readonly value: number } | { readonly f: 'read' };

/**
 * Outputs of a counter history: a read returns the counter; an add's output is ignored.
 *
 * @example
 * ```ts
 * import { checkCounter } from 'distkit/check';
 * import type { CounterOutput } from 'distkit/check';
 * // A read of 4 after only two adds were even attempted: impossible.
 * const four: CounterOutput = 4;
 * checkCounter([
 *   { id: 0, client: 'a', input: { f: 'add', value: 1 }, call: 0, ret: 1, output: null },
 *   { id: 1, client: 'b', input: { f: 'add', value: 1 }, call: 0, ret: 1, output: null },
 *   { id: 2, client: 'c', input: { f: 'read' }, call: 2, ret: 3, output: four },
 * ]).errors; //=> [{ id: 2, value: 4, lower: 2, upper: 2 }]
 * ```
 */
export type CounterOutput = number | null;

/**
 * One read of {@link checkCounter}: its value and the bounds it had to fall within.
 *
 * @example
 * ```ts
 * import { checkCounter } from 'distkit/check';
 * import type { CounterRead } from 'distkit/check';
 * // A read concurrent with an add may see it or not: its bounds are [1, 2].
 * const reads: readonly CounterRead[] = checkCounter([
 *   { id: 0, client: 'a', input: { f: 'add', value: 1 }, call: 0, ret: 1, output: null },
 *   { id: 1, client: 'b', input: { f: 'add', value: 1 }, call: 2, ret: 6, output: null },
 *   { id: 2, client: 'c', input: { f: 'read' }, call: 3, ret: 4, output: 1 },
 * ]).reads;
 * reads; //=> [{ id: 2, value: 1, lower: 1, upper: 2 }]
 * ```
 */
export interface CounterRead {
  readonly id: number;
  readonly value: number;
  /** The sum of acknowledged adds that completed before the read began. */
  readonly lower: number;
  /** The sum of every add invoked before the read completed. */
  readonly upper: number;
}

/**
 * The verdict of {@link checkCounter}.
 *
 * @example
 * ```ts
 * import { checkCounter } from 'distkit/check';
 * checkCounter([]).valid; //=> true
 * ```
 */
export interface CounterCheckResult {
  readonly valid: boolean;
  /** Every completed read with its bounds. */
  readonly reads: readonly CounterRead[];
  /** The reads outside their bounds. */
  readonly errors: readonly CounterRead[];
}

type Event = { readonly time: number; readonly done: boolean; readonly op: Operation<CounterInput, CounterOutput> };

/**
 * Jepsen's `counter` checker (jepsen.checker/counter): a read must return at least the sum of
 * the adds acknowledged before it began, and at most the sum of the adds invoked before it
 * returned (an add with no response counts as invoked forever). A negative add lowers the lower
 * bound when invoked and the upper bound when acknowledged. Invocations and returns are ordered
 * by time, an invocation first on a tie. Malformed operations are skipped.
 *
 * @example
 * ```ts
 * import { checkCounter } from 'distkit/check';
 * const r = checkCounter([
 *   { id: 0, client: 'a', input: { f: 'add', value: 1 }, call: 0, output: null, ret: 1 },
 *   { id: 1, client: 'b', input: { f: 'add', value: 1 }, call: 2 },
 *   { id: 2, client: 'c', input: { f: 'read' }, call: 3, output: 0, ret: 4 },
 * ]);
 * [r.valid, r.errors]; //=> [false, [{ id: 2, value: 0, lower: 1, upper: 2 }]]
 * ```
 */
export function checkCounter(history: History<CounterInput, CounterOutput>): CounterCheckResult {
  assertHistory(history, (op) => (op.input !== null && typeof op.input === 'object' ? undefined : 'input: expected an { f } object'));
  const events: Event[] = [];
  for (const op of history) {
    const f = op?.input?.f;
    if (typeof op.call !== 'number' || (f === 'add' && !Number.isFinite((op.input as { value: number }).value)) || (f !== 'add' && f !== 'read')) continue;
    events.push({ time: op.call, done: false, op });
    if (typeof op.ret === 'number') events.push({ time: op.ret, done: true, op });
  }
  events.sort((a, b) => a.time - b.time || Number(a.done) - Number(b.done));
  let lower = 0;
  let upper = 0;
  const lowerAtCall = new Map<number, number>();
  const reads: CounterRead[] = [];
  for (const e of events) {
    if (e.op.input.f === 'add') {
      const d = e.op.input.value;
      if (!e.done && d >= 0) upper += d;
      else if (!e.done) lower += d;
      else if (d >= 0) lower += d;
      else upper += d;
    } else if (!e.done) {
      lowerAtCall.set(e.op.id, lower);
    } else if (typeof e.op.output === 'number') {
      reads.push({ id: e.op.id, value: e.op.output, lower: lowerAtCall.get(e.op.id) ?? lower, upper });
    }
  }
  const errors = reads.filter((r) => r.value < r.lower || r.value > r.upper);
  return { valid: errors.length === 0, reads, errors };
}
