/**
 * The MapReduce job model (Dean & Ghemawat, "MapReduce: Simplified Data Processing on Large
 * Clusters", OSDI 2004, §2 and §4): a map function, an optional combiner, a partitioner, keys
 * sorted within each partition, a reduce function and user counters; and the two task bodies a
 * worker's host runs — one map task over one input split, one reduce task over one partition —
 * with the bad-record skipping of §4.6. Everything here runs on the host, beside the machines:
 * user functions never enter a machine's state.
 *
 * @packageDocumentation
 */
import { canonicalJson } from '../../core/index.js';
import { murmur3 } from '../../hashing/index.js';
import { MAX_COUNTERS, MAX_COUNTER_NAME } from './messages.js';

/**
 * What a map or reduce function may use besides its input: user counters (§4.9), summed over
 * the committed attempt of every task, so a re-executed or backup attempt never counts twice.
 *
 * @example
 * ```ts
 * import { runMapReduce, type TaskContext } from 'distkit/dataflow';
 * // User counters, summed over the job's committed tasks.
 * const map = (line: string, ctx: TaskContext) => {
 *   if (line.trim() === '') ctx.count('empty lines');
 *   return line.split(/\s+/).filter(Boolean).map((w): [string, number] => [w, 1]);
 * };
 * const r = runMapReduce({ map, reduce: (_w: string, c: readonly number[]) => c.length }, ['a b', '', 'b', ''], { workers: 2, partitions: 1 });
 * r.counters['empty lines']; //=> 2
 * ```
 */
export interface TaskContext {
  /** Adds `by` (default 1) to the user counter `name`. */
  count(name: string, by?: number): void;
}

/**
 * A map function: one input record to any number of intermediate `[key, value]` pairs (an array
 * or a generator, as the notes' `yield (word, 1)`). Keys must be JSON values; they are hashed,
 * sorted and grouped by their canonical JSON.
 *
 * @example
 * ```ts
 * import { runSequential, type Mapper } from 'distkit/dataflow';
 * const wordCountMap: Mapper<string, string, number> = function* (line) {
 *   for (const word of line.split(/\s+/)) if (word) yield [word.toLowerCase(), 1];
 * };
 * [...runSequential({ map: wordCountMap, reduce: (_w, c) => c.length }, ['The cat', 'the dog'])]; //=> [['cat', 1], ['dog', 1], ['the', 2]]
 * ```
 */
export type Mapper<I, K, V> = (record: I, ctx: TaskContext) => Iterable<readonly [K, V]>;

/**
 * A reduce function: one intermediate key and all its values (in map-task order) to one result.
 *
 * @example
 * ```ts
 * import { runSequential, type Reducer } from 'distkit/dataflow';
 * const sum: Reducer<string, number, number> = (_word, counts) => counts.reduce((a, b) => a + b, 0);
 * // Reduce gets every value of one key, keys sorted within a partition.
 * [...runSequential({ map: (s: string): [string, number][] => [[s[0]!, s.length]], reduce: sum }, ['apple', 'avocado', 'banana'])]; //=> [['a', 12], ['b', 6]]
 * ```
 */
export type Reducer<K, V, R> = (key: K, values: readonly V[], ctx: TaskContext) => R;

/**
 * A combiner (§4.3): partial reduction of one map task's values of a key before they are written,
 * returning one value of the same type. Must be associative and commutative with the reducer.
 *
 * @example
 * ```ts
 * import { runMapTask, type Combiner } from 'distkit/dataflow';
 * const sumCounts: Combiner<string, number> = (_word, counts) => counts.reduce((a, b) => a + b, 0);
 * const map = (line: string) => line.split(' ').map((w): [string, number] => [w, 1]);
 * // With a combiner a map task ships one pair per word instead of one per occurrence (MapReduce §4.3).
 * const withCombiner = runMapTask({ map, combine: sumCounts, reduce: sumCounts }, ['a a a b'], 1);
 * const without = runMapTask({ map, reduce: sumCounts }, ['a a a b'], 1);
 * [withCombiner.ok ? withCombiner.output : null, without.ok ? without.output[0]!.length : null]; //=> [[[['a', 3], ['b', 1]]], 4]
 * ```
 */
