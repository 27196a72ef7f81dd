/**
 * Operation histories: what clients invoked and what they observed, for the linearizability
 * checker. The simulator's workloads record histories in this shape.
 *
 * @packageDocumentation
 */

/**
 * One client operation. `call` and `ret` are times on one clock (virtual time in the simulator,
 * or event order in a log). An operation whose outcome is unknown (the client timed out, or the
 * history ended first) has no `ret` and no `output`: it may have taken effect at any time after
 * `call`, or never.
 *
 * @example
 * ```ts
 * import type { Operation } from 'distkit/check';
 * const write: Operation<{ f: 'write'; value: number }, null> = {
 *   id: 0, client: 'c1', input: { f: 'write', value: 3 }, call: 10, output: null, ret: 25,
 * };
 * ```
 */
export interface Operation<I = unknown, O = unknown> {
  /** Unique within its history. */
  readonly id: number;
  /** The client (process) that issued it; a client has at most one operation open at a time. */
  readonly client: string;
  /** What the client asked for. */
  readonly input: I;
  /** Invocation time. */
  readonly call: number;
  /** What the client observed; absent when the outcome is unknown. */
  readonly output?: O;
  /** Response time (> `call`); absent when the outcome is unknown. */
  readonly ret?: number;
}

/**
 * A history: operations in any order (checkers sort by time themselves).
 *
 * @example
 * ```ts
 * import type { History } from 'distkit/check';
 * const h: History<string, string> = [];
 * ```
 */
export type History<I = unknown, O = unknown> = readonly Operation<I, O>[];
