/**
 * The MapReduce wire protocol between the coordinator (the paper's master) and its workers, with
 * the checks both sides run on every message from the network and the limits those checks apply.
 *
 * @packageDocumentation
 */
import { MAX_COUNTER, v, type Check, type DataLimits } from '../../core/index.js';

/** The largest number of input splits (map tasks, M) a job may have. */
export const MAX_SPLITS = 10_000;
/** The largest number of reduce partitions (R) a job may have. */
export const MAX_PARTITIONS = 10_000;
/** The largest number of user counters one task may report. */
export const MAX_COUNTERS = 64;
/** The longest counter name. */
export const MAX_COUNTER_NAME = 128;
/** The longest error text a failed task reports (longer errors are cut by the worker). */
export const MAX_ERROR_LENGTH = 1024;
/** The most records one task may skip (§4.6); past it, a task that keeps crashing fails the job. */
export const MAX_SKIPPED_RECORDS = 64;
/** The bounds on a split descriptor (a file name, an offset range ...) carried in an assignment. */
export const SPLIT_LIMITS: DataLimits = Object.freeze({ maxDepth: 8, maxBytes: 4096 });

/**
 * A map or reduce task.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, mapReduceWorker as mw } from 'distkit/dataflow';
 * let c = mr.init({ id: 'c', splits: ['doc-1'], partitions: 2 });
 * let w = mw.init({ id: 'w1', coordinator: 'c' });
 * const send = <O extends { type: string }>(outputs: readonly O[]) => outputs.flatMap((o) => (o.type === 'send' ? [(o as unknown as { message: unknown }).message] : []));
 * // The worker polls; the coordinator assigns the map task; the worker is told to run it.
 * let t1 = mw.step(w, { type: 'tick', now: 0 });
 * w = t1.state;
 * const poll = send(t1.outputs)[0];
 * const t2 = mr.step(c, { type: 'message', from: 'w1', message: poll, now: 1 });
 * c = t2.state;
 * const assign = send(t2.outputs)[0];
 * const t3 = mw.step(w, { type: 'message', from: 'c', message: assign, now: 2 });
 * w = t3.state;
 * import type { TaskKind } from 'distkit/dataflow';
 * // Maps first; reduces are assigned once every map of their partition has output.
 * const kinds: TaskKind[] = [...c.maps.map(() => 'map' as const), ...c.reduces.map(() => 'reduce' as const)];
 * [kinds, c.maps[0]!.state, c.reduces.map((r) => r.state)]; //=> [['map', 'reduce', 'reduce'], 'in-progress', ['idle', 'idle']]
 * ```
 */
export type TaskKind = 'map' | 'reduce';

/**
 * One attempt (execution) of one task: a task is re-executed after a failure or as a backup, and
 * every execution has its own attempt number, so late reports of an old attempt are told apart.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, mapReduceWorker as mw } from 'distkit/dataflow';
 * let c = mr.init({ id: 'c', splits: ['doc-1'], partitions: 2 });
 * let w = mw.init({ id: 'w1', coordinator: 'c' });
 * const send = <O extends { type: string }>(outputs: readonly O[]) => outputs.flatMap((o) => (o.type === 'send' ? [(o as unknown as { message: unknown }).message] : []));
 * // The worker polls; the coordinator assigns the map task; the worker is told to run it.
 * let t1 = mw.step(w, { type: 'tick', now: 0 });
 * w = t1.state;
 * const poll = send(t1.outputs)[0];
 * const t2 = mr.step(c, { type: 'message', from: 'w1', message: poll, now: 1 });
 * c = t2.state;
 * const assign = send(t2.outputs)[0];
 * const t3 = mw.step(w, { type: 'message', from: 'c', message: assign, now: 2 });
 * w = t3.state;
 * import type { AttemptRef } from 'distkit/dataflow';
 * // An attempt is named by task kind, index and attempt number: a re-execution gets a new one.
 * const ref: AttemptRef | null = w.running?.ref ?? null;
 * ref; //=> { kind: 'map', index: 0, attempt: 0 }
 * ```
 */
export interface AttemptRef {
  /** Map or reduce. */
  readonly kind: TaskKind;
  /** The map task's split number, or the reduce task's partition. */
  readonly index: number;
  /** The attempt number, from 0. */
  readonly attempt: number;
}

