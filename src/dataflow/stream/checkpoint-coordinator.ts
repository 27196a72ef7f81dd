/**
 * The checkpoint coordinator of a stream job (Carbone et al. 2015, ABS §4 and §5: Flink's
 * `CheckpointCoordinator`): it triggers checkpoint n at the sources, collects every task's
 * acknowledgement, declares n complete (durably, before it tells anyone), aborts checkpoints that
 * are declined or time out, and on a failure restarts the job from the last completed checkpoint.
 *
 * @packageDocumentation
 */
import {
  checkId,
  checkIds,
  ConfigError,
  InvalidCommandError,
  parse,
  positiveMs,
  reject,
  send,
  stepByType,
  transition,
  type DurableMachine,
  type InputHandlers,
  type MessageInput,
  type PersistOutput,
  type RejectedOutput,
  type SendOutput,
  type TickInput,
  type Transition,
} from '../../core/index.js';
import { checkpointAckMessage, type CheckpointControlMessage } from './barrier-messages.js';

/**
 * Configuration of {@link checkpointCoordinator}: the source tasks (where barriers are injected),
 * every other task (all of them acknowledge), how often to checkpoint and when to give one up.
 *
 * @example
 * ```ts
 * import type { CheckpointCoordinatorConfig } from 'distkit/dataflow';
 * const c: CheckpointCoordinatorConfig = { id: 'jm', sources: ['src-0'], tasks: ['win-0', 'sink'], intervalMs: 1000 };
 * ```
 */
export interface CheckpointCoordinatorConfig {
  readonly id: string;
  readonly sources: readonly string[];
  readonly tasks: readonly string[];
  /** Trigger a checkpoint this often (ms of the host's clock; the first at `intervalMs`). Default: only on `trigger`. */
  readonly intervalMs?: number;
  /** Abort a checkpoint not complete after this long. Default 60,000 ms (Flink's 10 min is for large state). */
  readonly timeoutMs?: number;
}

/** The checkpoint in flight: its id, when it started and who acknowledged it. */
export interface PendingCheckpoint {
  readonly checkpoint: number;
  readonly startedAt: number;
  readonly acked: readonly string[];
}

/** The state of {@link checkpointCoordinator}: plain JSON. */
export interface CheckpointCoordinatorState {
  readonly id: string;
  readonly sources: readonly string[];
  readonly tasks: readonly string[];
  readonly intervalMs: number | null;
  readonly timeoutMs: number;
  /** Restarts so far: every message carries it. */
  readonly epoch: number;
  readonly nextCheckpoint: number;
  readonly pending: PendingCheckpoint | null;
  /** The last completed checkpoint, or `null`. */
  readonly completed: number | null;
  readonly nextTriggerAt: number | null;
  readonly completedCount: number;
  readonly abortedCount: number;
}

/**
 * What must survive a coordinator crash: the epoch and the last completed checkpoint. Checkpoint
 * ids after a recovery restart above the completed one; an id reused from an attempt that never
 * completed is harmless, since every message of the new epoch is told apart by its epoch.
 */
export interface CheckpointCoordinatorDurable {
  readonly epoch: number;
  readonly completed: number | null;
}

/** Start a checkpoint now (none may be pending). */
export interface TriggerCheckpointInput {
  readonly type: 'trigger';
  readonly now: number;
}

/** A task failed (or the coordinator recovered): restart the job from the last completed checkpoint. */
export interface JobFailureInput {
  readonly type: 'failure';
  readonly reason?: string;
  readonly now: number;
}

/** Inputs of {@link checkpointCoordinator}. */
export type CheckpointCoordinatorInput = TriggerCheckpointInput | JobFailureInput | MessageInput | TickInput;

/**
 * Outputs of {@link checkpointCoordinator}: messages to tasks, `persist` (before the sends of the
 * same transition), `completed` and `aborted` events, and `restore` — restart every task from its
 * snapshot of `checkpoint` (`null`: from the start) in the new `epoch`, replaying the sources.
 */
