/**
 * The interactive consistency conditions of the Byzantine generals problem (Lamport, Shostak &
 * Pease 1982, §1) as core `Invariant`s over the states of the loyal generals running OM(m).
 *
 * @packageDocumentation
 */
import type { Invariant, NodeId } from '../core/index.js';
import type { OmState, OmValue } from './byzantine-generals.js';

/**
 * Options of {@link omInvariants}: who is loyal, and what the commander ordered.
 *
 * @example
 * ```ts
 * import type { OmInvariantOptions } from 'distkit/consensus';
 * const o: OmInvariantOptions = { commander: 'a', order: 'attack', traitors: ['d'] };
 * ```
 */
export interface OmInvariantOptions {
  /** The commanding general. */
  readonly commander: NodeId;
  /** The loyal commander's order (ignored when the commander is a traitor). */
  readonly order: OmValue;
  /** The traitors: their states say nothing (they may not even run OM(m)). */
  readonly traitors: readonly NodeId[];
  /**
   * Judge a finished run: a loyal lieutenant that is down or has not decided violates IC1.
   * Default `false`: undecided lieutenants are skipped, so the set can be checked after every step.
   */
  readonly final?: boolean;
}

/**
 * IC1 and IC2 (LSP §1): every loyal lieutenant obeys the same order, and if the commander is
 * loyal, every loyal lieutenant obeys the order it sent. Traitors' states are ignored. Keeps no
 * memory.
 *
 * @example
 * ```ts
 * import { omInvariants } from 'distkit/consensus';
 * import { checkInvariants } from 'distkit/core';
 * const decided = (decision: string) => ({ decision }) as never;
 * checkInvariants(omInvariants({ commander: 'a', order: 'attack', traitors: ['d'] }), { b: decided('attack'), c: decided('retreat') })?.description;
 * //=> 'b attack, c retreat'
 * ```
 */
export function omInvariants(options: OmInvariantOptions): Invariant<OmState>[] {
  const { commander, order } = options;
  const traitors = new Set(options.traitors);
  const final = options.final === true;
  // The loyal lieutenants: every node of the run (up or not) but the commander and the traitors.
  const lieutenants = (nodes: readonly NodeId[]) => nodes.filter((g) => g !== commander && !traitors.has(g));
  const decision = (states: Readonly<Record<NodeId, OmState>>, g: NodeId): OmValue | null => states[g]?.decision ?? null;
  return [
    {
      name: 'IC1: every loyal lieutenant obeys the same order (LSP §1)',
      check(states, view) {
        const loyal = lieutenants(view.nodes);
        if (final) {
          const undecided = loyal.filter((g) => decision(states, g) === null);
          if (undecided.length > 0) return `${undecided.join(', ')} did not decide`;
        }
        const decided = loyal.filter((g) => decision(states, g) !== null);
        const orders = new Set(decided.map((g) => decision(states, g)));
        return orders.size <= 1 ? undefined : decided.map((g) => `${g} ${decision(states, g)}`).join(', ');
      },
    },
    {
      name: 'IC2: if the commander is loyal, every loyal lieutenant obeys its order (LSP §1)',
      check(states, view) {
        if (traitors.has(commander)) return undefined;
        const wrong = lieutenants(view.nodes).filter((g) => {
          const d = decision(states, g);
          return d !== order && (final || d !== null);
        });
        return wrong.length === 0 ? undefined : `the commander ordered ${order}; ${wrong.map((g) => `${g} ${decision(states, g)}`).join(', ')}`;
      },
    },
  ];
}
