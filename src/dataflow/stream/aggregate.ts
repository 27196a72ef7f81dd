/**
 * Window aggregates as plain data: what a window computes from its elements, with an accumulator
 * that stays JSON (Dataflow model §2.3: the per-window combine; Flink's `AggregateFunction` with
 * `add`, `merge` and `getResult`). Every aggregate here is commutative and associative, so a
 * window's result does not depend on the order its elements arrived in.
 *
 * @packageDocumentation
 */
import { ConfigError } from '../../core/errors.js';
import { positiveInt } from '../../core/options.js';

/**
 * The aggregate a window operator computes: `count`, `sum`, `min`, `max`, `mean` of numeric
 * values, or `collect` (the values, ordered by timestamp then by their JSON; an element that would
 * put more than `limit` values in one window is rejected, not dropped).
 *
 * @example
 * ```ts
 * import type { WindowAggregate } from 'distkit/dataflow';
 * const a: WindowAggregate = { kind: 'sum' };
 * ```
 */
export type WindowAggregate =
  | { readonly kind: 'count' }
  | { readonly kind: 'sum' }
  | { readonly kind: 'min' }
  | { readonly kind: 'max' }
  | { readonly kind: 'mean' }
  | { readonly kind: 'collect'; readonly limit?: number };

/** An accumulator: a number, `null` (empty min/max), a mean's parts, or collected values. */
export type Accumulator = number | null | { readonly sum: number; readonly count: number } | readonly CollectedValue[];

/**
 * One value kept by a `collect` aggregate, with its timestamp.
 *
 * @example
 * ```ts
 * import type { CollectedValue } from 'distkit/dataflow';
 * const v: CollectedValue = { timestamp: 5, value: 'click' };
 * ```
 */
export interface CollectedValue {
  readonly timestamp: number;
  readonly value: unknown;
}

/**
 * Default bound on the values one `collect` window keeps.
 *
 * @example
 * ```ts
 * import { DEFAULT_COLLECT_LIMIT } from 'distkit/dataflow';
 * DEFAULT_COLLECT_LIMIT; //=> 10000
 * ```
 */
export const DEFAULT_COLLECT_LIMIT = 10_000;

/** Validates an aggregate (ConfigError naming the field) and fills defaults. */
export function validateAggregate(aggregate: WindowAggregate): WindowAggregate {
  const kind = (aggregate as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case 'count':
    case 'sum':
    case 'min':
    case 'max':
    case 'mean':
      return { kind };
    case 'collect':
      return { kind, limit: positiveInt('aggregate.limit', (aggregate as { limit?: unknown }).limit, DEFAULT_COLLECT_LIMIT) };
    default:
      throw new ConfigError('aggregate.kind', `must be 'count', 'sum', 'min', 'max', 'mean' or 'collect', got ${JSON.stringify(kind)}`);
  }
}

/** The empty accumulator of an aggregate. */
export function emptyAccumulator(aggregate: WindowAggregate): Accumulator {
  switch (aggregate.kind) {
    case 'count':
    case 'sum':
      return 0;
    case 'min':
    case 'max':
      return null;
    case 'mean':
      return { sum: 0, count: 0 };
    case 'collect':
      return [];
  }
}

/** Why a value cannot enter this aggregate, or undefined when it can. */
export function valueProblem(aggregate: WindowAggregate, value: unknown): string | undefined {
  if (aggregate.kind === 'count') return undefined;
  if (aggregate.kind === 'collect') return value === undefined ? 'value: expected a JSON value' : undefined;
  return typeof value === 'number' && Number.isFinite(value) ? undefined : `value: ${aggregate.kind} expects a finite number`;
}

function orderCollected(a: CollectedValue, b: CollectedValue): number {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  const x = JSON.stringify(a.value);
  const y = JSON.stringify(b.value);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Merges two accumulators of the same aggregate (Flink's `AggregateFunction.merge`). */
export function mergeAccumulators(aggregate: WindowAggregate, a: Accumulator, b: Accumulator): Accumulator {
  switch (aggregate.kind) {
    case 'count':
    case 'sum':
      return (a as number) + (b as number);
    case 'min':
      return a === null ? b : b === null ? a : Math.min(a as number, b as number);
    case 'max':
      return a === null ? b : b === null ? a : Math.max(a as number, b as number);
    case 'mean': {
      const x = a as { sum: number; count: number };
      const y = b as { sum: number; count: number };
      return { sum: x.sum + y.sum, count: x.count + y.count };
    }
    case 'collect':
      return [...(a as CollectedValue[]), ...(b as CollectedValue[])].sort(orderCollected);
  }
}

/** Adds one element to an accumulator (the value must have passed {@link valueProblem}). */
export function addToAccumulator(aggregate: WindowAggregate, acc: Accumulator, value: unknown, timestamp: number): Accumulator {
  switch (aggregate.kind) {
    case 'count':
      return (acc as number) + 1;
    case 'mean':
      return mergeAccumulators(aggregate, acc, { sum: value as number, count: 1 });
    case 'collect':
      // A full window refuses the value (the same accumulator comes back): the operator rejects the element.
      if ((acc as CollectedValue[]).length >= (aggregate.limit ?? DEFAULT_COLLECT_LIMIT)) return acc;
      return mergeAccumulators(aggregate, acc, [{ timestamp, value }]);
    default:
      return mergeAccumulators(aggregate, acc, value as number);
  }
}

/** The result a pane carries (Flink's `getResult`): a mean is `sum / count` (`null` when empty). */
export function accumulatorResult(aggregate: WindowAggregate, acc: Accumulator): unknown {
  if (aggregate.kind === 'mean') {
    const m = acc as { sum: number; count: number };
    return m.count === 0 ? null : m.sum / m.count;
  }
  if (aggregate.kind === 'collect') return (acc as CollectedValue[]).map((c) => c.value);
  return acc;
}