export type CheckpointCoordinatorOutput =
  | SendOutput<CheckpointControlMessage>
  | PersistOutput<CheckpointCoordinatorDurable>
  | { readonly type: 'completed'; readonly checkpoint: number }
  | { readonly type: 'aborted'; readonly checkpoint: number; readonly reason: string }
  | { readonly type: 'restore'; readonly epoch: number; readonly checkpoint: number | null; readonly reason: string }
  | RejectedOutput;

type State = CheckpointCoordinatorState;
type Out = Transition<State, CheckpointCoordinatorOutput>;

function init(config: CheckpointCoordinatorConfig): State {
  checkId('id', config.id);
  const sources = checkIds('sources', config.sources);
  const tasks = checkIds('tasks', config.tasks, { allowEmpty: true });
  for (const t of tasks) if (sources.includes(t)) throw new ConfigError('tasks', `${JSON.stringify(t)} is also a source`);
  if (tasks.includes(config.id) || sources.includes(config.id)) throw new ConfigError('id', 'the coordinator is not a task');
  const intervalMs = config.intervalMs === undefined ? null : positiveMs('intervalMs', config.intervalMs);
  return {
    id: config.id,
    sources,
    tasks,
    intervalMs,
    timeoutMs: positiveMs('timeoutMs', config.timeoutMs, 60_000),
    epoch: 0,
    nextCheckpoint: 1,
    pending: null,
    completed: null,
    nextTriggerAt: intervalMs,
    completedCount: 0,
    abortedCount: 0,
  };
}

function durable(state: State): CheckpointCoordinatorDurable {
  return { epoch: state.epoch, completed: state.completed };
}

function everyone(state: State): string[] {
  return [...state.sources, ...state.tasks];
}

function control(state: State, type: CheckpointControlMessage['type'], checkpoint: number, to: readonly string[]): SendOutput<CheckpointControlMessage>[] {
  return to.map((t) => send(t, { type, epoch: state.epoch, checkpoint }));
}

/** ABS §4.1: the coordinator injects barrier n at every source. */
function trigger(state: State, now: number): Out {
  const checkpoint = state.nextCheckpoint;
  const s: State = {
    ...state,
    nextCheckpoint: checkpoint + 1,
    pending: { checkpoint, startedAt: now, acked: [] },
    nextTriggerAt: state.intervalMs === null ? null : now + state.intervalMs,
  };
  return transition(s, control(s, 'trigger', checkpoint, s.sources));
}

function abortPending(state: State, reason: string): Out {
  const p = state.pending;
  if (p === null) return transition(state);
  const s: State = { ...state, pending: null, abortedCount: state.abortedCount + 1 };
  return transition(s, [{ type: 'aborted', checkpoint: p.checkpoint, reason }, ...control(s, 'abort', p.checkpoint, everyone(s))]);
}

/** Every task acknowledged: the checkpoint is durable before anyone (a two-phase sink) acts on it. */
function complete(state: State, checkpoint: number): Out {
  const s: State = { ...state, pending: null, completed: checkpoint, completedCount: state.completedCount + 1 };
  return transition(s, [{ type: 'persist', record: durable(s) } as PersistOutput<CheckpointCoordinatorDurable>, { type: 'completed', checkpoint }, ...control(s, 'complete', checkpoint, everyone(s))]);
}

function onMessage(state: State, input: MessageInput): Out {
  const from = input.from;
  if (typeof from !== 'string' || !everyone(state).includes(from)) return reject(state, String(from), 'not a task of this job');
  const p = parse(checkpointAckMessage, input.message);
  if (!p.ok) return reject(state, from, p.problem);
  const m = p.value;
  if (m.epoch !== state.epoch) return reject(state, from, `stale epoch ${m.epoch} (current ${state.epoch})`);
  const pending = state.pending;
  if (pending === null || m.checkpoint !== pending.checkpoint) return reject(state, from, `checkpoint ${m.checkpoint} is not in progress`);
  if (m.type === 'decline') return abortPending(state, `declined by ${from}: ${m.reason}`);
  if (pending.acked.includes(from)) return reject(state, from, `already acknowledged checkpoint ${m.checkpoint}`);
  const acked = [...pending.acked, from];
  if (acked.length === everyone(state).length) return complete(state, m.checkpoint);
  return transition({ ...state, pending: { ...pending, acked } });
}

