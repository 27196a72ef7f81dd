/**
 * The linearizability checker: Wing & Gong's backtracking search with Lowe's memoization and
 * P-compositionality.
 *
 * @packageDocumentation
 */
import { ConfigError, canonicalJson, describeValue } from '../core/index.js';
import type { History, Operation } from './history.js';
import type { Model } from './models.js';
import { hashValue, sameValue } from './hash.js';

/**
 * The checker's verdict. `unknown` means the step budget or the deadline ran out first.
 *
 * @example
 * ```ts
 * import type { LinearizabilityVerdict } from 'distkit/check';
 * const v: LinearizabilityVerdict = 'not-linearizable';
 * ```
 */
export type LinearizabilityVerdict = 'linearizable' | 'not-linearizable' | 'unknown';

/**
 * Limits of one {@link checkLinearizability} run. The search is exponential in the worst case;
 * a budget turns "too hard" into an `unknown` verdict instead of a hang. The budget is shared
 * fairly among the partitions (round-robin with a doubling allowance), so one hard partition
 * cannot use it all while another would refute the history in a few steps.
 *
 * @example
 * ```ts
 * import type { LinearizabilityOptions } from 'distkit/check';
 * declare const clock: { now(): number }; // e.g. systemClock from distkit/core
 * const deadlineMs = clock.now() + 1000;
 * const opts: LinearizabilityOptions = { maxSteps: 1e6, deadline: () => clock.now() > deadlineMs };
 * ```
 */
export interface LinearizabilityOptions {
  /** Model steps allowed over all partitions together; default 10,000,000. */
  readonly maxSteps?: number;
  /**
   * Called every 4096 steps (counted over all partitions); returning `true` stops the search, and
   * the partitions still undecided are `unknown`. Inject the clock here (the checker reads none
   * itself).
   */
  readonly deadline?: () => boolean;
  /**
   * Stop as soon as one partition is found not linearizable: one is enough to refute the
   * history. Default `true`; the partitions not decided by then are reported as `unknown`.
   * `false` goes on until every partition is decided (or the budget runs out), to report all
   * the failing ones.
   */
  readonly stopAtFirstFailure?: boolean;
}

/**
 * The outcome for one partition (one key, for a key-value model).
 *
 * @example
 * ```ts
 * import { checkLinearizability, registerModel } from 'distkit/check';
 * const [p] = checkLinearizability(registerModel<number>(), []).partitions;
 * [p?.verdict, p?.operations]; //=> ['linearizable', 0]
 * ```
 */
export interface PartitionResult<I, O> {
  /**
   * This partition's verdict. `unknown` when the budget or the deadline ran out before it was
   * decided, or when the search stopped at another partition's failure first (see
   * {@link LinearizabilityOptions.stopAtFirstFailure}).
   */
  readonly verdict: LinearizabilityVerdict;
  /** How many operations the partition holds. */
  readonly operations: number;
  /** Model steps spent on it. */
  readonly steps: number;
  /**
   * When linearizable: a witness, the operations in a legal sequential order (unknown-outcome
   * operations left out when they need not have taken effect). Otherwise the longest linearizable
   * prefix the search found (so far, when `unknown`).
   */
  readonly linearization: readonly Operation<I, O>[];
  /**
   * When not linearizable: the operation that cannot be placed after {@link linearization} —
   * it returned before any legal position for it, given everything linearized before.
   */
  readonly stuck?: Operation<I, O>;
}

/**
 * The result of {@link checkLinearizability}: `not-linearizable` if any partition is, else
 * `unknown` if any is undecided (budget or deadline), else `linearizable`.
 *
 * @example
 * ```ts
 * import { checkLinearizability, kvModel } from 'distkit/check';
 * const r = checkLinearizability(kvModel<number>(), [
 *   { id: 0, client: 'a', input: { f: 'write', key: 'x', value: 1 }, call: 0, output: null, ret: 1 },
 *   { id: 1, client: 'b', input: { f: 'read', key: 'y' }, call: 2, output: 5, ret: 3 },
 * ]);
 * r.verdict;                                  //=> 'not-linearizable'
 * r.failedPartition;                          //=> 1
 * r.partitions.map((p) => p.verdict);         //=> ['linearizable', 'not-linearizable']
 * ```
 */
