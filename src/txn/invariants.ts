/**
 * The safety properties of the transaction machines as core `Invariant`s: atomic commitment for
 * two- and three-phase commit (one implementation for both) and barrier safety.
 *
 * @packageDocumentation
 */
import type { Invariant, NodeId } from '../core/index.js';
import type { Decision } from './common.js';
import type { BarrierCoordinatorState, BarrierPartyState } from './barrier.js';
import type { ThreePhaseCoordinatorState, ThreePhaseParticipantState } from './three-phase.js';
import { tombstoneEntries } from './tombstones.js';
import type { TwoPhaseCoordinatorState, TwoPhaseParticipantState } from './two-phase.js';

/** Any node of two- or three-phase commit. */
export type CommitNodeState = TwoPhaseCoordinatorState | TwoPhaseParticipantState | ThreePhaseCoordinatorState | ThreePhaseParticipantState;

/** A transaction record or tombstone as the atomicity check reads it. */
type TxRecord = { readonly phase?: string; readonly decision?: Decision | null };

/** What a record says the outcome is, and how to tell it. */
function outcomeOf(r: TxRecord): [Decision, string] | undefined {
  if (r.phase === 'committed') return ['commit', 'committed'];
  if (r.phase === 'aborted') return ['abort', 'aborted'];
  if (r.decision === 'commit' || r.decision === 'abort') return [r.decision, `decided ${r.decision}`];
  return undefined;
}

/**
 * Options of {@link commitInvariants}.
 *
 * @example
 * ```ts
 * import type { CommitInvariantOptions } from 'distkit/txn';
 * const announced = new Map([['t1', new Set(['commit' as const])]]);
 * const o: CommitInvariantOptions = { announced: (txId) => announced.get(txId) };
 * ```
 */
export interface CommitInvariantOptions {
  /**
   * Decisions the nodes announced (their `decided` events) per transaction, remembered by the
   * harness: a node may forget a decided transaction, its announcement still counts.
   */
  readonly announced?: (txId: string) => Iterable<Decision> | undefined;
}

/**
 * Atomic commitment (Bernstein, Hadzilacos & Goodman 1987 §7.1, AC1: all processes that reach a
 * decision reach the same one) for two-phase commit (Gray 1978) and three-phase commit (Skeen
 * 1981): no transaction is committed at one node (a participant's `committed` phase, a
 * coordinator's `commit` decision, or a remembered tombstone) and aborted at another. Keeps no
 * memory of its own.
 *
 * @example
 * ```ts
 * import { commitInvariants, twoPhaseParticipant } from 'distkit/txn';
 * import { checkInvariants } from 'distkit/core';
 * const p = twoPhaseParticipant.init({ id: 'a' });
 * const a = { ...p, txs: { t1: { phase: 'committed' } } } as never;
 * const b = { ...p, id: 'b', txs: { t1: { phase: 'aborted' } } } as never;
 * checkInvariants(commitInvariants(), { a, b })?.description; //=> 't1: a committed, b aborted'
 * ```
 */
export function commitInvariants(options: CommitInvariantOptions = {}): Invariant<CommitNodeState>[] {
  return [
    {
      name: 'atomicity: no participant commits while another aborts',
      check(states) {
        const seen = new Map<string, { readonly outcomes: Set<Decision>; readonly where: string[] }>();
        const note = (txId: string, id: NodeId, r: TxRecord): void => {
          const o = outcomeOf(r);
          if (o === undefined) return;
          let e = seen.get(txId);
          if (e === undefined) seen.set(txId, (e = { outcomes: new Set(), where: [] }));
          e.outcomes.add(o[0]);
          e.where.push(`${id} ${o[1]}`);
        };
        for (const id in states) {
          const s = states[id]!;
          const txs = s.txs as Readonly<Record<string, TxRecord>>;
          for (const txId in txs) note(txId, id, txs[txId]!);
          if ('decided' in s) for (const [txId, r] of tombstoneEntries<TxRecord>(s.decided)) if (txs[txId] === undefined) note(txId, id, r);
        }
        for (const [txId, e] of seen) {
          const announced = [...(options.announced?.(txId) ?? [])];
          for (const d of announced) e.outcomes.add(d);
          if (e.outcomes.size > 1) return `${txId}: ${e.where.join(', ')}${announced.length > 0 ? `; decided events: ${announced.join(' and ')}` : ''}`;
        }
        return undefined;
      },
    },
  ];
}

/**
 * Barrier safety (Mellor-Crummey & Scott 1991 §3; the property every barrier promises): no party
 * passes generation g before every party arrived at g. Fresh per run: an arrival counts once
 * made, even if the party crashes and forgets it was waiting, so the set remembers arrivals.
 *
 * @example
 * ```ts
 * import { barrierInvariants, barrierParty } from 'distkit/txn';
 * import { checkInvariants } from 'distkit/core';
 * const p = barrierParty.init({ id: 'p1', coordinator: 'c' });
 * const passed = { ...p, generation: 1 };
 * const idle = { ...p, id: 'p2' };
 * checkInvariants(barrierInvariants(['p1', 'p2']), { p1: passed, p2: idle })?.description;
 * //=> 'a party passed 1 barriers while p2 arrived at only 0'
 * ```
 */
export function barrierInvariants(parties: readonly NodeId[]): Invariant<BarrierPartyState | BarrierCoordinatorState>[] {
  const arrived = new Map<NodeId, number>();
  return [
    {
      name: 'no party passes generation g before every party arrived at g',
      check(states) {
        let passed = 0;
        for (const p of parties) {
          const s = states[p] as BarrierPartyState | undefined;
          if (s === undefined) continue;
          arrived.set(p, Math.max(arrived.get(p) ?? 0, s.generation + (s.waiting ? 1 : 0)));
          passed = Math.max(passed, s.generation);
        }
        const least = Math.min(...parties.map((p) => arrived.get(p) ?? 0));
        return passed <= least ? undefined : `a party passed ${passed} barriers while ${parties.find((p) => (arrived.get(p) ?? 0) === least)} arrived at only ${least}`;
      },
    },
  ];
}
