/**
 * Fast Paxos: Lamport, "Fast Paxos", Distributed Computing 19(2), 2006 (MSR-TR-2005-112). Cited
 * below as FP with its section numbers.
 *
 * In a fast round the coordinator, after phase 1, sends an "any" message (FP §3.1); proposers
 * then send their values straight to the acceptors, and a value is chosen when a fast quorum
 * votes for it: learning takes two message delays instead of three. When concurrent proposals
 * collide, the coordinator recovers with a classic round (FP §3.2, coordinated recovery), picking
 * its value by the rule of FP §3.1 with condition O4(v).
 */
import type { DataLimits, DurableMachine, NodeId, PersistOutput, PrngState, RejectedOutput, SendOutput, Timer, Transition } from '../../core/index.js';
import { ConfigError, STOPPED_TIMER, assertNever, canonicalJson, checkId, checkIds, earliest, fastQuorum as defaultFastQuorum, getOwn, hasOwn, majority, nodeIdCheck, positiveInt, seedPrng, startTimer, stopTimer, timerDue, v, withOwn } from '../../core/index.js';
import { answerBallot, notOwner } from './acceptor.js';
import type { BallotOrder, PaxosDurableBase, PaxosInput, PaxosNack, PaxosOutcomeMessage, PaxosPropose, PaxosRoundConfig, PaxosRoundOptions } from './common.js';
import { MAX_ROUND, START_DEADLINE, comparePaxosBallots, requireSeed, sameValue } from './common.js';
import { roomForBallot } from './learner.js';
import { highestVote, nackProblem, nextRound, promiseProblem, retryBackoff } from './proposer.js';
import type { PaxosCtx, RoundParts } from './step.js';
import { checkConfigObject, checksByLimits, durableMachine, roundChecks, roleLists, roundOptions, roundStep, sendAll as sendToAll, sendTo } from './step.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/**
 * A Fast Paxos ballot: `(round, node)` like a classic ballot, plus `recovery`, which orders the
 * classic recovery round of a collided fast round right after it, with no ballot in between
 * (FP §3.2: coordinated recovery reuses the fast round's phase-2b messages as the phase-1b
 * messages of the next round, which is sound only if nothing lies between the two).
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const ballot = { round: 1, node: 'a1', recovery: false };
 * let c = fastPaxos.init(config('a1'));
 * c = fastPaxos.step(c, { type: 'tick', now: 0 }).state; // phase 1a to the other acceptors
 * c = fastPaxos.step(c, { type: 'message', from: 'a2', message: { type: 'promise', ballot, vote: null }, now: 1 }).state;
 * const t = fastPaxos.step(c, { type: 'message', from: 'a3', message: { type: 'promise', ballot, vote: null }, now: 1 });
 * c.coordinator?.ballot; //=> { round: 1, node: 'a1', recovery: false }
 * ```
 */
export interface FastPaxosBallot {
  /** The round, >= 1. */
  readonly round: number;
  /** The coordinator that owns the ballot. */
  readonly node: NodeId;
  /** True for the recovery round that follows fast round `(round, node)`. */
  readonly recovery: boolean;
}

/**
 * Compares Fast Paxos ballots by round, node id, then recovery (false first). `null` is lowest.
 *
 * @example
 * ```ts
 * import { compareFastPaxosBallots } from 'distkit/consensus';
 * compareFastPaxosBallots({ round: 1, node: 'a', recovery: true }, { round: 1, node: 'a', recovery: false }) > 0; //=> true
 * ```
 */
export function compareFastPaxosBallots(a: FastPaxosBallot | null, b: FastPaxosBallot | null): number {
  const classic = comparePaxosBallots(a, b);
  // FP §3.2: the recovery round of a fast round comes right after it, before any other ballot.
  return classic !== 0 || a === null || b === null ? classic : Number(a.recovery) - Number(b.recovery);
}

function ballotText(b: FastPaxosBallot | null): string {
  return b === null ? 'none' : `(${b.round}, ${b.node}${b.recovery ? ', recovery' : ''})`;
}

/** The order of Fast Paxos ballots, for the role rules shared with the other Paxos machines. */
const fastBallots: BallotOrder<FastPaxosBallot> = { compare: compareFastPaxosBallots, text: ballotText };

const ballotCheck = v.object({ round: v.int({ min: 1, max: MAX_ROUND }), node: nodeIdCheck, recovery: v.boolean() });

/**
 * An acceptor's vote: the ballot, whether that ballot was a fast round, and the value.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const ballot = { round: 1, node: 'a1', recovery: false };
 * let a = fastPaxos.init(config('a2'));
 * a = fastPaxos.step(a, { type: 'message', from: 'a1', message: { type: 'prepare', ballot }, now: 0 }).state;
 * a = fastPaxos.step(a, { type: 'message', from: 'a1', message: { type: 'any', ballot }, now: 1 }).state;
 * // In a fast round the acceptor votes for the first value a proposer sends it.
 * const t = fastPaxos.step(a, { type: 'message', from: 'p1', message: { type: 'propose', value: 'x' }, now: 2 });
 * t.state.acceptor?.vote; //=> { ballot: { round: 1, node: 'a1', recovery: false }, fast: true, value: 'x' }
 * ```
 */
export interface FastPaxosVote {
  /** The round voted in (the paper's vrnd). */
  readonly ballot: FastPaxosBallot;
  /** Whether that round was fast (a fast quorum is needed to choose in it). */
  readonly fast: boolean;
  /** The value voted for (the paper's vval). */
  readonly value: unknown;
}

/**
 * Options of a Fast Paxos node. A node may be an acceptor, a coordinator, a learner and a
 * proposer (client) at once.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const s = fastPaxos.init({ id: 'a1', acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1', 'p2'] });
 * [s.learners, s.fastQuorum, s.classicQuorum]; //=> [['a1', 'a2', 'a3', 'a4'], 3, 3]
 * ```
 */
export interface FastPaxosConfig extends PaxosRoundConfig, Partial<FastPaxosRoles> {
  /** This node's id. */
  readonly id: NodeId;
  /** The acceptors. */
  readonly acceptors: readonly NodeId[];
}

