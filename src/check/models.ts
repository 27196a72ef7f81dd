/**
 * Sequential specifications ("models") for the linearizability checker, and the shipped ones:
 * register, key-value store, set and FIFO queue.
 *
 * @packageDocumentation
 */
import type { History, Operation } from './history.js';
import { canonicalJson, hasOwn, withOwn, withoutOwn } from '../core/index.js';
import { hashString, hashValue, sameValue } from './hash.js';

/**
 * A sequential specification of an object: what each operation does to the state and which
 * outputs it may return. The checker looks for an order of the operations, consistent with
 * real time, in which every observed output is one `step` allows (Herlihy & Wing 1990, §3).
 *
 * Models must be deterministic and must not mutate states: the search keeps old states and
 * comes back to them.
 *
 * @typeParam S - the model state (plain data is easiest; any immutable value works).
 * @typeParam I - operation inputs.
 * @typeParam O - operation outputs.
 * @example
 * ```ts
 * import { checkLinearizability, type Model } from 'distkit/check';
 * // A counter: `inc` adds one, `get` returns the count.
 * type In = { f: 'inc' } | { f: 'get' };
 * const counter: Model<number, In, number | null> = {
 *   init: () => 0,
 *   step: (s, input, output) =>
 *     input.f === 'inc' ? [true, s + 1] : [output === undefined || output === s, s],
 *   hash: (s) => s,
 *   equal: (a, b) => a === b,
 * };
 * // b's read overlaps a's increment, so it may see 0 or 1, but not 2.
 * const history = (seen: number) => [
 *   { id: 0, client: 'a', input: { f: 'inc' } as In, call: 0, output: null, ret: 5 },
 *   { id: 1, client: 'b', input: { f: 'get' } as In, call: 1, output: seen, ret: 3 },
 * ];
 * [0, 1, 2].map((seen) => checkLinearizability(counter, history(seen)).verdict); //=> ['linearizable', 'linearizable', 'not-linearizable']
 * ```
 */
export interface Model<S, I, O> {
  /** The initial state. */
  init(): S;
  /**
   * Applies `input` to `state`. Returns `[ok, next]`: `ok` is whether `output` is a legal result
   * of the operation in `state`, and `next` the state after it. `output` is `undefined` for an
   * operation whose outcome is unknown: then `ok` should be `true` whenever the operation could
   * take effect at all.
   */
  step(state: S, input: I, output: O | undefined): readonly [boolean, S];
  /** A 32-bit hash of a state; equal states must hash equally. Default: hash of canonical JSON. */
  hash?(state: S): number;
  /** State equality. Default: canonical JSON equality. */
  equal?(a: S, b: S): boolean;
  /**
   * Splits a history into independent sub-histories, each checked on its own
   * (P-compositionality: a history is linearizable iff every part is; Herlihy & Wing 1990,
   * §3.3 locality, as used by Horn & Kroening 2015). Default: one partition.
   */
  partition?(history: History<I, O>): History<I, O>[];
  /**
   * Whether a completed operation with this input and output leaves the state unchanged in every
   * state where it is legal (a read, a failed cas). Optional; when given, the checker places such
   * operations greedily, which prunes the search a great deal. Never return `true` for an
   * operation that might change the state.
   */
  readOnly?(input: I, output: O): boolean;
  /** Renders an operation for reports, e.g. `write(3)` or `read() -> 3`. */
  describeOperation?(input: I, output: O | undefined): string;
  /** Renders a state for reports. */
  describeState?(state: S): string;
}

/**
 * Inputs of the register model: read, write, and compare-and-set.
 *
 * @example
 * ```ts
 * import { checkLinearizability, registerModel, type RegisterInput } from 'distkit/check';
 * const op = (id: number, input: RegisterInput<number>, output: number | boolean | null, call: number, ret: number) => ({ id, client: `c${id}`, input, call, output, ret });
 * // A write, then a compare-and-set that succeeds, then a read of the result: one after the other.
 * checkLinearizability(registerModel<number>(), [op(0, { f: 'write', value: 1 }, null, 0, 1), op(1, { f: 'cas', from: 1, to: 2 }, true, 2, 3), op(2, { f: 'read' }, 2, 4, 5)]).verdict; //=> 'linearizable'
 * ```
 */
export type RegisterInput<V> = { readonly f: 'read' } | { readonly f: 'write'; readonly value: V } | { readonly f: 'cas'; readonly from: V; readonly to: V };

