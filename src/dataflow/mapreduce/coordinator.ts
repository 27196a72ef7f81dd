/**
 * The MapReduce coordinator (the master of Dean & Ghemawat, OSDI 2004, §3.2): for every map and
 * reduce task it keeps the state (idle, in-progress, completed) and the worker of each attempt;
 * for every completed map task the location and sizes of its R regions, handed to the reduce
 * tasks. Workers prove they are alive by polling (§3.3); a worker that stays silent past
 * `workerTimeoutMs`, or comes back as a new incarnation, has its in-progress attempts and its
 * completed map tasks re-executed, and running reducers are told where the new output lies. A
 * task that fails `maxFailures` times fails the job (Spark's `spark.task.maxFailures`, 4). Near
 * the end of a phase, stragglers get backup attempts (§3.6) by Spark's rule
 * (`spark.speculation.quantile` 0.75, `.multiplier` 1.5, `.minTaskRuntime` 100 ms); the first
 * attempt to finish wins and the others are cancelled. Records on which a task crashed twice are
 * skipped on its next attempt (§4.6). The task table is durable, so a restarted coordinator
 * resumes the job (§3.3, "master failure").
 *
 * User functions never reach this machine: it hands out task descriptors and receives sizes,
 * counters and errors.
 */
import type { DurableMachine, MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput, TickInput, Transition } from '../../core/index.js';
import {
  ConfigError,
  MAX_COUNTER,
  checkId,
  checkIds,
  earliest,
  getOwn,
  hasOwn,
  numberIn,
  parse,
  plainDataEqual,
  plainDataProblem,
  positiveInt,
  positiveMs,
  nonNegativeMs,
  reject,
  send,
  setOwn,
  stepByType,
  transition,
  withOwn,
} from '../../core/index.js';
import {
  MAX_COUNTER_NAME,
  MAX_PARTITIONS,
  MAX_SKIPPED_RECORDS,
  MAX_SPLITS,
  SPLIT_LIMITS,
  sameAttempt,
  taskLabel,
  workerMessageCheck,
  type AttemptRef,
  type Assignment,
  type CoordinatorMessage,
  type MapOutputLocation,
  type TaskKind,
  type TaskReport,
  type WorkerMessage,
} from './messages.js';

/** The default number of workers the coordinator admits when `workers` is not given. */
export const DEFAULT_MAX_WORKERS = 1024;

/**
 * Options of {@link mapReduceCoordinator}.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, type MapReduceCoordinatorConfig } from 'distkit/dataflow';
 * const config: MapReduceCoordinatorConfig = { id: 'coordinator', splits: ['pg-1.txt', 'pg-2.txt'], partitions: 10 };
 * const s = mr.init(config);
 * // M map tasks (one per split) and R reduce tasks, all idle.
 * [s.maps.length, s.reduces.length, s.maps.map((t) => t.state)]; //=> [2, 10, ['idle', 'idle']]
 * ```
 */
export interface MapReduceCoordinatorConfig {
  /** The coordinator's node id. */
  readonly id: NodeId;
  /** One descriptor per input split (file name, offset range ...): M map tasks. Plain JSON, small. */
  readonly splits: readonly unknown[];
  /** R, the number of reduce partitions (output files). */
  readonly partitions: number;
  /** The workers allowed to take part; any node (up to {@link DEFAULT_MAX_WORKERS}) when absent. */
  readonly workers?: readonly NodeId[];
  /** A worker silent this long is declared failed (§3.3's ping). Default 10,000 ms (6.5840's lab waits 10 s). */
  readonly workerTimeoutMs?: number;
  /** Failures of one task that fail the job (`spark.task.maxFailures`). Default 4. */
  readonly maxFailures?: number;
  /** Launch backup attempts for stragglers (§3.6, `spark.speculation`). Default true. */
  readonly speculation?: boolean;
  /** Fraction of a phase's tasks that must be complete before speculating (`spark.speculation.quantile`). Default 0.75. */
  readonly speculationQuantile?: number;
  /** How many times slower than the median a task must be to be speculated (`spark.speculation.multiplier`). Default 1.5. */
  readonly speculationMultiplier?: number;
  /** The least run time of a speculated task (`spark.speculation.minTaskRuntime`). Default 100 ms. */
  readonly speculationMinRuntimeMs?: number;
  /** Skip records on which a task failed twice (§4.6). Default false, as in the paper (an optional mode). */
  readonly skipBadRecords?: boolean;
}

/**
 * One running attempt: which attempt, on which worker, since when, and whether it is a backup.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr } from 'distkit/dataflow';
 * let s = mr.init({ id: 'c', splits: ['doc-1'], partitions: 1 });
 * s = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null }, now: 1200 }).state;
 * // The attempt running on w1 (a first attempt, not a backup task).
 * s.maps[0]!.running; //=> [{ attempt: 0, worker: 'w1', startedAt: 1200, backup: false }]
 * ```
 */
export interface RunningAttempt {
  readonly attempt: number;
  readonly worker: NodeId;
  readonly startedAt: number;
  readonly backup: boolean;
}