/**
 * Who plays which Fast Paxos role and the two quorum sizes: optional in {@link FastPaxosConfig}
 * (defaults below), resolved in {@link FastPaxosState}.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const s = fastPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'] });
 * [s.coordinators, s.learners]; //=> [['a'], ['a', 'b', 'c']]
 * ```
 */
export interface FastPaxosRoles {
  /** The acceptors. */
  readonly acceptors: readonly NodeId[];
  /**
   * Coordinators, in order of preference. The first opens a fast round at its first input; the
   * others take over with classic rounds when a proposal stays undecided. Default: the first acceptor.
   */
  readonly coordinators: readonly NodeId[];
  /** Learners. Default: the acceptors. */
  readonly learners: readonly NodeId[];
  /** Proposers (clients) that send values to the acceptors. Default: the acceptors. */
  readonly proposers: readonly NodeId[];
  /** Fast quorum size. Default ⌈3N/4⌉ for N acceptors (FP §3.4.1). */
  readonly fastQuorum: number;
  /** Classic quorum size. Default a majority, ⌊N/2⌋ + 1. */
  readonly classicQuorum: number;
}

/**
 * How many ballots a learner tallies votes for at once by default: a vote for a higher ballot
 * evicts the lowest one tracked, and a vote below all of them is rejected while the table is
 * full. Bounds memory against a flood of well-formed votes.
 *
 * @example
 * ```ts
 * import { FAST_PAXOS_MAX_BALLOTS } from 'distkit/consensus';
 * FAST_PAXOS_MAX_BALLOTS; //=> 16
 * ```
 */
export const FAST_PAXOS_MAX_BALLOTS = 16;

/**
 * A message of Fast Paxos.
 *
 * - `prepare` / `promise`: phase 1 (the promise reports the acceptor's vote).
 * - `any`: the coordinator's phase-2a message opening fast round `ballot` (FP §3.1).
 * - `accept`: a classic phase-2a message with the coordinator's value.
 * - `propose`: a proposer's value, sent to acceptors (fast path) and coordinators.
 * - `accepted`: phase 2b, to the ballot's coordinator and the learners.
 * - `nack`: a refused ballot, with the higher one promised.
 * - `chosen` / `query`: spreading the outcome.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const ballot = { round: 1, node: 'a1', recovery: false };
 * let c = fastPaxos.init(config('a1'));
 * c = fastPaxos.step(c, { type: 'tick', now: 0 }).state; // phase 1a to the other acceptors
 * c = fastPaxos.step(c, { type: 'message', from: 'a2', message: { type: 'promise', ballot, vote: null }, now: 1 }).state;
 * const t = fastPaxos.step(c, { type: 'message', from: 'a3', message: { type: 'promise', ballot, vote: null }, now: 1 });
 * // A classic quorum promised: the coordinator opens a fast round with an 'any' message.
 * t.outputs.filter((o) => o.type === 'send').map((o) => o.message.type); //=> ['any', 'any', 'any']
 * ```
 */
export type FastPaxosMessage =
  | { readonly type: 'prepare'; readonly ballot: FastPaxosBallot }
  | { readonly type: 'promise'; readonly ballot: FastPaxosBallot; readonly vote: FastPaxosVote | null }
  | { readonly type: 'any'; readonly ballot: FastPaxosBallot }
  | { readonly type: 'accept'; readonly ballot: FastPaxosBallot; readonly value: unknown }
  | { readonly type: 'propose'; readonly value: unknown }
  | { readonly type: 'accepted'; readonly ballot: FastPaxosBallot; readonly fast: boolean; readonly value: unknown }
  | PaxosNack<FastPaxosBallot>
  | PaxosOutcomeMessage;

function messageCheckFor(limits: DataLimits) {
  const value = v.json(limits);
  return v.tagged({
    prepare: v.object({ type: v.literal('prepare'), ballot: ballotCheck }),
    promise: v.object({ type: v.literal('promise'), ballot: ballotCheck, vote: v.nullable(v.object({ ballot: ballotCheck, fast: v.boolean(), value })) }),
    any: v.object({ type: v.literal('any'), ballot: ballotCheck }),
    accept: v.object({ type: v.literal('accept'), ballot: ballotCheck, value }),
    propose: v.object({ type: v.literal('propose'), value }),
    accepted: v.object({ type: v.literal('accepted'), ballot: ballotCheck, fast: v.boolean(), value }),
    ...roundChecks(ballotCheck, value),
  });
}
const messageCheck = checksByLimits(messageCheckFor);

/**
 * An acceptor's state.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const ballot = { round: 1, node: 'a1', recovery: false };
 * let a = fastPaxos.init(config('a2'));
 * a = fastPaxos.step(a, { type: 'message', from: 'a1', message: { type: 'prepare', ballot }, now: 0 }).state;
 * a = fastPaxos.step(a, { type: 'message', from: 'a1', message: { type: 'any', ballot }, now: 1 }).state;
 * // In a fast round the acceptor votes for the first value a proposer sends it.
 * const t = fastPaxos.step(a, { type: 'message', from: 'p1', message: { type: 'propose', value: 'x' }, now: 2 });
 * t.state.acceptor; //=> { promised: { round: 1, node: 'a1', recovery: false }, vote: { ballot: { round: 1, node: 'a1', recovery: false }, fast: true, value: 'x' }, anyBallot: null, pendingValue: null }
 * ```
 */
export interface FastPaxosAcceptorState {
  /** The highest ballot promised (the paper's rnd; durable). */
  readonly promised: FastPaxosBallot | null;
  /** The latest vote (vrnd, vval; durable). */
  readonly vote: FastPaxosVote | null;
  /** The fast round whose "any" message this acceptor holds and has not voted in yet. */
  readonly anyBallot: FastPaxosBallot | null;
  /** The first proposer value seen, kept to vote with when an "any" arrives. */
  readonly pendingValue: { readonly value: unknown } | null;
}

/**
 * Where a coordinator is.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const ballot = { round: 1, node: 'a1', recovery: false };
 * let c = fastPaxos.init(config('a1'));
 * c = fastPaxos.step(c, { type: 'tick', now: 0 }).state; // phase 1a to the other acceptors
 * c = fastPaxos.step(c, { type: 'message', from: 'a2', message: { type: 'promise', ballot, vote: null }, now: 1 }).state;
 * const t = fastPaxos.step(c, { type: 'message', from: 'a3', message: { type: 'promise', ballot, vote: null }, now: 1 });
 * t.state.coordinator?.phase; //=> 'fast'
 * ```
 */