/**
 * Where one completed map task's output lies (§3.1 step 4): on `worker`'s local disk in the
 * incarnation that ran it; `sizeBytes` of it belong to the reduce task this location is sent to.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, mapReduceWorker as mw } from 'distkit/dataflow';
 * let c = mr.init({ id: 'c', splits: ['doc-1'], partitions: 2 });
 * let w = mw.init({ id: 'w1', coordinator: 'c' });
 * const send = <O extends { type: string }>(outputs: readonly O[]) => outputs.flatMap((o) => (o.type === 'send' ? [(o as unknown as { message: unknown }).message] : []));
 * // The worker polls; the coordinator assigns the map task; the worker is told to run it.
 * let t1 = mw.step(w, { type: 'tick', now: 0 });
 * w = t1.state;
 * const poll = send(t1.outputs)[0];
 * const t2 = mr.step(c, { type: 'message', from: 'w1', message: poll, now: 1 });
 * c = t2.state;
 * const assign = send(t2.outputs)[0];
 * const t3 = mw.step(w, { type: 'message', from: 'c', message: assign, now: 2 });
 * w = t3.state;
 * // When the map completes, reducers are told where its regions are (§3.1 step 5).
 * const done = mw.step(w, { type: 'done', ref: w.running!.ref, sizes: [40, 12], counters: {}, now: 30 });
 * const t4 = mr.step(c, { type: 'message', from: 'w1', message: send(done.outputs)[0], now: 31 });
 * send(t4.outputs); //=> [{ type: 'ack', incarnation: 0, ref: { kind: 'map', index: 0, attempt: 0 } }, { type: 'assign', incarnation: 0, task: { ref: { kind: 'reduce', index: 0, attempt: 0 }, partitions: 2, locations: [{ map: 0, attempt: 0, worker: 'w1', incarnation: 0, sizeBytes: 40 }], skip: [] } }]
 * ```
 */
export interface MapOutputLocation {
  /** The map task. */
  readonly map: number;
  /** Its completed attempt. */
  readonly attempt: number;
  /** The worker holding the output. */
  readonly worker: string;
  /** That worker's incarnation when it ran the task. */
  readonly incarnation: number;
  /** The size of this partition's region, as the map worker reported it. */
  readonly sizeBytes: number;
}

/**
 * A task as the coordinator hands it out: which attempt, the split to read (map) or where every
 * map task's region of this partition lies (reduce), and the records to skip (§4.6).
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, mapReduceWorker as mw } from 'distkit/dataflow';
 * let c = mr.init({ id: 'c', splits: ['doc-1'], partitions: 2 });
 * let w = mw.init({ id: 'w1', coordinator: 'c' });
 * const send = <O extends { type: string }>(outputs: readonly O[]) => outputs.flatMap((o) => (o.type === 'send' ? [(o as unknown as { message: unknown }).message] : []));
 * // The worker polls; the coordinator assigns the map task; the worker is told to run it.
 * let t1 = mw.step(w, { type: 'tick', now: 0 });
 * w = t1.state;
 * const poll = send(t1.outputs)[0];
 * const t2 = mr.step(c, { type: 'message', from: 'w1', message: poll, now: 1 });
 * c = t2.state;
 * const assign = send(t2.outputs)[0];
 * const t3 = mw.step(w, { type: 'message', from: 'c', message: assign, now: 2 });
 * w = t3.state;
 * assign; //=> { type: 'assign', incarnation: 0, task: { ref: { kind: 'map', index: 0, attempt: 0 }, partitions: 2, split: 'doc-1', skip: [] } }
 * ```
 */
export interface Assignment {
  /** The attempt. */
  readonly ref: AttemptRef;
  /** R, the number of reduce partitions. */
  readonly partitions: number;
  /** Map tasks: the split descriptor from the coordinator's config. */
  readonly split?: unknown;
  /** Reduce tasks: one location per map task, in map order. */
  readonly locations?: readonly MapOutputLocation[];
  /** Record sequence numbers to skip. */
  readonly skip: readonly number[];
}

/**
 * A worker's report of a finished attempt: its output sizes (per partition for a map task) and
 * counters, or its error, the record it failed on and, for a reduce task that could not fetch a
 * map output, that map attempt.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, mapReduceWorker as mw } from 'distkit/dataflow';
 * let c = mr.init({ id: 'c', splits: ['doc-1'], partitions: 2 });
 * let w = mw.init({ id: 'w1', coordinator: 'c' });
 * const send = <O extends { type: string }>(outputs: readonly O[]) => outputs.flatMap((o) => (o.type === 'send' ? [(o as unknown as { message: unknown }).message] : []));
 * // The worker polls; the coordinator assigns the map task; the worker is told to run it.
 * let t1 = mw.step(w, { type: 'tick', now: 0 });
 * w = t1.state;
 * const poll = send(t1.outputs)[0];
 * const t2 = mr.step(c, { type: 'message', from: 'w1', message: poll, now: 1 });
 * c = t2.state;
 * const assign = send(t2.outputs)[0];
 * const t3 = mw.step(w, { type: 'message', from: 'c', message: assign, now: 2 });
 * w = t3.state;
 * // The worker's host ran the task; its report rides on the next poll until acknowledged.
 * send(mw.step(w, { type: 'done', ref: w.running!.ref, sizes: [10, 20], counters: {}, now: 30 }).outputs); //=> [{ type: 'poll', incarnation: 0, running: null, report: { ref: { kind: 'map', index: 0, attempt: 0 }, ok: true, sizes: [10, 20], counters: {} } }]
 * ```
 */
