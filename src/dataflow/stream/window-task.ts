/**
 * A keyed window task of a checkpointed stream job: the {@link windowOperator} behind barrier
 * alignment (Carbone et al. 2015, ABS §4.2), its state snapshotted when a checkpoint is aligned.
 *
 * @packageDocumentation
 */
import { checkId, checkIds, InvalidCommandError, positiveInt, reject, send, stepByType, transition, type InputHandlers, type Machine, type MessageInput, type RejectedOutput, type SendOutput, type TickInput, type Transition } from '../../core/index.js';
import { murmur3 } from '../../hashing/index.js';
import {
  broadcast,
  channelFrom,
  checkRestore,
  controlFrom,
  DEFAULT_MAX_ALIGNMENT_BUFFER,
  deliver,
  idleAlignment,
  onAbort,
  type AlignedHooks,
  type RestoreTaskInput,
  type StreamTaskBase,
  type TaskSnapshotOutput,
} from './barrier-alignment.js';
import { windowOperator, windowStateProblem, type LateOutput, type WindowOperatorConfig, type WindowOperatorOutput, type WindowOperatorState } from './window-operator.js';
import { maxTimestamp } from './window.js';

/**
 * Configuration of {@link windowTask}: the window operator's (without `inputs`, which are the
 * task's), the upstream tasks, the downstream tasks panes go to by `hash(key) mod n`.
 *
 * @example
 * ```ts
 * import type { WindowTaskConfig } from 'distkit/dataflow';
 * const c: WindowTaskConfig = { id: 'win-0', coordinator: 'jm', inputs: ['src-0', 'src-1'], outputs: ['sink'], window: { kind: 'tumbling', sizeMs: 1000 }, aggregate: { kind: 'count' } };
 * ```
 */
export interface WindowTaskConfig extends Omit<WindowOperatorConfig, 'inputs'> {
  readonly id: string;
  readonly coordinator: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Messages buffered while aligning before the checkpoint is declined. Default 10,000. */
  readonly maxAlignmentBuffer?: number;
}

/** The state of {@link windowTask}: plain JSON. */
export interface WindowTaskState extends StreamTaskBase {
  readonly op: WindowOperatorState;
}

/** Inputs of {@link windowTask}: channel and coordinator messages, `restore`, and ticks for processing-time triggers. */
export type WindowTaskInput = MessageInput | RestoreTaskInput | TickInput;

/**
 * An element the window operator refused (a malformed value, `maxWindows` reached) while the same
 * input also changed the task's state — a record replayed from the alignment buffer, say. When
 * nothing else changed, the refusal is a plain `rejected`.
 */
export interface DroppedOutput {
  readonly type: 'dropped';
  readonly from: string;
  readonly reason: string;
}

/** Outputs of {@link windowTask}: panes go downstream as records (timestamp `end − 1`); late elements come out as `late`. */
export type WindowTaskOutput = SendOutput | TaskSnapshotOutput | LateOutput | DroppedOutput | RejectedOutput;

type Out = Transition<WindowTaskState, WindowTaskOutput>;
type Outs = WindowTaskOutput[];

function init(config: WindowTaskConfig): WindowTaskState {
  checkId('id', config.id);
  checkId('coordinator', config.coordinator);
  const inputs = checkIds('inputs', config.inputs);
  const outputs = checkIds('outputs', config.outputs);
  const { id: _id, coordinator: _c, inputs: _i, outputs: _o, maxAlignmentBuffer, ...operator } = config;
  return {
    id: config.id,
    coordinator: config.coordinator,
    inputs,
    outputs,
    epoch: 0,
    align: idleAlignment(-1),
    maxAlignmentBuffer: positiveInt('maxAlignmentBuffer', maxAlignmentBuffer, DEFAULT_MAX_ALIGNMENT_BUFFER),
    op: windowOperator.init({ ...operator, inputs }),
  };
}

/** The operator's outputs become the task's: panes to the partition of their key, watermarks to all. */
function forward(state: WindowTaskState, from: string, outputs: readonly WindowOperatorOutput[], out: Outs): void {
  for (const o of outputs) {
    switch (o.type) {
      case 'pane': {
        const to = state.outputs[murmur3(o.key) % state.outputs.length] as string;
        out.push(send(to, { type: 'record', epoch: state.epoch, key: o.key, value: o.result, timestamp: maxTimestamp(o.window) }));
        break;
      }
      case 'watermark':
        broadcast(state, { type: 'watermark', epoch: state.epoch, watermark: o.watermark }, out as never[]);
        break;
      case 'late':
        out.push(o);
        break;
      case 'rejected':
        out.push({ ...o, from });
        break;
    }
  }
}