export type FastPaxosCoordinatorPhase = 'idle' | 'prepare' | 'fast' | 'accept' | 'backoff' | 'done';

/**
 * A coordinator's state.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const s = fastPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'] });
 * s.coordinator?.phase; //=> 'idle'
 * ```
 */
export interface FastPaxosCoordinatorState {
  /** Highest round used (durable). */
  readonly usedRound: number;
  /** Highest round seen in a nack. */
  readonly seenRound: number;
  /** See {@link FastPaxosCoordinatorPhase}. */
  readonly phase: FastPaxosCoordinatorPhase;
  /** The current ballot. */
  readonly ballot: FastPaxosBallot | null;
  /** Whether the round being prepared will be fast. */
  readonly fast: boolean;
  /** Phase-1b answers for `ballot`. */
  readonly promises: Readonly<Record<NodeId, FastPaxosVote | null>>;
  /** Phase-2b votes received in `ballot`. */
  readonly votes: Readonly<Record<NodeId, unknown>>;
  /** The value of a classic phase 2a, boxed. */
  readonly proposal: { readonly value: unknown } | null;
  /** A proposer value this coordinator heard of, boxed. */
  readonly clientValue: { readonly value: unknown } | null;
  /** Round timer. */
  readonly timer: Timer;
  /** Failed rounds so far. */
  readonly attempt: number;
}

/**
 * A proposer's state.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const p = fastPaxos.init(config('p1'));
 * const t = fastPaxos.step(p, { type: 'propose', value: 'x', now: 0 });
 * t.state.client?.value; //=> { value: 'x' }
 * ```
 */
export interface FastPaxosClientState {
  /** The value this proposer proposes, boxed. */
  readonly value: { readonly value: unknown } | null;
  /** The chosen value once known, boxed. */
  readonly decided: { readonly value: unknown } | null;
  /** Retry timer. */
  readonly timer: Timer;
  /** Retries so far. */
  readonly attempt: number;
}

/**
 * A learner's state.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const ballot = { round: 1, node: 'a1', recovery: false };
 * let l = fastPaxos.init(config('a4'));
 * const vote = (from: string) => ({ type: 'message', from, message: { type: 'accepted', ballot, fast: true, value: 'x' }, now: 3 }) as const;
 * l = fastPaxos.step(l, vote('a1')).state;
 * l = fastPaxos.step(l, vote('a2')).state;
 * // A fast quorum (3 of 4) voted x in the fast round: chosen.
 * const t = fastPaxos.step(l, vote('a3'));
 * t.state.learner?.decided; //=> { value: 'x' }
 * ```
 */
export interface FastPaxosLearnerState {
  /**
   * Votes per ballot (keyed by the ballot's canonical JSON): the ballot, its kind, and each
   * acceptor's value. At most `maxLearnerBallots` ballots are tracked.
   */
  readonly votes: Readonly<Record<string, { readonly ballot: FastPaxosBallot; readonly fast: boolean; readonly by: Readonly<Record<NodeId, unknown>> }>>;
  /** The learned value, boxed. */
  readonly decided: { readonly value: unknown } | null;
  /** Query timer. */
  readonly timer: Timer;
}

/**
 * The state of a Fast Paxos node. A role the node does not play is `null`.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const s = fastPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c', 'd'] });
 * [s.fastQuorum, s.classicQuorum]; //=> [3, 3]
 * ```
 */
export interface FastPaxosState extends PaxosRoundOptions, FastPaxosRoles {
  /** This node's id. */
  readonly id: NodeId;
  /** Backoff PRNG. */
  readonly prng: PrngState;
  /**
   * False until the node's first input: its timers then start from that input's `now`, and the
   * first coordinator opens its fast round (an unstarted node asks for a tick at once).
   */
  readonly started: boolean;
  /** Acceptor role. */
  readonly acceptor: FastPaxosAcceptorState | null;
  /** Coordinator role. */
  readonly coordinator: FastPaxosCoordinatorState | null;
  /** Proposer role. */
  readonly client: FastPaxosClientState | null;
  /** Learner role. */
  readonly learner: FastPaxosLearnerState | null;
}

/**
 * What a Fast Paxos node keeps on stable storage.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const ballot = { round: 1, node: 'a1', recovery: false };
 * let a = fastPaxos.init(config('a2'));
 * a = fastPaxos.step(a, { type: 'message', from: 'a1', message: { type: 'prepare', ballot }, now: 0 }).state;
 * a = fastPaxos.step(a, { type: 'message', from: 'a1', message: { type: 'any', ballot }, now: 1 }).state;
 * // In a fast round the acceptor votes for the first value a proposer sends it.
 * const t = fastPaxos.step(a, { type: 'message', from: 'p1', message: { type: 'propose', value: 'x' }, now: 2 });
 * fastPaxos.durable(t.state); //=> { promised: { round: 1, node: 'a1', recovery: false }, vote: { ballot: { round: 1, node: 'a1', recovery: false }, fast: true, value: 'x' }, usedRound: 0, decided: null }
 * ```
 */
export interface FastPaxosDurable extends PaxosDurableBase<FastPaxosBallot> {
  /** Acceptor: latest vote. */
  readonly vote: FastPaxosVote | null;
}

/**
 * Local command for a proposer: propose `value` (sent straight to the acceptors).
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const p = fastPaxos.init(config('p1'));
 * const t = fastPaxos.step(p, { type: 'propose', value: 'x', now: 0 });
 * t.outputs.map((o) => (o.type === 'send' ? o.to : o.type)); //=> ['a1', 'a2', 'a3', 'a4']
 * ```
 */
export type FastPaxosPropose = PaxosPropose;

/**
 * Inputs of Fast Paxos.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * // The coordinator's first tick starts phase 1 of round 1.
 * fastPaxos.step(fastPaxos.init(config('a1')), { type: 'tick', now: 0 }).outputs.map((o) => o.type); //=> ['persist', 'send', 'send', 'send']
 * ```
 */
export type FastPaxosInput = PaxosInput;

