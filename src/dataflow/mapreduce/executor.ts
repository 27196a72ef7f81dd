/**
 * The in-process executor: runs a whole job through one {@link mapReduceCoordinator} and N
 * {@link mapReduceWorker} machines in one thread, delivering their messages in order in virtual
 * time and running each `run` output with the user's functions. Same protocol, same retries,
 * same skipping and counters as a distributed run; for tests, small data and the course notes'
 * API (`new MapReduce(4).execute(data, mapper, reducer)`, `new MapReduceJob(map, reduce).run(data)`).
 *
 * @packageDocumentation
 */
import { DistkitError, positiveInt, type NodeId } from '../../core/index.js';
import { mapReduceCoordinator, type MapReduceCoordinatorConfig, type MapReduceCoordinatorOutput, type MapReduceCoordinatorState, type MapReduceCoordinatorInput } from './coordinator.js';
import { MemoryTaskStore, runAssignment } from './host.js';
import type { Combiner, MapReduceFunctions, Mapper, Partitioner, Reducer } from './job.js';
import type { TaskKind } from './messages.js';
import { mapReduceWorker, type MapReduceWorkerInput, type MapReduceWorkerOutput, type MapReduceWorkerState } from './worker.js';

/**
 * The job failed: a task failed `maxFailures` times. `task` names it; the message carries its
 * last error.
 *
 * @example
 * ```ts
 * import { MapReduceJobError } from 'distkit/dataflow';
 * const e = new MapReduceJobError('map task 2 failed 4 times; most recent failure: Error: bad', { kind: 'map', index: 2 });
 * e.task; //=> { kind: 'map', index: 2 }
 * ```
 */
export class MapReduceJobError extends DistkitError {
  readonly task: { readonly kind: TaskKind; readonly index: number };
  constructor(message: string, task: { readonly kind: TaskKind; readonly index: number }) {
    super(message);
    this.task = task;
  }
}

/**
 * Options of {@link runMapReduce}: the number of workers, M and R, and the coordinator's
 * fault-tolerance knobs.
 *
 * @example
 * ```ts
 * import type { RunMapReduceOptions } from 'distkit/dataflow';
 * const o: RunMapReduceOptions = { workers: 4, splits: 8, partitions: 3, maxFailures: 2 };
 * ```
 */
export interface RunMapReduceOptions extends Partial<Omit<MapReduceCoordinatorConfig, 'id' | 'splits' | 'partitions' | 'workers'>> {
  /** Worker machines. Default 4. */
  readonly workers?: number;
  /** M, the number of input splits. Default `min(records, 4 × workers)`, at least 1. */
  readonly splits?: number;
  /** R, the number of reduce partitions. Default the number of workers. */
  readonly partitions?: number;
  /** Give up after this many machine steps. Default 10,000,000. */
  readonly maxSteps?: number;
}

/**
 * What {@link runMapReduce} returns: the output (partitions in order, keys sorted within each),
 * the job's counters and how many attempts of each kind ran.
 *
 * @example
 * ```ts
 * import type { MapReduceResult } from 'distkit/dataflow';
 * declare const r: MapReduceResult<string, number>;
 * r.output.get('hello');
 * ```
 */
export interface MapReduceResult<K, R> {
  readonly output: Map<K, R>;
  readonly counters: Readonly<Record<string, number>>;
  readonly attempts: { readonly map: number; readonly reduce: number };
  /** R's committed outputs, one list of pairs per partition. */
  readonly partitions: readonly (readonly (readonly [K, R])[])[];
}

interface Queued {
  readonly node: NodeId;
  readonly input: Record<string, unknown>;
}

const COORDINATOR = 'coordinator';

/**
 * Runs a job in process through the coordinator and worker machines and returns its output.
 * Throws {@link MapReduceJobError} when a task fails `maxFailures` times.
 *
 * @example
 * ```ts
 * import { runMapReduce } from 'distkit/dataflow';
 * const r = runMapReduce(
 *   { map: (line: string) => line.split(' ').map((w): [string, number] => [w, 1]), reduce: (_w: string, c: readonly number[]) => c.length },
 *   ['a b', 'b c', 'c'],
 *   { workers: 2, partitions: 1 },
 * );
 * [...r.output]; //=> [['a', 1], ['b', 2], ['c', 2]]
 * r.attempts;    //=> { map: 3, reduce: 1 }
 * ```
 */
