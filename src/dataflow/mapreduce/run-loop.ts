// The event loop that runs one job through a coordinator and N worker machines inside one
// process: messages delivered in order, ticks at each machine's nextDeadline, `run` outputs
// handed to a task runner. The runner answers at once (the in-process executor) or later through
// `deliver` (a thread pool in distkit/node). Not exported from the subpath.
import { DistkitError, positiveInt, type NodeId } from '../../core/index.js';
import { mapReduceCoordinator, type MapReduceCoordinatorConfig, type MapReduceCoordinatorInput, type MapReduceCoordinatorOutput, type MapReduceCoordinatorState } from './coordinator.js';
import type { TaskStore } from './host.js';
import type { Assignment, TaskKind } from './messages.js';
import { mapReduceWorker, type MapReduceWorkerInput, type MapReduceWorkerState } from './worker.js';

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

/** The coordinator's node id inside a job run. */
export const COORDINATOR = 'coordinator';

interface Queued {
  readonly node: NodeId;
  readonly input: Record<string, unknown>;
}

/** A task runner: the input to step into the worker now, or `undefined` when it will `deliver` it later. */
export type TaskRunner = (worker: NodeId, task: Assignment) => Record<string, unknown> | undefined;

/** M input ranges over `length` records. */
export function splitRanges(length: number, m: number): [number, number][] {
  return Array.from({ length: m }, (_x, i): [number, number] => [Math.floor((i * length) / m), Math.floor(((i + 1) * length) / m)]);
}

/** The worker count, M and R a job run uses, from its options. */
export function jobShape(records: number, o: { readonly workers?: number | undefined; readonly splits?: number | undefined; readonly partitions?: number | undefined }): { n: number; m: number; r: number; ids: string[] } {
  const n = positiveInt('workers', o.workers, 4);
  const m = positiveInt('splits', o.splits, Math.max(1, Math.min(records, 4 * n)));
  const r = positiveInt('partitions', o.partitions, n);
  return { n, m, r, ids: Array.from({ length: n }, (_x, i) => `w${i + 1}`) };
}

/** One job's machines and what they reported. */
export class JobRun {
  readonly queue: Queued[] = [];
  head = 0;
  coordinator: MapReduceCoordinatorState;
  readonly workers = new Map<NodeId, MapReduceWorkerState>();
  readonly committed: { attempt: number; worker: NodeId }[] = [];
  counters: Readonly<Record<string, number>> = {};
  failed: { error: string; task: { kind: TaskKind; index: number } } | undefined;
  done = false;
  readonly attempts = { map: 0, reduce: 0 };
  pending = 0;
  #last = 0;

  constructor(
    ids: readonly NodeId[],
    config: MapReduceCoordinatorConfig,
    private readonly runTask: TaskRunner,
    private readonly clock: () => number,
  ) {
    this.coordinator = mapReduceCoordinator.init(config);
    for (const id of ids) this.workers.set(id, mapReduceWorker.init({ id, coordinator: COORDINATOR }));
  }

  get finished(): boolean {
    return this.done || this.failed !== undefined;
  }

  /** A monotonic `now`. */
  now(): number {
    this.#last = Math.max(this.#last, this.clock());
    return this.#last;
  }

  /** A task runner's late answer for `worker`. */
  deliver(worker: NodeId, input: Record<string, unknown>): void {
    this.pending--;
    this.queue.push({ node: worker, input });
  }

  /** Steps everything queued; then, with nothing queued, the machines whose deadline is due. Returns false when nothing happened. */
  turn(): boolean {
    if (this.head < this.queue.length) {
      const q = this.queue[this.head++]!;
      this.step(q.node, { ...q.input, now: this.now() });
      return true;
    }
    this.queue.length = 0;
    this.head = 0;
    const due = this.nextDue();
    if (due === undefined || due.at > this.now()) return false;
    for (const node of due.nodes) this.step(node, { type: 'tick', now: this.now() });
    return true;
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
        const answer = this.runTask(node, o.task);
        if (answer === undefined) this.pending++;
        else this.queue.push({ node, input: answer });
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
 * Runs a job whose task runner answers at once, in virtual time: 1 ms per delivered input, and
 * straight to the next deadline when nothing is queued.
 */
export function runSynchronously(run: JobRun, clock: { t: number }, maxSteps: number): void {
  for (let steps = 0; !run.finished; steps++) {
    if (steps >= maxSteps) throw new DistkitError(`runMapReduce: no result after ${maxSteps} steps`);
    if (run.head < run.queue.length) clock.t += 1;
    if (run.turn()) continue;
    const due = run.nextDue();
    if (due === undefined) throw new DistkitError('runMapReduce: the job stopped making progress');
    clock.t = Math.max(clock.t, due.at);
  }
}

/**
 * The result of a finished run: the committed output of every partition, in partition order.
 * Throws {@link MapReduceJobError} when the job failed.
 */
export function jobResult<K, V, R>(run: JobRun, store: TaskStore<K, V, R>): MapReduceResult<K, R> {
  if (run.failed !== undefined) throw new MapReduceJobError(run.failed.error, run.failed.task);
  const parts = run.committed.map((c, i) => store.getReduceOutput(c.worker, { kind: 'reduce', index: i, attempt: c.attempt }) ?? []);
  // Built when first read: a caller that reads the partitions (a command writing one file per
  // partition) never pays for a map of every key.
  let output: Map<K, R> | undefined;
  return {
    get output(): Map<K, R> {
      if (output === undefined) {
        output = new Map<K, R>();
        for (const p of parts) for (const [k, v] of p) output.set(k, v);
      }
      return output;
    },
    counters: run.counters,
    attempts: run.attempts,
    partitions: parts,
  };
}