/**
 * Events of Fast Paxos: `decided` when this node learns the chosen value (learners and
 * proposers), `collision` when a coordinator detects that no value can win its fast round and
 * recovers with a classic round.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const ballot = { round: 1, node: 'a1', recovery: false };
 * let l = fastPaxos.init(config('a4'));
 * const vote = (from: string) => ({ type: 'message', from, message: { type: 'accepted', ballot, fast: true, value: 'x' }, now: 3 }) as const;
 * l = fastPaxos.step(l, vote('a1')).state;
 * l = fastPaxos.step(l, vote('a2')).state;
 * // A fast quorum (3 of 4) voted x in the fast round: chosen.
 * const t = fastPaxos.step(l, vote('a3'));
 * t.outputs.find((o) => o.type === 'decided'); //=> { type: 'decided', value: 'x' }
 * ```
 */
export type FastPaxosEvent =
  | { readonly type: 'decided'; readonly value: unknown }
  | { readonly type: 'collision'; readonly ballot: FastPaxosBallot; readonly recovery: FastPaxosBallot | null };

/**
 * Outputs of Fast Paxos.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const config = (id: string) => ({ id, acceptors: ['a1', 'a2', 'a3', 'a4'], coordinators: ['a1'], proposers: ['p1'] });
 * const ballot = { round: 1, node: 'a1', recovery: false };
 * let l = fastPaxos.init(config('a4'));
 * const vote = (from: string) => ({ type: 'message', from, message: { type: 'accepted', ballot, fast: true, value: 'x' }, now: 3 }) as const;
 * l = fastPaxos.step(l, vote('a1')).state;
 * l = fastPaxos.step(l, vote('a2')).state;
 * // A fast quorum (3 of 4) voted x in the fast round: chosen.
 * const t = fastPaxos.step(l, vote('a3'));
 * t.outputs.map((o) => o.type); //=> ['persist', 'decided']
 * ```
 */
export type FastPaxosOutput = SendOutput<FastPaxosMessage> | PersistOutput<FastPaxosDurable> | RejectedOutput | FastPaxosEvent;

// ---------------------------------------------------------------------------------------------
// The value-picking rule
// ---------------------------------------------------------------------------------------------

/**
 * The outcome of the phase-2a rule: `free` when no acceptor of the quorum reported a vote (any
 * proposed value may be picked, or a fast round opened), else the value that must be proposed.
 *
 * @example
 * ```ts
 * import type { FastPaxosPick } from 'distkit/consensus';
 * const p: FastPaxosPick = { free: false, value: 'x' };
 * ```
 */
export type FastPaxosPick = { readonly free: true } | { readonly free: false; readonly value: unknown };

/**
 * The coordinator's phase-2a rule (FP §2.2.2, extended to fast rounds in FP §3.1). `reports`
 * holds the phase-1b answer of every acceptor in the quorum Q (null: never voted). Let k be the
 * highest round voted in and V the values voted in k. If nobody voted, the coordinator is free.
 * If k is classic, V has one value: pick it. If k is fast, a value v "might have been chosen" in
 * k exactly when O4(v) holds — for some fast quorum R, every acceptor in Q ∩ R voted v in k —
 * that is, when at least `fastQuorum + |Q| - n` acceptors of Q report (k, v); pick that v. The
 * quorum requirement (any two fast quorums and a classic quorum intersect) makes it unique. If
 * no v satisfies O4, any value of V may be picked: the most reported one.
 *
 * @param n - the number of acceptors.
 * @example
 * ```ts
 * import { fastPaxosPickValue } from 'distkit/consensus';
 * const k = { round: 1, node: 'c', recovery: false };
 * // n = 4, fast quorum 3, Q = 3 reports: 'x' twice >= 3 + 3 - 4, so 'x' might have been chosen.
 * fastPaxosPickValue({ a: { ballot: k, fast: true, value: 'x' }, b: { ballot: k, fast: true, value: 'x' }, c: { ballot: k, fast: true, value: 'y' } }, 4, 3);
 * //=> { free: false, value: 'x' }
 * ```
 */
export function fastPaxosPickValue(reports: Readonly<Record<NodeId, FastPaxosVote | null>>, n: number, fastQuorum: number): FastPaxosPick {
  const ids = Object.keys(reports);
  const k = highestVote(fastBallots, ids.map((id) => reports[id]!));
  if (k === null) return { free: true };
  const inK = ids.map((id) => reports[id] ?? null).filter((r): r is FastPaxosVote => r !== null && compareFastPaxosBallots(r.ballot, k.ballot) === 0);
  if (!k.fast) return { free: false, value: k.value };
  const counts = new Map<string, { value: unknown; count: number }>();
  for (const r of inK) {
    const key = canonicalJson(r.value);
    const e = counts.get(key);
    if (e === undefined) counts.set(key, { value: r.value, count: 1 });
    else e.count++;
  }
  // O4(v): v's voters in Q, together with the n - |Q| acceptors outside Q, could form a fast
  // quorum, so v might have been chosen in k and must be picked.
  const possible = [...counts.values()].filter((e) => fastPaxosMightBeChosen(e.count, ids.length, n, fastQuorum));
  if (possible.length > 0) return { free: false, value: possible[0]!.value };
  // No value of V can have been chosen in k: any of them may be picked; take the most reported
  // (ties by canonical JSON, so every coordinator picks alike).
  let best: { key: string; value: unknown; count: number } | null = null;
  for (const [key, e] of counts) {
    if (best === null || e.count > best.count || (e.count === best.count && key < best.key)) best = { key, ...e };
  }
  return { free: false, value: best!.value };
}

/**
 * Whether `value` might have been chosen in fast round k given quorum reports: condition O4 of
 * FP §3.1, as a count.
 *
 * @example
 * ```ts
 * import { fastPaxosMightBeChosen } from 'distkit/consensus';
 * fastPaxosMightBeChosen(2, 3, 4, 3); //=> true (2 >= 3 + 3 - 4)
 * fastPaxosMightBeChosen(1, 3, 4, 3); //=> false
 * ```
 */
export function fastPaxosMightBeChosen(reportsForValue: number, quorumSize: number, n: number, fastQuorum: number): boolean {
  return reportsForValue >= fastQuorum + quorumSize - n;
}
// ---------------------------------------------------------------------------------------------
// init / durable / recover
// ---------------------------------------------------------------------------------------------

