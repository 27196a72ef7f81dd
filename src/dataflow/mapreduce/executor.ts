/**
 * The in-process executor: runs a whole job through one {@link mapReduceCoordinator} and N
 * {@link mapReduceWorker} machines in one thread, delivering their messages in order in virtual
 * time and running each `run` output with the user's functions. Same protocol, same retries,
 * same skipping and counters as a distributed run; for tests, small data and the course notes'
 * API (`new MapReduce(4).execute(data, mapper, reducer)`, `new MapReduceJob(map, reduce).run(data)`).
 *
 * @packageDocumentation
 */
import { positiveInt } from '../../core/index.js';
import type { MapReduceCoordinatorConfig } from './coordinator.js';
import { MemoryTaskStore, runAssignment } from './host.js';
import type { Combiner, MapReduceFunctions, Mapper, Partitioner, Reducer } from './job.js';
import { COORDINATOR, JobRun, jobResult, jobShape, runSynchronously, splitRanges, type MapReduceResult } from './run-loop.js';

export { MapReduceJobError, type MapReduceResult } from './run-loop.js';

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
  const { workers, splits: m0, partitions: r0, maxSteps: steps0, ...knobs } = options;
  const { m, r, ids } = jobShape(input.length, { workers, splits: m0, partitions: r0 });
  const maxSteps = positiveInt('maxSteps', steps0, 10_000_000);
  const store = new MemoryTaskStore<K, V, R>();
  const records = (split: unknown): readonly I[] => input.slice((split as number[])[0], (split as number[])[1]);
  const clock = { t: 0 };
  const config = { ...knobs, id: COORDINATOR, splits: splitRanges(input.length, m), partitions: r, workers: ids };
  const run = new JobRun(ids, config, (worker, task) => runAssignment(fns, task, worker, { records, store }), () => clock.t);
  runSynchronously(run, clock, maxSteps);
  return jobResult(run, store);
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