/**
 * Outputs of the register model: a read returns the value (`null` when the register was never
 * written), a cas returns `true` if it swapped and `false` if the current value differed, and a
 * write's output is ignored.
 *
 * @example
 * ```ts
 * import { registerModel, type RegisterOutput } from 'distkit/check';
 * // A read returns the value (null before any write), a write null, a cas whether it swapped.
 * const m = registerModel<number>();
 * const ok = (input: Parameters<typeof m.step>[1], out: RegisterOutput<number>) => m.step(m.init(), input, out)[0];
 * [ok({ f: 'read' }, null), ok({ f: 'read' }, 3), ok({ f: 'cas', from: 0, to: 1 }, false)]; //=> [true, false, true]
 * ```
 */
export type RegisterOutput<V> = V | null | boolean;

/**
 * Options of {@link registerModel}.
 *
 * @example
 * ```ts
 * import { checkLinearizability, registerModel } from 'distkit/check';
 * const read0 = [{ id: 0, client: 'a', input: { f: 'read' as const }, call: 0, output: 0, ret: 1 }];
 * // A first read of 0 is fine when the register starts at 0, not when it starts empty.
 * [checkLinearizability(registerModel<number>({ initial: 0 }), read0).verdict, checkLinearizability(registerModel<number>(), read0).verdict]; //=> ['linearizable', 'not-linearizable']
 * ```
 */
export interface RegisterModelOptions<V> {
  /** The value before any write; default `null` (absent, which a read reports as `null`). */
  readonly initial?: V | null;
}

function registerStep<V>(s: V | null, input: RegisterInput<V>, output: RegisterOutput<V> | undefined): readonly [boolean, V | null] {
  switch (input.f) {
    case 'read':
      return [output === undefined || sameValue(output, s), s];
    case 'write':
      return [true, input.value];
    case 'cas': {
      const match = sameValue(s, input.from);
      if (output === undefined) return [true, match ? input.to : s];
      if (output === true) return [match, match ? input.to : s];
      if (output === false) return [!match, s];
      return [false, s];
    }
    default:
      // Not a register operation (hostile or mistyped input): it can never be placed.
      return [false, s];
  }
}

function registerReadOnly<V>(input: RegisterInput<V>, output: RegisterOutput<V>): boolean {
  return input?.f === 'read' || (input?.f === 'cas' && output === false);
}

function describeRegisterOp<V>(input: RegisterInput<V>, output: RegisterOutput<V> | undefined): string {
  const out = output === undefined ? ' -> ?' : ` -> ${JSON.stringify(output)}`;
  switch (input.f) {
    case 'read':
      return `read()${out}`;
    case 'write':
      return `write(${JSON.stringify(input.value)})${output === undefined ? ' -> ?' : ''}`;
    case 'cas':
      return `cas(${JSON.stringify(input.from)}, ${JSON.stringify(input.to)})${out}`;
    default:
      return `${canonicalJson(input)}${out}`;
  }
}

/**
 * A single read/write/compare-and-set register (Jepsen's `cas-register`; the model of the etcd
 * histories). A read of a never-written register returns `null`.
 *
 * @example
 * ```ts
 * import { registerModel, checkLinearizability } from 'distkit/check';
 * const r = checkLinearizability(registerModel<number>(), [
 *   { id: 0, client: 'a', input: { f: 'write', value: 1 }, call: 0, output: null, ret: 2 },
 *   { id: 1, client: 'b', input: { f: 'read' }, call: 1, output: 1, ret: 3 },
 * ]);
 * r.verdict; //=> 'linearizable'
 * ```
 */
export function registerModel<V>(options: RegisterModelOptions<V> = {}): Model<V | null, RegisterInput<V>, RegisterOutput<V>> {
  const initial = options.initial ?? null;
  return {
    init: () => initial,
    step: registerStep,
    readOnly: registerReadOnly,
    hash: hashValue,
    equal: sameValue,
    describeOperation: describeRegisterOp,
    describeState: (s) => JSON.stringify(s),
  };
}

/**
 * Inputs of the key-value model: register operations on one key each.
 *
 * @example
 * ```ts
 * import { checkLinearizability, kvModel, type KvInput } from 'distkit/check';
 * const ops: KvInput<number>[] = [{ f: 'write', key: 'x', value: 1 }, { f: 'cas', key: 'x', from: 1, to: 2 }, { f: 'read', key: 'y' }];
 * const outputs = [null, true, null];
 * const r = checkLinearizability(kvModel<number>(), ops.map((input, id) => ({ id, client: 'a', input, call: id * 2, output: outputs[id]!, ret: id * 2 + 1 })));
 * // Each key is checked on its own.
 * [r.verdict, r.partitions.length]; //=> ['linearizable', 2]
 * ```
 */
