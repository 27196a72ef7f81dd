/**
 * The MapReduce worker (Dean & Ghemawat, OSDI 2004, §3.1): polls the coordinator every
 * `heartbeatMs` (the heartbeat of §3.3 and the request for work in one message), hands each
 * assigned attempt to its host as a `run` output, and reports the host's `done` or `failed`
 * result until the coordinator acknowledges it. The user's map and reduce functions live in the
 * host (see `runAssignment`), never in this machine's state, so `step` stays pure.
 *
 * A worker is stateless across crashes: a restarted process polls with a new incarnation and the
 * coordinator re-executes what the old one held.
 */
import type { Machine, MessageInput, NodeId, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../../core/index.js';
import { ConfigError, InvalidCommandError, checkId, parse, positiveMs, reject, send, startTimer, stepByType, stopTimer, timerDeadline, timerDue, transition } from '../../core/index.js';
import {
  MAX_COUNTERS,
  MAX_COUNTER_NAME,
  MAX_ERROR_LENGTH,
  coordinatorMessageCheck,
  sameAttempt,
  type Assignment,
  type AttemptRef,
  type CoordinatorMessage,
  type MapOutputLocation,
  type TaskReport,
  type WorkerMessage,
} from './messages.js';

/**
 * Options of {@link mapReduceWorker}.
 *
 * @example
 * ```ts
 * import { mapReduceWorker as mw, type MapReduceWorkerConfig } from 'distkit/dataflow';
 * const config: MapReduceWorkerConfig = { id: 'w1', coordinator: 'coordinator', heartbeatMs: 500 };
 * const s = mw.step(mw.init(config), { type: 'tick', now: 0 }).state;
 * // It polls (the heartbeat) every heartbeatMs.
 * mw.nextDeadline(s); //=> 500
 * ```
 */
export interface MapReduceWorkerConfig {
  /** The worker's node id. */
  readonly id: NodeId;
  /** The coordinator's node id. */
  readonly coordinator: NodeId;
  /** Time between polls (heartbeats). Keep it well under the coordinator's `workerTimeoutMs`. Default 1000 ms. */
  readonly heartbeatMs?: number;
  /**
   * This process's incarnation, larger after every restart (e.g. the wall-clock time at boot).
   * Default: the `now` of the first input, which grows across restarts on a host whose monotonic
   * clock survives them (and in the simulator).
   */
  readonly incarnation?: number;
}

/**
 * State of the worker.
 *
 * @example
 * ```ts
 * import { mapReduceWorker } from 'distkit/dataflow';
 * mapReduceWorker.init({ id: 'w1', coordinator: 'c' }).running; //=> null
 * ```
 */
export interface MapReduceWorkerState {
  readonly id: NodeId;
  readonly coordinator: NodeId;
  readonly heartbeatMs: number;
  /** Set from the config or the first input's time. */
  readonly incarnation: number | null;
  /** The attempt the host is running. */
  readonly running: Assignment | null;
  /** A finished attempt's report, re-sent with every poll until acknowledged. */
  readonly report: TaskReport | null;
  /** The next poll. */
  readonly heartbeat: Timer;
  /** The coordinator said the job is over. */
  readonly exited: boolean;
}

/**
 * The host's report that it finished running an attempt: for a map task, the size of each of the
 * R regions it wrote; for a reduce task, one size (its output). `counters` are the user counters.
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
 * import type { WorkerDoneInput } from 'distkit/dataflow';
 * const input: WorkerDoneInput = { type: 'done', ref: w.running!.ref, sizes: [40, 12], counters: { lines: 3 }, now: 30 };
 * mw.step(w, input).state.running; //=> null
 * ```
 */
export interface WorkerDoneInput {
  readonly type: 'done';
  readonly ref: AttemptRef;
  readonly sizes: readonly number[];
  readonly counters: Readonly<Record<string, number>>;
  readonly now: number;
}

/**
 * The host's report that an attempt failed: a user function threw `error` on record `record`
 * (§4.6's last gasp), or (`lost`) a reduce task could not fetch a map task's output.
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
 * import type { WorkerFailedInput } from 'distkit/dataflow';
 * // A task whose user function threw: the report names the error and the record, for skipping bad records (§4.6).
 * const input: WorkerFailedInput = { type: 'failed', ref: w.running!.ref, error: 'TypeError: boom', record: 7, now: 30 };
 * send(mw.step(w, input).outputs); //=> [{ type: 'poll', incarnation: 0, running: null, report: { ref: { kind: 'map', index: 0, attempt: 0 }, ok: false, error: 'TypeError: boom', record: 7 } }]
 * ```
 */
export interface WorkerFailedInput {
  readonly type: 'failed';
  readonly ref: AttemptRef;
  readonly error: string;
  readonly record?: number;
  readonly lost?: { readonly map: number; readonly attempt: number };
  readonly now: number;
}

/**
 * Inputs of the worker.
 *
 * @example
 * ```ts
 * import { mapReduceWorker as mw, type MapReduceWorkerInput } from 'distkit/dataflow';
 * const s = mw.init({ id: 'w1', coordinator: 'c' });
 * // A message from anyone but its coordinator is refused.
 * const input: MapReduceWorkerInput = { type: 'message', from: 'intruder', message: { type: 'exit' }, now: 0 };
 * mw.step(s, input).outputs; //=> [{ type: 'rejected', from: 'intruder', reason: 'not this worker\'s coordinator' }]
 * ```
 */
export type MapReduceWorkerInput = MessageInput | TickInput | WorkerDoneInput | WorkerFailedInput;

/**
 * Events of the worker, for its host:
 *
 * - `run`: run this attempt with the user's functions, then step `done` or `failed`.
 * - `cancel`: stop running `ref` (its result is no longer wanted).
 * - `locations`: the running reduce attempt reads map outputs from these locations now.
 * - `exit`: the job is over; the process may exit.
 *
 * @example
 * ```ts
 * import { mapReduceWorker as mw } from 'distkit/dataflow';
 * const s = mw.init({ id: 'w1', coordinator: 'c' });
 * // At the end of the job the coordinator tells workers to exit.
 * mw.step(s, { type: 'message', from: 'c', message: { type: 'exit' }, now: 0 }).outputs; //=> [{ type: 'exit' }]
 * ```
 */
export type MapReduceWorkerEvent =
  | { readonly type: 'run'; readonly task: Assignment }
  | { readonly type: 'cancel'; readonly ref: AttemptRef }
  | { readonly type: 'locations'; readonly ref: AttemptRef; readonly locations: readonly MapOutputLocation[] }
  | { readonly type: 'exit' };

/**
 * Outputs of the worker.
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
 * // The coordinator cancels an attempt (a backup task won): the host is told to stop it.
 * mw.step(w, { type: 'message', from: 'c', message: { type: 'cancel', incarnation: w.incarnation, ref: w.running!.ref }, now: 5 }).outputs; //=> [{ type: 'cancel', ref: { kind: 'map', index: 0, attempt: 0 } }]
 * ```
 */
export type MapReduceWorkerOutput = SendOutput<WorkerMessage> | RejectedOutput | MapReduceWorkerEvent;

type W = MapReduceWorkerState;
type WT = Transition<W, MapReduceWorkerOutput>;

/** Due at once, whatever the host's clock reads: a worker polls on its first tick. */
const AT_ONCE: Timer = Object.freeze({ at: Number.MIN_SAFE_INTEGER, attempt: 0 });

function workerInit(c: MapReduceWorkerConfig): W {
  const id = checkId('id', c.id);
  const coordinator = checkId('coordinator', c.coordinator);
  if (coordinator === id) throw new ConfigError('coordinator', 'must differ from the worker id');
  if (c.incarnation !== undefined && (typeof c.incarnation !== 'number' || !Number.isFinite(c.incarnation) || Math.abs(c.incarnation) > Number.MAX_SAFE_INTEGER)) {
    throw new ConfigError('incarnation', 'must be a finite number within ±2^53');
  }
  return { id, coordinator, heartbeatMs: positiveMs('heartbeatMs', c.heartbeatMs, 1000), incarnation: c.incarnation ?? null, running: null, report: null, heartbeat: AT_ONCE, exited: false };
}

function born(s: W, now: number): W {
  return s.incarnation === null ? { ...s, incarnation: now } : s;
}

function poll(s: W, now: number): WT {
  const message: WorkerMessage = { type: 'poll', incarnation: s.incarnation!, running: s.running?.ref ?? null, ...(s.report === null ? {} : { report: s.report }) };
  return transition({ ...s, heartbeat: startTimer(now, s.heartbeatMs) }, [send(s.coordinator, message)]);
}

function workerTick(state: W, _input: TickInput, now: number): WT {
  const s = born(state, now);
  if (s.exited || !timerDue(s.heartbeat, now)) return transition(s);
  return poll(s, now);
}

function workerMessage(state: W, input: MessageInput, now: number): WT {
  if (input.from !== state.coordinator) return reject(state, input.from, 'not this worker\'s coordinator');
  const parsed = parse(coordinatorMessageCheck, input.message, 'message');
  if (!parsed.ok) return reject(state, input.from, parsed.problem);
  const m = parsed.value as CoordinatorMessage;
  const s = born(state, now);
  if (s.exited) return reject(state, input.from, 'the job is over');
  if (m.type === 'exit') {
    return transition({ ...s, exited: true, running: null, report: null, heartbeat: stopTimer(s.heartbeat) }, [{ type: 'exit' }]);
  }
  if (m.incarnation !== s.incarnation) return reject(state, input.from, `for incarnation ${m.incarnation}, this is ${String(s.incarnation)}`);
  switch (m.type) {
    case 'assign':
      return onAssign(state, s, m.task);
    case 'ack':
      return sameAttempt(s.report?.ref, m.ref) ? transition({ ...s, report: null }) : transition(s);
    case 'cancel':
      return sameAttempt(s.running?.ref, m.ref) ? transition({ ...s, running: null }, [{ type: 'cancel', ref: m.ref }]) : transition(s);
    case 'locations':
      if (!sameAttempt(s.running?.ref, m.ref) || m.ref.kind !== 'reduce') return transition(s);
      return transition({ ...s, running: { ...s.running!, locations: m.locations } }, [{ type: 'locations', ref: m.ref, locations: m.locations }]);
  }
}

function onAssign(state: W, s: W, task: Assignment): WT {
  if (sameAttempt(s.running?.ref, task.ref) || sameAttempt(s.report?.ref, task.ref)) return transition(s); // a re-sent assignment
  if (s.running !== null) return reject(state, s.coordinator, 'busy with another attempt');
  if ((task.ref.kind === 'map') !== (task.split !== undefined) || (task.ref.kind === 'reduce') !== (task.locations !== undefined)) {
    return reject(state, s.coordinator, 'a map assignment carries a split, a reduce assignment locations');
  }
  return transition({ ...s, running: task }, [{ type: 'run', task }]);
}

function finished(state: W, input: WorkerDoneInput | WorkerFailedInput, now: number, report: TaskReport): WT {
  const s = born(state, now);
  // A result for an attempt that was cancelled (or belongs to an earlier process) is dropped.
  if (s.exited || !sameAttempt(s.running?.ref, input.ref)) return reject(state, 'local', `no running attempt ${JSON.stringify(input.ref)}`);
  return poll({ ...s, running: null, report }, now);
}

function checkRef(command: string, ref: unknown): AttemptRef {
  const r = ref as AttemptRef | null;
  if (r === null || typeof r !== 'object' || (r.kind !== 'map' && r.kind !== 'reduce') || !Number.isSafeInteger(r.index) || !Number.isSafeInteger(r.attempt)) {
    throw new InvalidCommandError(command, 'ref must be { kind, index, attempt }');
  }
  return { kind: r.kind, index: r.index, attempt: r.attempt };
}

function onDone(state: W, input: WorkerDoneInput, now: number): WT {
  const ref = checkRef('done', input.ref);
  const sizes = input.sizes;
  if (!Array.isArray(sizes) || sizes.some((x) => typeof x !== 'number' || !Number.isFinite(x) || x < 0)) throw new InvalidCommandError('done', 'sizes must be an array of non-negative numbers');
  const counters: Record<string, number> = {};
  const names = input.counters === null || typeof input.counters !== 'object' ? [] : Object.keys(input.counters);
  if (names.length > MAX_COUNTERS) throw new InvalidCommandError('done', `at most ${MAX_COUNTERS} counters`);
  for (const k of names) {
    const x = input.counters[k];
    if (k.length > MAX_COUNTER_NAME || typeof x !== 'number' || !Number.isFinite(x)) throw new InvalidCommandError('done', `counter ${JSON.stringify(k.slice(0, 40))}: names up to ${MAX_COUNTER_NAME} characters, finite values`);
    Object.defineProperty(counters, k, { value: x, enumerable: true, writable: true, configurable: true });
  }
  return finished(state, input, now, { ref, ok: true, sizes: sizes.slice(), counters });
}

function onFailed(state: W, input: WorkerFailedInput, now: number): WT {
  const ref = checkRef('failed', input.ref);
  const error = typeof input.error === 'string' ? input.error.slice(0, MAX_ERROR_LENGTH) : 'unknown error';
  const record = Number.isSafeInteger(input.record) && input.record! >= 0 ? { record: input.record! } : {};
  const lost = input.lost !== undefined && Number.isSafeInteger(input.lost.map) && Number.isSafeInteger(input.lost.attempt) ? { lost: { map: input.lost.map, attempt: input.lost.attempt } } : {};
  return finished(state, input, now, { ref, ok: false, error, ...record, ...lost });
}

/**
 * The MapReduce worker machine (Dean & Ghemawat, OSDI 2004, §3.1). Pair it with
 * {@link mapReduceCoordinator}; its host runs each `run` output (e.g. with `runAssignment`) and
 * steps `done` or `failed` back in.
 *
 * @example
 * ```ts
 * import { mapReduceWorker } from 'distkit/dataflow';
 * const s = mapReduceWorker.init({ id: 'w1', coordinator: 'c' });
 * mapReduceWorker.step(s, { type: 'tick', now: 5 }).outputs;
 * //=> [{ type: 'send', to: 'c', message: { type: 'poll', incarnation: 5, running: null } }]
 * ```
 */
export const mapReduceWorker: Machine<MapReduceWorkerConfig, MapReduceWorkerState, MapReduceWorkerInput, MapReduceWorkerOutput> & {
  /** When the next heartbeat poll is due (`undefined` once the worker exited). */
  nextDeadline(state: MapReduceWorkerState): number | undefined;
} = {
  name: 'mapReduceWorker',
  init: workerInit,
  step: (state, input) => stepByType<W, MapReduceWorkerInput, MapReduceWorkerOutput>({ tick: workerTick, message: workerMessage, done: onDone, failed: onFailed }, state, input),
  nextDeadline: (s) => (s.exited ? undefined : timerDeadline(s.heartbeat)),
};
