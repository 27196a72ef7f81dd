/**
 * Pieces shared by the Paxos machines: ballots and their order, value equality, and the config
 * checks the kit in core does not cover (seed, payload limits, ordered bounds).
 *
 * @packageDocumentation
 */
import type { DataLimits, MessageInput, NodeId, TickInput } from '../../core/index.js';
import { ConfigError, MAX_COUNTER, MAX_ID_LENGTH, PAYLOAD_LIMITS, canonicalJson, describeValue, nodeIdCheck, positiveInt, v } from '../../core/index.js';

/**
 * A ballot (proposal number): a round number made unique by the proposer's node id. Ballots are
 * totally ordered by round, then node id ("Paxos Made Simple" §2.5: proposers draw numbers from
 * disjoint sets).
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const t = basicPaxos.step(basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'] }), { type: 'propose', value: 'x', now: 0 });
 * // The first ballot of node a: round 1, ties between rounds broken by node id.
 * t.state.proposer?.ballot; //=> { round: 1, node: 'a' }
 * ```
 */
export interface PaxosBallot {
  /** The round, >= 1. */
  readonly round: number;
  /** The node that owns the ballot. */
  readonly node: NodeId;
}

/**
 * Compares two ballots: negative when `a < b`, 0 when equal, positive when `a > b`. `null`
 * (no ballot yet) is below every ballot.
 *
 * @example
 * ```ts
 * import { comparePaxosBallots } from 'distkit/consensus';
 * comparePaxosBallots({ round: 2, node: 'a' }, { round: 1, node: 'z' }) > 0; //=> true
 * comparePaxosBallots(null, { round: 1, node: 'a' }) < 0; //=> true
 * ```
 */
export function comparePaxosBallots(a: PaxosBallot | null, b: PaxosBallot | null): number {
  if (a === null) return b === null ? 0 : -1;
  if (b === null) return 1;
  if (a.round !== b.round) return a.round - b.round;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

/** Upper bound on round numbers a peer may use ({@link MAX_COUNTER}): keeps `round + 1` exact. */
export const MAX_ROUND = MAX_COUNTER;

/** Whether a proposer whose highest known round is `round` may start round `round + 1`. */
export function canStartRound(round: number): boolean {
  return round < MAX_ROUND;
}

/**
 * What `nextDeadline` returns before a node's first input: "tick me at once", so that the
 * node's timers start from the host's clock rather than from an origin it cannot know.
 */
export const START_DEADLINE = Number.MIN_SAFE_INTEGER;

/** The check for a classic ballot carried in a peer's message. */
export const ballotCheck = v.object({ round: v.int({ min: 1, max: MAX_ROUND }), node: nodeIdCheck });

/** Value equality for plain JSON data. */
export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || canonicalJson(a) === canonicalJson(b);
}

/**
 * How a machine orders and prints its kind of ballot: classic `(round, node)` ballots here,
 * Fast Paxos ballots (with a recovery flag) in fast.ts. The shared role rules take one.
 */
export interface BallotOrder<B> {
  /** Negative, 0 or positive as `a` is below, equal to or above `b`; `null` is lowest. */
  compare(a: B | null, b: B | null): number;
  /** The ballot for a rejection reason. */
  text(b: B | null): string;
}

/** A table key for a ballot. */
export function ballotKey(b: PaxosBallot): string {
  return `${b.round}.${b.node}`;
}

/** A ballot for a rejection reason. */
export function ballotText(b: PaxosBallot | null): string {
  return b === null ? 'none' : `(${b.round}, ${b.node})`;
}

/** The order of classic ballots. */
export const classicBallots: BallotOrder<PaxosBallot> = { compare: comparePaxosBallots, text: ballotText };

// ---------------------------------------------------------------------------------------------
// Config checks: each throws ConfigError naming the field.
// ---------------------------------------------------------------------------------------------