export interface LinearizabilityResult<I, O> {
  /** The verdict over the whole history. */
  readonly verdict: LinearizabilityVerdict;
  /** Model steps spent over all partitions. */
  readonly steps: number;
  /**
   * One result per partition, in the order the model's `partition` returned them (so an index
   * here is a partition number). Every partition is present; those the search did not decide
   * are `unknown`.
   */
  readonly partitions: readonly PartitionResult<I, O>[];
  /**
   * When `not-linearizable`: the index in {@link LinearizabilityResult.partitions} of the
   * partition that refuted the history (the first found, when several fail).
   */
  readonly failedPartition?: number;
  /**
   * Why the search stopped with partitions undecided: the step budget or the deadline. Always
   * present when the verdict is `unknown`; with `stopAtFirstFailure: false` it may also be
   * present on a `not-linearizable` result whose other partitions could not all be decided.
   */
  readonly stoppedBy?: 'steps' | 'deadline';
}

/**
 * Finds what is wrong with a history's shape: duplicate ids, non-finite or negative-length
 * intervals, a `ret` without an `output` or the reverse, and a client with two operations open
 * at once. Returns one message per problem (empty when well formed). {@link checkLinearizability}
 * refuses histories with any problem but the last (overlapping operations of one client are
 * checkable, just unusual).
 *
 * @example
 * ```ts
 * import { historyProblems } from 'distkit/check';
 * historyProblems([{ id: 0, client: 'a', input: null, call: 5, output: null, ret: 2 }]);
 * //=> ['history[0] (id 0): ret 2 is before call 5']
 * ```
 */
export function historyProblems(history: History): string[] {
  const problems = structuralProblems(history).map(shapeMessage);
  const byClient = new Map<string, Operation[]>();
  for (const op of history) {
    if (op === null || typeof op !== 'object') continue;
    let ops = byClient.get(op.client);
    if (ops === undefined) byClient.set(op.client, (ops = []));
    ops.push(op);
  }
  for (const [client, ops] of byClient) {
    const sorted = ops.slice().sort((a, b) => a.call - b.call || a.id - b.id);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1] as Operation;
      const cur = sorted[i] as Operation;
      if ((prev.ret ?? Infinity) > cur.call) {
        problems.push(`client ${JSON.stringify(client)}: operation ${cur.id} starts at ${cur.call} while operation ${prev.id} is still open`);
      }
    }
  }
  return problems;
}

/**
 * Refuses a malformed history before a checker reads it: throws a `ConfigError` naming the first
 * problem — the shape {@link historyProblems} checks (ids, clients, `call`/`ret`, `output`), then
 * `opProblem`, a checker's own test of one operation's input and output. Every checker in
 * distkit/check starts with it, so a history read from a file or a recorder gets a clear error,
 * never a `TypeError` from deep inside.
 *
 * @throws ConfigError naming the operation (`history[i]`) and what is wrong with it.
 * @example
 * ```ts
 * import { assertHistory } from 'distkit/check';
 * const refusal = (history: unknown) => { try { assertHistory(history); return 'ok'; } catch (e) { return (e as Error).message; } };
 * refusal([{ id: 0, client: 'a', input: null, call: 0, output: 1, ret: 1 }]); //=> 'ok'
 * refusal([{ id: 0, client: 'a', input: null, call: 0, output: 1 }]); //=> 'history[0]: has an output but no ret (operation id 0, client "a")'
 * refusal({}); //=> 'history: expected an array of operations'
 * ```
 */
export function assertHistory(history: unknown, opProblem?: (op: Operation, index: number) => string | undefined): asserts history is History {
  const problems = structuralProblems(history as History);
  if (problems.length > 0) {
    const { field, op, problem } = problems[0] as ShapeProblem;
    const which = op === undefined ? '' : ` (operation id ${describeValue(op.id)}${typeof op.client === 'string' ? `, client ${JSON.stringify(op.client)}` : ''})`;
    throw new ConfigError(field, problem + which);
  }
  if (opProblem === undefined) return;
  (history as readonly Operation[]).forEach((op, i) => {
    const problem = opProblem(op, i);
    if (problem !== undefined) throw new ConfigError(`history[${i}]`, `${problem} (operation id ${String(op.id)})`);
  });
}

/**
 * The model with its failures turned into a `ConfigError` naming the operation's input: a history
 * of the wrong shape for the model (a `{ f: 'add' }` given to a register) is the caller's error,
 * not a crash of the search.
 */
