/**
 * The acceptor's rules shared by Basic, Fast and Multi-Paxos (Lamport, "Paxos Made Simple" §2.2,
 * cited as PMS): an acceptor answers a prepare (phase 1b) or an accept (phase 2b) unless it has
 * promised a higher ballot, and then it refuses with a `nack` that names that ballot.
 *
 * @packageDocumentation
 */
import type { NodeId } from '../../core/index.js';
import type { BallotOrder, PaxosNack } from './common.js';

/**
 * PMS P1b/P2b at an acceptor holding `promised`, for a prepare or accept of `ballot` from `from`:
 * the reason to reject the message when the ballot is not the sender's (only a ballot's owner
 * prepares or proposes in it); `null` after refusing a ballot below the promise with a `nack`
 * handed to `refuse` (phase 1b: promise only above every prepare answered; phase 2b: accept
 * unless a higher prepare was promised); else the promise held after answering: the higher of
 * the two, the very same object when `ballot` adds nothing (an equal ballot is a duplicate,
 * answered again).
 */
export function answerBallot<B extends { readonly node: NodeId }>(order: BallotOrder<B>, promised: B | null, from: NodeId, ballot: B, refuse: (nack: PaxosNack<B>) => void): B | string | null {
  const bad = notOwner(ballot, from);
  if (bad !== undefined) return bad;
  const cmp = order.compare(ballot, promised);
  if (cmp < 0) {
    refuse({ type: 'nack', ballot, promised: promised! });
    return null;
  }
  return cmp > 0 ? ballot : promised!;
}

/** Only a ballot's owner may prepare or propose in it: the reason to reject otherwise. */
export function notOwner(ballot: { readonly node: NodeId }, from: NodeId): string | undefined {
  return ballot.node === from ? undefined : `ballot.node: ${ballot.node} is not the sender ${from}`;
}
