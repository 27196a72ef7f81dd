/**
 * Barrier alignment, shared by every task with inputs (Carbone et al. 2015, ABS §4.2, Algorithm
 * for DAGs): when barrier n arrives on an input, that input is blocked — its later messages are
 * buffered — until barrier n has arrived on every input; then the task snapshots its state,
 * forwards the barrier, acknowledges the checkpoint and replays the buffer. Also the restore
 * command and the epoch check shared with the source.
 *
 * @packageDocumentation
 */
import { InvalidCommandError, parse, send, type SendOutput, type RejectedOutput } from '../../core/index.js';
import {
  checkpointControlMessage,
  streamChannelMessage,
  type CheckpointAckMessage,
  type CheckpointControlMessage,
  type StreamChannelMessage,
  type StreamRecordMessage,
  type StreamWatermarkMessage,
} from './barrier-messages.js';

/**
 * The alignment of one task: the checkpoint being aligned, the inputs that delivered its barrier,
 * the messages held back from them, and the last checkpoint aligned or given up (its barriers and
 * older ones are stale).
 *
 * @example
 * ```ts
 * import type { BarrierAlignment } from 'distkit/dataflow';
 * const idle: BarrierAlignment = { checkpoint: null, blocked: [], buffer: [], done: -1 };
 * ```
 */
export interface BarrierAlignment {
  readonly checkpoint: number | null;
  readonly blocked: readonly string[];
  readonly buffer: readonly { readonly from: string; readonly message: StreamChannelMessage }[];
  readonly done: number;
}

/**
 * The default bound on the messages one task buffers while it aligns a checkpoint. Past it the
 * task declines the checkpoint and releases the buffer (Flink's former
 * `execution.checkpointing.alignment.max-size`), so alignment never holds unbounded data.
 *
 * @example
 * ```ts
 * import { DEFAULT_MAX_ALIGNMENT_BUFFER } from 'distkit/dataflow';
 * DEFAULT_MAX_ALIGNMENT_BUFFER; //=> 10000
 * ```
 */
export const DEFAULT_MAX_ALIGNMENT_BUFFER = 10_000;

/**
 * `snapshot` output: the task's state as of checkpoint `checkpoint`. The host stores it (keyed by
 * task and checkpoint) before it delivers the `ack` sent in the same transition, and gives it back
 * in a `restore` command after a failure.
 */
export interface TaskSnapshotOutput {
  readonly type: 'snapshot';
  readonly checkpoint: number;
  readonly snapshot: unknown;
}

/**
 * The local command that restarts a task after a failure (ABS §4.3): the job's new `epoch`, the
 * completed checkpoint it restarts from (`null`: from the beginning) and the task's snapshot of
 * that checkpoint.
 *
 * @example
 * ```ts
 * import type { RestoreTaskInput } from 'distkit/dataflow';
 * const r: RestoreTaskInput = { type: 'restore', epoch: 1, checkpoint: null, snapshot: null, now: 0 };
 * ```
 */
export interface RestoreTaskInput {
  readonly type: 'restore';
  readonly epoch: number;
  readonly checkpoint: number | null;
  readonly snapshot: unknown;
  readonly now: number;
}

/** The fields every stream task keeps: who it is, where its inputs and outputs go, its epoch. */
export interface StreamTaskBase {
  readonly id: string;
  readonly coordinator: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Restarts of the job so far; messages of another epoch are stale. */
  readonly epoch: number;
  readonly align: BarrierAlignment;
  readonly maxAlignmentBuffer: number;
}

/** What an aligned task does with its own messages and at a checkpoint. */
export interface AlignedHooks<S extends StreamTaskBase, O> {
  /** Applies a record or watermark that is not held back. */
  process(state: S, from: string, message: StreamRecordMessage | StreamWatermarkMessage, now: number, out: (O | SendOutput | TaskSnapshotOutput | RejectedOutput)[]): S;
  /**
   * Checkpoint `checkpoint` is aligned: emit the snapshot output and forward the barrier; or
   * return a reason to decline the checkpoint instead.
   */
  snapshot(state: S, checkpoint: number, out: (O | SendOutput | TaskSnapshotOutput | RejectedOutput)[]): S | string;
}

type Sink<O> = (O | SendOutput | TaskSnapshotOutput | RejectedOutput)[];

/** The alignment of a task that is not aligning, with `done` as the last checkpoint dealt with. */
export function idleAlignment(done: number): BarrierAlignment {
  return { checkpoint: null, blocked: [], buffer: [], done };
}

/** The restore command's checks (a local command: a malformed one is a host error and throws). */
export function checkRestore(state: { readonly epoch: number }, input: RestoreTaskInput): void {
  if (!Number.isSafeInteger(input.epoch) || input.epoch <= state.epoch) throw new InvalidCommandError('restore', `epoch must be an integer above the current ${state.epoch}, got ${String(input.epoch)}`);
  if (input.checkpoint !== null && (!Number.isSafeInteger(input.checkpoint) || input.checkpoint < 0)) throw new InvalidCommandError('restore', 'checkpoint must be a non-negative integer or null');
}