function guarded<S, I, O>(model: Model<S, I, O>): Model<S, I, O> {
  const fail = (what: string, e: unknown): never => {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError('history', `the model failed on ${what}: ${e instanceof Error ? e.message : describeValue(e)}`);
  };
  const step = (state: S, input: I, output: O | undefined): readonly [boolean, S] => {
    try {
      return model.step(state, input, output);
    } catch (e) {
      return fail(`input ${describeValue(input)}`, e);
    }
  };
  const { hash, equal, partition } = model;
  return {
    init: () => model.init(),
    step,
    ...(hash === undefined ? {} : { hash: (state: S) => hash.call(model, state) }),
    ...(equal === undefined ? {} : { equal: (a: S, b: S) => equal.call(model, a, b) }),
    ...(partition === undefined
      ? {}
      : {
          partition: (history: History<I, O>) => {
            try {
              return partition.call(model, history);
            } catch (e) {
              return fail('partitioning the history', e);
            }
          },
        }),
  };
}

/** One shape problem: where it is (`history[i]`), which operation, and what is wrong. */
interface ShapeProblem {
  readonly field: string;
  readonly op?: Operation;
  readonly problem: string;
}

const shapeMessage = (p: ShapeProblem): string => `${p.field}${p.op !== undefined ? ` (id ${describeValue(p.op.id)})` : ''}: ${p.problem}`;

function structuralProblems(history: History): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  if (!Array.isArray(history)) return [{ field: 'history', problem: 'expected an array of operations' }];
  const ids = new Set<number>();
  history.forEach((op: Operation, i) => {
    const field = `history[${i}]`;
    if (op === null || typeof op !== 'object') {
      problems.push({ field, problem: 'expected an operation object' });
      return;
    }
    const add = (problem: string): void => {
      problems.push({ field, op, problem });
    };
    if (typeof op.id !== 'number' || !Number.isFinite(op.id)) problems.push({ field, problem: 'id must be a finite number' });
    else if (ids.has(op.id)) add('duplicate id');
    else ids.add(op.id);
    if (typeof op.client !== 'string') add('client must be a string');
    if (typeof op.call !== 'number' || !Number.isFinite(op.call)) add('call must be a finite number');
    const hasRet = 'ret' in op && op.ret !== undefined;
    const hasOut = 'output' in op && op.output !== undefined;
    if (hasRet) {
      // An infinite ret would make the operation overlap everything after its call, so a
      // history that is not linearizable could pass.
      if (typeof op.ret !== 'number' || !Number.isFinite(op.ret)) add(`ret must be a finite number, got ${typeof op.ret === 'number' ? String(op.ret) : typeof op.ret}`);
      else if (typeof op.call === 'number' && op.ret < op.call) add(`ret ${op.ret} is before call ${op.call}`);
      if (!hasOut) add('has a ret but no output (an unknown outcome has neither)');
    } else if (hasOut) {
      add('has an output but no ret');
    }
  });
  return problems;
}

/**
 * Checks whether a history is linearizable with respect to a model (Herlihy & Wing 1990): is
 * there a total order of the operations, consistent with real time (an operation that returned
 * before another was called comes first), in which the model accepts every output?
 *
 * The search is Wing & Gong's (1993) backtracking over the operations that may come next, with
 * Lowe's (2017) memoization: a configuration — the set of linearized operations plus the model
 * state — that has been explored once is never explored again. Histories are split with the
 * model's `partition` (P-compositionality) and each part checked alone.
 *
 * The partitions share the step budget fairly: they are searched round-robin, each search
 * resumed where it paused, with an allowance per partition that starts at 1024 steps and doubles
 * every round. A partition that needs k steps is thus decided after at most about 2k steps of
 * each other undecided partition, however hard those are. By default the search stops at the
 * first partition found not linearizable ({@link LinearizabilityResult.failedPartition}); the
 * outcome is deterministic for a given history, model and `maxSteps` (a `deadline` depends on
 * time, of course).
 *
 * Unknown-outcome operations (no `ret`) are treated as Jepsen and porcupine do: they may take
 * effect at any point after their call, or never. Operations with equal times overlap (a `ret`
 * equal to another operation's `call` does not order them).
 *
 * @throws ConfigError naming the first malformed operation (see {@link historyProblems}).
 * @example
 * ```ts
 * import { checkLinearizability, registerModel } from 'distkit/check';
 * // b reads 0 after a's write of 1 returned: stale read.
 * const r = checkLinearizability(registerModel<number>({ initial: 0 }), [
 *   { id: 0, client: 'a', input: { f: 'write', value: 1 }, call: 0, output: null, ret: 1 },
 *   { id: 1, client: 'b', input: { f: 'read' }, call: 2, output: 0, ret: 3 },
 * ]);
 * r.verdict;                           //=> 'not-linearizable'
 * r.partitions[0]?.stuck?.id;          //=> 1
 * ```
 */