export function runMapReduce<I, K, V, R>(fns: MapReduceFunctions<I, K, V, R>, input: readonly I[], options: RunMapReduceOptions = {}): MapReduceResult<K, R> {
  const { workers: n0, splits: m0, partitions: r0, maxSteps: steps0, ...knobs } = options;
  const n = positiveInt('workers', n0, 4);
  const m = positiveInt('splits', m0, Math.max(1, Math.min(input.length, 4 * n)));
  const partitions = positiveInt('partitions', r0, n);
  const maxSteps = positiveInt('maxSteps', steps0, 10_000_000);
  const splits = Array.from({ length: m }, (_x, i) => [Math.floor((i * input.length) / m), Math.floor(((i + 1) * input.length) / m)]);
  const ids = Array.from({ length: n }, (_x, i) => `w${i + 1}`);
  const store = new MemoryTaskStore<K, V, R>();
  const records = (split: unknown): readonly I[] => {
    const [a, b] = split as [number, number];
    return input.slice(a, b);
  };
  const run = new Run(ids, { ...knobs, id: COORDINATOR, splits, partitions, workers: ids }, (worker, task) => runAssignment(fns, task, worker, { records, store }));
  run.loop(maxSteps);
  if (run.failed !== undefined) throw new MapReduceJobError(run.failed.error, run.failed.task);
  const parts = run.committed.map((c, i) => store.getReduceOutput(c.worker, { kind: 'reduce', index: i, attempt: c.attempt }) ?? []);
  const output = new Map<K, R>();
  for (const p of parts) for (const [k, r] of p) output.set(k, r);
  return { output, counters: run.counters, attempts: run.attempts, partitions: parts };
}

type RunTask = (worker: NodeId, task: Extract<MapReduceWorkerOutput, { type: 'run' }>['task']) => Record<string, unknown>;

/** The event loop of one in-process job. */
class Run {
  now = 0;
  readonly queue: Queued[] = [];
  head = 0;
  coordinator: MapReduceCoordinatorState;
  readonly workers = new Map<NodeId, MapReduceWorkerState>();
  readonly committed: { attempt: number; worker: NodeId }[] = [];
  counters: Readonly<Record<string, number>> = {};
  failed: { error: string; task: { kind: TaskKind; index: number } } | undefined;
  done = false;
  readonly attempts = { map: 0, reduce: 0 };

  constructor(
    ids: readonly NodeId[],
    config: MapReduceCoordinatorConfig,
    private readonly runTask: RunTask,
  ) {
    this.coordinator = mapReduceCoordinator.init(config);
    for (const id of ids) this.workers.set(id, mapReduceWorker.init({ id, coordinator: COORDINATOR }));
  }

  loop(maxSteps: number): void {
    for (let steps = 0; !this.done && this.failed === undefined; steps++) {
      if (steps >= maxSteps) throw new DistkitError(`runMapReduce: no result after ${maxSteps} steps`);
      if (this.head < this.queue.length) {
        const q = this.queue[this.head++]!;
        this.now += 1;
        this.step(q.node, { ...q.input, now: this.now });
        continue;
      }
      this.queue.length = 0;
      this.head = 0;
      const due = this.nextDue();
      if (due === undefined) throw new DistkitError('runMapReduce: the job stopped making progress');
      this.now = Math.max(this.now, due.at);
      for (const node of due.nodes) this.step(node, { type: 'tick', now: this.now });
    }
  }

  nextDue(): { at: number; nodes: NodeId[] } | undefined {
    let at: number | undefined;
    let nodes: NodeId[] = [];
    const consider = (node: NodeId, d: number | undefined) => {
      if (d === undefined) return;
      if (at === undefined || d < at) {
        at = d;
        nodes = [node];
      } else if (d === at) nodes.push(node);
    };
    consider(COORDINATOR, mapReduceCoordinator.nextDeadline(this.coordinator));
    for (const [id, s] of this.workers) consider(id, mapReduceWorker.nextDeadline(s));
    return at === undefined ? undefined : { at, nodes };
  }

  step(node: NodeId, input: Record<string, unknown>): void {
    if (node === COORDINATOR) {
      const t = mapReduceCoordinator.step(this.coordinator, input as unknown as MapReduceCoordinatorInput);
      this.coordinator = t.state;
      for (const o of t.outputs) this.coordinatorOutput(o);
      return;
    }
    const s = this.workers.get(node);
    if (s === undefined) return;
    const t = mapReduceWorker.step(s, input as unknown as MapReduceWorkerInput);
    this.workers.set(node, t.state);
    for (const o of t.outputs) {
      if (o.type === 'send') this.queue.push({ node: o.to, input: { type: 'message', from: node, message: o.message } });
      else if (o.type === 'run') {
        this.attempts[o.task.ref.kind]++;
        this.queue.push({ node, input: this.runTask(node, o.task) });
      }
    }
  }

  coordinatorOutput(o: MapReduceCoordinatorOutput): void {
    switch (o.type) {
      case 'send':
        this.queue.push({ node: o.to, input: { type: 'message', from: COORDINATOR, message: o.message } });
        return;
      case 'committed':
        this.committed[o.index] = { attempt: o.attempt, worker: o.worker };
        return;
      case 'jobDone':
        this.counters = o.counters;
        this.done = true;
        return;
      case 'jobFailed':
        this.failed = { error: o.error, task: o.task };
        return;
      default:
        return;
    }
  }
}