export type Combiner<K, V> = (key: K, values: readonly V[], ctx: TaskContext) => V;

/**
 * A partitioner (§4.1): the reduce partition, in `[0, partitions)`, of an intermediate key.
 *
 * @example
 * ```ts
 * import { runMapTask, type Partitioner } from 'distkit/dataflow';
 * const byFirstLetter: Partitioner<string> = (key, partitions) => key.charCodeAt(0) % partitions;
 * const t = runMapTask({ map: (w: string): [string, number][] => [[w, 1]], partition: byFirstLetter, reduce: (_k, v) => v.length }, ['apple', 'bee', 'cat'], 2);
 * // 'a' (97) and 'c' (99) are odd: partition 1; 'b' (98): partition 0.
 * t.ok ? t.output.map((region) => region.map(([k]) => k)) : null; //=> [['bee'], ['apple', 'cat']]
 * ```
 */
export type Partitioner<K> = (key: K, partitions: number) => number;

/**
 * The user functions of one job. Only `map` and `reduce` are required; `partition` defaults to
 * {@link hashPartitioner}.
 *
 * @example
 * ```ts
 * import { runMapReduce, runSequential, type MapReduceFunctions } from 'distkit/dataflow';
 * const wordCount: MapReduceFunctions<string, string, number, number> = {
 *   map: (line) => line.split(/\s+/).filter(Boolean).map((w): [string, number] => [w, 1]),
 *   combine: (_w, counts) => counts.reduce((a, b) => a + b, 0),
 *   reduce: (_w, counts) => counts.reduce((a, b) => a + b, 0),
 * };
 * const lines = ['to be or', 'not to be'];
 * // The same functions, in one loop or as a job of map and reduce tasks: the same output.
 * [...runSequential(wordCount, lines)]; //=> [['be', 2], ['not', 1], ['or', 1], ['to', 2]]
 * JSON.stringify([...runMapReduce(wordCount, lines, { workers: 2, partitions: 2 }).output].sort()) === JSON.stringify([...runSequential(wordCount, lines)].sort()); //=> true
 * ```
 */
export interface MapReduceFunctions<I, K, V, R> {
  /** The map function. */
  readonly map: Mapper<I, K, V>;
  /** The reduce function. */
  readonly reduce: Reducer<K, V, R>;
  /** Optional combiner, run over each map task's output per partition. */
  readonly combine?: Combiner<K, V> | undefined;
  /** The partitioner; default {@link hashPartitioner}. */
  readonly partition?: Partitioner<K> | undefined;
}

/** An intermediate or output pair. */
export type Pair<K, V> = readonly [K, V];

const TYPE_RANK: Readonly<Record<string, number>> = { null: 0, boolean: 1, number: 2, string: 3, array: 4, object: 5 };

function rank(x: unknown): number {
  if (x === null) return 0;
  if (Array.isArray(x)) return 4;
  return TYPE_RANK[typeof x] ?? 6;
}

/**
 * The total order on keys within a partition (§4.2's ordering guarantee): null, booleans,
 * numbers (numerically), strings (by UTF-16 code unit), arrays (element by element), then objects
 * (by canonical JSON).
 *
 * @example
 * ```ts
 * import { compareKeys } from 'distkit/dataflow';
 * [10, 9, 'b', 'a', null].sort(compareKeys); //=> [null, 9, 10, 'a', 'b']
 * ```
 */