export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  history: History<I, O>,
  options: LinearizabilityOptions = {},
): LinearizabilityResult<I, O> {
  assertHistory(history);
  const maxSteps = options.maxSteps ?? 10_000_000;
  if (!(maxSteps >= 0)) throw new ConfigError('maxSteps', `must be a non-negative number, got ${String(maxSteps)}`);
  const stopAtFirstFailure = options.stopAtFirstFailure ?? true;
  const m = guarded(model);
  const parts = m.partition ? m.partition(history) : [history];
  // Round-robin over the undecided partitions, each search resumed where it paused; the
  // allowance per partition doubles every round. A hard partition thus cannot starve the others:
  // a partition that needs k steps is decided once every undecided one has had about 2k.
  const searches: (PartitionSearch<S, I, O> | undefined)[] = parts.map(() => undefined);
  const decided: (PartitionResult<I, O> | undefined)[] = parts.map(() => undefined);
  let pending = parts.map((_, i) => i);
  let left = maxSteps;
  let spent = 0;
  let allowance = FIRST_ALLOWANCE;
  let failedPartition: number | undefined;
  let stoppedBy: 'steps' | 'deadline' | undefined;
  schedule: while (pending.length > 0) {
    const undecided: number[] = [];
    for (const i of pending) {
      const search = (searches[i] ??= new PartitionSearch(m, parts[i] as History<I, O>));
      const before = search.steps;
      const outcome = search.run(Math.min(allowance, left), spent, options.deadline);
      left -= search.steps - before;
      spent += search.steps - before;
      if (outcome === 'decided') {
        const r = search.result as PartitionResult<I, O>;
        decided[i] = r;
        searches[i] = undefined; // its memo table is no longer needed
        if (r.verdict === 'not-linearizable') {
          failedPartition ??= i;
          if (stopAtFirstFailure) break schedule;
        }
        continue;
      }
      undecided.push(i);
      if (outcome === 'deadline' || left <= 0) {
        stoppedBy = outcome === 'deadline' ? 'deadline' : 'steps';
        break schedule;
      }
    }
    pending = undecided;
    allowance *= 2;
  }
  const partitions = parts.map(
    (part, i): PartitionResult<I, O> => decided[i] ?? searches[i]?.snapshot() ?? { verdict: 'unknown', operations: part.length, steps: 0, linearization: [] },
  );
  const verdict: LinearizabilityVerdict =
    failedPartition !== undefined ? 'not-linearizable' : partitions.some((r) => r.verdict === 'unknown') ? 'unknown' : 'linearizable';
  const base: LinearizabilityResult<I, O> = { verdict, steps: spent, partitions };
  return {
    ...base,
    ...(failedPartition !== undefined ? { failedPartition } : {}),
    ...(stoppedBy !== undefined ? { stoppedBy } : {}),
  };
}

/** Steps each undecided partition gets in the first round; the allowance doubles every round. */
const FIRST_ALLOWANCE = 1024;

/** A stable 32-bit value per operation index, for the Zobrist hash of the linearized set. */
function zobrist(i: number): number {
  let z = (i + 1) * 0x9e3779b9;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}

/**
 * Lowe's memo table: configurations (linearized set as a bitset + model state) already explored.
 * Open addressing over a 32-bit key (Zobrist hash of the set mixed with the state hash); each
 * slot chains the full configurations that share its key, compared exactly.
 */
class ConfigCache<S> {
  private keys: Int32Array;
  private heads: Int32Array; // entry index + 1; 0 = empty slot
  private mask: number;
  private slotsUsed = 0;
  private count = 0;
  private pool: Uint32Array; // entry k's bitset at [k * words, (k + 1) * words)
  private nexts: Int32Array; // next entry with the same key, or -1
  private readonly states: S[] = [];

  constructor(
    private readonly words: number,
    private readonly equal: (a: S, b: S) => boolean,
  ) {
    this.keys = new Int32Array(1024);
    this.heads = new Int32Array(1024);
    this.mask = 1023;
    this.pool = new Uint32Array(Math.max(1, words) * 256);
    this.nexts = new Int32Array(256);
  }