/**
 * The options Basic and Fast Paxos share: how proposers (coordinators) time out, back off and
 * retry with a higher ballot, how undecided learners ask around, and the bounds on values.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const s = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], phaseTimeoutMs: 50, backoffMinMs: 5, backoffMaxMs: 200 });
 * [s.phaseTimeoutMs, s.backoffMinMs, s.backoffMaxMs]; //=> [50, 5, 200]
 * ```
 */
export interface PaxosRoundConfig {
  /** Seed of the PRNG that randomizes retry backoff. Default: the node id. */
  readonly seed?: number | string;
  /** A round without a quorum of answers after this long is retried with a higher ballot, ms. Default 100. */
  readonly phaseTimeoutMs?: number;
  /**
   * Base of the randomized exponential backoff before a retry, ms: the n-th retry waits a
   * uniform time in [1, min(backoffMaxMs, backoffMinMs · 2^n)] ("full jitter"). Default 10.
   */
  readonly backoffMinMs?: number;
  /** Largest randomized backoff before a retry, ms. Default 500. */
  readonly backoffMaxMs?: number;
  /** An undecided learner (or proposer) asks the others for the outcome this often, ms. Default 200. */
  readonly learnerRetryMs?: number;
  /** Bounds on a proposed or received value (depth and JSON size). Default {@link PAYLOAD_LIMITS}. */
  readonly payloadLimits?: Partial<DataLimits>;
  /** Ballots a learner tallies votes for at once. Default 16. */
  readonly maxLearnerBallots?: number;
}

/**
 * {@link PaxosRoundConfig} resolved, as a node's state keeps it.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * basicPaxos.init({ id: 'a', acceptors: ['a'] }).phaseTimeoutMs; //=> 100
 * ```
 */
export interface PaxosRoundOptions {
  /** See {@link PaxosRoundConfig.phaseTimeoutMs}. */
  readonly phaseTimeoutMs: number;
  /** See {@link PaxosRoundConfig.backoffMinMs}. */
  readonly backoffMinMs: number;
  /** See {@link PaxosRoundConfig.backoffMaxMs}. */
  readonly backoffMaxMs: number;
  /** See {@link PaxosRoundConfig.learnerRetryMs}. */
  readonly learnerRetryMs: number;
  /** See {@link PaxosRoundConfig.payloadLimits}. */
  readonly payloadLimits: DataLimits;
  /** See {@link PaxosRoundConfig.maxLearnerBallots}. */
  readonly maxLearnerBallots: number;
}

/**
 * The local `propose` command of every Paxos machine: propose `value`, at the host's time `now`.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const s = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'] });
 * basicPaxos.step(s, { type: 'propose', value: { op: 'set', x: 1 }, now: 0 }).state.proposer?.value; //=> { value: { op: 'set', x: 1 } }
 * ```
 */
export interface PaxosPropose {
  /** Discriminator. */
  readonly type: 'propose';
  /** Any JSON value within `payloadLimits`. */
  readonly value: unknown;
  /** The host's current time (ms). */
  readonly now: number;
}

/**
 * The inputs of a single-decree Paxos node (Basic and Fast Paxos): a peer's message, a due
 * deadline, or the local `propose`.
 *
 * @example
 * ```ts
 * import { basicPaxos, type PaxosInput } from 'distkit/consensus';
 * const inputs: PaxosInput[] = [{ type: 'propose', value: 'x', now: 0 }, { type: 'tick', now: 100 }];
 * const s = inputs.reduce((st, i) => basicPaxos.step(st, i).state, basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'] }));
 * s.proposer?.phase; //=> 'backoff'
 * ```
 */
export type PaxosInput = MessageInput | TickInput | PaxosPropose;

/**
 * What every single-decree Paxos node keeps on stable storage (PMS §2.5), whatever its ballots `B`:
 * the acceptor's promise, the highest round this node used to open a ballot (so it never reuses
 * one after a restart), and the learned value.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * basicPaxos.durable(basicPaxos.init({ id: 'a', acceptors: ['a'] })).usedRound; //=> 0
 * ```
 */