export function compareKeys(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (typeof a === 'number' || typeof a === 'boolean') return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  if (typeof a === 'string') return a < (b as string) ? -1 : a > (b as string) ? 1 : 0;
  if (Array.isArray(a)) {
    const bb = b as readonly unknown[];
    for (let i = 0; i < Math.min(a.length, bb.length); i++) {
      const c = compareKeys(a[i], bb[i]);
      if (c !== 0) return c;
    }
    return a.length - bb.length < 0 ? -1 : a.length === bb.length ? 0 : 1;
  }
  if (a === null) return 0;
  const ca = canonicalJson(a);
  const cb = canonicalJson(b);
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

/**
 * The default partitioner (§4.1): `hash(key) mod R`, with MurmurHash3 over the key's canonical
 * JSON, so equal keys land in one partition whatever their object key order.
 *
 * @example
 * ```ts
 * import { hashPartitioner } from 'distkit/dataflow';
 * const p = hashPartitioner('hello', 4);
 * p >= 0 && p < 4; //=> true
 * hashPartitioner('hello', 4) === p; //=> true
 * ```
 */
export function hashPartitioner(key: unknown, partitions: number): number {
  const h = typeof key === 'string' ? quotedAsciiHash(key) : undefined;
  return (h ?? murmur3(canonicalJson(key))) % partitions;
}

/** The longest string key {@link quotedAsciiHash} hashes without building its JSON. */
const QUOTED_MAX = 62;
/** Scratch for the JSON bytes of a short string key, and a view of it of every length (no allocation per key). */
const QUOTED = new Uint8Array(QUOTED_MAX + 2);
const QUOTED_VIEWS = Array.from({ length: QUOTED_MAX + 3 }, (_x, n) => QUOTED.subarray(0, n));

/**
 * `murmur3(canonicalJson(key))` for a key of at most {@link QUOTED_MAX} printable ASCII
 * characters other than `"` and `\` (JSON writes those as they are, between quotes), hashed from
 * the scratch bytes; `undefined` for any other key.
 */
function quotedAsciiHash(key: string): number | undefined {
  const n = key.length;
  if (n > QUOTED_MAX) return undefined;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x20 || c > 0x7f || c === 0x22 || c === 0x5c) return undefined;
    QUOTED[i + 1] = c;
  }
  QUOTED[0] = 0x22;
  QUOTED[n + 1] = 0x22;
  return murmur3(QUOTED_VIEWS[n + 2]!);
}

/**
 * A range partitioner for a total order over all output (§4.1's `hash(Hostname(url))` sibling,
 * and TeraSort's): partition `i` takes the keys `k` with `boundaries[i-1] <= k < boundaries[i]`
 * under {@link compareKeys}, so R = `boundaries.length + 1` and partitions read in order are
 * sorted. `boundaries` must be sorted; get them from {@link sampleBoundaries}.
 *
 * @example
 * ```ts
 * import { rangePartitioner } from 'distkit/dataflow';
 * const p = rangePartitioner(['g', 'p']);
 * [p('apple', 3), p('grape', 3), p('zebra', 3)]; //=> [0, 1, 2]
 * ```
 */