export type TaskReport =
  | { readonly ref: AttemptRef; readonly ok: true; readonly sizes: readonly number[]; readonly counters: Readonly<Record<string, number>> }
  | { readonly ref: AttemptRef; readonly ok: false; readonly error: string; readonly record?: number; readonly lost?: { readonly map: number; readonly attempt: number } };

/**
 * A message from a worker to the coordinator. `poll` is the one kind: the heartbeat (§3.3), the
 * request for work, the report of a finished attempt (re-sent until acknowledged), and what the
 * worker is running — all at once.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, mapReduceWorker as mw } from 'distkit/dataflow';
 * let c = mr.init({ id: 'c', splits: ['doc-1'], partitions: 2 });
 * let w = mw.init({ id: 'w1', coordinator: 'c' });
 * const send = <O extends { type: string }>(outputs: readonly O[]) => outputs.flatMap((o) => (o.type === 'send' ? [(o as unknown as { message: unknown }).message] : []));
 * // The worker polls; the coordinator assigns the map task; the worker is told to run it.
 * let t1 = mw.step(w, { type: 'tick', now: 0 });
 * w = t1.state;
 * const poll = send(t1.outputs)[0];
 * const t2 = mr.step(c, { type: 'message', from: 'w1', message: poll, now: 1 });
 * c = t2.state;
 * const assign = send(t2.outputs)[0];
 * const t3 = mw.step(w, { type: 'message', from: 'c', message: assign, now: 2 });
 * w = t3.state;
 * poll; //=> { type: 'poll', incarnation: 0, running: null }
 * ```
 */
export interface WorkerMessage {
  readonly type: 'poll';
  /** The worker process's incarnation: a restarted worker polls with a larger one. */
  readonly incarnation: number;
  /** The attempt it is running, or `null` when idle. */
  readonly running: AttemptRef | null;
  /** A finished attempt not yet acknowledged. */
  readonly report?: TaskReport;
}

/**
 * A message from the coordinator to a worker.
 *
 * - `assign`: run this attempt.
 * - `ack`: your report of `ref` was received.
 * - `cancel`: stop `ref` (another attempt finished it, or it was given up).
 * - `locations`: a map task was re-executed elsewhere; read from these locations (§3.3).
 * - `exit`: the job is over.
 *
 * @example
 * ```ts
 * import { mapReduceCoordinator as mr, mapReduceWorker as mw } from 'distkit/dataflow';
 * let c = mr.init({ id: 'c', splits: ['doc-1'], partitions: 2 });
 * let w = mw.init({ id: 'w1', coordinator: 'c' });
 * const send = <O extends { type: string }>(outputs: readonly O[]) => outputs.flatMap((o) => (o.type === 'send' ? [(o as unknown as { message: unknown }).message] : []));
 * // The worker polls; the coordinator assigns the map task; the worker is told to run it.
 * let t1 = mw.step(w, { type: 'tick', now: 0 });
 * w = t1.state;
 * const poll = send(t1.outputs)[0];
 * const t2 = mr.step(c, { type: 'message', from: 'w1', message: poll, now: 1 });
 * c = t2.state;
 * const assign = send(t2.outputs)[0];
 * const t3 = mw.step(w, { type: 'message', from: 'c', message: assign, now: 2 });
 * w = t3.state;
 * // The run output tells the worker's host what to execute.
 * t3.outputs; //=> [{ type: 'run', task: { ref: { kind: 'map', index: 0, attempt: 0 }, partitions: 2, split: 'doc-1', skip: [] } }]
 * ```
 */
export type CoordinatorMessage =
  | { readonly type: 'assign'; readonly incarnation: number; readonly task: Assignment }
  | { readonly type: 'ack'; readonly incarnation: number; readonly ref: AttemptRef }
  | { readonly type: 'cancel'; readonly incarnation: number; readonly ref: AttemptRef }
  | { readonly type: 'locations'; readonly incarnation: number; readonly ref: AttemptRef; readonly locations: readonly MapOutputLocation[] }
  | { readonly type: 'exit' };

const counter = v.int({ min: 0, max: MAX_COUNTER });
const size = v.number({ min: 0, max: Number.MAX_SAFE_INTEGER });
const kind = v.literal('map', 'reduce');