function onTick(state: State, now: number): Out {
  if (state.pending !== null) {
    return now >= state.pending.startedAt + state.timeoutMs ? abortPending(state, `timed out after ${state.timeoutMs} ms`) : transition(state);
  }
  if (state.nextTriggerAt !== null && now >= state.nextTriggerAt) return trigger(state, now);
  return transition(state);
}

/** ABS §4.3: every task restarts from the last completed checkpoint, in a new epoch. */
function onFailure(state: State, input: JobFailureInput): Out {
  const reason = typeof input.reason === 'string' ? input.reason.slice(0, 1024) : 'task failure';
  const s: State = { ...state, epoch: state.epoch + 1, pending: null, nextTriggerAt: state.intervalMs === null ? null : input.now + state.intervalMs };
  return transition(s, [{ type: 'persist', record: durable(s) } as PersistOutput<CheckpointCoordinatorDurable>, { type: 'restore', epoch: s.epoch, checkpoint: s.completed, reason }]);
}

const handlers: InputHandlers<State, CheckpointCoordinatorInput, CheckpointCoordinatorOutput> = {
  trigger: (state, _input, now) => {
    if (state.pending !== null) throw new InvalidCommandError('trigger', `checkpoint ${state.pending.checkpoint} is still in progress`);
    return trigger(state, now);
  },
  failure: onFailure,
  message: onMessage,
  tick: (state, _input, now) => onTick(state, now),
};

function recover(config: CheckpointCoordinatorConfig, d: CheckpointCoordinatorDurable): State {
  const s = init(config);
  const ok = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
  if (d === null || typeof d !== 'object' || !ok(d.epoch) || (d.completed !== null && !ok(d.completed))) {
    throw new ConfigError('durable', 'expected { epoch, completed } as persisted by the coordinator');
  }
  return { ...s, epoch: d.epoch, completed: d.completed, nextCheckpoint: (d.completed ?? 0) + 1 };
}

/**
 * The checkpoint coordinator (Carbone et al. 2015, ABS; Flink's `CheckpointCoordinator`): every
 * `intervalMs` (or on `trigger`) it sends `trigger` for checkpoint n to the sources; when every
 * source and task has acknowledged n it persists n as completed, emits `completed` and tells every
 * task `complete` (a two-phase sink commits). A decline or a timeout aborts n. One checkpoint is
 * in flight at a time. On `failure` it starts a new epoch and emits `restore` with the last
 * completed checkpoint; after its own crash, `recover` then a `failure` input restart the job.
 *
 * @example
 * ```ts
 * import { checkpointCoordinator } from 'distkit/dataflow';
 * let s = checkpointCoordinator.init({ id: 'jm', sources: ['src'], tasks: ['sink'] });
 * s = checkpointCoordinator.step(s, { type: 'trigger', now: 0 }).state;
 * const ack = (from: string) => ({ type: 'message' as const, from, message: { type: 'ack', epoch: 0, checkpoint: 1 }, now: 1 });
 * s = checkpointCoordinator.step(s, ack('src')).state;
 * const t = checkpointCoordinator.step(s, ack('sink'));
 * t.outputs.map((o) => o.type); //=> ['persist', 'completed', 'send', 'send']
 * checkpointCoordinator.step(t.state, { type: 'failure', now: 2 }).outputs[1]; //=> { type: 'restore', epoch: 1, checkpoint: 1, reason: 'task failure' }
 * ```
 */
export const checkpointCoordinator: DurableMachine<CheckpointCoordinatorConfig, CheckpointCoordinatorState, CheckpointCoordinatorInput, CheckpointCoordinatorOutput, CheckpointCoordinatorDurable> & {
  /** When the next checkpoint is due, or the pending one times out. */
  nextDeadline(state: State): number | undefined;
} = {
  name: 'checkpoint-coordinator',
  init,
  step: (state, input) => stepByType(handlers, state, input),
  durable,
  recover,
  nextDeadline: (state) => (state.pending !== null ? state.pending.startedAt + state.timeoutMs : (state.nextTriggerAt ?? undefined)),
};
