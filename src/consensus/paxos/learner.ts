/**
 * The learner's vote table shared by Basic and Fast Paxos: votes are tallied per ballot, at most
 * `maxLearnerBallots` ballots at once. A vote for a higher ballot evicts the lowest one tracked (a
 * value chosen in a lower ballot is the value of every higher one, "Paxos Made Simple" §2.2,
 * P2c); a vote below all of them is of no use while the table is full.
 *
 * @packageDocumentation
 */
import { getOwn, withoutOwn } from '../../core/index.js';
import type { BallotOrder } from './common.js';

/**
 * Makes room in `table` for a new ballot: the table itself when it has room, the table without
 * its lowest ballot when `ballot` is not below it, or the reason the vote is of no use.
 */
export function roomForBallot<B, T extends { readonly ballot: B }>(
  order: BallotOrder<B>,
  table: Readonly<Record<string, T>>,
  ballot: B,
  maxBallots: number,
): Readonly<Record<string, T>> | string {
  const keys = Object.keys(table);
  if (keys.length < maxBallots) return table;
  let low = keys[0]!;
  for (const k of keys) if (order.compare(getOwn(table, k)!.ballot, getOwn(table, low)!.ballot) < 0) low = k;
  if (order.compare(ballot, getOwn(table, low)!.ballot) < 0) {
    return `learner vote table full (maxLearnerBallots ${maxBallots}) with higher ballots than ${order.text(ballot)}`;
  }
  return withoutOwn(table, low);
}