/**
 * The attempt that completed a task: its worker (and incarnation: the location of a map task's
 * output), how long it ran, its output sizes (per partition for a map task, one entry for a
 * reduce task) and its counters.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr } from 'distkit/dataflow';
 * // One split, one partition, one worker: w1 polls, gets the map task, reports it done.
 * let s = mr.init({ id: 'c', splits: ['doc-1'], partitions: 1 });
 * const ref = { kind: 'map' as const, index: 0, attempt: 0 };
 * s = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null }, now: 0 }).state;
 * const done = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null, report: { ref, ok: true, sizes: [12], counters: {} } }, now: 40 });
 * // The completed attempt: who ran it, how long it took, and its output region sizes.
 * done.state.maps[0]!.completed; //=> { attempt: 0, worker: 'w1', incarnation: 1, durationMs: 40, sizes: [12], counters: {} }
 * ```
 */
export interface CompletedAttempt {
  readonly attempt: number;
  readonly worker: NodeId;
  readonly incarnation: number;
  readonly durationMs: number;
  readonly sizes: readonly number[];
  readonly counters: Readonly<Record<string, number>>;
}

/**
 * The coordinator's record of one task (§3.2): its state, its running attempts and its worker,
 * the completed attempt, and the failure bookkeeping.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator } from 'distkit/dataflow';
 * mapReduceCoordinator.init({ id: 'c', splits: ['a'], partitions: 1 }).maps[0]!.state; //=> 'idle'
 * ```
 */
export interface TaskRecord {
  /** Map or reduce. */
  readonly kind: TaskKind;
  /** Split number or partition. */
  readonly index: number;
  /** idle, in-progress or completed (§3.2). */
  readonly state: 'idle' | 'in-progress' | 'completed';
  /** Attempts launched so far: the next attempt's number. */
  readonly attempts: number;
  /** Attempts that failed (errors, not worker failures). */
  readonly failures: number;
  /** The most recent failure's error. */
  readonly lastError: string | null;
  /** Attempts running now (at most two: the original and one backup). */
  readonly running: readonly RunningAttempt[];
  /** The attempt that completed the task, or `null`. */
  readonly completed: CompletedAttempt | null;
  /** Times this completed task was lost with its worker (map tasks) and re-executed. */
  readonly lost: number;
  /** Failures per record sequence number (§4.6), for records that failed at least once. */
  readonly recordFailures: Readonly<Record<string, number>>;
  /** Records skipped from the next attempt on. */
  readonly skip: readonly number[];
}

/**
 * The coordinator's view of one worker.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr } from 'distkit/dataflow';
 * // One split, one partition, one worker: w1 polls, gets the map task, reports it done.
 * let s = mr.init({ id: 'c', splits: ['doc-1'], partitions: 1 });
 * const ref = { kind: 'map' as const, index: 0, attempt: 0 };
 * s = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null }, now: 0 }).state;
 * const done = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null, report: { ref, ok: true, sizes: [12], counters: {} } }, now: 40 });
 * done.state.workers['w1']; //=> { incarnation: 1, lastSeen: 40, alive: true, running: { kind: 'reduce', index: 0, attempt: 0 }, failures: 0 }
 * ```
 */
export interface WorkerRecord {
  /** The incarnation it last polled with. */
  readonly incarnation: number;
  /** When it last polled, or `null` when not heard from since the coordinator started. */
  readonly lastSeen: number | null;
  /** False once declared failed; a later poll readmits it. */
  readonly alive: boolean;
  /** The attempt the coordinator gave it and still expects back. */
  readonly running: AttemptRef | null;
  /** Times it was declared failed. */
  readonly failures: number;
}

/**
 * The job's outcome so far.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr } from 'distkit/dataflow';
 * // One split, one partition, one worker: w1 polls, gets the map task, reports it done.
 * let s = mr.init({ id: 'c', splits: ['doc-1'], partitions: 1 });
 * const ref = { kind: 'map' as const, index: 0, attempt: 0 };
 * s = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null }, now: 0 }).state;
 * const done = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null, report: { ref, ok: true, sizes: [12], counters: {} } }, now: 40 });
 * import type { JobStatus } from 'distkit/dataflow';
 * // The map is done; the job runs until the reduce commits too.
 * const status: JobStatus = done.state.status;
 * [status, done.state.reduces[0]!.state]; //=> ['running', 'in-progress']
 * ```
 */
export type JobStatus = 'running' | 'done' | 'failed';

/**
 * State of the coordinator.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator } from 'distkit/dataflow';
 * const s = mapReduceCoordinator.init({ id: 'c', splits: ['a', 'b'], partitions: 3 });
 * [s.maps.length, s.reduces.length, s.status]; //=> [2, 3, 'running']
 * ```
 */
export interface MapReduceCoordinatorState {
  readonly id: NodeId;
  readonly splits: readonly unknown[];
  readonly partitions: number;
  readonly allowed: readonly NodeId[] | null;
  readonly workerTimeoutMs: number;
  readonly maxFailures: number;
  readonly speculation: boolean;
  readonly speculationQuantile: number;
  readonly speculationMultiplier: number;
  readonly speculationMinRuntimeMs: number;
  readonly skipBadRecords: boolean;
  /** The time of the first input since init or recovery (worker deadlines count from it). */
  readonly since: number | null;
  readonly status: JobStatus;
  /** Why the job failed. */
  readonly error: string | null;
  readonly maps: readonly TaskRecord[];
  readonly reduces: readonly TaskRecord[];
  readonly workers: Readonly<Record<NodeId, WorkerRecord>>;
}

