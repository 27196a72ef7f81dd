/**
 * Quorum arithmetic over Raft's voters (etcd-io/raft's `quorum.MajorityConfig`): the index a
 * majority has reached, and the outcome of a vote. The majority itself is core's `majority`.
 *
 * @packageDocumentation
 */
import { getOwn, majority, type NodeId } from '../../core/index.js';

/** Outcome of a vote so far (etcd's `VoteResult`). */
export type VoteResult = 'won' | 'lost' | 'pending';

function descending(x: number, y: number): number {
  return y - x;
}

/**
 * The largest index that a majority of `voters` has reached, given each voter's index (etcd's
 * `MajorityConfig.CommittedIndex`): the `majority(n)`-th largest. With matchIndex it is the commit
 * candidate (§5.3); with heartbeat acknowledgement times, the start of the lease (thesis §6.4.1).
 * The empty configuration reaches everything (`Infinity`), as in etcd, for joint configurations.
 * `indexOf` gets `context` back, so a caller on the hot path passes a top-level function, no closure.
 */
export function committedIndex<C>(voters: readonly NodeId[], context: C, indexOf: (context: C, id: NodeId) => number): number {
  switch (voters.length) {
    case 0:
      return Infinity;
    case 1:
      return indexOf(context, voters[0] as NodeId);
    case 2:
      return Math.min(indexOf(context, voters[0] as NodeId), indexOf(context, voters[1] as NodeId));
    case 3: {
      const a = indexOf(context, voters[0] as NodeId);
      const b = indexOf(context, voters[1] as NodeId);
      const c = indexOf(context, voters[2] as NodeId);
      return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)); // the median
    }
    default: {
      const indexes: number[] = [];
      for (const id of voters) indexes.push(indexOf(context, id));
      indexes.sort(descending);
      return indexes[majority(voters.length) - 1] as number;
    }
  }
}

/**
 * The outcome of an election among `voters` given the answers so far (§5.2; etcd's
 * `MajorityConfig.VoteResult`): won once a majority granted, lost once a majority refused, pending
 * otherwise. Answers from non-voters do not count. (etcd calls an election lost as soon as the
 * missing answers cannot make a majority, which for an even number of voters is one refusal
 * earlier.) The empty configuration wins, as in etcd.
 */
export function voteResult(voters: readonly NodeId[], votes: Readonly<Record<NodeId, boolean>>): VoteResult {
  const q = majority(voters.length);
  let granted = 0;
  let refused = 0;
  for (const id of voters) {
    const v = getOwn(votes, id);
    if (v === true) granted++;
    else if (v === false) refused++;
  }
  if (voters.length === 0 || granted >= q) return 'won';
  return refused >= q ? 'lost' : 'pending';
}
