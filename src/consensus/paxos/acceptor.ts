/**
 * The acceptor's rules shared by Basic, Fast and Multi-Paxos (Lamport, "Paxos Made Simple" §2.2,
 * cited as PMS): an acceptor answers a prepare (phase 1b) or an accept (phase 2b) unless it has
 * promised a higher ballot, and then it refuses with a `nack` that names that ballot.
 *
 * @packageDocumentation
 */
import type { NodeId } from '../../core/index.js';
import type { BallotOrder } from './common.js';

/**
 * The refusal an acceptor sends for a ballot below its promise: the ballot refused and the one
 * promised, so the proposer can skip ahead (PMS §2.2 suggests telling it to abandon).
 */
export interface Nack<B> {
  readonly type: 'nack';
  readonly ballot: B;
  readonly promised: B;
}

/**
 * What an acceptor holding `promised` does with a prepare or accept for `ballot`: `nack` when the
 * ballot is below the promise (PMS phase 1b: promise only above every prepare answered; phase 2b:
 * accept unless a higher prepare was promised), else `promised`, the promise it holds after
 * answering (the higher of the two; the very same object when `ballot` adds nothing).
 */
export type AcceptorAnswer<B> = { readonly nack: Nack<B> } | { readonly nack: null; readonly promised: B };

/** Applies PMS P1b/P2b: see {@link AcceptorAnswer}. */
export function answerBallot<B>(order: BallotOrder<B>, promised: B | null, ballot: B): AcceptorAnswer<B> {
  const cmp = order.compare(ballot, promised);
  if (cmp < 0) return { nack: { type: 'nack', ballot, promised: promised! } };
  return { nack: null, promised: cmp > 0 ? ballot : promised! };
}

/** Only a ballot's owner may prepare or propose in it: the reason to reject otherwise. */
export function notOwner(ballot: { readonly node: NodeId }, from: NodeId): string | undefined {
  return ballot.node === from ? undefined : `ballot.node: ${ballot.node} is not the sender ${from}`;
}
