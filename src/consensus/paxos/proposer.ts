/**
 * The proposer's (or coordinator's, or candidate's) bookkeeping shared by the Paxos machines:
 * picking the next ballot round, the randomized backoff between attempts, checking phase-1b
 * promises and nacks against the ballot in progress, and the phase-2a choice of the
 * highest-numbered reported vote (Lamport, "Paxos Made Simple" §2.2, cited as PMS).
 *
 * @packageDocumentation
 */
import type { NodeId, PrngState, Timer } from '../../core/index.js';
import { backoffTimer, hasOwn } from '../../core/index.js';
import type { BallotOrder } from './common.js';
import { canStartRound } from './common.js';

/**
 * The round of the next ballot: one above every round used, seen or promised. `null` when no
 * round is left (every round a peer may use is taken; unreachable in practice): a ballot is
 * never reused.
 */
export function nextRound(...rounds: readonly number[]): number | null {
  const last = Math.max(...rounds);
  return canStartRound(last) ? last + 1 : null;
}

/**
 * The randomized exponential backoff before attempt `attempt + 1`, from the machine's PRNG, so
 * that duelling proposers separate (PMS §3: a distinguished proposer must be selected; randomness
 * or timeouts do it).
 */
export function retryBackoff(attempt: number, now: number, baseMs: number, maxMs: number, prng: PrngState): { readonly timer: Timer; readonly prng: PrngState } {
  return backoffTimer({ at: null, attempt: Math.min(attempt, 52) }, now, { baseMs, maxMs }, prng);
}

/** The phase-1 attempt a promise is checked against. */
export interface Preparing<B> {
  /** Whether phase 1 is in progress. */
  readonly preparing: boolean;
  /** The ballot of the current attempt. */
  readonly ballot: B | null;
  /** Promises counted so far, by acceptor. */
  readonly promises: Readonly<Record<NodeId, unknown>>;
}

/**
 * Checks a phase-1b promise for `ballot` from `from`, reporting a vote in `reported` (named
 * `field` in the reason): `undefined` when it counts, `null` when it is a late promise for the
 * ballot already past phase 1 (expected from the slower acceptors: ignore it), else the reason to
 * reject it.
 */
export function promiseProblem<B>(order: BallotOrder<B>, at: Preparing<B>, from: NodeId, ballot: B, field: string, reported: B | null): string | null | undefined {
  const current = order.compare(ballot, at.ballot) === 0;
  if (!at.preparing && current) return null;
  if (!at.preparing || !current) return `promise: ballot ${order.text(ballot)} is not being prepared`;
  if (reported !== null && order.compare(reported, ballot) >= 0) return `promise: ${field} must be below the promised ballot`;
  if (hasOwn(at.promises, from)) return `promise: duplicate from ${from}`;
  return undefined;
}

/**
 * Checks a `nack` refusing `ballot` because of `promised`: the reason to reject it, or
 * `undefined` when it refuses the attempt in progress (`inProgress`, `current`) and the proposer
 * must back off.
 */
export function nackProblem<B>(order: BallotOrder<B>, inProgress: boolean, current: B | null, ballot: B, promised: B): string | undefined {
  if (order.compare(promised, ballot) <= 0) return 'nack: promised must exceed the refused ballot';
  if (!inProgress || order.compare(ballot, current) !== 0) return `nack: ballot ${order.text(ballot)} is not in progress`;
  return undefined;
}

/**
 * The highest-numbered vote among phase-1b reports (PMS phase 2a: the proposer must propose its
 * value), or `null` when none reports one. The first of equal ballots wins.
 */
export function highestVote<B, V extends { readonly ballot: B }>(order: BallotOrder<B>, reports: Iterable<V | null>): V | null {
  let best: V | null = null;
  for (const r of reports) if (r !== null && order.compare(r.ballot, best?.ballot ?? null) > 0) best = r;
  return best;
}
