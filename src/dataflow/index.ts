/**
 * Data processing: MapReduce (job model, coordinator and worker machines) and event-time streams
 * (windows, watermarks, triggers, exactly-once checkpoints).
 *
 * @module dataflow
 */
export * from './stream/window.js';
export * from './stream/watermark.js';
export { DEFAULT_COLLECT_LIMIT, type WindowAggregate, type CollectedValue, type Accumulator } from './stream/aggregate.js';
export * from './stream/window-operator.js';
export * from './stream/processor.js';