/**
 * Checks an {@link AttemptRef} received from a peer (kind, index within the job limits, attempt).
 *
 * @example
 * ```ts
 * import { attemptRefCheck } from 'distkit/dataflow';
 * attemptRefCheck({ kind: 'map', index: 0, attempt: 0 }); //=> undefined
 * ```
 */
export const attemptRefCheck: Check<AttemptRef> = v.object({ kind, index: v.int({ min: 0, max: Math.max(MAX_SPLITS, MAX_PARTITIONS) }), attempt: counter });

const countersCheck = v.record(v.number({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), { maxKeys: MAX_COUNTERS });

const reportCheck = v.union(
  v.object({ ref: attemptRefCheck, ok: v.literal(true), sizes: v.array(size, { maxLength: MAX_PARTITIONS }), counters: countersCheck }),
  v.object({
    ref: attemptRefCheck,
    ok: v.literal(false),
    error: v.string({ maxLength: MAX_ERROR_LENGTH }),
    record: v.optional(counter),
    lost: v.optional(v.object({ map: v.int({ min: 0, max: MAX_SPLITS - 1 }), attempt: counter })),
  }),
);

/**
 * Checks a message a coordinator receives from a worker ({@link WorkerMessage}); the coordinator
 * rejects anything it refuses.
 *
 * @example
 * ```ts
 * import { workerMessageCheck } from 'distkit/dataflow';
 * workerMessageCheck({ type: 'poll', incarnation: 1, running: null }); //=> undefined
 * ```
 */
export const workerMessageCheck: Check<WorkerMessage> = v.object({
  type: v.literal('poll'),
  incarnation: v.number({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  running: v.nullable(attemptRefCheck),
  report: v.optional(reportCheck),
}) as unknown as Check<WorkerMessage>;

const locationCheck = v.object({ map: v.int({ min: 0, max: MAX_SPLITS - 1 }), attempt: counter, worker: v.id(), incarnation: v.number({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), sizeBytes: size });
const incarnation = v.number({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });

/**
 * Checks a message a worker receives from its coordinator ({@link CoordinatorMessage}); the worker
 * rejects anything it refuses.
 *
 * @example
 * ```ts
 * import { coordinatorMessageCheck } from 'distkit/dataflow';
 * typeof coordinatorMessageCheck({ type: 'bogus' }); //=> 'string'
 * ```
 */
export const coordinatorMessageCheck: Check<CoordinatorMessage> = v.tagged({
  assign: v.object({
    type: v.literal('assign'),
    incarnation,
    task: v.object({
      ref: attemptRefCheck,
      partitions: v.int({ min: 1, max: MAX_PARTITIONS }),
      split: v.optional(v.json(SPLIT_LIMITS)),
      locations: v.optional(v.array(locationCheck, { maxLength: MAX_SPLITS })),
      skip: v.array(counter, { maxLength: MAX_SKIPPED_RECORDS }),
    }),
  }),
  ack: v.object({ type: v.literal('ack'), incarnation, ref: attemptRefCheck }),
  cancel: v.object({ type: v.literal('cancel'), incarnation, ref: attemptRefCheck }),
  locations: v.object({ type: v.literal('locations'), incarnation, ref: attemptRefCheck, locations: v.array(locationCheck, { maxLength: MAX_SPLITS }) }),
  exit: v.object({ type: v.literal('exit') }),
}) as unknown as Check<CoordinatorMessage>;

/**
 * Whether two attempt references name the same attempt.
 *
 * @example
 * ```ts
 * import { sameAttempt } from 'distkit/dataflow';
 * sameAttempt({ kind: 'map', index: 1, attempt: 0 }, { kind: 'map', index: 1, attempt: 0 }); //=> true
 * sameAttempt({ kind: 'map', index: 1, attempt: 0 }, null); //=> false
 * ```
 */
export function sameAttempt(a: AttemptRef | null | undefined, b: AttemptRef | null | undefined): boolean {
  return a != null && b != null && a.kind === b.kind && a.index === b.index && a.attempt === b.attempt;
}

/**
 * A short label of a task or attempt for errors and traces: `map task 3` or `reduce task 0 attempt 2`.
 *
 * @example
 * ```ts
 * import { taskLabel } from 'distkit/dataflow';
 * taskLabel({ kind: 'map', index: 3 }); //=> 'map task 3'
 * ```
 */
export function taskLabel(ref: { readonly kind: TaskKind; readonly index: number; readonly attempt?: number }): string {
  return ref.attempt === undefined ? `${ref.kind} task ${ref.index}` : `${ref.kind} task ${ref.index} attempt ${ref.attempt}`;
}