/**
 * Options of {@link MapReduce} beyond the number of workers.
 *
 * @example
 * ```ts
 * import type { MapReduceOptions } from 'distkit/dataflow';
 * const o: MapReduceOptions = { partitions: 8, maxFailures: 4, speculation: true };
 * ```
 */
export type MapReduceOptions = Omit<RunMapReduceOptions, 'workers'>;

/**
 * The course notes' `MapReduce(num_workers).execute(data, mapper, reducer)`: a job run in
 * process through the coordinator and worker machines, with re-execution, backup tasks and the
 * attempt cap of the real algorithm. Returns a `Map` from key to reduced value, partitions in
 * order and keys sorted within each.
 *
 * @example
 * ```ts
 * import { MapReduce } from 'distkit/dataflow';
 * const mapreduce = new MapReduce(4);
 * const result = mapreduce.execute(
 *   ['Hello World', 'Hello MapReduce', 'World of Distributed Systems'],
 *   (line: string) => line.split(/\s+/).map((word): [string, number] => [word.toLowerCase(), 1]),
 *   (_word: string, counts: readonly number[]) => counts.reduce((a, b) => a + b, 0),
 * );
 * result.get('hello'); //=> 2
 * result.get('world'); //=> 2
 * result.size;         //=> 6
 * ```
 */
export class MapReduce {
  readonly numWorkers: number;
  protected readonly options: MapReduceOptions;

  constructor(numWorkers = 4, options: MapReduceOptions = {}) {
    this.numWorkers = positiveInt('numWorkers', numWorkers);
    this.options = options;
  }

  /** Runs the job over `data`; throws {@link MapReduceJobError} when a task fails `maxFailures` times. */
  execute<I, K, V, R>(data: readonly I[], mapper: Mapper<I, K, V>, reducer: Reducer<K, V, R>): Map<K, R> {
    return runMapReduce({ map: mapper, reduce: reducer, ...this.extra<K, V>() }, data, { ...this.options, workers: this.numWorkers }).output;
  }

  /** The combiner and partitioner of a subclass. */
  protected extra<K, V>(): { combine?: Combiner<K, V>; partition?: Partitioner<K> } {
    return {};
  }
}

/**
 * The notes' `AdvancedMapReduce(num_workers, combiner, partitioner)`: {@link MapReduce} with a
 * combiner (§4.3) and a custom partitioner (§4.1).
 *
 * @example
 * ```ts
 * import { AdvancedMapReduce } from 'distkit/dataflow';
 * const sum = (_k: string, xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
 * const mr = new AdvancedMapReduce(2, sum, (key: string, r: number) => key.length % r);
 * mr.execute(['a bb a', 'bb ccc'], (l: string) => l.split(' ').map((w): [string, number] => [w, 1]), sum).get('bb'); //=> 2
 * ```
 */
export class AdvancedMapReduce extends MapReduce {
  readonly combiner: Combiner<any, any> | undefined;
  readonly partitioner: Partitioner<any> | undefined;

  constructor(numWorkers = 4, combiner?: Combiner<any, any>, partitioner?: Partitioner<any>, options: MapReduceOptions = {}) {
    super(numWorkers, options);
    this.combiner = combiner;
    this.partitioner = partitioner;
  }

  protected override extra<K, V>(): { combine?: Combiner<K, V>; partition?: Partitioner<K> } {
    return { ...(this.combiner === undefined ? {} : { combine: this.combiner }), ...(this.partitioner === undefined ? {} : { partition: this.partitioner }) };
  }
}

/**
 * The notes' `MapReduceJob(map_func, reduce_func, num_workers=4).run(input_data)`.
 *
 * @example
 * ```ts
 * import { MapReduceJob } from 'distkit/dataflow';
 * function* wordCountMap(document: string): Generator<[string, number]> {
 *   for (const word of document.split(/\s+/)) if (word) yield [word.toLowerCase(), 1];
 * }
 * const job = new MapReduceJob(wordCountMap, (_word: string, counts: readonly number[]) => counts.reduce((a, b) => a + b, 0));
 * [...job.run(['the cat', 'The end'])]; //=> [['cat', 1], ['end', 1], ['the', 2]]
 * ```
 */
export class MapReduceJob<I, K, V, R> {
  constructor(
    readonly mapFunc: Mapper<I, K, V>,
    readonly reduceFunc: Reducer<K, V, R>,
    readonly numWorkers = 4,
    readonly options: MapReduceOptions = {},
  ) {}

  /** Runs the job over `inputData`; keys sorted (one partition unless `options.partitions` says otherwise). */
  run(inputData: readonly I[]): Map<K, R> {
    return runMapReduce({ map: this.mapFunc, reduce: this.reduceFunc }, inputData, { partitions: 1, ...this.options, workers: this.numWorkers }).output;
  }
}