const hooks: AlignedHooks<WindowTaskState, WindowTaskOutput> = {
  process(state, from, message, now, out) {
    const t =
      message.type === 'record'
        ? windowOperator.step(state.op, { type: 'element', key: message.key, value: message.value, timestamp: message.timestamp, now })
        : windowOperator.step(state.op, { type: 'watermark', input: from, watermark: message.watermark, now });
    forward(state, from, t.outputs, out as Outs);
    return t.state === state.op ? state : { ...state, op: t.state };
  },
  snapshot(state, checkpoint, out) {
    out.push({ type: 'snapshot', checkpoint, snapshot: { op: state.op } });
    broadcast(state, { type: 'barrier', epoch: state.epoch, checkpoint }, out as never[]);
    return state;
  },
};

function onMessage(state: WindowTaskState, input: MessageInput): Out {
  const out: Outs = [];
  if (input.from === state.coordinator) {
    const m = controlFrom(state, input.from, input.message);
    if (typeof m === 'string') return reject(state, input.from, m);
    if (m.type !== 'abort') return transition(state);
    return settle(state, onAbort(hooks, state, m.checkpoint, input.now, out), out);
  }
  const m = channelFrom(state, input.from, input.message);
  if (typeof m === 'string') return reject(state, String(input.from), m);
  return settle(state, deliver(hooks, state, input.from, m, input.now, out), out);
}

/** A refusal inside a transition that changed the state is reported as `dropped`, not `rejected`. */
function settle(before: WindowTaskState, after: WindowTaskState, out: Outs): Out {
  if (after === before) return transition(before, out);
  return transition(after, out.map((o) => (o.type === 'rejected' ? { type: 'dropped', from: o.from, reason: o.reason } : o)));
}

function onTick(state: WindowTaskState, input: TickInput): Out {
  const t = windowOperator.step(state.op, { type: 'tick', now: input.now });
  if (t.state === state.op) return transition(state);
  const out: Outs = [];
  forward(state, 'local', t.outputs, out);
  return settle(state, { ...state, op: t.state }, out);
}

function onRestore(state: WindowTaskState, input: RestoreTaskInput): Out {
  checkRestore(state, input);
  const base = { ...state, epoch: input.epoch, align: idleAlignment(input.checkpoint ?? -1) };
  if (input.checkpoint === null) return transition({ ...base, op: windowOperator.init({ ...state.op, inputs: state.inputs }) });
  const snap = input.snapshot as { op?: WindowOperatorState } | null;
  const op = snap !== null && typeof snap === 'object' ? snap.op : undefined;
  if (op === undefined || op === null || typeof op !== 'object' || !Array.isArray(op.panes) || windowStateProblem(op) !== undefined) {
    throw new InvalidCommandError('restore', 'snapshot: expected a window task snapshot { op }');
  }
  return transition({ ...base, op });
}

const handlers: InputHandlers<WindowTaskState, WindowTaskInput, WindowTaskOutput> = {
  message: onMessage,
  restore: onRestore,
  tick: onTick,
};

/**
 * A keyed event-time window task with exactly-once state (Carbone et al. 2015, ABS §4.2; Flink's
 * aligned checkpoints): records and watermarks from its `inputs` drive a {@link windowOperator}
 * (watermark = minimum over the inputs); barrier n blocks each input that delivered it until all
 * have, then the task emits its `snapshot`, forwards barrier n, acknowledges and replays what it
 * held back. Panes go downstream as records `{ key, value: result, timestamp: end − 1 }`.
 *
 * @example
 * ```ts
 * import { windowTask } from 'distkit/dataflow';
 * let s = windowTask.init({ id: 'w', coordinator: 'jm', inputs: ['a', 'b'], outputs: ['sink'], window: { kind: 'tumbling', sizeMs: 10 }, aggregate: { kind: 'count' } });
 * const msg = (from: string, message: unknown) => ({ type: 'message' as const, from, message, now: 0 });
 * s = windowTask.step(s, msg('a', { type: 'barrier', epoch: 0, checkpoint: 1 })).state;
 * s = windowTask.step(s, msg('a', { type: 'record', epoch: 0, key: 'k', value: 1, timestamp: 3 })).state; // held back
 * s.align.buffer.length; //=> 1
 * const t = windowTask.step(s, msg('b', { type: 'barrier', epoch: 0, checkpoint: 1 }));
 * t.outputs.map((o) => o.type); //=> ['snapshot', 'send', 'send']
 * t.state.op.panes.length; //=> 1
 * ```
 */
export const windowTask: Machine<WindowTaskConfig, WindowTaskState, WindowTaskInput, WindowTaskOutput> & {
  /** When a processing-time trigger of the operator is next due. */
  nextDeadline(state: WindowTaskState): number | undefined;
} = {
  name: 'window-task',
  init,
  step: (state, input) => stepByType(handlers, state, input),
  nextDeadline: (state) => windowOperator.nextDeadline(state.op),
};
