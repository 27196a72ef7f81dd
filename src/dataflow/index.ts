/**
 * Data processing: MapReduce (job model, coordinator and worker machines) and event-time streams
 * (windows, watermarks, triggers, exactly-once checkpoints).
 *
 * Guide: [Dataflow](../../docs/dataflow.md).
 *
 * @module dataflow
 */
export * from './mapreduce/index.js';
