/**
 * A MapReduce executor over a pool of `worker_threads`: the coordinator and worker machines run
 * on the main thread (as in the in-process executor, in real time), and every `run` output is
 * executed by the thread of its worker. As in the paper, the user's code ships to the workers as
 * a program: a module that calls {@link serveMapReduceThread} with its functions when it is loaded
 * in a thread. Map outputs stay on the main thread, so a reduce task's regions are fetched there;
 * they are kept there encoded, as the thread that ran the map wrote them (one compact encoding per
 * region: the keys in one string and the values in a `Float64Array` when keys are strings and
 * values numbers, `v8.serialize` otherwise), and decoded only by the thread that reduces them, so
 * the main thread never copies the pairs one object at a time. A map thread writes each pair into
 * its region's encoding as the map function gives it, in no key order (combined first when the
 * job has a combiner); the reduce thread groups the pairs as it decodes them and sorts the keys
 * once, as the paper's reduce worker sorts what it read (§3.1 step 5).
 *
 * @packageDocumentation
 */
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { deserialize, serialize } from 'node:v8';
import { MemoryTaskStore, errorText, runMapTaskInto, runReduceTaskFrom, type Assignment, type MapReduceFunctions, type MapReduceResult, type Pair, type RunMapReduceOptions } from '../dataflow/index.js';
import { COORDINATOR, JobRun, jobResult, jobShape, splitRanges } from '../dataflow/mapreduce/run-loop.js';

/**
 * A list of pairs as it crosses threads: string keys joined by NUL with the number values in a
 * `Float64Array` (exact for every number), or the list's `v8.serialize` bytes (structured-clone
 * semantics, as `postMessage` itself would give).
 */
type Encoded =
  | { readonly kind: 'strings'; readonly keys: string; readonly values: Float64Array }
  | { readonly kind: 'v8'; readonly bytes: Uint8Array };

function encodePairs(pairs: readonly Pair<unknown, unknown>[]): Encoded {
  const values = new Float64Array(pairs.length);
  const keys: string[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const [k, v] = pairs[i]!;
    if (typeof k !== 'string' || typeof v !== 'number' || k.includes('\0')) return { kind: 'v8', bytes: serialize(pairs) };
    keys.push(k);
    values[i] = v;
  }
  return { kind: 'strings', keys: keys.join('\0'), values };
}

function decodePairs(e: Encoded): Pair<unknown, unknown>[] {
  const out: Pair<unknown, unknown>[] = [];
  eachPair(e, (k, v) => out.push([k, v]));
  return out;
}

/** Hands every pair of `e` to `add`, in order, without building the list. */
function eachPair(e: Encoded, add: (key: unknown, value: unknown) => void): void {
  if (e.kind === 'v8') {
    for (const [k, v] of deserialize(e.bytes) as Pair<unknown, unknown>[]) add(k, v);
    return;
  }
  if (e.values.length === 0) return;
  const keys = e.keys.split('\0');
  const values = e.values;
  for (let i = 0; i < keys.length; i++) add(keys[i], values[i]);
}

/**
 * A region being written pair by pair: keys and values in two lists, encoded as
 * {@link encodePairs} would encode them once the task is done.
 */
class RegionWriter {
  readonly #keys: unknown[] = [];
  readonly #values: unknown[] = [];
  #strings = true;