  /** Adds the configuration; returns false if it was already there. */
  add(key: number, bits: Uint32Array, state: S): boolean {
    const words = this.words;
    let slot = key & this.mask;
    for (;;) {
      const head = this.heads[slot] as number;
      if (head === 0) break;
      if (this.keys[slot] === key) {
        const pool = this.pool;
        for (let e = head - 1; e >= 0; e = this.nexts[e] as number) {
          let same = true;
          const base = e * words;
          for (let w = 0; w < words; w++) {
            if (pool[base + w] !== bits[w]) {
              same = false;
              break;
            }
          }
          if (same && this.equal(this.states[e] as S, state)) return false;
        }
        this.heads[slot] = this.push(bits, state, head - 1) + 1;
        return true;
      }
      slot = (slot + 1) & this.mask;
    }
    this.keys[slot] = key;
    this.heads[slot] = this.push(bits, state, -1) + 1;
    if (++this.slotsUsed * 2 > this.mask) this.grow();
    return true;
  }

  private push(bits: Uint32Array, state: S, next: number): number {
    const k = this.count++;
    const words = this.words;
    if (k >= this.nexts.length) {
      const nexts = new Int32Array(this.nexts.length * 2);
      nexts.set(this.nexts);
      this.nexts = nexts;
      const pool = new Uint32Array(this.pool.length * 2);
      pool.set(this.pool);
      this.pool = pool;
    }
    const base = k * words;
    for (let w = 0; w < words; w++) this.pool[base + w] = bits[w] as number;
    this.nexts[k] = next;
    this.states.push(state);
    return k;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldHeads = this.heads;
    const cap = oldKeys.length * 2;
    this.keys = new Int32Array(cap);
    this.heads = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < oldKeys.length; i++) {
      const head = oldHeads[i] as number;
      if (head === 0) continue;
      const key = oldKeys[i] as number;
      let slot = key & this.mask;
      while (this.heads[slot] !== 0) slot = (slot + 1) & this.mask;
      this.keys[slot] = key;
      this.heads[slot] = head;
    }
  }
}

/** How a {@link PartitionSearch.run} ended. */
type RunOutcome = 'decided' | 'paused' | 'deadline';

/**
 * The search of one partition, resumable: {@link PartitionSearch.run} goes on for at most a given
 * number of model steps and keeps its position (the stack, the linked list, the memo table) for
 * the next call, so a partition searched in slices does exactly the work of one uninterrupted
 * search.
 *
 * Entries (calls and returns) sit in a doubly linked list sorted by time; placing an operation
 * "lifts" its call and return out of the list, backtracking "unlifts" them (the representation
 * porcupine uses). Index 0 is the list head; 0 also ends the list.
 */
class PartitionSearch<S, I, O> {
  private readonly n: number;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;
  private readonly opOf: Int32Array;
  private readonly isCall: Uint8Array;
  private readonly openEnded: Uint8Array;
  private readonly retEntry: Int32Array;
  private readonly kind: Uint8Array;
  private readonly twin: Int32Array;
  private readonly maxPass: number;
  private readonly inputs: I[];
  private readonly outputs: (O | undefined)[];
  private readonly hash: (s: S) => number;
  private readonly equal: (a: S, b: S) => boolean;
  private readonly cache: ConfigCache<S>;
  private readonly bits: Uint32Array;
  private readonly zob: Int32Array;
  private readonly stackEntry: Int32Array;
  private readonly stackState: S[];
  private readonly stackHash: Int32Array;
  // The search position, saved between runs.
  private sp = 0;
  private state: S;
  private stateHash: number;
  private zh = 0;
  private e: number;
  private pass = 0;
  private bestLen = -1;
  private best: number[] = [];
  private stuck = -1;
  /** Model steps spent so far. */
  steps = 0;
  /** The verdict, once decided. */
  result: PartitionResult<I, O> | undefined;

