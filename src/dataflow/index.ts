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