  add(k: unknown, v: unknown): void {
    if (this.#strings && (typeof k !== 'string' || typeof v !== 'number' || k.includes('\0'))) this.#strings = false;
    this.#keys.push(k);
    this.#values.push(v);
  }

  encoded(): Encoded {
    if (this.#strings) return { kind: 'strings', keys: this.#keys.join('\0'), values: Float64Array.from(this.#values as number[]) };
    return { kind: 'v8', bytes: serialize(this.#keys.map((k, i) => [k, this.#values[i]])) };
  }
}

function encodedSize(e: Encoded): number {
  return e.kind === 'v8' ? e.bytes.byteLength : e.keys.length + e.values.byteLength;
}

/** The buffers of `e` that can move to the receiving thread instead of being copied. */
function transferables(e: Encoded): ArrayBuffer[] {
  const view = e.kind === 'v8' ? e.bytes : e.values;
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength && view.buffer instanceof ArrayBuffer ? [view.buffer] : [];
}

type ThreadTask =
  | { readonly id: number; readonly kind: 'map'; readonly records: readonly unknown[]; readonly partitions: number; readonly skip: readonly number[] }
  | { readonly id: number; readonly kind: 'reduce'; readonly regions: readonly Encoded[]; readonly skip: readonly number[] };

/** A thread's outcome: a map's regions or a reduce's output, encoded. */
type ThreadOutcome = { readonly ok: true; readonly output: readonly Encoded[]; readonly counters: Readonly<Record<string, number>> } | { readonly ok: false; readonly error: string; readonly record?: number };

interface ThreadAnswer {
  readonly id: number;
  readonly outcome: ThreadOutcome;
}

/**
 * Runs `t` with `fns` in a thread; the outcome's pairs encoded. A map task writes its pairs
 * straight into its regions' encodings, unsorted (the reducer sorts); a reduce task groups the
 * pairs of its encoded regions as it decodes them.
 */
function runThreadTask<I, K, V, R>(fns: MapReduceFunctions<I, K, V, R>, t: ThreadTask): ThreadOutcome {
  try {
    if (t.kind === 'map') {
      const regions = Array.from({ length: t.partitions }, () => new RegionWriter());
      const r = runMapTaskInto(fns, t.records as readonly I[], t.partitions, t.skip, (p, k, v) => regions[p]!.add(k, v));
      return r.ok ? { ok: true, output: regions.map((w) => w.encoded()), counters: r.counters } : r;
    }
    const r = runReduceTaskFrom(fns, (add) => t.regions.forEach((e) => eachPair(e, add as (k: unknown, v: unknown) => void)), t.skip);
    return r.ok ? { ok: true, output: [encodePairs(r.output as Pair<K, R>[])], counters: r.counters } : r;
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
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
    const outcome = runThreadTask(fns, t);
    port.postMessage({ id: t.id, outcome } satisfies ThreadAnswer, outcome.ok ? outcome.output.flatMap(transferables) : []);
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
  const store = new PoolStore<K, R>();
  const threads = new Map<string, Worker>();
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let wake: () => void = () => undefined;
  const config = { ...knobs, id: COORDINATOR, splits: splitRanges(input.length, m), partitions: r, workers: ids };
  const finish = (id: number, outcome: ThreadOutcome) => {
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
function threadTask<I, K, R>(id: number, task: Assignment, input: readonly I[], store: PoolStore<K, R>): ThreadTask | Record<string, unknown> {
  const ref = task.ref;
  if (ref.kind === 'map') {
    const [a, b] = task.split as [number, number];
    return { id, kind: 'map', records: input.slice(a, b), partitions: task.partitions, skip: task.skip };
  }
  const regions: Encoded[] = [];
  for (const loc of task.locations ?? []) {
    const region = store.maps.get(mapKey(loc.worker, loc.map, loc.attempt))?.[ref.index];
    if (region === undefined) return { type: 'failed', ref, error: `map task ${loc.map} output unreachable on ${loc.worker}`, lost: { map: loc.map, attempt: loc.attempt } };
    regions.push(region);
  }
  return { id, kind: 'reduce', regions, skip: task.skip };
}

const mapKey = (worker: string, index: number, attempt: number): string => `${worker}\u0000${index}\u0000${attempt}`;

/** The pool's intermediate files: map outputs encoded (as on the worker's disk), reduce outputs decoded. */
class PoolStore<K, R> extends MemoryTaskStore<K, never, R> {
  readonly maps = new Map<string, readonly Encoded[]>();
}

/** The worker input for a thread's outcome; a map output is kept encoded, a reduce output decoded. */
function answerOf<K, R>(p: Pending, outcome: ThreadOutcome, store: PoolStore<K, R>): Record<string, unknown> {
  const ref = p.task.ref;
  if (!outcome.ok) return { type: 'failed', ref, error: outcome.error, ...(outcome.record === undefined ? {} : { record: outcome.record }) };
  if (ref.kind === 'map') {
    store.maps.set(mapKey(p.worker, ref.index, ref.attempt), outcome.output);
    return { type: 'done', ref, sizes: outcome.output.map(encodedSize), counters: outcome.counters };
  }
  const encoded = outcome.output[0]!;
  store.putReduceOutput(p.worker, ref, decodePairs(encoded) as Pair<K, R>[]);
  return { type: 'done', ref, sizes: [encodedSize(encoded)], counters: outcome.counters };
}
