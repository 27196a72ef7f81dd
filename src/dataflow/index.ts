/**
 * Data processing: MapReduce (job model, coordinator and worker machines) and event-time streams
 * (windows, watermarks, triggers, allowed lateness and a side output for late data).
 *
 * Guide: [Dataflow](../../docs/dataflow.md).
 *
 * @module dataflow
 */
export * from './mapreduce/index.js';
export * from './stream/window.js';
export * from './stream/watermark.js';
export { DEFAULT_COLLECT_LIMIT, type WindowAggregate, type CollectedValue, type Accumulator } from './stream/aggregate.js';
export * from './stream/window-operator.js';
export * from './stream/processor.js';
export { MAX_STREAM_VALUE_BYTES, type StreamRecordMessage, type StreamWatermarkMessage, type StreamBarrierMessage, type StreamChannelMessage, type CheckpointControlMessage, type CheckpointAckMessage } from './stream/barrier-messages.js';
export { DEFAULT_MAX_ALIGNMENT_BUFFER, type BarrierAlignment, type TaskSnapshotOutput, type RestoreTaskInput, type StreamTaskBase } from './stream/barrier-alignment.js';
export * from './stream/checkpoint-coordinator.js';
export * from './stream/stream-source.js';
export * from './stream/window-task.js';
export * from './stream/exactly-once-sink.js';
export * from './stream/stream-job.js';
