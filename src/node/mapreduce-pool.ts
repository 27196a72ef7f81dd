/**
 * A MapReduce executor over a pool of `worker_threads`: the coordinator and worker machines run
 * on the main thread (as in the in-process executor, in real time), and every `run` output is
 * executed by the thread of its worker. As in the paper, the user's code ships to the workers as
 * a program: a module that calls {@link serveMapReduceThread} with its functions when it is loaded
 * in a thread. Map outputs stay on the main thread, so a reduce task's regions are fetched there.
 *
 * @packageDocumentation
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { MemoryTaskStore, errorText, runMapTask, runReduceTask, type Assignment, type MapReduceFunctions, type MapReduceResult, type Pair, type RunMapReduceOptions, type TaskOutcome } from '../dataflow/index.js';
import { COORDINATOR, JobRun, jobResult, jobShape, splitRanges } from '../dataflow/mapreduce/run-loop.js';

type ThreadTask =
  | { readonly id: number; readonly kind: 'map'; readonly records: readonly unknown[]; readonly partitions: number; readonly skip: readonly number[] }
  | { readonly id: number; readonly kind: 'reduce'; readonly regions: readonly (readonly Pair<unknown, unknown>[])[]; readonly skip: readonly number[] };

interface ThreadAnswer {
  readonly id: number;
  readonly outcome: TaskOutcome<unknown>;
}

/**
 * Serves map and reduce tasks with `fns` when the calling module runs in a worker thread of
 * {@link runMapReducePool}; does nothing (and returns false) on the main thread, so the same
 * module can also export its functions for other uses.
 *
 * @example
 * ```ts
 * // wc-job.ts, the module given to runMapReducePool:
 * import { serveMapReduceThread } from 'distkit/node';
 * export const wordCount = {
 *   map: (line: string) => line.split(/\s+/).filter(Boolean).map((w): [string, number] => [w, 1]),
 *   reduce: (_w: string, counts: readonly number[]) => counts.reduce((a, b) => a + b, 0),
 * };
 * serveMapReduceThread(wordCount); //=> false
 * ```
 */
export function serveMapReduceThread<I, K, V, R>(fns: MapReduceFunctions<I, K, V, R>): boolean {
  const port = parentPort;
  if (isMainThread || port === null) return false;
  port.on('message', (t: ThreadTask) => {
    let outcome: TaskOutcome<unknown>;
    try {
      outcome = t.kind === 'map' ? runMapTask(fns, t.records as readonly I[], t.partitions, t.skip) : runReduceTask(fns, t.regions as readonly (readonly Pair<K, V>[])[], t.skip);
    } catch (e) {
      outcome = { ok: false, error: errorText(e) };
    }
    port.postMessage({ id: t.id, outcome } satisfies ThreadAnswer);
  });
  return true;
}

/**
 * Options of {@link runMapReducePool}: those of `runMapReduce` (workers = threads), and the
 * `execArgv` of the threads (e.g. `['--import', 'tsx']` for a TypeScript job module).
 *
 * @example
 * ```ts
 * import type { RunMapReducePoolOptions } from 'distkit/node';
 * const o: RunMapReducePoolOptions = { workers: 4, partitions: 8, execArgv: ['--import', 'tsx'] };
 * ```
 */
export interface RunMapReducePoolOptions extends RunMapReduceOptions {
  /** Node options for the worker threads. Default: the main thread's. */
  readonly execArgv?: readonly string[];
  /** Called as each attempt's thread answers: the task's kind and whether its user functions succeeded. */
  readonly onAttempt?: (kind: 'map' | 'reduce', ok: boolean) => void;
}

interface Pending {
  readonly worker: string;
  readonly task: Assignment;
  readonly thread: Worker;
}

/**
 * Runs a job on `workers` worker threads, each loading `jobModule` (which calls
 * {@link serveMapReduceThread}); resolves with the output, or rejects with `MapReduceJobError`
 * when a task fails `maxFailures` times. A thread that dies fails its running attempt, and the
 * worker gets a new thread.
 *
 * @example
 * ```ts
 * import { runMapReducePool } from 'distkit/node';
 * const lines = ['a b', 'b'];
 * // const r = await runMapReducePool(new URL('./wc-job.js', import.meta.url), lines, { workers: 4 });
 * // r.output.get('b') === 2
 * ```
 */