export type KvInput<V> = RegisterInput<V> & { readonly key: string };

/** State of the key-value model: the value of every written key. */
export type KvState<V> = Readonly<Record<string, V>>;

/**
 * A key-value store of independent registers with read/write/cas per key. It partitions
 * histories by key, so each key is checked alone (P-compositionality) — much faster than one
 * search over all keys.
 *
 * @example
 * ```ts
 * import { kvModel, checkLinearizability } from 'distkit/check';
 * const r = checkLinearizability(kvModel<number>(), [
 *   { id: 0, client: 'a', input: { f: 'write', key: 'x', value: 1 }, call: 0, output: null, ret: 1 },
 *   { id: 1, client: 'b', input: { f: 'read', key: 'y' }, call: 2, output: null, ret: 3 },
 * ]);
 * r.partitions.length; //=> 2
 * ```
 */
export function kvModel<V>(): Model<KvState<V>, KvInput<V>, RegisterOutput<V>> {
  const empty: KvState<V> = {};
  return {
    init: () => empty,
    step(s, input, output) {
      if (input === null || typeof input !== 'object' || typeof input.key !== 'string') return [false, s];
      const cur = hasOwn(s, input.key) ? (s[input.key] as V) : null;
      const [ok, next] = registerStep<V>(cur, input, output);
      if (!ok || next === cur) return [ok, s];
      // A key is an own data property, so a key named `__proto__` is stored, not made the prototype.
      return [true, next === null ? withoutOwn(s, input.key) : withOwn(s, input.key, next)];
    },
    readOnly: registerReadOnly,
    hash: (s) => hashString(canonicalJson(s)),
    equal: sameValue,
    partition(history) {
      const byKey = new Map<string, Operation<KvInput<V>, RegisterOutput<V>>[]>();
      for (const op of history) {
        const key = op.input !== null && typeof op.input === 'object' && typeof op.input.key === 'string' ? op.input.key : '';
        let part = byKey.get(key);
        if (part === undefined) byKey.set(key, (part = []));
        part.push(op);
      }
      return [...byKey.values()];
    },
    describeOperation: (input, output) => {
      const key = input !== null && typeof input === 'object' ? input.key : undefined;
      return `${JSON.stringify(key)}: ${describeRegisterOp(input, output)}`;
    },
    describeState: (s) => canonicalJson(s),
  };
}

/**
 * Inputs of the set model: add an element, remove one, or read the whole set.
 *
 * @example
 * ```ts
 * import { checkLinearizability, setModel, type SetInput } from 'distkit/check';
 * const ops: SetInput<string>[] = [{ f: 'add', value: 'a' }, { f: 'remove', value: 'a' }, { f: 'read' }];
 * const run = (read: string[]) => checkLinearizability(setModel<string>(), ops.map((input, id) => ({ id, client: 'c', input, call: id * 2, output: id === 2 ? read : null, ret: id * 2 + 1 }))).verdict;
 * // After the add and the remove, the read must see an empty set.
 * [run([]), run(['a'])]; //=> ['linearizable', 'not-linearizable']
 * ```
 */
export type SetInput<V> = { readonly f: 'add'; readonly value: V } | { readonly f: 'remove'; readonly value: V } | { readonly f: 'read' };

/**
 * Outputs of the set model: a read returns the elements in any order; add/remove outputs are
 * ignored (`null`).
 *
 * @example
 * ```ts
 * import { setModel, type SetOutput } from 'distkit/check';
 * const m = setModel<string>();
 * const [, s] = m.step(m.init(), { f: 'add', value: 'a' }, null);
 * // A read's output is the set's members in any order.
 * const read: SetOutput<string> = ['a'];
 * m.step(s, { f: 'read' }, read)[0]; //=> true
 * ```
 */
export type SetOutput<V> = readonly V[] | null;

/** State of the set model: the canonical JSON of each element, sorted. */
export type SetState = readonly string[];