/**
 * What survives a coordinator crash: the job's outcome and its task table, without the running
 * attempts (their workers are told to cancel them when they next poll; the tasks run again).
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr } from 'distkit/dataflow';
 * // One split, one partition, one worker: w1 polls, gets the map task, reports it done.
 * let s = mr.init({ id: 'c', splits: ['doc-1'], partitions: 1 });
 * const ref = { kind: 'map' as const, index: 0, attempt: 0 };
 * s = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null }, now: 0 }).state;
 * const done = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null, report: { ref, ok: true, sizes: [12], counters: {} } }, now: 40 });
 * import type { MapReduceCoordinatorDurable } from 'distkit/dataflow';
 * // What a restarted coordinator resumes from: the task table, not the workers' liveness.
 * const d: MapReduceCoordinatorDurable = mr.durable(done.state);
 * [d.status, d.maps[0]!.state, mr.recover({ id: 'c', splits: ['doc-1'], partitions: 1 }, d).maps[0]!.state]; //=> ['running', 'completed', 'completed']
 * ```
 */
export interface MapReduceCoordinatorDurable {
  readonly status: JobStatus;
  readonly error: string | null;
  readonly maps: readonly TaskRecord[];
  readonly reduces: readonly TaskRecord[];
}

/**
 * Events of the coordinator.
 *
 * - `assigned`: an attempt was given to a worker (`backup` for a speculative copy).
 * - `taskCompleted`: a task's first finished attempt; duplicates are ignored.
 * - `committed`: reduce partition `index`'s output is attempt `attempt`'s (promote its temporary
 *   file: §3.1 step 6, atomic rename). At most once per partition.
 * - `workerFailed`: a worker was declared failed (silent, or restarted).
 * - `jobDone` / `jobFailed`: the job's end, with the counters of the committed attempts, or the
 *   error naming the task that failed `maxFailures` times and its last error.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr } from 'distkit/dataflow';
 * // One split, one partition, one worker: w1 polls, gets the map task, reports it done.
 * let s = mr.init({ id: 'c', splits: ['doc-1'], partitions: 1 });
 * const ref = { kind: 'map' as const, index: 0, attempt: 0 };
 * s = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null }, now: 0 }).state;
 * const done = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null, report: { ref, ok: true, sizes: [12], counters: {} } }, now: 40 });
 * done.outputs.filter((o) => o.type !== 'send' && o.type !== 'persist'); //=> [{ type: 'taskCompleted', ref: { kind: 'map', index: 0, attempt: 0 }, worker: 'w1' }, { type: 'assigned', ref: { kind: 'reduce', index: 0, attempt: 0 }, worker: 'w1', backup: false }]
 * ```
 */
export type MapReduceCoordinatorEvent =
  | { readonly type: 'assigned'; readonly ref: AttemptRef; readonly worker: NodeId; readonly backup: boolean }
  | { readonly type: 'taskCompleted'; readonly ref: AttemptRef; readonly worker: NodeId }
  | { readonly type: 'committed'; readonly index: number; readonly attempt: number; readonly worker: NodeId }
  | { readonly type: 'workerFailed'; readonly worker: NodeId }
  | { readonly type: 'jobDone'; readonly counters: Readonly<Record<string, number>> }
  | { readonly type: 'jobFailed'; readonly task: { readonly kind: TaskKind; readonly index: number }; readonly error: string };

/**
 * Outputs of the coordinator.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, type MapReduceCoordinatorOutput } from 'distkit/dataflow';
 * let s = mr.init({ id: 'c', splits: ['doc-1'], partitions: 1 });
 * s = mr.step(s, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null }, now: 0 }).state;
 * // w1 falls silent past the worker timeout: it is declared failed and its task goes back to idle (§3.3).
 * const outputs: readonly MapReduceCoordinatorOutput[] = mr.step(s, { type: 'tick', now: 60_000 }).outputs;
 * outputs.filter((o) => o.type === 'workerFailed'); //=> [{ type: 'workerFailed', worker: 'w1' }]
 * ```
 */
export type MapReduceCoordinatorOutput = SendOutput<CoordinatorMessage> | PersistOutput<MapReduceCoordinatorDurable> | RejectedOutput | MapReduceCoordinatorEvent;

/**
 * Inputs of the coordinator: polls from workers and ticks.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, type MapReduceCoordinatorInput } from 'distkit/dataflow';
 * const s = mr.init({ id: 'c', splits: ['doc-1'], partitions: 1 });
 * const inputs: MapReduceCoordinatorInput[] = [{ type: 'tick', now: 10 }, { type: 'message', from: 'w1', message: { type: 'poll', incarnation: 1, running: null }, now: 20 }];
 * inputs.map((i) => mr.step(s, i).outputs.map((o) => o.type)); //=> [[], ['persist', 'send', 'assigned']]
 * ```
 */
export type MapReduceCoordinatorInput = MessageInput | TickInput;

type S = MapReduceCoordinatorState;
type Out = MapReduceCoordinatorOutput;
type T = Transition<S, Out>;

/** A transition being built: the state so far and the outputs so far. */
interface Acc {
  s: S;
  out: Out[];
}

// ---------------------------------------------------------------------------------------------
// init
// ---------------------------------------------------------------------------------------------

function freshTask(kind: TaskKind, index: number): TaskRecord {
  return { kind, index, state: 'idle', attempts: 0, failures: 0, lastError: null, running: [], completed: null, lost: 0, recordFailures: {}, skip: [] };
}

