/**
 * The one invariant type: a safety property over a snapshot of every live node's state, written
 * once and checked by the simulator after every step, by the model checker at every state it
 * reaches, by the test cluster, and by users' own tests.
 *
 * @packageDocumentation
 */
import type { NodeId } from './machine.js';

/**
 * What a checker knows besides the states: the time and the membership. The simulator passes a
 * richer view (see `SimView` in `distkit/sim`); an invariant that needs only this works
 * everywhere.
 *
 * @example
 * ```ts
 * import type { InvariantView } from 'distkit/core';
 * const view: InvariantView = { time: 0, nodes: ['a', 'b'], isUp: () => true };
 * view.isUp('a'); //=> true
 * ```
 */
export interface InvariantView {
  /** The checker's time now, ms (virtual time in the simulator; 0 where there is none). */
  readonly time: number;
  /** Every node id of the system, up or not. */
  readonly nodes: readonly NodeId[];
  /** Whether a node is up (its state is in `states`). */
  isUp(node: NodeId): boolean;
}

/**
 * A safety property over the states of all live nodes: `check` returns `undefined` when it
 * holds, or a description of the violation (which nodes, which values). Checkers stop at the
 * first violation and report `name` with the description.
 *
 * `check` must be pure and must not keep or mutate `states` (it may be a live view). Nodes that
 * are down are absent from `states`.
 *
 * @typeParam S - the node state type (a union when nodes run different machines).
 * @example
 * ```ts
 * import { checkInvariants, type Invariant } from 'distkit/core';
 * const termsNonNegative: Invariant<{ term: number }> = {
 *   name: 'terms are non-negative',
 *   check: (states) => {
 *     for (const [id, s] of Object.entries(states)) if (s.term < 0) return `${id} has term ${s.term}`;
 *     return undefined;
 *   },
 * };
 * checkInvariants([termsNonNegative], { a: { term: -1 } });
 * //=> { invariant: 'terms are non-negative', description: 'a has term -1' }
 * ```
 */
export interface Invariant<S = unknown> {
  /** What must hold, e.g. `'at most one leader per term'`. */
  readonly name: string;
  /** Returns `undefined` when the invariant holds, else what is wrong. */
  check(states: Readonly<Record<NodeId, S>>, view: InvariantView): string | undefined;
}

/**
 * A failed invariant: its name and the violation description.
 *
 * @example
 * ```ts
 * import type { InvariantViolation } from 'distkit/core';
 * const v: InvariantViolation = { invariant: 'mutual exclusion', description: 'a and b are both in the critical section' };
 * v.invariant; //=> 'mutual exclusion'
 * ```
 */
export interface InvariantViolation {
  /** The invariant's name. */
  readonly invariant: string;
  /** What its `check` returned. */
  readonly description: string;
}

/**
 * A view for checking states outside any checker: every node in `states` is up, the time is 0.
 *
 * @example
 * ```ts
 * import { staticView } from 'distkit/core';
 * staticView({ a: 1 }).nodes; //=> ['a']
 * ```
 */
export function staticView(states: Readonly<Record<NodeId, unknown>>, time = 0): InvariantView {
  const nodes = Object.keys(states);
  return { time, nodes, isUp: (node) => Object.prototype.hasOwnProperty.call(states, node) };
}

/**
 * Checks invariants in order and returns the first violation, or `undefined` when all hold.
 * Without a `view`, every node in `states` counts as up at time 0.
 *
 * @example
 * ```ts
 * import { checkInvariants, atMostOne } from 'distkit/core';
 * const inCs = atMostOne<{ inCs: boolean }>('mutual exclusion', (s) => s.inCs);
 * checkInvariants([inCs], { a: { inCs: true }, b: { inCs: true } });
 * //=> { invariant: 'mutual exclusion', description: 'a, b all hold' }
 * ```
 */
export function checkInvariants<S>(
  invariants: readonly Invariant<S>[],
  states: Readonly<Record<NodeId, S>>,
  view: InvariantView = staticView(states),
): InvariantViolation | undefined {
  for (const inv of invariants) {
    const description = inv.check(states, view);
    if (description !== undefined) return { invariant: inv.name, description };
  }
  return undefined;
}