function initState(config: FastPaxosConfig, d: FastPaxosDurable | null): FastPaxosState {
  checkConfigObject(config);
  const id = checkId('id', config.id);
  const acceptors = checkIds('acceptors', config.acceptors);
  const coordinators = config.coordinators === undefined ? [acceptors[0]!] : checkIds('coordinators', config.coordinators);
  const { learners, proposers } = roleLists(config, acceptors);
  const n = acceptors.length;
  const fastQuorum = quorumSize('fastQuorum', config.fastQuorum, defaultFastQuorum(n), n);
  const classicQuorum = quorumSize('classicQuorum', config.classicQuorum, majority(n), n);
  // FP §3.4.1 quorum requirement: any two classic quorums intersect, and any classic quorum
  // intersects any two fast quorums.
  if (2 * classicQuorum <= n) throw new ConfigError('classicQuorum', `two classic quorums of ${classicQuorum} out of ${n} acceptors need not intersect`);
  if (classicQuorum + 2 * fastQuorum <= 2 * n) {
    throw new ConfigError('fastQuorum', `a classic quorum (${classicQuorum}) and two fast quorums (${fastQuorum}) out of ${n} acceptors need not intersect`);
  }
  const options = roundOptions(config, FAST_PAXOS_MAX_BALLOTS);
  const seed = requireSeed('seed', config.seed, id);
  const dd = d ?? { promised: null, vote: null, usedRound: 0, decided: null };
  return {
    id,
    acceptors,
    coordinators,
    learners,
    proposers,
    fastQuorum,
    classicQuorum,
    ...options,
    prng: seedPrng(d === null ? seed : `${String(seed)}/${dd.usedRound}`),
    started: false,
    acceptor: acceptors.includes(id) ? { promised: dd.promised, vote: dd.vote, anyBallot: null, pendingValue: null } : null,
    coordinator: coordinators.includes(id)
      ? { usedRound: dd.usedRound, seenRound: 0, phase: 'idle', ballot: null, fast: true, promises: {}, votes: {}, proposal: null, clientValue: null, timer: STOPPED_TIMER, attempt: 0 }
      : null,
    client: proposers.includes(id) ? { value: null, decided: dd.decided, timer: STOPPED_TIMER, attempt: 0 } : null,
    learner: learners.includes(id) ? { votes: {}, decided: dd.decided, timer: STOPPED_TIMER } : null,
  };
}

function quorumSize(field: string, value: unknown, fallback: number, n: number): number {
  const x = positiveInt(field, value, fallback);
  if (x > n) throw new ConfigError(field, `must be at most the number of acceptors (${n}), got ${x}`);
  return x;
}

function durableOf(s: FastPaxosState): FastPaxosDurable {
  return {
    promised: s.acceptor?.promised ?? null,
    vote: s.acceptor?.vote ?? null,
    usedRound: s.coordinator?.usedRound ?? 0,
    decided: s.learner?.decided ?? s.client?.decided ?? null,
  };
}

function durableChanged(a: FastPaxosState, b: FastPaxosState): boolean {
  return (
    a.acceptor?.promised !== b.acceptor?.promised ||
    a.acceptor?.vote !== b.acceptor?.vote ||
    a.coordinator?.usedRound !== b.coordinator?.usedRound ||
    a.learner?.decided !== b.learner?.decided ||
    a.client?.decided !== b.client?.decided
  );
}

// ---------------------------------------------------------------------------------------------
// step
// ---------------------------------------------------------------------------------------------

/** The scratch of one step (see {@link PaxosCtx}). */
type Ctx = PaxosCtx<FastPaxosState, FastPaxosMessage, FastPaxosOutput>;

function send(c: Ctx, to: NodeId, message: FastPaxosMessage): void {
  sendTo(c, to, message);
}

function sendAll(c: Ctx, to: Iterable<NodeId>, message: FastPaxosMessage): void {
  sendToAll(c, to, message);
}

function timer(c: Ctx, ms: number): Timer {
  return startTimer(c.now, ms);
}

function known(s: FastPaxosState, id: string): boolean {
  return s.acceptors.includes(id) || s.coordinators.includes(id) || s.learners.includes(id) || s.proposers.includes(id);
}

const parts: RoundParts<FastPaxosState, FastPaxosMessage, FastPaxosOutput> = {
  member: known,
  messageCheck,
  handle,
  chosen: onChosen,
  knownChosen,
  proposes: (s) => s.client !== null,
  start,
  tick: onTick,
  propose: onClientPropose,
  persist: (prev, next) => (durableChanged(prev, next) ? { type: 'persist', record: durableOf(next) } : null),
};

function step(state: FastPaxosState, input: FastPaxosInput): Transition<FastPaxosState, FastPaxosOutput> {
  return roundStep(parts, state, input);
}

/** The first input starts the node's timers from its `now`. */
function start(c: Ctx): void {
  // The first coordinator opens a fast round ahead of any proposal (FP §3.1).
  const co = c.s.coordinator;
  if (co !== null && c.s.coordinators[0] === c.s.id && co.phase === 'idle') startRound(c, true);
  // An undecided learner asks around from its first input on (it may have missed everything).
  const l = c.s.learner;
  if (l !== null && l.decided === null && l.timer.at === null) c.s = { ...c.s, learner: { ...l, timer: timer(c, c.s.learnerRetryMs) } };
}

function handle(c: Ctx, from: NodeId, m: Exclude<FastPaxosMessage, PaxosOutcomeMessage>): string | undefined {
  switch (m.type) {
    case 'prepare':
      return onPrepare(c, from, m.ballot);
    case 'any':
      return onAny(c, from, m.ballot);
    case 'accept':
      return onAccept(c, from, m.ballot, m.value);
    case 'propose':
      return onProposal(c, from, m.value);
    case 'promise':
      return onPromise(c, from, m.ballot, m.vote);
    case 'accepted':
      return onAccepted(c, from, m.ballot, m.fast, m.value);
    case 'nack':
      return onNack(c, from, m.ballot, m.promised);
    default:
      return assertNever(m, 'message');
  }
}

// --- acceptor --------------------------------------------------------------------------------

function fromCoordinator(c: Ctx, from: NodeId, ballot: FastPaxosBallot, what: string): string | undefined {
  if (c.s.acceptor === null) return `${what}: this node is not an acceptor`;
  if (!c.s.coordinators.includes(from)) return `${what}: ${from} is not a coordinator`;
  return notOwner(ballot, from);
}