function coordinatorInit(c: MapReduceCoordinatorConfig): S {
  const id = checkId('id', c.id);
  if (!Array.isArray(c.splits) || c.splits.length === 0 || c.splits.length > MAX_SPLITS) throw new ConfigError('splits', `must be an array of 1..${MAX_SPLITS} split descriptors`);
  c.splits.forEach((x: unknown, i) => {
    const p = plainDataProblem(x, '', SPLIT_LIMITS);
    if (p !== undefined || x === undefined) throw new ConfigError(`splits[${i}]`, p ?? 'must be plain JSON data');
  });
  const partitions = positiveInt('partitions', c.partitions);
  if (partitions > MAX_PARTITIONS) throw new ConfigError('partitions', `must be at most ${MAX_PARTITIONS}, got ${partitions}`);
  const allowed = c.workers === undefined ? null : checkIds('workers', c.workers);
  if (allowed?.includes(id)) throw new ConfigError('workers', 'must not include the coordinator id');
  const splits = JSON.parse(JSON.stringify(c.splits)) as unknown[];
  return {
    id,
    splits,
    partitions,
    allowed,
    workerTimeoutMs: positiveMs('workerTimeoutMs', c.workerTimeoutMs, 10_000),
    maxFailures: positiveInt('maxFailures', c.maxFailures, 4),
    speculation: flag('speculation', c.speculation, true),
    speculationQuantile: numberIn('speculationQuantile', c.speculationQuantile, 0, 1, 0.75),
    speculationMultiplier: numberIn('speculationMultiplier', c.speculationMultiplier, 1, 1e6, 1.5),
    speculationMinRuntimeMs: nonNegativeMs('speculationMinRuntimeMs', c.speculationMinRuntimeMs, 100),
    skipBadRecords: flag('skipBadRecords', c.skipBadRecords, false),
    since: null,
    status: 'running',
    error: null,
    maps: splits.map((_x, i) => freshTask('map', i)),
    reduces: Array.from({ length: partitions }, (_x, i) => freshTask('reduce', i)),
    workers: {},
  };
}

function flag(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ConfigError(field, `must be a boolean, got ${typeof value}`);
  return value;
}

// ---------------------------------------------------------------------------------------------
// step
// ---------------------------------------------------------------------------------------------

function coordinatorStep(state: S, input: MapReduceCoordinatorInput): T {
  const t = stepByType<S, MapReduceCoordinatorInput, Out>({ message: onMessage, tick: onTick }, state, input);
  return withPersist(state, t);
}

/** Puts a `persist` of the durable image first when the transition changed it. */
function withPersist(before: S, t: T): T {
  const after = t.state;
  // Task tables are copy-on-write: a transition that only touched workers (a poll) keeps them.
  if (after === before || (after.maps === before.maps && after.reduces === before.reduces && after.status === before.status && after.error === before.error)) return t;
  const d = coordinatorDurable(after);
  if (plainDataEqual(coordinatorDurable(before), d)) return t;
  return transition(after, [{ type: 'persist', record: d }, ...t.outputs]);
}

function started(s: S, now: number): S {
  return s.since === null ? { ...s, since: now } : s;
}

