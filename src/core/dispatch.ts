/**
 * Input dispatch: a machine's `step` as a table of handlers, one per input `type`, in the manner
 * of etcd-io/raft's `Step`, which hands each message to the handler of its kind.
 *
 * @packageDocumentation
 */
import type { Transition } from './machine.js';
import { assertNever } from './errors.js';
import { getOwn } from './records.js';
import { inputNow } from './time.js';

/**
 * One handler per input `type` of `I`; each gets the input narrowed to its type and the input's
 * checked `now`.
 *
 * @example
 * ```ts
 * import type { InputHandlers, TickInput, Transition } from 'distkit/core';
 * const handlers: InputHandlers<number, TickInput, never> = { tick: (s) => ({ state: s + 1, outputs: [] }) };
 * ```
 */
export type InputHandlers<S, I extends { readonly type: string }, O> = {
  readonly [K in I['type']]: (state: S, input: Extract<I, { readonly type: K }>, now: number) => Transition<S, O>;
};

/**
 * Steps a machine by its input's `type`: checks and reads `now` (`inputNow`), then calls the
 * handler of that type. An input type with no handler is a local programming error and throws
 * `InvalidCommandError` (as `assertNever` does).
 *
 * @example
 * ```ts
 * import { stepByType, type TickInput } from 'distkit/core';
 * stepByType<number, TickInput, never>({ tick: (s, _i, now) => ({ state: s + now, outputs: [] }) }, 1, { type: 'tick', now: 2 }).state; //=> 3
 * ```
 */
export function stepByType<S, I extends { readonly type: string }, O>(handlers: InputHandlers<S, I, O>, state: S, input: I): Transition<S, O> {
  const now = inputNow(input);
  const type: unknown = input.type;
  const handle = typeof type === 'string' ? getOwn(handlers as Readonly<Record<string, unknown>>, type) : undefined;
  if (typeof handle !== 'function') return assertNever(input as never, 'input');
  return (handle as (s: S, i: I, n: number) => Transition<S, O>)(state, input, now);
}