  constructor(
    private readonly model: Model<S, I, O>,
    private readonly ops: History<I, O>,
  ) {
    const n = ops.length;
    this.n = n;
    const order = entryOrder(ops);
    const size = 2 * n + 1;
    const next = (this.next = new Int32Array(size));
    const prev = (this.prev = new Int32Array(size));
    const opOf = (this.opOf = new Int32Array(size));
    const isCall = (this.isCall = new Uint8Array(size));
    const openEnded = (this.openEnded = new Uint8Array(size));
    const retEntry = (this.retEntry = new Int32Array(n));
    for (let k = 0; k < 2 * n; k++) {
      const e = k + 1;
      const raw = order[k] as number;
      opOf[e] = raw >> 1;
      if (raw & 1) {
        retEntry[raw >> 1] = e;
        openEnded[e] = (ops[raw >> 1] as Operation<I, O>).ret === undefined ? 1 : 0;
      } else {
        isCall[e] = 1;
      }
      prev[e] = k;
      next[k] = e;
    }
    next[2 * n] = 0;

    this.hash = model.hash ? model.hash.bind(model) : (s: S) => hashValue(s);
    this.equal = model.equal ? model.equal.bind(model) : (a: S, b: S) => sameValue(a, b);
    const words = (n + 31) >>> 5;
    this.cache = new ConfigCache<S>(words, this.equal);
    this.bits = new Uint32Array(Math.max(1, words));
    this.zob = new Int32Array(n);
    for (let i = 0; i < n; i++) this.zob[i] = zobrist(i);
    this.stackEntry = new Int32Array(n);
    this.stackState = new Array<S>(n);
    this.stackHash = new Int32Array(n);
    this.state = model.init();
    this.stateHash = this.hash(this.state) | 0;

    const { kind, twin, maxPass } = classify(model, ops, isCall, opOf, openEnded, retEntry);
    this.kind = kind;
    this.twin = twin;
    this.maxPass = maxPass;
    this.inputs = ops.map((op) => op.input);
    this.outputs = ops.map((op) => op.output);
    this.e = next[0] as number;
  }

  private linearization(entries: ArrayLike<number>, len: number): Operation<I, O>[] {
    const out: Operation<I, O>[] = [];
    for (let i = 0; i < len; i++) out.push(this.ops[this.opOf[entries[i] as number] as number] as Operation<I, O>);
    return out;
  }

  private decide(steps: number, result: PartitionResult<I, O>): RunOutcome {
    this.steps = steps;
    this.result = result;
    return 'decided';
  }

  /** Where the search stands while undecided: `unknown`, with the longest prefix found so far. */
  snapshot(): PartitionResult<I, O> {
    return this.result ?? { verdict: 'unknown', operations: this.n, steps: this.steps, linearization: this.linearization(this.best, this.best.length) };
  }

  /** Saves the search position so that the next `run` resumes here. */
  private save(sp: number, state: S, stateHash: number, zh: number, e: number, pass: number, steps: number): void {
    this.sp = sp;
    this.state = state;
    this.stateHash = stateHash;
    this.zh = zh;
    this.e = e;
    this.pass = pass;
    this.steps = steps;
  }

  /** Places an operation: unlinks its call entry `call` and its return entry `ret`. */
  private lift(call: number, ret: number): void {
    const { next, prev } = this;
    next[prev[call] as number] = next[call] as number;
    prev[next[call] as number] = prev[call] as number;
    next[prev[ret] as number] = next[ret] as number;
    prev[next[ret] as number] = prev[ret] as number;
  }

  /** Takes an operation back: relinks its return entry, then its call entry. */
  private unlift(call: number, ret: number): void {
    const { next, prev } = this;
    next[prev[ret] as number] = ret;
    prev[next[ret] as number] = ret;
    next[prev[call] as number] = call;
    prev[next[call] as number] = call;
  }

  /** Every completed operation is placed: linearizable, in the order of the stack. */
  private accept(steps: number, sp: number): RunOutcome {
    return this.decide(steps, { verdict: 'linearizable', operations: this.n, steps, linearization: this.linearization(this.stackEntry, sp) });
  }

  /** Whether an unknown-outcome operation's earlier twin (equal input) is not placed yet. */
  private twinUnplaced(oi: number): boolean {
    const t = this.twin[oi] as number;
    return t >= 0 && ((this.bits[t >>> 5] as number) & (1 << (t & 31))) === 0;
  }

  /** Remembers the longest prefix found, and the operation that could not follow it. */
  private noteBest(sp: number, e: number): void {
    if (sp <= this.bestLen) return;
    this.bestLen = sp;
    this.best = Array.from(this.stackEntry.subarray(0, sp));
    this.stuck = this.opOf[e] as number;
  }

  /** The search is exhausted: not linearizable, with the longest prefix and the op stuck after it. */
  private refute(steps: number): RunOutcome {
    const base = { verdict: 'not-linearizable' as const, operations: this.n, steps, linearization: this.linearization(this.best, this.best.length) };
    return this.decide(steps, this.stuck >= 0 ? { ...base, stuck: this.ops[this.stuck] as Operation<I, O> } : base);
  }