/** PMS P1b/P2b: refuses a ballot below the promise with a nack (null), else the promise held after answering. */
function answer(c: Ctx, from: NodeId, ballot: FastPaxosBallot): FastPaxosBallot | null {
  // The sender owns the ballot (checked by fromCoordinator), so this is a ballot or null.
  return answerBallot(fastBallots, c.s.acceptor!.promised, from, ballot, (nack) => send(c, from, nack)) as FastPaxosBallot | null;
}

function vote(c: Ctx, ballot: FastPaxosBallot, fast: boolean, value: unknown): void {
  const a = c.s.acceptor!;
  const v: FastPaxosVote = { ballot, fast, value };
  c.s = { ...c.s, acceptor: { ...a, promised: compareFastPaxosBallots(ballot, a.promised) > 0 ? ballot : a.promised, vote: v, anyBallot: null } };
  sendAll(c, [ballot.node, ...c.s.learners], { type: 'accepted', ballot, fast, value });
}

function onPrepare(c: Ctx, from: NodeId, ballot: FastPaxosBallot): string | undefined {
  const bad = fromCoordinator(c, from, ballot, 'prepare');
  if (bad !== undefined) return bad;
  const promised = answer(c, from, ballot);
  if (promised === null) return undefined;
  const a = c.s.acceptor!;
  // FP §2.2.1 phase 1b: promise, and report the latest vote (vrnd, vval).
  if (promised !== a.promised) c.s = { ...c.s, acceptor: { ...a, promised, anyBallot: null } };
  send(c, from, { type: 'promise', ballot, vote: a.vote });
  return undefined;
}

function votedIn(a: FastPaxosAcceptorState, ballot: FastPaxosBallot): boolean {
  return a.vote !== null && compareFastPaxosBallots(a.vote.ballot, ballot) >= 0;
}

function onAny(c: Ctx, from: NodeId, ballot: FastPaxosBallot): string | undefined {
  const bad = fromCoordinator(c, from, ballot, 'any');
  if (bad !== undefined) return bad;
  if (ballot.recovery) return 'any: a recovery round is classic';
  if (answer(c, from, ballot) === null) return undefined;
  const a = c.s.acceptor!;
  if (votedIn(a, ballot)) return undefined;
  // FP §3.1: on "any", the acceptor may vote for the first proposal it receives in this round.
  c.s = { ...c.s, acceptor: { ...a, promised: ballot, anyBallot: ballot } };
  if (a.pendingValue !== null) vote(c, ballot, true, a.pendingValue.value);
  return undefined;
}

function onAccept(c: Ctx, from: NodeId, ballot: FastPaxosBallot, value: unknown): string | undefined {
  const bad = fromCoordinator(c, from, ballot, 'accept');
  if (bad !== undefined) return bad;
  if (answer(c, from, ballot) === null) return undefined;
  const a = c.s.acceptor!;
  if (a.vote !== null && compareFastPaxosBallots(a.vote.ballot, ballot) === 0) {
    if (!sameValue(a.vote.value, value)) return `accept: already voted another value in ${ballotText(ballot)}`;
    // A duplicate: vote again so a lost 2b is replaced.
    sendAll(c, [ballot.node, ...c.s.learners], { type: 'accepted', ballot, fast: a.vote.fast, value });
    return undefined;
  }
  if (votedIn(a, ballot)) return `accept: already voted in a later ballot than ${ballotText(ballot)}`;
  // FP §2.2.1 phase 2b.
  vote(c, ballot, false, value);
  return undefined;
}

function onProposal(c: Ctx, from: NodeId, value: unknown): string | undefined {
  if (!c.s.proposers.includes(from)) return `propose: ${from} is not a proposer`;
  let used = false;
  const co = c.s.coordinator;
  if (co !== null) {
    used = true;
    if (co.clientValue === null) {
      c.s = { ...c.s, coordinator: { ...co, clientValue: { value } } };
      coordinatorHeard(c);
    }
  }
  const a = c.s.acceptor;
  if (a !== null) {
    used = true;
    if (a.anyBallot !== null && compareFastPaxosBallots(a.anyBallot, a.promised) === 0 && !votedIn(a, a.anyBallot)) vote(c, a.anyBallot, true, value);
    else if (a.pendingValue === null) c.s = { ...c.s, acceptor: { ...a, pendingValue: { value } } };
  }
  return used ? undefined : 'propose: this node is neither an acceptor nor a coordinator';
}

// --- coordinator -----------------------------------------------------------------------------

function startRound(c: Ctx, fast: boolean): void {
  const co = c.s.coordinator!;
  const round = nextRound(co.usedRound, co.seenRound);
  if (round === null) {
    // Every round a peer may use is taken (unreachable in practice): never reuse one.
    c.s = { ...c.s, coordinator: { ...co, phase: 'idle', timer: stopTimer(co.timer) } };
    return;
  }
  const ballot: FastPaxosBallot = { round, node: c.s.id, recovery: false };
  c.s = {
    ...c.s,
    coordinator: { ...co, usedRound: round, phase: 'prepare', ballot, fast, promises: {}, votes: {}, proposal: null, timer: timer(c, c.s.phaseTimeoutMs) },
  };
  sendAll(c, c.s.acceptors, { type: 'prepare', ballot });
}

function retryLater(c: Ctx, seenRound: number): void {
  const co = c.s.coordinator!;
  const b = retryBackoff(co.attempt, c.now, c.s.backoffMinMs, c.s.backoffMaxMs, c.s.prng);
  c.s = { ...c.s, prng: b.prng, coordinator: { ...co, seenRound: Math.max(co.seenRound, seenRound), phase: 'backoff', timer: b.timer, attempt: b.timer.attempt } };
}

/** A proposal reached this coordinator: make sure some round will carry it. */
function coordinatorHeard(c: Ctx): void {
  const co = c.s.coordinator!;
  if (co.phase === 'idle') {
    // Backups wait longer than the primary, so they take over only from a silent one.
    const rank = c.s.coordinators.indexOf(c.s.id);
    c.s = { ...c.s, coordinator: { ...co, phase: 'backoff', timer: timer(c, rank === 0 ? 1 : c.s.phaseTimeoutMs * (2 + rank)) } };
  } else if (co.phase === 'fast' && co.timer.at === null) c.s = { ...c.s, coordinator: { ...co, timer: timer(c, c.s.phaseTimeoutMs) } };
}