export async function runMapReducePool<I, K, R>(jobModule: string | URL, input: readonly I[], options: RunMapReducePoolOptions = {}): Promise<MapReduceResult<K, R>> {
  const { workers, splits, partitions, maxSteps: _maxSteps, execArgv, onAttempt, ...knobs } = options;
  const { m, r, ids } = jobShape(input.length, { workers, splits, partitions });
  const store = new MemoryTaskStore<K, unknown, R>();
  const threads = new Map<string, Worker>();
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let wake: () => void = () => undefined;
  const config = { ...knobs, id: COORDINATOR, splits: splitRanges(input.length, m), partitions: r, workers: ids };
  const finish = (id: number, outcome: TaskOutcome<unknown>) => {
    const p = pending.get(id);
    if (p === undefined) return;
    pending.delete(id);
    onAttempt?.(p.task.ref.kind, outcome.ok);
    run.deliver(p.worker, answerOf(p, outcome, store));
    wake();
  };
  const threadFor = (worker: string): Worker => {
    const existing = threads.get(worker);
    if (existing !== undefined) return existing;
    const t = new Worker(jobModule, execArgv === undefined ? {} : { execArgv: [...execArgv] });
    t.on('message', (a: ThreadAnswer) => finish(a.id, a.outcome));
    const died = (why: string) => {
      if (threads.get(worker) === t) threads.delete(worker);
      for (const [id, p] of pending) if (p.thread === t) finish(id, { ok: false, error: why });
    };
    t.on('error', (e) => died(`worker thread failed: ${errorText(e)}`));
    t.on('exit', (code) => died(`worker thread exited with code ${code}`));
    threads.set(worker, t);
    return t;
  };
  const run: JobRun = new JobRun(ids, config, (worker, task) => {
    const message = threadTask(nextId, task, input, store);
    if (!('id' in message)) return message;
    const thread = threadFor(worker);
    pending.set(nextId++, { worker, task, thread });
    thread.postMessage(message);
    return undefined;
  }, () => performance.now());
  try {
    while (!run.finished) {
      if (run.turn()) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        const due = run.nextDue();
        if (due !== undefined) setTimeout(resolve, Math.max(0, due.at - run.now()));
      });
    }
  } finally {
    await Promise.all([...threads.values()].map((t) => t.terminate()));
  }
  return jobResult(run, store);
}

/** What a thread must run for `task`, or the `failed` input when a region cannot be fetched. */
function threadTask<I, K, R>(id: number, task: Assignment, input: readonly I[], store: MemoryTaskStore<K, unknown, R>): ThreadTask | Record<string, unknown> {
  const ref = task.ref;
  if (ref.kind === 'map') {
    const [a, b] = task.split as [number, number];
    return { id, kind: 'map', records: input.slice(a, b), partitions: task.partitions, skip: task.skip };
  }
  const regions: (readonly Pair<unknown, unknown>[])[] = [];
  for (const loc of task.locations ?? []) {
    const region = store.getRegion(loc, ref.index);
    if (region === undefined) return { type: 'failed', ref, error: `map task ${loc.map} output unreachable on ${loc.worker}`, lost: { map: loc.map, attempt: loc.attempt } };
    regions.push(region);
  }
  return { id, kind: 'reduce', regions, skip: task.skip };
}

/** The worker input for a thread's outcome; a map output is kept, as on the worker's disk. */
function answerOf<K, R>(p: Pending, outcome: TaskOutcome<unknown>, store: MemoryTaskStore<K, unknown, R>): Record<string, unknown> {
  const ref = p.task.ref;
  if (!outcome.ok) return { type: 'failed', ref, error: outcome.error, ...(outcome.record === undefined ? {} : { record: outcome.record }) };
  const size = (x: unknown) => JSON.stringify(x)?.length ?? 0;
  if (ref.kind === 'map') {
    const regions = outcome.output as Pair<K, unknown>[][];
    store.putMapOutput(p.worker, ref, regions);
    return { type: 'done', ref, sizes: regions.map(size), counters: outcome.counters };
  }
  store.putReduceOutput(p.worker, ref, outcome.output as Pair<K, R>[]);
  return { type: 'done', ref, sizes: [size(outcome.output)], counters: outcome.counters };
}