  /**
   * Searches on for at most `allowance` model steps. `clock` is the number of steps spent over
   * all partitions before this run: the deadline is consulted whenever that global count is a
   * multiple of 4096, so it is polled as often however the steps are split among partitions.
   */
  run(allowance: number, clock: number, deadline: (() => boolean) | undefined): RunOutcome {
    if (this.result !== undefined) return 'decided';
    const { model, next, opOf, isCall, openEnded, retEntry, kind, maxPass, inputs, outputs, hash, equal, cache, bits, zob, stackEntry, stackState, stackHash } = this;
    let { sp, state, stateHash, zh, e, pass, steps } = this;
    const offset = clock - steps;
    let allow = allowance;
    for (;;) {
      if (e === 0) return this.accept(steps, sp);
      if (isCall[e] === 1) {
        const oi = opOf[e] as number;
        if (kind[oi] !== pass || (pass === 2 && this.twinUnplaced(oi))) {
          e = next[e] as number;
          continue;
        }
        if (allow <= 0 || (deadline !== undefined && ((steps + offset) & 4095) === 0 && deadline())) {
          this.save(sp, state, stateHash, zh, e, pass, steps);
          return allow <= 0 ? 'paused' : 'deadline';
        }
        allow--;
        steps++;
        const [ok, ns] = model.step(state, inputs[oi] as I, outputs[oi]);
        // An unknown-outcome operation that would not change the state is better left unplaced:
        // it stays available for later, and leaving it out is allowed.
        if (ok && !(pass === 2 && equal(ns, state))) {
          const nh = hash(ns) | 0;
          const nz = zh ^ (zob[oi] as number);
          const w = oi >>> 5;
          const bit = 1 << (oi & 31);
          bits[w] = (bits[w] as number) | bit;
          if (cache.add(nz ^ Math.imul(nh, 0x2c1b3c6d), bits, ns)) {
            stackEntry[sp] = e;
            stackState[sp] = state;
            stackHash[sp] = stateHash;
            sp++;
            state = ns;
            stateHash = nh;
            zh = nz;
            this.lift(e, retEntry[oi] as number);
            e = next[0] as number;
            pass = 0;
            continue;
          }
          bits[w] = (bits[w] as number) & ~bit;
        }
        e = next[e] as number;
        continue;
      }
      // A return entry: its operation had to be placed before this point.
      if (openEnded[e] === 1) {
        // Only unknown-outcome returns remain: every completed operation is placed.
        return this.accept(steps, sp);
      }
      if (pass < maxPass) {
        // Nothing of this pass fits before this return: try the next pass.
        pass++;
        e = next[0] as number;
        continue;
      }
      this.noteBest(sp, e);
      let top: number;
      let oi: number;
      do {
        if (sp === 0) return this.refute(steps);
        sp--;
        top = stackEntry[sp] as number;
        state = stackState[sp] as S;
        stackState[sp] = undefined as S; // let the state be collected
        stateHash = stackHash[sp] as number;
        oi = opOf[top] as number;
        bits[oi >>> 5] = (bits[oi >>> 5] as number) & ~(1 << (oi & 31));
        zh ^= zob[oi] as number;
        this.unlift(top, retEntry[oi] as number);
        // A read-only operation was the only branch of its configuration: that one fails too.
      } while (kind[oi] === 0);
      e = next[top] as number;
      pass = kind[oi] as number;
    }
  }
}

/**
 * The call and return entries of a history in time order: entry 2i is op i's call, 2i+1 its
 * return. At equal times calls come first (they overlap), then by id, so the array order of the
 * history never matters.
 */
function entryOrder<I, O>(ops: History<I, O>): number[] {
  const order: number[] = [];
  for (let i = 0; i < 2 * ops.length; i++) order.push(i);
  const time = (e: number): number => {
    const op = ops[e >> 1] as Operation<I, O>;
    return e & 1 ? (op.ret ?? Infinity) : op.call;
  };
  order.sort((a, b) => {
    const ta = time(a);
    const tb = time(b);
    if (ta !== tb) return ta < tb ? -1 : 1;
    if ((a & 1) !== (b & 1)) return (a & 1) - (b & 1);
    return (ops[a >> 1] as Operation<I, O>).id - (ops[b >> 1] as Operation<I, O>).id;
  });
  return order;
}

