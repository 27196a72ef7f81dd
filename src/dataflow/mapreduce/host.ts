/**
 * The host side of a MapReduce worker: runs an assignment with the user's functions, keeps the
 * intermediate files (a map task's R regions on the worker's "local disk", §3.1 step 4) and the
 * reduce outputs, and answers with the `done` or `failed` input for the worker machine.
 *
 * @packageDocumentation
 */
import type { Unstamped } from '../../core/index.js';
import { runMapTask, runReduceTask, type MapReduceFunctions, type Pair } from './job.js';
import type { Assignment, AttemptRef, MapOutputLocation } from './messages.js';
import { taskLabel } from './messages.js';
import type { WorkerDoneInput, WorkerFailedInput } from './worker.js';

/**
 * Where intermediate and output data live. A map worker's regions are readable only while that
 * worker's disk is (the paper's reducers read them over RPC); reduce outputs go to the "global
 * file system", one per attempt, and the coordinator's `committed` event says which one counts.
 *
 * @example
 * ```ts
 * import { MemoryTaskStore, type TaskStore } from 'distkit/dataflow';
 * const store: TaskStore<string, number, number> = new MemoryTaskStore();
 * ```
 */
export interface TaskStore<K, V, R> {
  /** Writes a completed map attempt's regions on `worker`'s local disk. */
  putMapOutput(worker: string, ref: AttemptRef, regions: readonly (readonly Pair<K, V>[])[]): void;
  /** Reads region `partition` of the map output at `location`, or `undefined` when it is unreachable. */
  getRegion(location: MapOutputLocation, partition: number): readonly Pair<K, V>[] | undefined;
  /** Writes a reduce attempt's output (a temporary file until committed). */
  putReduceOutput(worker: string, ref: AttemptRef, pairs: readonly Pair<K, R>[]): void;
  /** The output a reduce attempt wrote, or `undefined`. */
  getReduceOutput(worker: string, ref: AttemptRef): readonly Pair<K, R>[] | undefined;
}

const mapKey = (worker: string, index: number, attempt: number): string => `${worker}\u0000${index}\u0000${attempt}`;
const reduceKey = (worker: string, ref: AttemptRef): string => `${worker}\u0000${ref.index}\u0000${ref.attempt}`;

/**
 * An in-memory {@link TaskStore}. `loseDisk(worker)` drops a worker's map outputs, as a machine
 * failure does.
 *
 * @example
 * ```ts
 * import { MemoryTaskStore } from 'distkit/dataflow';
 * const store = new MemoryTaskStore<string, number, number>();
 * store.putMapOutput('w1', { kind: 'map', index: 0, attempt: 0 }, [[['a', 1]]]);
 * store.getRegion({ map: 0, attempt: 0, worker: 'w1', incarnation: 0, sizeBytes: 9 }, 0); //=> [['a', 1]]
 * store.loseDisk('w1');
 * store.getRegion({ map: 0, attempt: 0, worker: 'w1', incarnation: 0, sizeBytes: 9 }, 0); //=> undefined
 * ```
 */
export class MemoryTaskStore<K, V, R> implements TaskStore<K, V, R> {
  readonly #maps = new Map<string, readonly (readonly Pair<K, V>[])[]>();
  readonly #reduces = new Map<string, readonly Pair<K, R>[]>();

  putMapOutput(worker: string, ref: AttemptRef, regions: readonly (readonly Pair<K, V>[])[]): void {
    this.#maps.set(mapKey(worker, ref.index, ref.attempt), regions);
  }

  getRegion(location: MapOutputLocation, partition: number): readonly Pair<K, V>[] | undefined {
    return this.#maps.get(mapKey(location.worker, location.map, location.attempt))?.[partition];
  }

  putReduceOutput(worker: string, ref: AttemptRef, pairs: readonly Pair<K, R>[]): void {
    this.#reduces.set(reduceKey(worker, ref), pairs);
  }

  getReduceOutput(worker: string, ref: AttemptRef): readonly Pair<K, R>[] | undefined {
    return this.#reduces.get(reduceKey(worker, ref));
  }

  /** Drops every map output on `worker` (its local disk is gone). */
  loseDisk(worker: string): void {
    const prefix = `${worker}\u0000`;
    for (const k of [...this.#maps.keys()]) if (k.startsWith(prefix)) this.#maps.delete(k);
  }
}

function sizeOf(x: unknown): number {
  return JSON.stringify(x)?.length ?? 0;
}

/**
 * Runs one assignment on a worker's host: a map task reads its split's records (`records`),
 * runs {@link runMapTask} and writes the regions; a reduce task fetches its region of every map
 * output, runs {@link runReduceTask} and writes its output. Returns the input to step into the
 * worker machine: `done` with the sizes and counters, or `failed` with the error (and the record,
 * or the map output that could not be fetched).
 *
 * @example
 * ```ts
 * import { runAssignment, MemoryTaskStore } from 'distkit/dataflow';
 * const fns = { map: (s: string) => s.split(' ').map((w): [string, number] => [w, 1]), reduce: (_w: string, c: readonly number[]) => c.length };
 * const store = new MemoryTaskStore<string, number, number>();
 * const task = { ref: { kind: 'map' as const, index: 0, attempt: 0 }, partitions: 1, split: 0, skip: [] };
 * runAssignment(fns, task, 'w1', { records: () => ['a b a'], store }).type; //=> 'done'
 * ```
 */
export function runAssignment<I, K, V, R>(
  fns: MapReduceFunctions<I, K, V, R>,
  task: Assignment,
  worker: string,
  io: { readonly records: (split: unknown) => readonly I[]; readonly store: TaskStore<K, V, R> },
): Unstamped<WorkerDoneInput> | Unstamped<WorkerFailedInput> {
  const ref = task.ref;
  if (ref.kind === 'map') {
    let records: readonly I[];
    try {
      records = io.records(task.split);
    } catch (e) {
      return { type: 'failed', ref, error: `reading the split of ${taskLabel(ref)}: ${String(e)}` };
    }
    const r = runMapTask(fns, records, task.partitions, task.skip);
    if (!r.ok) return { type: 'failed', ref, error: r.error, ...(r.record === undefined ? {} : { record: r.record }) };
    io.store.putMapOutput(worker, ref, r.output);
    return { type: 'done', ref, sizes: r.output.map(sizeOf), counters: r.counters };
  }
  const regions: (readonly Pair<K, V>[])[] = [];
  for (const loc of task.locations ?? []) {
    const region = io.store.getRegion(loc, ref.index);
    if (region === undefined) return { type: 'failed', ref, error: `map task ${loc.map} output unreachable on ${loc.worker}`, lost: { map: loc.map, attempt: loc.attempt } };
    regions.push(region);
  }
  const r = runReduceTask(fns, regions, task.skip);
  if (!r.ok) return { type: 'failed', ref, error: r.error, ...(r.record === undefined ? {} : { record: r.record }) };
  io.store.putReduceOutput(worker, ref, r.output);
  return { type: 'done', ref, sizes: [sizeOf(r.output)], counters: r.counters };
}