/** A message from the coordinator, checked: it must carry the task's epoch. */
export function controlFrom(state: StreamTaskBase, from: string, message: unknown): CheckpointControlMessage | string {
  if (from !== state.coordinator) return `${JSON.stringify(from)} is not the coordinator`;
  const p = parse(checkpointControlMessage, message);
  if (!p.ok) return p.problem;
  if (p.value.epoch !== state.epoch) return `stale epoch ${p.value.epoch} (current ${state.epoch})`;
  return p.value;
}

/** A message on an input channel, checked: it must come from an input and carry the epoch. */
export function channelFrom(state: StreamTaskBase, from: string, message: unknown): StreamChannelMessage | string {
  if (!state.inputs.includes(from)) return `${JSON.stringify(from)} is not an input of ${state.id}`;
  const p = parse(streamChannelMessage, message);
  if (!p.ok) return p.problem;
  if (p.value.epoch !== state.epoch) return `stale epoch ${p.value.epoch} (current ${state.epoch})`;
  return p.value;
}

/** Sends `message` to every output (a barrier or a watermark is broadcast). */
export function broadcast(state: StreamTaskBase, message: StreamChannelMessage, out: Sink<never>): void {
  for (const to of state.outputs) out.push(send(to, message));
}

/** The acknowledgement of `checkpoint` to the coordinator. */
export function ackOutput(state: StreamTaskBase, checkpoint: number): SendOutput<CheckpointAckMessage> {
  return send(state.coordinator, { type: 'ack', epoch: state.epoch, checkpoint });
}

/**
 * Delivers one checked channel message: anything from a blocked input is buffered (past the
 * buffer bound the checkpoint is declined); a barrier goes to alignment; a record or watermark is
 * processed at once.
 */
export function deliver<S extends StreamTaskBase, O>(hooks: AlignedHooks<S, O>, state: S, from: string, message: StreamChannelMessage, now: number, out: Sink<O>): S {
  const a = state.align;
  // Everything a blocked input sends — records, watermarks, later barriers — waits in order.
  if (a.checkpoint !== null && a.blocked.includes(from)) {
    if (a.buffer.length < state.maxAlignmentBuffer) return { ...state, align: { ...a, buffer: [...a.buffer, { from, message }] } };
    // Past the bound: give the checkpoint up rather than hold more (the coordinator aborts it).
    out.push(send(state.coordinator, { type: 'decline', epoch: state.epoch, checkpoint: a.checkpoint, reason: `alignment buffer full (${state.maxAlignmentBuffer} messages)` }));
    const released = release(hooks, state, a.checkpoint, now, out);
    return deliver(hooks, released, from, message, now, out);
  }
  if (message.type === 'barrier') return onBarrier(hooks, state, from, message.checkpoint, now, out);
  return hooks.process(state, from, message, now, out);
}

/** ABS §4.2: block the input, and once every input delivered the barrier, snapshot and go on. */
function onBarrier<S extends StreamTaskBase, O>(hooks: AlignedHooks<S, O>, state: S, from: string, n: number, now: number, out: Sink<O>): S {
  if (n <= state.align.done) return state; // a barrier of a checkpoint already dealt with (aborted)
  let s = state;
  // A newer barrier on an input that is not blocked: the checkpoint being aligned was given up upstream.
  if (s.align.checkpoint !== null && n > s.align.checkpoint) s = release(hooks, s, s.align.checkpoint, now, out);
  const a = s.align;
  if (a.checkpoint !== null && n < a.checkpoint) return s; // superseded by the one being aligned
  const blocked = a.checkpoint === null ? [from] : a.blocked.includes(from) ? a.blocked : [...a.blocked, from];
  if (blocked.length < s.inputs.length) return { ...s, align: { checkpoint: n, blocked, buffer: a.checkpoint === null ? [] : a.buffer, done: a.done } };
  // Aligned: everything before barrier n on every input is in the state, nothing after it.
  const buffer = a.checkpoint === null ? [] : a.buffer;
  const aligned: S = { ...s, align: idleAlignment(n) };
  const snapped = hooks.snapshot(aligned, n, out);
  if (typeof snapped === 'string') {
    out.push(send(s.coordinator, { type: 'decline', epoch: s.epoch, checkpoint: n, reason: snapped }));
    s = aligned;
  } else {
    s = snapped;
    out.push(ackOutput(s, n));
  }
  for (const item of buffer) s = deliver(hooks, s, item.from, item.message, now, out);
  return s;
}

/** Stops aligning: `done` becomes `upTo` and the held-back messages are processed in order. */
export function release<S extends StreamTaskBase, O>(hooks: AlignedHooks<S, O>, state: S, upTo: number, now: number, out: Sink<O>): S {
  const buffer = state.align.buffer;
  let s: S = { ...state, align: idleAlignment(Math.max(state.align.done, upTo)) };
  for (const item of buffer) s = deliver(hooks, s, item.from, item.message, now, out);
  return s;
}

/** The coordinator aborted `checkpoint`: stop aligning it (or anything older). */
export function onAbort<S extends StreamTaskBase, O>(hooks: AlignedHooks<S, O>, state: S, checkpoint: number, now: number, out: Sink<O>): S {
  if (checkpoint <= state.align.done) return state;
  if (state.align.checkpoint !== null && state.align.checkpoint > checkpoint) return state;
  return release(hooks, state, checkpoint, now, out);
}