function onPromise(c: Ctx, from: NodeId, ballot: FastPaxosBallot, vote: FastPaxosVote | null): string | undefined {
  const co = c.s.coordinator;
  if (co === null) return 'promise: this node is not a coordinator';
  if (!c.s.acceptors.includes(from)) return `promise: ${from} is not an acceptor`;
  const problem = promiseProblem(fastBallots, { preparing: co.phase === 'prepare', ballot: co.ballot, promises: co.promises }, from, ballot, 'vote.ballot', vote?.ballot ?? null);
  if (problem !== undefined) return problem ?? undefined;
  const promises = withOwn(co.promises, from, vote);
  c.s = { ...c.s, coordinator: { ...co, promises } };
  if (Object.keys(promises).length < c.s.classicQuorum) return undefined;
  phase2a(c, co.ballot!, promises);
  return undefined;
}

/** Phase 2a for `ballot` given the phase-1b reports of a classic quorum. */
function phase2a(c: Ctx, ballot: FastPaxosBallot, reports: Readonly<Record<NodeId, FastPaxosVote | null>>): void {
  const co = c.s.coordinator!;
  const pick = fastPaxosPickValue(reports, c.s.acceptors.length, c.s.fastQuorum);
  if (pick.free && !ballot.recovery && (co.fast || co.clientValue === null)) {
    // FP §3.1: a free fast round: let the proposers' values go straight to the acceptors. With
    // no known value yet the round just waits; its timer starts when a proposal shows up.
    c.s = { ...c.s, coordinator: { ...co, ballot, phase: 'fast', votes: {}, timer: co.clientValue === null ? STOPPED_TIMER : timer(c, c.s.phaseTimeoutMs) } };
    sendAll(c, c.s.acceptors, { type: 'any', ballot });
    return;
  }
  const value = pick.free ? co.clientValue!.value : pick.value;
  c.s = { ...c.s, coordinator: { ...co, ballot, phase: 'accept', votes: {}, proposal: { value }, timer: timer(c, c.s.phaseTimeoutMs) } };
  sendAll(c, c.s.acceptors, { type: 'accept', ballot, value });
}

function onAccepted(c: Ctx, from: NodeId, ballot: FastPaxosBallot, fast: boolean, value: unknown): string | undefined {
  if (!c.s.acceptors.includes(from)) return `accepted: ${from} is not an acceptor`;
  if (fast && ballot.recovery) return 'accepted: a recovery round is classic';
  let used = false;
  const co = c.s.coordinator;
  if (co !== null && (co.phase === 'fast' || co.phase === 'accept') && compareFastPaxosBallots(ballot, co.ballot) === 0 && fast === (co.phase === 'fast')) {
    used = true;
    if (!hasOwn(co.votes, from)) {
      c.s = { ...c.s, coordinator: { ...co, votes: withOwn(co.votes, from, value) } };
      coordinatorCount(c);
    }
  }
  const l = c.s.learner;
  if (l !== null && l.decided === null) {
    used = true;
    const key = canonicalJson(ballot);
    const prev = getOwn(l.votes, key);
    if (prev === undefined || !hasOwn(prev.by, from)) {
      const table = prev === undefined ? roomForBallot(fastBallots, l.votes, ballot, c.s.maxLearnerBallots) : l.votes;
      if (typeof table === 'string') return `accepted: ${table}`;
      const entry = { ballot, fast, by: withOwn(prev?.by ?? {}, from, value) };
      const votes = withOwn(table, key, entry);
      c.s = { ...c.s, learner: { ...l, votes, timer: l.timer.at === null ? timer(c, c.s.learnerRetryMs) : l.timer } };
      // FP §3.1: v is chosen in a fast round by a fast quorum, in a classic round by a classic one.
      const need = fast ? c.s.fastQuorum : c.s.classicQuorum;
      const n = Object.keys(entry.by).filter((id) => sameValue(getOwn(entry.by, id), value)).length;
      if (n >= need) learn(c, value);
    }
  } else if (l !== null) used = true;
  if (!used && c.s.client?.decided) used = true;
  return used ? undefined : `accepted: ballot ${ballotText(ballot)} is not in progress here`;
}

/** The coordinator's view of its round's votes: success, collision, or wait. */
function coordinatorCount(c: Ctx): void {
  const co = c.s.coordinator!;
  const ballot = co.ballot!;
  const counts = new Map<string, { value: unknown; count: number }>();
  const heard = Object.keys(co.votes);
  for (const id of heard) {
    const vote = getOwn(co.votes, id);
    const key = canonicalJson(vote);
    const e = counts.get(key);
    if (e === undefined) counts.set(key, { value: vote, count: 1 });
    else e.count++;
  }
  const need = co.phase === 'fast' ? c.s.fastQuorum : c.s.classicQuorum;
  for (const e of counts.values()) {
    if (e.count >= need) {
      c.s = { ...c.s, coordinator: { ...co, phase: 'done', proposal: { value: e.value }, timer: STOPPED_TIMER } };
      announce(c, e.value);
      return;
    }
  }
  if (co.phase !== 'fast') return;
  if (co.timer.at === null) c.s = { ...c.s, coordinator: { ...co, timer: timer(c, c.s.phaseTimeoutMs) } };
  // Collision (FP §3.2): even if every acceptor not heard from voted for the leading value, it
  // would fall short of a fast quorum.
  const n = c.s.acceptors.length;
  const lead = Math.max(...[...counts.values()].map((e) => e.count));
  if (lead + (n - heard.length) >= c.s.fastQuorum) return;
  if (heard.length < c.s.classicQuorum) return;
  const cur = c.s.coordinator!;
  // Coordinated recovery (FP §3.2): the round-i 2b messages of a classic quorum serve as the
  // phase-1b messages of the next round, (round, node, recovery), with nothing in between.
  const recovery: FastPaxosBallot = { ...ballot, recovery: true };
  let reports: Readonly<Record<NodeId, FastPaxosVote>> = {};
  for (const id of heard) reports = withOwn(reports, id, { ballot, fast: true, value: getOwn(co.votes, id) });
  c.out.push({ type: 'collision', ballot, recovery });
  c.s = { ...c.s, coordinator: cur };
  phase2a(c, recovery, reports);
}