function onMessage(state: S, input: MessageInput, now: number): T {
  const from = input.from;
  if (from === state.id) return reject(state, from, 'message from the coordinator itself');
  if (state.allowed !== null && !state.allowed.includes(from)) return reject(state, from, 'not a worker of this job');
  const known = hasOwn(state.workers, from);
  if (!known && state.allowed === null && Object.keys(state.workers).length >= DEFAULT_MAX_WORKERS) return reject(state, from, `worker table full (${DEFAULT_MAX_WORKERS})`);
  const parsed = parse(workerMessageCheck, input.message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const m = parsed.value;
  const problem = reportProblem(state, m.report);
  if (problem !== undefined) return reject(state, from, problem);
  const rec = getOwn(state.workers, from);
  if (rec !== undefined && m.incarnation < rec.incarnation) return reject(state, from, `stale incarnation ${m.incarnation} (current ${rec.incarnation})`);
  const acc: Acc = { s: started(state, now), out: [] };
  if (acc.s.status !== 'running') {
    if (m.report !== undefined) acc.out.push(send(from, { type: 'ack', incarnation: m.incarnation, ref: m.report.ref }));
    acc.out.push(send(from, { type: 'exit' }));
    return transition(acc.s, acc.out);
  }
  admit(acc, from, m.incarnation, now);
  if (m.report !== undefined) {
    onReport(acc, from, m.report, now);
    acc.out.push(send(from, { type: 'ack', incarnation: m.incarnation, ref: m.report.ref }));
  }
  if (acc.s.status === 'running') reconcile(acc, from, m);
  dispatchIdle(acc, now);
  return transition(acc.s, acc.out);
}

/** Refuses a report that does not fit this job's shape (an index out of range, a wrong size list). */
function reportProblem(s: S, r: TaskReport | undefined): string | undefined {
  if (r === undefined) return undefined;
  const table = r.ref.kind === 'map' ? s.maps : s.reduces;
  if (r.ref.index >= table.length) return `report.ref.index: no ${r.ref.kind} task ${r.ref.index}`;
  if (r.ok && r.ref.kind === 'map' && r.sizes.length !== s.partitions) return `report.sizes: a map task reports ${s.partitions} region sizes, got ${r.sizes.length}`;
  if (r.ok && r.ref.kind === 'reduce' && r.sizes.length !== 1) return 'report.sizes: a reduce task reports one output size';
  if (!r.ok && r.lost !== undefined && r.lost.map >= s.maps.length) return `report.lost.map: no map task ${r.lost.map}`;
  if (r.ok && Object.keys(r.counters).some((k) => k.length > MAX_COUNTER_NAME)) return `report.counters: a counter name is longer than ${MAX_COUNTER_NAME}`;
  return undefined;
}

/** Records a poll from `w`: a new worker joins, a new incarnation replaces a failed one (§3.3), a failed one is readmitted. */
function admit(acc: Acc, w: NodeId, incarnation: number, now: number): void {
  const rec = getOwn(acc.s.workers, w);
  if (rec !== undefined && incarnation > rec.incarnation) failWorker(acc, w, incarnation);
  const cur = getOwn(acc.s.workers, w);
  const next: WorkerRecord =
    cur === undefined || incarnation > cur.incarnation
      ? { incarnation, lastSeen: now, alive: true, running: null, failures: cur?.failures ?? 0 }
      : { ...cur, lastSeen: now, alive: true };
  acc.s = { ...acc.s, workers: withOwn(acc.s.workers, w, next) };
}

function onTick(state: S, _input: TickInput, now: number): T {
  const acc: Acc = { s: started(state, now), out: [] };
  if (acc.s.status !== 'running') return transition(acc.s);
  const since = acc.s.since ?? now;
  for (const w of Object.keys(acc.s.workers)) {
    const rec = acc.s.workers[w]!;
    if (rec.alive && (rec.lastSeen ?? since) + acc.s.workerTimeoutMs <= now) failWorker(acc, w, rec.incarnation);
  }
  dispatchIdle(acc, now);
  return acc.s === state && acc.out.length === 0 ? transition(state) : transition(acc.s, acc.out);
}

// ---------------------------------------------------------------------------------------------
// Worker failure (§3.3)
// ---------------------------------------------------------------------------------------------

/**
 * §3.3: "Any map tasks completed by the worker are reset back to their initial idle state ...
 * any map task or reduce task in progress on a failed worker is also reset to idle." Completed
 * map tasks need re-execution because their output is on the failed machine's local disk; they
 * are kept when every reduce task has completed (nobody will read them again). A map output made
 * by an older incarnation than `incarnation` is lost too.
 */
function failWorker(acc: Acc, w: NodeId, incarnation: number): void {
  const rec = getOwn(acc.s.workers, w);
  if (rec === undefined) return;
  const reducesDone = acc.s.reduces.every((t) => t.completed !== null);
  const drop = (t: TaskRecord): TaskRecord => {
    let next = t;
    if (t.running.some((r) => r.worker === w)) next = withRunning(next, t.running.filter((r) => r.worker !== w));
    const c = next.completed;
    if (t.kind === 'map' && c !== null && c.worker === w && c.incarnation <= incarnation && !reducesDone) {
      next = { ...next, completed: null, lost: Math.min(next.lost + 1, MAX_COUNTER), state: next.running.length > 0 ? 'in-progress' : 'idle' };
    }
    return next;
  };
  acc.s = {
    ...acc.s,
    maps: mapChanged(acc.s.maps, drop),
    reduces: mapChanged(acc.s.reduces, drop),
    workers: withOwn(acc.s.workers, w, { ...rec, alive: false, running: null, failures: Math.min(rec.failures + 1, MAX_COUNTER) }),
  };
  acc.out.push({ type: 'workerFailed', worker: w });
}

/** `list.map(f)`, keeping `list` itself when nothing changed. */
function mapChanged<X>(list: readonly X[], f: (x: X) => X): readonly X[] {
  let out: X[] | undefined;
  for (let i = 0; i < list.length; i++) {
    const y = f(list[i]!);
    if (y !== list[i]) (out ??= list.slice())[i] = y;
  }
  return out ?? list;
}

function withRunning(t: TaskRecord, running: readonly RunningAttempt[]): TaskRecord {
  const state = t.completed !== null ? 'completed' : running.length > 0 ? 'in-progress' : 'idle';
  return { ...t, running, state };
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

function taskOf(s: S, ref: { readonly kind: TaskKind; readonly index: number }): TaskRecord {
  return (ref.kind === 'map' ? s.maps : s.reduces)[ref.index]!;
}

function putTask(acc: Acc, t: TaskRecord): void {
  if (t.kind === 'map') {
    const maps = acc.s.maps.slice();
    maps[t.index] = t;
    acc.s = { ...acc.s, maps };
  } else {
    const reduces = acc.s.reduces.slice();
    reduces[t.index] = t;
    acc.s = { ...acc.s, reduces };
  }
}

function setWorkerRunning(acc: Acc, w: NodeId, running: AttemptRef | null): void {
  const rec = getOwn(acc.s.workers, w);
  if (rec === undefined || sameAttempt(rec.running, running) || (rec.running === null && running === null)) return;
  acc.s = { ...acc.s, workers: withOwn(acc.s.workers, w, { ...rec, running }) };
}

function onReport(acc: Acc, w: NodeId, r: TaskReport, now: number): void {
  const t = taskOf(acc.s, r.ref);
  const run = t.running.find((x) => x.attempt === r.ref.attempt && x.worker === w);
  const rec = getOwn(acc.s.workers, w);
  if (rec !== undefined && sameAttempt(rec.running, r.ref)) setWorkerRunning(acc, w, null);
  // §3.3: a completion message for an attempt that is no longer running (a task already
  // completed by another attempt, or reset with its worker) is ignored.
  if (run === undefined) return;
  if (r.ok) completeTask(acc, t, run, r.sizes, r.counters, now);
  else failAttempt(acc, t, run, r);
}

function completeTask(acc: Acc, t: TaskRecord, run: RunningAttempt, sizes: readonly number[], counters: Readonly<Record<string, number>>, now: number): void {
  const rec = getOwn(acc.s.workers, run.worker)!;
  const completed: CompletedAttempt = { attempt: run.attempt, worker: run.worker, incarnation: rec.incarnation, durationMs: Math.max(0, now - run.startedAt), sizes: sizes.slice(), counters };
  const others = t.running.filter((x) => x !== run);
  // §3.6 / Spark: the first attempt to finish wins; the other copies are killed.
  for (const o of others) cancelAttempt(acc, { kind: t.kind, index: t.index, attempt: o.attempt }, o.worker);
  putTask(acc, { ...t, state: 'completed', running: [], completed });
  const ref = { kind: t.kind, index: t.index, attempt: run.attempt };
  acc.out.push({ type: 'taskCompleted', ref, worker: run.worker });
  if (t.kind === 'reduce') {
    acc.out.push({ type: 'committed', index: t.index, attempt: run.attempt, worker: run.worker });
    if (acc.s.reduces.every((x) => x.completed !== null)) finishJob(acc);
  } else if (acc.s.maps.every((x) => x.completed !== null)) {
    // §3.3: reducers running when a map task was re-executed read from the new location.
    for (const red of acc.s.reduces) {
      for (const o of red.running) {
        const inc = getOwn(acc.s.workers, o.worker)?.incarnation ?? 0;
        acc.out.push(send(o.worker, { type: 'locations', incarnation: inc, ref: { kind: 'reduce', index: red.index, attempt: o.attempt }, locations: locationsFor(acc.s, red.index) }));
      }
    }
  }
}

function cancelAttempt(acc: Acc, ref: AttemptRef, w: NodeId): void {
  const rec = getOwn(acc.s.workers, w);
  if (rec === undefined) return;
  if (sameAttempt(rec.running, ref)) setWorkerRunning(acc, w, null);
  if (rec.alive) acc.out.push(send(w, { type: 'cancel', incarnation: rec.incarnation, ref }));
}

function failAttempt(acc: Acc, t: TaskRecord, run: RunningAttempt, r: Extract<TaskReport, { ok: false }>): void {
  const rest = t.running.filter((x) => x !== run);
  if (r.lost !== undefined && t.kind === 'reduce') {
    // A reducer could not read a map output (Spark's FetchFailed): not the reduce task's fault,
    // and the map worker's disk is unreachable — the failure §3.3's ping would find, found
    // sooner. Fail that worker, so its map outputs are re-executed; it rejoins when it polls.
    putTask(acc, withRunning(t, rest));
    const c = acc.s.maps[r.lost.map]!.completed;
    if (c !== null && c.attempt === r.lost.attempt) failWorker(acc, c.worker, c.incarnation);
    return;
  }
  const failures = Math.min(t.failures + 1, MAX_COUNTER);
  let next: TaskRecord = { ...withRunning(t, rest), failures, lastError: r.error };
  if (acc.s.skipBadRecords && r.record !== undefined) next = countRecordFailure(next, r.record);
  putTask(acc, next);
  if (failures >= acc.s.maxFailures) {
    // Spark's TaskSetManager: "Task 3 in stage 0.0 failed 4 times; aborting job".
    failJob(acc, t, `${taskLabel(t)} failed ${failures} times; most recent failure: ${r.error}`);
  }
}

/** §4.6: "When the master has seen more than one failure on a particular record, it indicates that the record should be skipped." */
function countRecordFailure(t: TaskRecord, record: number): TaskRecord {
  const key = String(record);
  const seen = (getOwn(t.recordFailures, key) ?? 0) + 1;
  if (!hasOwn(t.recordFailures, key) && Object.keys(t.recordFailures).length >= MAX_SKIPPED_RECORDS) return t;
  const recordFailures = withOwn(t.recordFailures, key, seen);
  const skip = seen >= 2 && !t.skip.includes(record) && t.skip.length < MAX_SKIPPED_RECORDS ? [...t.skip, record] : t.skip;
  return { ...t, recordFailures, skip };
}

function endJob(acc: Acc, status: JobStatus, error: string | null): void {
  for (const t of [...acc.s.maps, ...acc.s.reduces]) {
    for (const r of t.running) cancelAttempt(acc, { kind: t.kind, index: t.index, attempt: r.attempt }, r.worker);
  }
  const clear = (t: TaskRecord): TaskRecord => (t.running.length === 0 ? t : withRunning(t, []));
  acc.s = { ...acc.s, status, error, maps: mapChanged(acc.s.maps, clear), reduces: mapChanged(acc.s.reduces, clear) };
  for (const w of Object.keys(acc.s.workers)) if (acc.s.workers[w]!.alive) acc.out.push(send(w, { type: 'exit' }));
}

function finishJob(acc: Acc): void {
  endJob(acc, 'done', null);
  acc.out.push({ type: 'jobDone', counters: jobCounters(acc.s) });
}

function failJob(acc: Acc, t: TaskRecord, error: string): void {
  endJob(acc, 'failed', error);
  acc.out.push({ type: 'jobFailed', task: { kind: t.kind, index: t.index }, error });
}

/**
 * The job's user counters (§4.9): the sum over every completed task of its completing attempt's
 * counters, so a re-executed or backup attempt never counts twice.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator, jobCounters } from 'distkit/dataflow';
 * jobCounters(mapReduceCoordinator.init({ id: 'c', splits: ['a'], partitions: 1 })); //=> {}
 * ```
 */
export function jobCounters(s: Pick<MapReduceCoordinatorState, 'maps' | 'reduces'>): Record<string, number> {
  const total: Record<string, number> = {};
  for (const t of [...s.maps, ...s.reduces]) {
    const c = t.completed?.counters;
    if (c === undefined) continue;
    for (const k of Object.keys(c)) setOwn(total, k, (getOwn(total, k) ?? 0) + c[k]!);
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Scheduling
// ---------------------------------------------------------------------------------------------

/** Brings the coordinator's view of what `w` runs in line with what `w` says it runs. */
function reconcile(acc: Acc, w: NodeId, m: WorkerMessage): void {
  const rec = getOwn(acc.s.workers, w)!;
  if (m.running !== null && !sameAttempt(m.running, rec.running) && !sameAttempt(m.running, m.report?.ref)) {
    // The worker runs an attempt this coordinator no longer tracks for it (reset with the
    // worker, finished elsewhere, or from before a coordinator restart): stop it.
    acc.out.push(send(w, { type: 'cancel', incarnation: m.incarnation, ref: m.running }));
  }
  if (rec.running !== null && m.running === null && !sameAttempt(rec.running, m.report?.ref)) {
    // The assignment is still in flight or was lost: say it again (a worker ignores a duplicate).
    acc.out.push(send(w, { type: 'assign', incarnation: rec.incarnation, task: assignmentOf(acc.s, rec.running) }));
  }
}

function dispatchIdle(acc: Acc, now: number): void {
  if (acc.s.status !== 'running') return;
  for (const w of Object.keys(acc.s.workers)) {
    const rec = acc.s.workers[w]!;
    if (!rec.alive || rec.running !== null) continue;
    const pick = nextTask(acc.s, w, now);
    if (pick === undefined) continue;
    launch(acc, w, pick.task, pick.backup, now);
  }
}

function launch(acc: Acc, w: NodeId, t: TaskRecord, backup: boolean, now: number): void {
  const ref: AttemptRef = { kind: t.kind, index: t.index, attempt: t.attempts };
  const running = [...t.running, { attempt: t.attempts, worker: w, startedAt: now, backup }];
  putTask(acc, { ...withRunning(t, running), attempts: Math.min(t.attempts + 1, MAX_COUNTER) });
  setWorkerRunning(acc, w, ref);
  const rec = acc.s.workers[w]!;
  acc.out.push(send(w, { type: 'assign', incarnation: rec.incarnation, task: assignmentOf(acc.s, ref) }));
  acc.out.push({ type: 'assigned', ref, worker: w, backup });
}

function locationsFor(s: S, partition: number): MapOutputLocation[] {
  return s.maps.map((m) => ({
    map: m.index,
    attempt: m.completed?.attempt ?? 0,
    worker: m.completed?.worker ?? '',
    incarnation: m.completed?.incarnation ?? 0,
    sizeBytes: m.completed?.sizes[partition] ?? 0,
  }));
}

function assignmentOf(s: S, ref: AttemptRef): Assignment {
  const t = taskOf(s, ref);
  return ref.kind === 'map'
    ? { ref, partitions: s.partitions, split: s.splits[ref.index], skip: t.skip }
    : { ref, partitions: s.partitions, locations: locationsFor(s, ref.index), skip: t.skip };
}

/**
 * The next task for idle worker `w`: an idle map task; once every map task is complete, an idle
 * reduce task; otherwise a backup for the longest-running straggler of the current phase (§3.6).
 */
function nextTask(s: S, w: NodeId, now: number): { task: TaskRecord; backup: boolean } | undefined {
  const idleMap = s.maps.find((t) => t.state === 'idle');
  if (idleMap !== undefined) return { task: idleMap, backup: false };
  const mapsDone = s.maps.every((t) => t.completed !== null);
  if (mapsDone) {
    const idleReduce = s.reduces.find((t) => t.state === 'idle');
    if (idleReduce !== undefined) return { task: idleReduce, backup: false };
  }
  const straggler = speculatable(s, mapsDone ? s.reduces : s.maps, now).find((t) => t.running[0]!.worker !== w);
  return straggler === undefined ? undefined : { task: straggler, backup: true };
}

/** Spark's threshold: `max(multiplier × median duration, minTaskRuntime)`, once `floor(quantile × n)` (at least 1) tasks finished. */
function speculationThreshold(s: S, phase: readonly TaskRecord[]): number | undefined {
  if (!s.speculation) return undefined;
  const durations = phase.flatMap((t) => (t.completed === null ? [] : [t.completed.durationMs])).sort((a, b) => a - b);
  const needed = Math.max(Math.floor(s.speculationQuantile * phase.length), 1);
  if (durations.length < needed || durations.length === 0) return undefined;
  const mid = durations.length >> 1;
  const median = durations.length % 2 === 1 ? durations[mid]! : (durations[mid - 1]! + durations[mid]!) / 2;
  return Math.max(s.speculationMultiplier * median, s.speculationMinRuntimeMs);
}

/** Tasks running one copy for longer than the threshold, longest first. */
function speculatable(s: S, phase: readonly TaskRecord[], now: number): TaskRecord[] {
  const threshold = speculationThreshold(s, phase);
  if (threshold === undefined) return [];
  return phase.filter((t) => t.completed === null && t.running.length === 1 && now - t.running[0]!.startedAt > threshold).sort((a, b) => a.running[0]!.startedAt - b.running[0]!.startedAt);
}

/** When the next running task crosses the speculation threshold (so an idle worker can take its backup). */
function nextSpeculationAt(s: S): number | undefined {
  if (s.status !== 'running' || !s.speculation) return undefined;
  const mapsDone = s.maps.every((t) => t.completed !== null);
  const phase = mapsDone ? s.reduces : s.maps;
  const threshold = speculationThreshold(s, phase);
  if (threshold === undefined) return undefined;
  const idle = Object.keys(s.workers).some((w) => s.workers[w]!.alive && s.workers[w]!.running === null);
  if (!idle) return undefined;
  let at: number | undefined;
  for (const t of phase) {
    if (t.completed !== null || t.running.length !== 1) continue;
    // Spark compares `timeRunning > threshold`: the first time it holds is 1 ms after equality.
    const crossing = t.running[0]!.startedAt + threshold + 1;
    if (at === undefined || crossing < at) at = crossing;
  }
  return at;
}

function coordinatorDeadline(s: S): number | undefined {
  if (s.status !== 'running') return undefined;
  const since = s.since;
  const deadlines: (number | undefined)[] = [nextSpeculationAt(s)];
  for (const w of Object.keys(s.workers)) {
    const rec = s.workers[w]!;
    if (!rec.alive) continue;
    const seen = rec.lastSeen ?? since;
    // Before the first input after a recovery there is no clock to count from: ask for a tick at once.
    deadlines.push(seen === null ? Number.MIN_SAFE_INTEGER : seen + s.workerTimeoutMs);
  }
  return earliest(...deadlines);
}

// ---------------------------------------------------------------------------------------------
// Durability (§3.3, "master failure")
// ---------------------------------------------------------------------------------------------

function stripRunning(t: TaskRecord): TaskRecord {
  return t.running.length === 0 ? t : withRunning(t, []);
}

function coordinatorDurable(s: S): MapReduceCoordinatorDurable {
  return { status: s.status, error: s.error, maps: s.maps.map(stripRunning), reduces: s.reduces.map(stripRunning) };
}

/**
 * After a crash: the task table as persisted, no attempt running, and every worker holding a
 * completed map output expected to poll within `workerTimeoutMs` of the first input (or its map
 * outputs are re-executed).
 */
function coordinatorRecover(c: MapReduceCoordinatorConfig, d: MapReduceCoordinatorDurable): S {
  const base = coordinatorInit(c);
  if (d.maps.length !== base.maps.length || d.reduces.length !== base.reduces.length) throw new ConfigError('splits', 'the durable record is for a job of another shape (M or R differs)');
  let workers: Record<NodeId, WorkerRecord> = {};
  for (const m of d.maps) {
    const c0 = m.completed;
    if (c0 !== null && !hasOwn(workers, c0.worker)) workers = withOwn<WorkerRecord>(workers, c0.worker, { incarnation: c0.incarnation, lastSeen: null, alive: true, running: null, failures: 0 });
  }
  return { ...base, status: d.status, error: d.error, maps: d.maps.map(stripRunning), reduces: d.reduces.map(stripRunning), workers };
}

/**
 * The MapReduce coordinator machine (Dean & Ghemawat, OSDI 2004, §3). Config: the split
 * descriptors (M map tasks), R partitions and the fault-tolerance knobs; inputs: `poll` messages
 * from {@link mapReduceWorker}s and ticks at `nextDeadline`; outputs: assignments, cancels,
 * location updates and `exit` to workers, a `persist` of the task table, and the events
 * `assigned`, `taskCompleted`, `committed`, `workerFailed`, `jobDone`, `jobFailed`.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator } from 'distkit/dataflow';
 * let s = mapReduceCoordinator.init({ id: 'c', splits: ['doc-1'], partitions: 1 });
 * const poll = { type: 'poll', incarnation: 1, running: null };
 * const t = mapReduceCoordinator.step(s, { type: 'message', from: 'w1', message: poll, now: 0 });
 * t.outputs.find((o) => o.type === 'send');
 * //=> { type: 'send', to: 'w1', message: { type: 'assign', incarnation: 1, task: { ref: { kind: 'map', index: 0, attempt: 0 }, partitions: 1, split: 'doc-1', skip: [] } } }
 * t.state.maps[0]!.state; //=> 'in-progress'
 * ```
 */
export const mapReduceCoordinator: DurableMachine<MapReduceCoordinatorConfig, MapReduceCoordinatorState, MapReduceCoordinatorInput, MapReduceCoordinatorOutput, MapReduceCoordinatorDurable> & {
  /** When the next liveness check, speculation check or retry is due (`undefined`: none). */
  nextDeadline(state: MapReduceCoordinatorState): number | undefined;
} = {
  name: 'mapReduceCoordinator',
  init: coordinatorInit,
  step: coordinatorStep,
  nextDeadline: coordinatorDeadline,
  durable: coordinatorDurable,
  recover: coordinatorRecover,
};