/** Sorts each operation into its search pass (see the comment inside) and links twins. */
function classify<S, I, O>(
  model: Model<S, I, O>,
  ops: History<I, O>,
  isCall: Uint8Array,
  opOf: Int32Array,
  openEnded: Uint8Array,
  retEntry: Int32Array,
): { kind: Uint8Array; twin: Int32Array; maxPass: number } {
  // Candidates are tried in three passes. Pass 0: completed read-only operations (the model's
  // `readOnly`): one that is legal now can be placed now without loss of generality — moving it
  // to the front of any linearization keeps it legal — so it is the only branch tried (a failure
  // below it fails this configuration). Pass 1: other completed operations. Pass 2:
  // unknown-outcome operations, which are optional; those with equal inputs are interchangeable,
  // so they are placed in call order only (twin[i] must be placed before i).
  const n = ops.length;
  const kind = new Uint8Array(n);
  const twin = new Int32Array(n).fill(-1);
  let maxPass = 0;
  const lastOfInput = new Map<string, number>();
  const readOnly = model.readOnly ? model.readOnly.bind(model) : undefined;
  for (let k = 1; k <= 2 * n; k++) {
    if (isCall[k] !== 1) continue;
    const oi = opOf[k] as number;
    const op = ops[oi] as Operation<I, O>;
    if (openEnded[retEntry[oi] as number] === 1) {
      kind[oi] = 2;
      maxPass = 2;
      const key = canonicalJson(op.input);
      const before = lastOfInput.get(key);
      if (before !== undefined) twin[oi] = before;
      lastOfInput.set(key, oi);
    } else if (readOnly !== undefined && readOnly(op.input, op.output as O)) {
      kind[oi] = 0;
    } else {
      kind[oi] = 1;
      if (maxPass < 1) maxPass = 1;
    }
  }
  return { kind, twin, maxPass };
}

/**
 * Renders a result for people: the verdict, and for each failing partition the longest
 * linearizable prefix, the state it leads to and the operation that cannot be placed there,
 * using the model's `describeOperation` and `describeState` when it has them. A failing result
 * with partitions left undecided says how many, and why.
 *
 * @example
 * ```ts
 * import { checkLinearizability, formatLinearizability, registerModel } from 'distkit/check';
 * const model = registerModel<number>();
 * const r = checkLinearizability(model, [{ id: 0, client: 'a', input: { f: 'read' }, call: 0, output: 5, ret: 1 }]);
 * formatLinearizability(r, model);
 * //=> 'not linearizable (1 step)\n  partition 0: no legal place for op 0 (client a, read() -> 5) after 0 operations (state null)'
 * ```
 */
export function formatLinearizability<S, I, O>(result: LinearizabilityResult<I, O>, model?: Model<S, I, O>): string {
  const describe = (op: Operation<I, O>): string => {
    const what = model?.describeOperation ? model.describeOperation(op.input, op.output) : `${canonicalJson(op.input)} -> ${op.output === undefined ? '?' : canonicalJson(op.output)}`;
    return `op ${op.id} (client ${op.client}, ${what})`;
  };
  const stepWord = result.steps === 1 ? 'step' : 'steps';
  const head =
    result.verdict === 'linearizable'
      ? `linearizable (${result.steps} ${stepWord})`
      : result.verdict === 'unknown'
        ? `unknown: ${result.stoppedBy === 'deadline' ? 'deadline reached' : 'step budget exhausted'} after ${result.steps} ${stepWord}`
        : `not linearizable (${result.steps} ${stepWord})`;
  const lines = [head];
  result.partitions.forEach((p, i) => {
    if (p.verdict !== 'not-linearizable') return;
    const prefix = p.linearization.map((op) => `    ${describe(op)}`);
    let after = '';
    if (model !== undefined) {
      // replay the prefix to show the state the stuck operation met
      let state = model.init();
      for (const op of p.linearization) state = model.step(state, op.input, op.output)[1];
      after = ` (state ${model.describeState ? model.describeState(state) : canonicalJson(state)})`;
    }
    lines.push(`  partition ${i}: no legal place for ${p.stuck ? describe(p.stuck) : 'an operation'} after ${p.linearization.length} operations${after}`);
    lines.push(...prefix);
  });
  const undecided = result.partitions.filter((p) => p.verdict === 'unknown').length;
  if (result.verdict === 'not-linearizable' && undecided > 0) {
    const why = result.stoppedBy === 'deadline' ? 'deadline reached' : result.stoppedBy === 'steps' ? 'step budget exhausted' : 'stopped at the first failure';
    lines.push(`  ${undecided} other ${undecided === 1 ? 'partition' : 'partitions'} not decided (${why})`);
  }
  return lines.join('\n');
}