function onNack(c: Ctx, from: NodeId, ballot: FastPaxosBallot, promised: FastPaxosBallot): string | undefined {
  const co = c.s.coordinator;
  if (co === null) return 'nack: this node is not a coordinator';
  if (!c.s.acceptors.includes(from)) return `nack: ${from} is not an acceptor`;
  const problem = nackProblem(fastBallots, ['prepare', 'fast', 'accept'].includes(co.phase), co.ballot, ballot, promised);
  if (problem !== undefined) return problem;
  retryLater(c, promised.round);
  return undefined;
}

// --- learner and proposer --------------------------------------------------------------------

function announce(c: Ctx, value: unknown): void {
  sendAll(c, [...c.s.learners, ...c.s.proposers, ...c.s.coordinators], { type: 'chosen', value });
}

function learn(c: Ctx, value: unknown): void {
  let told = false;
  const l = c.s.learner;
  if (l !== null && l.decided === null) {
    c.s = { ...c.s, learner: { votes: {}, decided: { value }, timer: STOPPED_TIMER } };
    c.out.push({ type: 'decided', value });
    told = true;
  }
  const cl = c.s.client;
  if (cl !== null && cl.decided === null) {
    c.s = { ...c.s, client: { ...cl, decided: { value }, timer: STOPPED_TIMER } };
    if (!told) c.out.push({ type: 'decided', value });
  }
  const co = c.s.coordinator;
  if (co !== null && co.phase !== 'done') c.s = { ...c.s, coordinator: { ...co, phase: 'done', proposal: { value }, timer: STOPPED_TIMER } };
}

function onChosen(c: Ctx, value: unknown): string | undefined {
  if (c.s.learner === null && c.s.client === null && c.s.coordinator === null) return 'chosen: this node neither learns, proposes nor coordinates';
  learn(c, value);
  return undefined;
}

function knownChosen(s: FastPaxosState): { readonly value: unknown } | null {
  return s.learner?.decided ?? s.client?.decided ?? (s.coordinator?.phase === 'done' ? s.coordinator.proposal : null);
}


function onClientPropose(c: Ctx, value: unknown): void {
  const cl = c.s.client!;
  if (cl.value !== null) return;
  c.s = { ...c.s, client: { ...cl, value: { value }, timer: timer(c, c.s.phaseTimeoutMs) } };
  // FP §3.1: in a fast round proposers send straight to the acceptors; the coordinators hear it
  // too, to carry the value in a classic round if the fast one fails.
  sendAll(c, [...c.s.acceptors, ...c.s.coordinators], { type: 'propose', value });
}

// --- time ------------------------------------------------------------------------------------

function onTick(c: Ctx): void {
  const now = c.now;
  const co = c.s.coordinator;
  if (co !== null && timerDue(co.timer, now)) {
    if (co.phase === 'backoff') startRound(c, false);
    // No progress in time: a new round; after a failure rounds are classic when a value is known.
    else if (co.phase === 'prepare' || co.phase === 'fast' || co.phase === 'accept') retryLater(c, 0);
    else c.s = { ...c.s, coordinator: { ...co, timer: STOPPED_TIMER } };
  }
  const cl = c.s.client;
  if (cl !== null && timerDue(cl.timer, now)) {
    if (cl.decided !== null || cl.value === null) c.s = { ...c.s, client: { ...cl, timer: STOPPED_TIMER } };
    else {
      const b = retryBackoff(cl.attempt, now, c.s.phaseTimeoutMs, c.s.backoffMaxMs + c.s.phaseTimeoutMs, c.s.prng);
      c.s = { ...c.s, prng: b.prng, client: { ...cl, timer: b.timer, attempt: b.timer.attempt } };
      // Resend (lost messages) and ask whether the value is already chosen.
      sendAll(c, [...c.s.acceptors, ...c.s.coordinators], { type: 'propose', value: cl.value.value });
      sendAll(c, [...c.s.learners, ...c.s.coordinators].filter((n) => n !== c.s.id), { type: 'query' });
    }
  }
  const l = c.s.learner;
  if (l !== null && timerDue(l.timer, now)) {
    if (l.decided !== null) c.s = { ...c.s, learner: { ...l, timer: STOPPED_TIMER } };
    else {
      c.s = { ...c.s, learner: { ...l, timer: timer(c, c.s.learnerRetryMs) } };
      sendAll(c, [...c.s.acceptors, ...c.s.coordinators, ...c.s.learners, ...c.s.proposers].filter((n) => n !== c.s.id), { type: 'query' });
    }
  }
}

function nextDeadline(s: FastPaxosState): number | undefined {
  // An unstarted node asks for a tick at once, so that its timers start from the host's clock.
  if (!s.started) return START_DEADLINE;
  return earliest(s.coordinator?.timer, s.client?.timer, s.learner?.timer);
}

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

/**
 * Fast Paxos (Lamport 2006) as a pure, durable machine. The first coordinator opens a fast round
 * (phase 1, then "any"); proposers send values straight to the acceptors, and learners learn a
 * value voted by a fast quorum (⌈3N/4⌉ by default) in two message delays. A coordinator that
 * sees a collision recovers at once with a classic round that reuses the fast round's votes
 * (coordinated recovery), picking the value by the O4 rule ({@link fastPaxosPickValue}); rounds
 * that stall time out and retry, after a seeded randomized backoff, as classic rounds.
 *
 * @example
 * ```ts
 * import { fastPaxos } from 'distkit/consensus';
 * const acceptors = ['a', 'b', 'c', 'd'];
 * const s = fastPaxos.init({ id: 'a', acceptors });
 * const t = fastPaxos.step(s, { type: 'tick', now: 0 }); // the coordinator opens round 1
 * t.outputs.filter((o) => o.type === 'send').length; //=> 3 (prepare to b, c, d)
 * ```
 */
export const fastPaxos: DurableMachine<FastPaxosConfig, FastPaxosState, FastPaxosInput, FastPaxosOutput, FastPaxosDurable> & {
  /** The earliest host time at which the node wants a `tick` (its timers), or `undefined` when it waits for nothing. */
  nextDeadline(state: FastPaxosState): number | undefined;
} = durableMachine('fast-paxos', initState, step, nextDeadline, durableOf);
