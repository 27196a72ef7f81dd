/**
 * Quorum arithmetic: the sizes that crash-tolerant and Byzantine protocols derive from their
 * member count, in one place.
 *
 * @packageDocumentation
 */

/**
 * A majority of `n` members, `⌊n/2⌋ + 1`: any two majorities intersect (Lamport, "The Part-Time
 * Parliament"; Raft §5.2).
 *
 * @example
 * ```ts
 * import { majority } from 'distkit/core';
 * majority(5); //=> 3
 * ```
 */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/**
 * How many crash failures `n` members tolerate with majority quorums: `⌊(n − 1)/2⌋`.
 *
 * @example
 * ```ts
 * import { crashTolerance } from 'distkit/core';
 * crashTolerance(5); //=> 2
 * ```
 */
export function crashTolerance(n: number): number {
  return Math.floor((n - 1) / 2);
}

/**
 * How many Byzantine members `n` replicas tolerate: the largest `f` with `n ≥ 3f + 1`
 * (Castro & Liskov, PBFT §3; Lamport, Shostak & Pease §3).
 *
 * @example
 * ```ts
 * import { byzantineTolerance } from 'distkit/core';
 * byzantineTolerance(4); //=> 1
 * ```
 */
export function byzantineTolerance(n: number): number {
  return Math.floor((n - 1) / 3);
}

/**
 * The Byzantine quorum for `f` faults, `2f + 1`: two such quorums of `3f + 1` replicas share at
 * least one correct replica (PBFT §4.2).
 *
 * @example
 * ```ts
 * import { byzantineQuorum } from 'distkit/core';
 * byzantineQuorum(1); //=> 3
 * ```
 */
export function byzantineQuorum(f: number): number {
  return 2 * f + 1;
}

/**
 * The default fast-quorum size for `n` acceptors with majority classic quorums, `⌈3n/4⌉`: any
 * two fast quorums and one classic quorum then intersect (Lamport, "Fast Paxos" §3.4.1).
 *
 * @example
 * ```ts
 * import { fastQuorum } from 'distkit/core';
 * fastQuorum(4); //=> 3
 * ```
 */
export function fastQuorum(n: number): number {
  return Math.ceil((3 * n) / 4);
}

/**
 * Whether `votes` reaches a quorum of size `size`.
 *
 * @example
 * ```ts
 * import { reached } from 'distkit/core';
 * reached(3, 3); //=> true
 * ```
 */
export function reached(votes: number, size: number): boolean {
  return votes >= size;
}