function insertSorted(s: SetState, key: string): SetState {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((s[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  if (s[lo] === key) return s;
  return [...s.slice(0, lo), key, ...s.slice(lo)];
}

/**
 * A set with add, remove and read-all (Jepsen's `set` workload, with removals).
 *
 * @example
 * ```ts
 * import { setModel, checkLinearizability } from 'distkit/check';
 * const r = checkLinearizability(setModel<number>(), [
 *   { id: 0, client: 'a', input: { f: 'add', value: 1 }, call: 0, output: null, ret: 1 },
 *   { id: 1, client: 'b', input: { f: 'read' }, call: 2, output: [], ret: 3 },
 * ]);
 * r.verdict; //=> 'not-linearizable'
 * ```
 */
export function setModel<V>(): Model<SetState, SetInput<V>, SetOutput<V>> {
  const empty: SetState = [];
  return {
    init: () => empty,
    step(s, input, output) {
      switch (input?.f) {
        case 'add':
          return [true, insertSorted(s, canonicalJson(input.value))];
        case 'remove': {
          const key = canonicalJson(input.value);
          return [true, s.includes(key) ? s.filter((k) => k !== key) : s];
        }
        case 'read': {
          if (output === undefined) return [true, s];
          if (!Array.isArray(output)) return [false, s];
          const seen = [...new Set(output.map((x) => canonicalJson(x)))].sort();
          return [seen.length === s.length && output.length === s.length && seen.every((k, i) => k === s[i]), s];
        }
        default:
          return [false, s];
      }
    },
    readOnly: (input) => input?.f === 'read',
    hash: (s) => hashString(s.join('\u0000')),
    equal: (a, b) => a === b || (a.length === b.length && a.every((k, i) => k === b[i])),
    describeOperation: (input, output) => `${input?.f ?? '?'}(${input?.f === 'read' ? '' : JSON.stringify((input as { value?: unknown }).value)})${input?.f === 'read' ? ` -> ${output === undefined ? '?' : JSON.stringify(output)}` : ''}`,
    describeState: (s) => `{${s.join(', ')}}`,
  };
}

/**
 * Inputs of the FIFO queue model.
 *
 * @example
 * ```ts
 * import { checkLinearizability, queueModel, type QueueInput } from 'distkit/check';
 * const ops: QueueInput<number>[] = [{ f: 'enqueue', value: 7 }, { f: 'enqueue', value: 8 }, { f: 'dequeue' }];
 * const run = (got: number) => checkLinearizability(queueModel<number>(), ops.map((input, id) => ({ id, client: 'c', input, call: id * 2, output: id === 2 ? got : null, ret: id * 2 + 1 }))).verdict;
 * // FIFO: the first dequeue after two enqueues returns the first value.
 * [run(7), run(8)]; //=> ['linearizable', 'not-linearizable']
 * ```
 */
export type QueueInput<V> = { readonly f: 'enqueue'; readonly value: V } | { readonly f: 'dequeue' };

/**
 * Outputs of the queue model: a dequeue returns the head element, or `null` when the queue was
 * empty; an enqueue's output is ignored.
 *
 * @example
 * ```ts
 * import { queueModel, type QueueOutput } from 'distkit/check';
 * const m = queueModel<number>();
 * // A dequeue from an empty queue returns null.
 * const empty: QueueOutput<number> = null;
 * m.step(m.init(), { f: 'dequeue' }, empty)[0]; //=> true
 * ```
 */
export type QueueOutput<V> = V | null;

/** State of the queue model: the canonical JSON of each element, head first. */
export type QueueState = readonly string[];

/**
 * A FIFO queue with enqueue and dequeue.
 *
 * @example
 * ```ts
 * import { queueModel, checkLinearizability } from 'distkit/check';
 * const r = checkLinearizability(queueModel<number>(), [
 *   { id: 0, client: 'a', input: { f: 'enqueue', value: 1 }, call: 0, output: null, ret: 1 },
 *   { id: 1, client: 'a', input: { f: 'enqueue', value: 2 }, call: 2, output: null, ret: 3 },
 *   { id: 2, client: 'b', input: { f: 'dequeue' }, call: 4, output: 2, ret: 5 },
 * ]);
 * r.verdict; //=> 'not-linearizable'
 * ```
 */
export function queueModel<V>(): Model<QueueState, QueueInput<V>, QueueOutput<V>> {
  const empty: QueueState = [];
  return {
    init: () => empty,
    step(s, input, output) {
      switch (input?.f) {
        case 'enqueue':
          return [true, [...s, canonicalJson(input.value)]];
        case 'dequeue': {
          if (s.length === 0) return [output === undefined || output === null, s];
          const ok = output === undefined || (output !== null && canonicalJson(output) === s[0]);
          return [ok, s.slice(1)];
        }
        default:
          return [false, s];
      }
    },
    readOnly: (input, output) => input?.f === 'dequeue' && output === null,
    hash: (s) => hashString(s.join('\u0000')),
    equal: (a, b) => a === b || (a.length === b.length && a.every((k, i) => k === b[i])),
    describeOperation: (input, output) =>
      input?.f === 'enqueue' ? `enqueue(${JSON.stringify(input.value)})` : `dequeue() -> ${output === undefined ? '?' : JSON.stringify(output)}`,
    describeState: (s) => `[${s.join(', ')}]`,
  };
}
