/**
 * The messages of a checkpointed stream job (Carbone et al., "Lightweight Asynchronous Snapshots
 * for Distributed Dataflows", 2015, §4: ABS): what flows on the channels between tasks (records,
 * watermarks, barriers) and between the tasks and the checkpoint coordinator, with their checks.
 * Every message carries the job's `epoch` (the number of restarts so far), so that a message sent
 * before a restart is refused as stale after it.
 *
 * @packageDocumentation
 */
import { MAX_ID_LENGTH, v, type Check } from '../../core/index.js';
import { MIN_WATERMARK, TIMESTAMP_LIMIT } from './window.js';

/**
 * The largest record value (its JSON length) a stream task accepts from a channel.
 *
 * @example
 * ```ts
 * import { MAX_STREAM_VALUE_BYTES } from 'distkit/dataflow';
 * MAX_STREAM_VALUE_BYTES; //=> 65536
 * ```
 */
export const MAX_STREAM_VALUE_BYTES = 65_536;

/** Epochs and checkpoint ids: non-negative safe integers. */
const counter = (): Check<number> => v.int({ min: 0 });

/**
 * A record on a channel: `key` (partitioning and keyed state), `value` (plain JSON) and event
 * `timestamp` (ms).
 *
 * @example
 * ```ts
 * import type { StreamRecordMessage } from 'distkit/dataflow';
 * const m: StreamRecordMessage = { type: 'record', epoch: 0, key: 'eu', value: 1, timestamp: 1_000 };
 * ```
 */
export interface StreamRecordMessage {
  readonly type: 'record';
  readonly epoch: number;
  readonly key: string;
  readonly value: unknown;
  readonly timestamp: number;
}

/** The upstream task's watermark advanced. */
export interface StreamWatermarkMessage {
  readonly type: 'watermark';
  readonly epoch: number;
  readonly watermark: number;
}

/**
 * Checkpoint barrier `checkpoint` (ABS §4.1): everything before it on the channel belongs to the
 * snapshot of that checkpoint, everything after it to the next.
 */
export interface StreamBarrierMessage {
  readonly type: 'barrier';
  readonly epoch: number;
  readonly checkpoint: number;
}

/**
 * What flows on a channel between two tasks, in FIFO order.
 *
 * @example
 * ```ts
 * import type { StreamChannelMessage } from 'distkit/dataflow';
 * const b: StreamChannelMessage = { type: 'barrier', epoch: 0, checkpoint: 3 };
 * ```
 */
export type StreamChannelMessage = StreamRecordMessage | StreamWatermarkMessage | StreamBarrierMessage;

/**
 * From the checkpoint coordinator to the tasks: `trigger` (to a source: inject barrier
 * `checkpoint`), `complete` (checkpoint `checkpoint` is complete: a two-phase sink commits) and
 * `abort` (it will never complete: stop aligning it).
 *
 * @example
 * ```ts
 * import type { CheckpointControlMessage } from 'distkit/dataflow';
 * const m: CheckpointControlMessage = { type: 'complete', epoch: 0, checkpoint: 3 };
 * ```
 */
export interface CheckpointControlMessage {
  readonly type: 'trigger' | 'complete' | 'abort';
  readonly epoch: number;
  readonly checkpoint: number;
}

/**
 * From a task to the coordinator: its snapshot of `checkpoint` is stored (`ack`), or it gives the
 * checkpoint up (`decline`, with a reason).
 *
 * @example
 * ```ts
 * import type { CheckpointAckMessage } from 'distkit/dataflow';
 * const m: CheckpointAckMessage = { type: 'ack', epoch: 0, checkpoint: 3 };
 * ```
 */
export type CheckpointAckMessage =
  | { readonly type: 'ack'; readonly epoch: number; readonly checkpoint: number }
  | { readonly type: 'decline'; readonly epoch: number; readonly checkpoint: number; readonly reason: string };

/** Checks a channel message from a peer (a copy holding only the checked fields is stored). */
export const streamChannelMessage: Check<StreamChannelMessage> = v.tagged({
  record: v.object({
    type: v.literal('record'),
    epoch: counter(),
    key: v.string({ maxLength: MAX_ID_LENGTH }),
    value: v.json({ maxDepth: 16, maxBytes: MAX_STREAM_VALUE_BYTES }),
    timestamp: v.int({ min: -TIMESTAMP_LIMIT, max: TIMESTAMP_LIMIT }),
  }),
  watermark: v.object({ type: v.literal('watermark'), epoch: counter(), watermark: v.int({ min: MIN_WATERMARK }) }),
  barrier: v.object({ type: v.literal('barrier'), epoch: counter(), checkpoint: counter() }),
}) as unknown as Check<StreamChannelMessage>;

/** Checks a coordinator's control message. */
export const checkpointControlMessage: Check<CheckpointControlMessage> = v.object({
  type: v.literal('trigger', 'complete', 'abort'),
  epoch: counter(),
  checkpoint: counter(),
}) as Check<CheckpointControlMessage>;

/** Checks a task's acknowledgement or decline. */
export const checkpointAckMessage: Check<CheckpointAckMessage> = v.tagged({
  ack: v.object({ type: v.literal('ack'), epoch: counter(), checkpoint: counter() }),
  decline: v.object({ type: v.literal('decline'), epoch: counter(), checkpoint: counter(), reason: v.string({ maxLength: 1024 }) }),
}) as unknown as Check<CheckpointAckMessage>;
