/**
 * Watermarks as Flink defines them: a watermark `W` says no element with timestamp `≤ W` is
 * expected any more. Generated from the elements seen (bounded out-of-orderness) and combined over
 * several inputs (the minimum over the active ones); never going backwards.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../../core/errors.js';
import { MAX_WATERMARK, MIN_WATERMARK, TIMESTAMP_LIMIT } from './window.js';

/**
 * A bounded out-of-orderness watermark generator (Flink's `BoundedOutOfOrdernessWatermarks`):
 * the largest timestamp seen and the allowed delay; the watermark is `max − delay − 1`.
 *
 * @example
 * ```ts
 * import { boundedOutOfOrderness } from 'distkit/dataflow';
 * const g = boundedOutOfOrderness(5);
 * g.maxTimestamp === null; //=> true
 * ```
 */
export interface BoundedOutOfOrdernessState {
  /** The largest element timestamp seen, or `null` before the first. */
  readonly maxTimestamp: number | null;
  /** How far behind the largest timestamp an element may still arrive (ms). */
  readonly outOfOrdernessMs: number;
}

/**
 * A fresh bounded out-of-orderness generator; throws `ConfigError` on a negative or fractional delay.
 *
 * @example
 * ```ts
 * import { boundedOutOfOrderness } from 'distkit/dataflow';
 * boundedOutOfOrderness(5); //=> { maxTimestamp: null, outOfOrdernessMs: 5 }
 * ```
 */
export function boundedOutOfOrderness(outOfOrdernessMs: number): BoundedOutOfOrdernessState {
  if (!Number.isSafeInteger(outOfOrdernessMs) || outOfOrdernessMs < 0 || outOfOrdernessMs > TIMESTAMP_LIMIT) {
    throw new ConfigError('outOfOrdernessMs', `must be an integer number of ms in 0..${TIMESTAMP_LIMIT}, got ${String(outOfOrdernessMs)}`);
  }
  return { maxTimestamp: null, outOfOrdernessMs };
}

/**
 * Records an element's timestamp (a new state; the input is not mutated).
 *
 * @example
 * ```ts
 * import { boundedOutOfOrderness, observeTimestamp, currentWatermark } from 'distkit/dataflow';
 * let g = observeTimestamp(boundedOutOfOrderness(5), 100);
 * g = observeTimestamp(g, 90);
 * currentWatermark(g); //=> 94
 * ```
 */
export function observeTimestamp(state: BoundedOutOfOrdernessState, timestamp: number): BoundedOutOfOrdernessState {
  if (state.maxTimestamp !== null && timestamp <= state.maxTimestamp) return state;
  return { maxTimestamp: timestamp, outOfOrdernessMs: state.outOfOrdernessMs };
}

/**
 * The generator's watermark: `maxTimestamp − outOfOrdernessMs − 1` (Flink's rule: the `− 1` lets an
 * element at exactly `max − delay` still arrive in time), or {@link MIN_WATERMARK} before any element.
 *
 * @example
 * ```ts
 * import { boundedOutOfOrderness, observeTimestamp, currentWatermark } from 'distkit/dataflow';
 * currentWatermark(observeTimestamp(boundedOutOfOrderness(0), 10)); //=> 9
 * ```
 */
export function currentWatermark(state: BoundedOutOfOrdernessState): number {
  return state.maxTimestamp === null ? MIN_WATERMARK : Math.max(MIN_WATERMARK, state.maxTimestamp - state.outOfOrdernessMs - 1);
}

/**
 * One input's watermark and whether it is idle (Flink's `WatermarkStatus.IDLE`): an idle input
 * does not hold the combined watermark back.
 *
 * @example
 * ```ts
 * import type { InputWatermark } from 'distkit/dataflow';
 * const i: InputWatermark = { watermark: 40, idle: false };
 * ```
 */
export interface InputWatermark {
  readonly watermark: number;
  readonly idle: boolean;
}

/**
 * The watermark of an operator with several inputs (Flink's `StatusWatermarkValve`): the minimum
 * over the active inputs, never below `previous`. When every input is idle the operator advances to
 * the largest watermark across them (nothing can hold it back any more).
 *
 * @example
 * ```ts
 * import { combineWatermarks } from 'distkit/dataflow';
 * combineWatermarks({ a: { watermark: 40, idle: false }, b: { watermark: 10, idle: false } }, 0); //=> 10
 * combineWatermarks({ a: { watermark: 40, idle: false }, b: { watermark: 10, idle: true } }, 0);  //=> 40
 * combineWatermarks({ a: { watermark: 40, idle: false }, b: { watermark: 10, idle: false } }, 50); //=> 50
 * ```
 */
export function combineWatermarks(inputs: Readonly<Record<string, InputWatermark>>, previous: number): number {
  let activeMin = MAX_WATERMARK;
  let anyActive = false;
  let max = MIN_WATERMARK;
  for (const id of Object.keys(inputs)) {
    const input = inputs[id] as InputWatermark;
    max = Math.max(max, input.watermark);
    if (input.idle) continue;
    anyActive = true;
    activeMin = Math.min(activeMin, input.watermark);
  }
  return Math.max(previous, anyActive ? activeMin : max);
}