export interface PaxosDurableBase<B> {
  /** Acceptor: highest promise. */
  readonly promised: B | null;
  /** Proposer (coordinator in Fast Paxos): highest round used. */
  readonly usedRound: number;
  /** Learner: the learned value, boxed. */
  readonly decided: { readonly value: unknown } | null;
}

/**
 * How Basic and Fast Paxos spread the outcome: `chosen` tells learners (and proposers) the chosen
 * value; `query` asks a node that may know it.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * // A learner told the outcome decides without counting votes.
 * const s = basicPaxos.init({ id: 'c', acceptors: ['a', 'b', 'c'] });
 * basicPaxos.step(s, { type: 'message', from: 'a', message: { type: 'chosen', value: 'x' }, now: 0 }).outputs; //=> [{ type: 'persist', record: { promised: null, accepted: null, usedRound: 0, decided: { value: 'x' } } }, { type: 'decided', value: 'x' }]
 * ```
 */
export type PaxosOutcomeMessage = { readonly type: 'chosen'; readonly value: unknown } | { readonly type: 'query' };

/**
 * The refusal of a prepare or accept below the acceptor's promise: the ballot refused and the one
 * promised, so the proposer can skip ahead (PMS §2.2).
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * let b = basicPaxos.init({ id: 'b', acceptors: ['a', 'b', 'c'] });
 * b = basicPaxos.step(b, { type: 'message', from: 'c', message: { type: 'prepare', ballot: { round: 2, node: 'c' } }, now: 0 }).state;
 * // b promised round 2 to c, so it refuses a's round-1 prepare and says why.
 * basicPaxos.step(b, { type: 'message', from: 'a', message: { type: 'prepare', ballot: { round: 1, node: 'a' } }, now: 1 }).outputs; //=> [{ type: 'send', to: 'a', message: { type: 'nack', ballot: { round: 1, node: 'a' }, promised: { round: 2, node: 'c' } } }]
 * ```
 */
export interface PaxosNack<B = PaxosBallot> {
  /** Discriminator. */
  readonly type: 'nack';
  /** The ballot refused. */
  readonly ballot: B;
  /** The higher ballot promised. */
  readonly promised: B;
}

/** A PRNG seed: a finite number or a string. */
export function requireSeed(field: string, value: unknown, fallback: string): number | string {
  const x = value ?? fallback;
  if (!(typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)))) {
    throw new ConfigError(field, `must be a finite number or a string, got ${describeValue(x)}`);
  }
  return x;
}

/** Resolves `payloadLimits` against {@link PAYLOAD_LIMITS}; returns that very object when unset. */
export function requireLimits(field: string, value: unknown): DataLimits {
  if (value === undefined) return PAYLOAD_LIMITS;
  if (value === null || typeof value !== 'object') throw new ConfigError(field, `must be an object { maxDepth?, maxBytes? }, got ${describeValue(value)}`);
  const x = value as Partial<DataLimits>;
  const maxDepth = positiveInt(`${field}.maxDepth`, x.maxDepth, PAYLOAD_LIMITS.maxDepth);
  const maxBytes = positiveInt(`${field}.maxBytes`, x.maxBytes, PAYLOAD_LIMITS.maxBytes);
  if (maxDepth === PAYLOAD_LIMITS.maxDepth && maxBytes === PAYLOAD_LIMITS.maxBytes) return PAYLOAD_LIMITS;
  return { maxDepth, maxBytes };
}

/** Throws unless `min <= max`, naming `minField`. */
export function requireOrder(minField: string, min: number, maxField: string, max: number): void {
  if (min > max) throw new ConfigError(minField, `must not exceed ${maxField} (${min} > ${max})`);
}

/** `from` as a string safe to echo in a rejection. */
export function senderText(from: unknown): string {
  return typeof from === 'string' ? from.slice(0, MAX_ID_LENGTH) : 'unknown';
}