export function rangePartitioner<K>(boundaries: readonly K[]): Partitioner<K> {
  for (let i = 1; i < boundaries.length; i++) {
    if (compareKeys(boundaries[i - 1], boundaries[i]) > 0) throw new RangeError(`rangePartitioner: boundaries[${i}] is smaller than boundaries[${i - 1}]`);
  }
  const cut = boundaries.slice();
  return (key) => {
    let lo = 0;
    let hi = cut.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareKeys(cut[mid], key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * `partitions - 1` split points from a sample of keys, at evenly spaced quantiles (TeraSort's
 * sampling), for {@link rangePartitioner}.
 *
 * @example
 * ```ts
 * import { sampleBoundaries } from 'distkit/dataflow';
 * sampleBoundaries([5, 1, 9, 3, 7, 2, 8, 4, 6], 3); //=> [4, 7]
 * ```
 */
export function sampleBoundaries<K>(sample: readonly K[], partitions: number): K[] {
  const sorted = sample.slice().sort(compareKeys);
  const out: K[] = [];
  if (sorted.length === 0) return out;
  for (let i = 1; i < partitions; i++) out.push(sorted[Math.min(sorted.length - 1, Math.floor((i * sorted.length) / partitions))]!);
  return out;
}

/** A counter context that records into `counters`, within the limits a report may carry ({@link MAX_COUNTERS} names of at most {@link MAX_COUNTER_NAME} characters). */
export function counterContext(counters: Record<string, number>): TaskContext {
  return {
    count(name, by = 1) {
      if (typeof name !== 'string' || name.length > MAX_COUNTER_NAME || typeof by !== 'number' || !Number.isFinite(by)) {
        throw new TypeError(`count(name, by): name must be a string of at most ${MAX_COUNTER_NAME} characters and by a finite number`);
      }
      const has = Object.prototype.hasOwnProperty.call(counters, name);
      if (!has && Object.keys(counters).length >= MAX_COUNTERS) throw new RangeError(`count(name): a task may keep at most ${MAX_COUNTERS} counters`);
      Object.defineProperty(counters, name, { value: (has ? counters[name]! : 0) + by, enumerable: true, writable: true, configurable: true });
    },
  };
}

/**
 * The counter a task adds for every record it skipped (§4.6), so a job's counters say how much
 * input was left out.
 *
 * @example
 * ```ts
 * import { SKIPPED_RECORDS_COUNTER } from 'distkit/dataflow';
 * SKIPPED_RECORDS_COUNTER; //=> 'mapreduce.skippedRecords'
 * ```
 */
export const SKIPPED_RECORDS_COUNTER = 'mapreduce.skippedRecords';

/**
 * What a task body returns: its output and counters, or the error of the record (by sequence
 * number within the task) on which a user function threw (§4.6's "last gasp").
 *
 * @example
 * ```ts
 * import { runMapTask, type TaskOutcome } from 'distkit/dataflow';
 * // A user function that throws fails its task with the error and the record, never the caller.
 * const t: TaskOutcome<unknown> = runMapTask({ map: (n: number): [string, number][] => { if (n === 3) throw new TypeError('bad record'); return [['n', n]]; }, reduce: (_k, v) => v.length }, [1, 2, 3], 1);
 * t; //=> { ok: false, error: 'TypeError: bad record', record: 2 }
 * ```
 */
export type TaskOutcome<T> =
  | { readonly ok: true; readonly output: T; readonly counters: Readonly<Record<string, number>> }
  | { readonly ok: false; readonly error: string; readonly record?: number };

/** The message of whatever a user function threw. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  try {
    return `thrown: ${String(e)}`;
  } catch {
    return 'thrown: an unprintable value';
  }
}

/**
 * Pairs grouped by key as they are added, then listed in sorted key order. String keys are grouped
 * by the string itself, other keys by their canonical JSON, in two tables, so a string key costs
 * no concatenation.
 */
class Groups<K, V> {
  readonly #strings = new Map<string, [K, V[]]>();
  readonly #others = new Map<string, [K, V[]]>();

  add(k: K, val: V): void {
    const table = typeof k === 'string' ? this.#strings : this.#others;
    const id = typeof k === 'string' ? k : canonicalJson(k);
    const g = table.get(id);
    if (g === undefined) table.set(id, [k, [val]]);
    else g[1].push(val);
  }

  /** The groups in the order their keys first came. */
  entries(): [K, V[]][] {
    const groups = [...this.#strings.values()];
    for (const g of this.#others.values()) groups.push(g);
    return groups;
  }

  /**
   * The groups in key order: with string keys only (the common case), the keys sorted by the
   * engine's own code-unit sort, which calls no comparator; otherwise by {@link compareKeys}.
   */
  sorted(): [K, V[]][] {
    if (this.#others.size > 0) return this.entries().sort((a, b) => compareKeys(a[0], b[0]));
    const keys = [...this.#strings.keys()].sort();
    const out = new Array<[K, V[]]>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = this.#strings.get(keys[i]!)!;
    return out;
  }
}

function groupSorted<K, V>(runs: readonly (readonly Pair<K, V>[])[]): [K, V[]][] {
  const groups = new Groups<K, V>();
  for (const pairs of runs) for (const [k, val] of pairs) groups.add(k, val);
  return groups.sorted();
}

/** A task that failed on a record: the error of the user function and the record's sequence number. */
type RecordFailure = { readonly ok: false; readonly error: string; readonly record?: number };

/**
 * The map loop of a task: the map function over every record but those in `skip`, each pair
 * handed to `emit` with its partition, checked. Returns the failure of the first record on which
 * a user function (or `emit`) threw.
 */
function mapRecords<I, K, V, R>(
  fns: MapReduceFunctions<I, K, V, R>,
  records: readonly I[],
  partitions: number,
  skip: readonly number[],
  ctx: TaskContext,
  emit: (partition: number, key: K, value: V) => void,
): RecordFailure | undefined {
  const partition = fns.partition ?? hashPartitioner;
  const skipped = new Set(skip);
  for (let seq = 0; seq < records.length; seq++) {
    if (skipped.has(seq)) {
      ctx.count(SKIPPED_RECORDS_COUNTER);
      continue;
    }
    try {
      for (const [k, val] of fns.map(records[seq]!, ctx)) {
        const p = partition(k, partitions);
        if (!Number.isInteger(p) || p < 0 || p >= partitions) throw new RangeError(`partitioner returned ${String(p)} for key ${canonicalJson(k)}, not an integer in [0, ${partitions})`);
        emit(p, k, val);
      }
    } catch (e) {
      return { ok: false, error: errorText(e), record: seq };
    }
  }
  return undefined;
}

/**
 * Runs one map task (§3.1 steps 3–4): the map function over the records of one split, except the
 * sequence numbers in `skip`; the pairs partitioned into `partitions` regions, each sorted by key
 * and, with a combiner, combined. Never throws: a throwing user function fails the task with its
 * error and the record's sequence number.
 *
 * @example
 * ```ts
 * import { runMapTask } from 'distkit/dataflow';
 * const fns = { map: (s: string) => s.split(' ').map((w): [string, number] => [w, 1]), reduce: (_k: string, v: readonly number[]) => v.length, partition: () => 0 };
 * const r = runMapTask(fns, ['b a', 'a'], 1);
 * r.ok && r.output; //=> [[['a', 1], ['a', 1], ['b', 1]]]
 * ```
 */
export function runMapTask<I, K, V, R>(fns: MapReduceFunctions<I, K, V, R>, records: readonly I[], partitions: number, skip: readonly number[] = []): TaskOutcome<Pair<K, V>[][]> {
  const counters: Record<string, number> = {};
  const ctx = counterContext(counters);
  const regions = Array.from({ length: partitions }, () => new Groups<K, V>());
  const failed = mapRecords(fns, records, partitions, skip, ctx, (p, k, val) => regions[p]!.add(k, val));
  if (failed !== undefined) return failed;
  const out: Pair<K, V>[][] = [];
  for (const region of regions) {
    const groups = region.sorted();
    if (fns.combine === undefined) {
      out.push(groups.flatMap(([k, vs]) => vs.map((x): Pair<K, V> => [k, x])));
      continue;
    }
    try {
      out.push(groups.map(([k, vs]): Pair<K, V> => [k, fns.combine!(k, vs, ctx)]));
    } catch (e) {
      return { ok: false, error: `combiner: ${errorText(e)}` };
    }
  }
  return { ok: true, output: out, counters };
}

/**
 * {@link runMapTask} for a host whose reducers group and sort what they fetch (the paper's reduce
 * worker sorts after reading, §3.1 step 5): each pair goes to `emit` with its partition as it
 * comes, in no key order — combined per region first when the job has a combiner — so the map
 * side builds no sorted regions. Same skipping, counters and failures as {@link runMapTask}.
 *
 * @internal
 */
export function runMapTaskInto<I, K, V, R>(
  fns: MapReduceFunctions<I, K, V, R>,
  records: readonly I[],
  partitions: number,
  skip: readonly number[],
  emit: (partition: number, key: K, value: V) => void,
): TaskOutcome<null> {
  const counters: Record<string, number> = {};
  const ctx = counterContext(counters);
  const combine = fns.combine;
  if (combine === undefined) return mapRecords(fns, records, partitions, skip, ctx, emit) ?? { ok: true, output: null, counters };
  const regions = Array.from({ length: partitions }, () => new Groups<K, V>());
  const failed = mapRecords(fns, records, partitions, skip, ctx, (p, k, val) => regions[p]!.add(k, val));
  if (failed !== undefined) return failed;
  try {
    regions.forEach((region, p) => {
      for (const [k, vs] of region.entries()) emit(p, k, combine(k, vs, ctx));
    });
  } catch (e) {
    return { ok: false, error: `combiner: ${errorText(e)}` };
  }
  return { ok: true, output: null, counters };
}

/** The reduce function over sorted groups, but the groups (by sequence number) in `skip`. */
function reduceGroups<I, K, V, R>(fns: MapReduceFunctions<I, K, V, R>, groups: readonly [K, V[]][], skip: readonly number[]): TaskOutcome<Pair<K, R>[]> {
  const counters: Record<string, number> = {};
  const ctx = counterContext(counters);
  const skipped = new Set(skip);
  const out: Pair<K, R>[] = [];
  for (let seq = 0; seq < groups.length; seq++) {
    if (skipped.has(seq)) {
      ctx.count(SKIPPED_RECORDS_COUNTER);
      continue;
    }
    const [k, vs] = groups[seq]!;
    try {
      out.push([k, fns.reduce(k, vs, ctx)]);
    } catch (e) {
      return { ok: false, error: errorText(e), record: seq };
    }
  }
  return { ok: true, output: out, counters };
}

/**
 * Runs one reduce task (§3.1 steps 5–6): merges the partition's regions from every map task,
 * groups the pairs by key in sorted key order, and runs the reduce function once per key, except
 * the groups (by sequence number in key order) in `skip`. Never throws.
 *
 * @example
 * ```ts
 * import { runReduceTask } from 'distkit/dataflow';
 * const fns = { map: (s: string) => [[s, 1] as [string, number]], reduce: (_k: string, v: readonly number[]) => v.length };
 * const r = runReduceTask(fns, [[['a', 1], ['b', 1]], [['a', 1]]]);
 * r.ok && r.output; //=> [['a', 2], ['b', 1]]
 * ```
 */
export function runReduceTask<I, K, V, R>(fns: MapReduceFunctions<I, K, V, R>, regions: readonly (readonly Pair<K, V>[])[], skip: readonly number[] = []): TaskOutcome<Pair<K, R>[]> {
  return reduceGroups(fns, groupSorted(regions), skip);
}

/**
 * {@link runReduceTask} over pairs that `fill` hands to `add` (a host's regions as it stored
 * them, decoded one pair at a time, map-task order kept), so no list of pair objects is built
 * first.
 *
 * @internal
 */
export function runReduceTaskFrom<I, K, V, R>(fns: MapReduceFunctions<I, K, V, R>, fill: (add: (key: K, value: V) => void) => void, skip: readonly number[] = []): TaskOutcome<Pair<K, R>[]> {
  const groups = new Groups<K, V>();
  fill((k, val) => groups.add(k, val));
  return reduceGroups(fns, groups.sorted(), skip);
}

/**
 * The job run on one machine, with no framework: every record mapped, pairs grouped by key,
 * keys sorted, reduced. The reference a distributed run must equal (as MIT 6.5840's lab 1 tests
 * compare against `mrsequential`). User functions that throw propagate.
 *
 * @example
 * ```ts
 * import { runSequential } from 'distkit/dataflow';
 * const out = runSequential({ map: (s: string) => s.split(' ').map((w): [string, number] => [w, 1]), reduce: (_w: string, c: readonly number[]) => c.length }, ['a b', 'b']);
 * [...out]; //=> [['a', 1], ['b', 2]]
 * ```
 */
export function runSequential<I, K, V, R>(fns: MapReduceFunctions<I, K, V, R>, records: readonly I[]): Map<K, R> {
  const ctx = counterContext({});
  const groups = new Groups<K, V>();
  for (const r of records) for (const [k, val] of fns.map(r, ctx)) groups.add(k, val);
  const out = new Map<K, R>();
  for (const [k, vs] of groups.sorted()) out.set(k, fns.reduce(k, vs, ctx));
  return out;
}
