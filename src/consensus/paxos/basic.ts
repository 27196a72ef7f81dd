/**
 * Basic (single-decree) Paxos: Lamport, "Paxos Made Simple" (2001). Cited below as PMS.
 *
 * One machine plays any of the three roles of PMS §2 — proposer, acceptor, learner — as the
 * config lists the node in `proposers`, `acceptors` and `learners`.
 */
import type { DataLimits, DurableMachine, NodeId, PersistOutput, PrngState, RejectedOutput, SendOutput, Timer, Transition } from '../../core/index.js';
import { InvalidCommandError, STOPPED_TIMER, assertNever, checkId, checkIds, earliest, getOwn, majority, seedPrng, startTimer, stopTimer, timerDue, v, withOwn } from '../../core/index.js';
import { answerBallot } from './acceptor.js';
import type { PaxosBallot, PaxosDurableBase, PaxosInput, PaxosNack, PaxosOutcomeMessage, PaxosPropose, PaxosRoundConfig, PaxosRoundOptions } from './common.js';
import { START_DEADLINE, ballotCheck, ballotKey, ballotText, canStartRound, classicBallots, comparePaxosBallots, requireSeed, sameValue } from './common.js';
import { roomForBallot } from './learner.js';
import { highestVote, nackProblem, nextRound, promiseProblem, retryBackoff } from './proposer.js';
import type { PaxosCtx, RoundParts } from './step.js';
import { checkConfigObject, checksByLimits, durableMachine, roundChecks, roleLists, roundOptions, roundStep, sendTo } from './step.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/**
 * Options of a Basic Paxos node.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const s = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * s.acceptors; //=> ['a', 'b', 'c']
 * ```
 */
export interface BasicPaxosConfig extends PaxosRoundConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** The acceptors (PMS §2.2). A value is chosen when a majority of them accept it. */
  readonly acceptors: readonly NodeId[];
  /** Nodes that learn the chosen value (PMS §2.3). Default: the acceptors. */
  readonly learners?: readonly NodeId[];
  /** Nodes that may propose. Default: the acceptors. */
  readonly proposers?: readonly NodeId[];
}

/**
 * A value an acceptor accepted, with the ballot it accepted it in.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const ballot = { round: 1, node: 'a' };
 * let b = basicPaxos.init({ id: 'b', acceptors: ['a', 'b', 'c'], seed: 1 });
 * b = basicPaxos.step(b, { type: 'message', from: 'a', message: { type: 'prepare', ballot }, now: 0 }).state;
 * const t = basicPaxos.step(b, { type: 'message', from: 'a', message: { type: 'accept', ballot, value: 'x' }, now: 1 });
 * t.state.acceptor?.accepted; //=> { ballot: { round: 1, node: 'a' }, value: 'x' }
 * ```
 */
export interface PaxosAccepted {
  /** The ballot of the accepted proposal. */
  readonly ballot: PaxosBallot;
  /** The accepted value. */
  readonly value: unknown;
}

/**
 * A message of Basic Paxos.
 *
 * - `prepare` (PMS phase 1a) and `accept` (phase 2a) go from a proposer to the acceptors.
 * - `promise` (phase 1b) carries the acceptor's highest-numbered accepted proposal.
 * - `accepted` (phase 2b) goes to the proposer and every learner.
 * - `nack` refuses a prepare or accept and carries the higher ballot already promised, so the
 *   proposer can skip ahead (PMS §2.2 suggests telling the proposer to abandon its proposal).
 * - `chosen` tells learners (and other proposers) the chosen value; `query` asks for it.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const a = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const t = basicPaxos.step(a, { type: 'propose', value: 'x', now: 0 });
 * t.outputs.filter((o) => o.type === 'send').map((o) => [o.to, o.message]); //=> [['b', { type: 'prepare', ballot: { round: 1, node: 'a' } }], ['c', { type: 'prepare', ballot: { round: 1, node: 'a' } }]]
 * ```
 */
export type BasicPaxosMessage =
  | { readonly type: 'prepare'; readonly ballot: PaxosBallot }
  | { readonly type: 'promise'; readonly ballot: PaxosBallot; readonly accepted: PaxosAccepted | null }
  | { readonly type: 'accept'; readonly ballot: PaxosBallot; readonly value: unknown }
  | { readonly type: 'accepted'; readonly ballot: PaxosBallot; readonly value: unknown }
  | PaxosNack
  | PaxosOutcomeMessage;

function messageCheckFor(limits: DataLimits) {
  const value = v.json(limits);
  return v.tagged({
    prepare: v.object({ type: v.literal('prepare'), ballot: ballotCheck }),
    promise: v.object({ type: v.literal('promise'), ballot: ballotCheck, accepted: v.nullable(v.object({ ballot: ballotCheck, value })) }),
    accept: v.object({ type: v.literal('accept'), ballot: ballotCheck, value }),
    accepted: v.object({ type: v.literal('accepted'), ballot: ballotCheck, value }),
    ...roundChecks(ballotCheck, value),
  });
}
const messageCheck = checksByLimits(messageCheckFor);

/**
 * An acceptor's state (PMS §2.5: all of it is kept on stable storage).
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const ballot = { round: 1, node: 'a' };
 * let b = basicPaxos.init({ id: 'b', acceptors: ['a', 'b', 'c'], seed: 1 });
 * b = basicPaxos.step(b, { type: 'message', from: 'a', message: { type: 'prepare', ballot }, now: 0 }).state;
 * const t = basicPaxos.step(b, { type: 'message', from: 'a', message: { type: 'accept', ballot, value: 'x' }, now: 1 });
 * t.state.acceptor; //=> { promised: { round: 1, node: 'a' }, accepted: { ballot: { round: 1, node: 'a' }, value: 'x' } }
 * ```
 */
export interface BasicPaxosAcceptorState {
  /** The highest ballot this acceptor promised (responded to a prepare for). */
  readonly promised: PaxosBallot | null;
  /** The highest-numbered proposal it accepted. */
  readonly accepted: PaxosAccepted | null;
}

/**
 * Where a proposer is: idle, collecting promises (phase 1), collecting acceptances (phase 2),
 * waiting out a randomized backoff before retrying, or done (a value is known to be chosen).
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const a = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const t = basicPaxos.step(a, { type: 'propose', value: 'x', now: 0 });
 * t.state.proposer?.phase; //=> 'prepare'
 * ```
 */
export type BasicPaxosPhase = 'idle' | 'prepare' | 'accept' | 'backoff' | 'done';

/**
 * A proposer's state.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const s = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'] });
 * s.proposer?.phase; //=> 'idle'
 * ```
 */
export interface BasicPaxosProposerState {
  /** The highest round this proposer has used: durable, so a ballot is never reused after a crash (PMS §2.5). */
  readonly usedRound: number;
  /** The highest round seen in a `nack`. */
  readonly seenRound: number;
  /** The value the client asked to propose, boxed; `null` before any `propose`. */
  readonly value: { readonly value: unknown } | null;
  /** See {@link BasicPaxosPhase}. */
  readonly phase: BasicPaxosPhase;
  /** The ballot of the current attempt. */
  readonly ballot: PaxosBallot | null;
  /** Promises received for `ballot`: each acceptor's accepted proposal (or null). */
  readonly promises: Readonly<Record<NodeId, PaxosAccepted | null>>;
  /** The value sent in phase 2, boxed. */
  readonly proposal: { readonly value: unknown } | null;
  /** Acceptors that accepted `proposal` in `ballot`. */
  readonly accepts: readonly NodeId[];
  /** When the current phase or backoff ends; stopped when idle or done. */
  readonly timer: Timer;
  /** Failed attempts so far (drives the backoff). */
  readonly attempt: number;
}

/**
 * Votes a learner has counted for one ballot.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const ballot = { round: 1, node: 'a' };
 * let l = basicPaxos.init({ id: 'c', acceptors: ['a', 'b', 'c'], seed: 1 });
 * l = basicPaxos.step(l, { type: 'message', from: 'a', message: { type: 'accepted', ballot, value: 'x' }, now: 0 }).state;
 * // One acceptance of three: not chosen yet.
 * l.learner?.votes; //=> { '1.a': { ballot: { round: 1, node: 'a' }, value: 'x', from: ['a'] } }
 * ```
 */
export interface BasicPaxosVotes {
  /** The ballot. */
  readonly ballot: PaxosBallot;
  /** The value accepted in it. */
  readonly value: unknown;
  /** Acceptors that reported accepting it. */
  readonly from: readonly NodeId[];
}

/**
 * A learner's state.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * // Proposer a is an acceptor too: with b's promise, then b's acceptance, a majority of three agrees.
 * const ballot = { round: 1, node: 'a' };
 * let a = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * a = basicPaxos.step(a, { type: 'propose', value: 'x', now: 0 }).state;
 * a = basicPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, accepted: null }, now: 1 }).state;
 * const t = basicPaxos.step(a, { type: 'message', from: 'b', message: { type: 'accepted', ballot, value: 'x' }, now: 2 });
 * t.state.learner?.decided; //=> { value: 'x' }
 * ```
 */
export interface BasicPaxosLearnerState {
  /** Votes per ballot (keyed `round.node`); at most `maxLearnerBallots` ballots are tracked. */
  readonly votes: Readonly<Record<string, BasicPaxosVotes>>;
  /** The learned value, boxed; `null` until learned. */
  readonly decided: { readonly value: unknown } | null;
  /** When an undecided learner asks the others for the outcome next. */
  readonly queryTimer: Timer;
}

/**
 * The state of a Basic Paxos node. A role the node does not play is `null`.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const s = basicPaxos.init({ id: 'd', acceptors: ['a', 'b', 'c'], learners: ['d'], proposers: [] });
 * s.acceptor; //=> null
 * ```
 */
export interface BasicPaxosState extends PaxosRoundOptions {
  /** This node's id. */
  readonly id: NodeId;
  /** See {@link BasicPaxosConfig.acceptors}. */
  readonly acceptors: readonly NodeId[];
  /** See {@link BasicPaxosConfig.learners}. */
  readonly learners: readonly NodeId[];
  /** See {@link BasicPaxosConfig.proposers}. */
  readonly proposers: readonly NodeId[];
  /** The backoff PRNG. */
  readonly prng: PrngState;
  /**
   * False until the node's first input: its timers then start from that input's `now` (an
   * unstarted node asks for a tick at once, its `nextDeadline` is the earliest possible time).
   */
  readonly started: boolean;
  /** Acceptor role. */
  readonly acceptor: BasicPaxosAcceptorState | null;
  /** Proposer role. */
  readonly proposer: BasicPaxosProposerState | null;
  /** Learner role. */
  readonly learner: BasicPaxosLearnerState | null;
}

/**
 * What a Basic Paxos node keeps on stable storage: the acceptor's promise and accepted proposal
 * (PMS §2.5), the proposer's highest round used, and the learned value.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const ballot = { round: 1, node: 'a' };
 * let b = basicPaxos.init({ id: 'b', acceptors: ['a', 'b', 'c'], seed: 1 });
 * b = basicPaxos.step(b, { type: 'message', from: 'a', message: { type: 'prepare', ballot }, now: 0 }).state;
 * const t = basicPaxos.step(b, { type: 'message', from: 'a', message: { type: 'accept', ballot, value: 'x' }, now: 1 });
 * basicPaxos.durable(t.state); //=> { promised: { round: 1, node: 'a' }, accepted: { ballot: { round: 1, node: 'a' }, value: 'x' }, usedRound: 0, decided: null }
 * ```
 */
export interface BasicPaxosDurable extends PaxosDurableBase<PaxosBallot> {
  /** Acceptor: highest accepted proposal. */
  readonly accepted: PaxosAccepted | null;
}

/**
 * Local command: propose `value`. Only a node listed in `proposers` may propose. If a value is
 * already known to be chosen, the node answers with `decided` at once.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const a = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const t = basicPaxos.step(a, { type: 'propose', value: 'x', now: 0 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'send', 'send']
 * ```
 */
export type BasicPaxosPropose = PaxosPropose;

/**
 * Inputs of Basic Paxos.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const a = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const t = basicPaxos.step(a, { type: 'propose', value: 'x', now: 0 });
 * // No promises by the phase timeout: retry with a higher ballot after a random backoff.
 * const later = basicPaxos.step(t.state, { type: 'tick', now: 100 });
 * later.state.proposer?.phase; //=> 'backoff'
 * ```
 */
export type BasicPaxosInput = PaxosInput;

/**
 * Event: this node learned the chosen value (already durable when this output appears).
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * // Proposer a is an acceptor too: with b's promise, then b's acceptance, a majority of three agrees.
 * const ballot = { round: 1, node: 'a' };
 * let a = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * a = basicPaxos.step(a, { type: 'propose', value: 'x', now: 0 }).state;
 * a = basicPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, accepted: null }, now: 1 }).state;
 * const t = basicPaxos.step(a, { type: 'message', from: 'b', message: { type: 'accepted', ballot, value: 'x' }, now: 2 });
 * t.outputs.find((o) => o.type === 'decided'); //=> { type: 'decided', value: 'x' }
 * ```
 */
export interface BasicPaxosDecided {
  /** Discriminator. */
  readonly type: 'decided';
  /** The chosen value. */
  readonly value: unknown;
}

/**
 * Outputs of Basic Paxos. A `persist` output carries the whole {@link BasicPaxosDurable} record
 * and comes before the sends of the same step.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * // Proposer a is an acceptor too: with b's promise, then b's acceptance, a majority of three agrees.
 * const ballot = { round: 1, node: 'a' };
 * let a = basicPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * a = basicPaxos.step(a, { type: 'propose', value: 'x', now: 0 }).state;
 * a = basicPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, accepted: null }, now: 1 }).state;
 * const t = basicPaxos.step(a, { type: 'message', from: 'b', message: { type: 'accepted', ballot, value: 'x' }, now: 2 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'send', 'send', 'decided']
 * ```
 */
export type BasicPaxosOutput = SendOutput<BasicPaxosMessage> | PersistOutput<BasicPaxosDurable> | RejectedOutput | BasicPaxosDecided;

/**
 * How many ballots a learner tallies votes for at once by default: a vote for a higher ballot
 * evicts the lowest one tracked (a value chosen in a lower ballot is the value of every higher
 * one, PMS §2.2, P2c), and a vote below all of them is rejected while the table is full. Bounds
 * memory against a flood of well-formed votes.
 *
 * @example
 * ```ts
 * import { BASIC_PAXOS_MAX_BALLOTS } from 'distkit/consensus';
 * BASIC_PAXOS_MAX_BALLOTS; //=> 16
 * ```
 */
export const BASIC_PAXOS_MAX_BALLOTS = 16;

// ---------------------------------------------------------------------------------------------
// init / recover / durable
// ---------------------------------------------------------------------------------------------

function initState(config: BasicPaxosConfig, durable: BasicPaxosDurable | null): BasicPaxosState {
  checkConfigObject(config);
  const id = checkId('id', config.id);
  const acceptors = checkIds('acceptors', config.acceptors);
  const { learners, proposers } = roleLists(config, acceptors);
  const options = roundOptions(config, BASIC_PAXOS_MAX_BALLOTS);
  const seed = requireSeed('seed', config.seed, id);
  const d = durable ?? { promised: null, accepted: null, usedRound: 0, decided: null };
  return {
    id,
    acceptors,
    learners,
    proposers,
    ...options,
    prng: seedPrng(durable === null ? seed : `${String(seed)}/${d.usedRound}`),
    started: false,
    acceptor: acceptors.includes(id) ? { promised: d.promised, accepted: d.accepted } : null,
    proposer: proposers.includes(id)
      ? { usedRound: d.usedRound, seenRound: 0, value: null, phase: 'idle', ballot: null, promises: {}, proposal: null, accepts: [], timer: STOPPED_TIMER, attempt: 0 }
      : null,
    learner: learners.includes(id) ? { votes: {}, decided: d.decided, queryTimer: STOPPED_TIMER } : null,
  };
}

function durableOf(s: BasicPaxosState): BasicPaxosDurable {
  return {
    promised: s.acceptor?.promised ?? null,
    accepted: s.acceptor?.accepted ?? null,
    usedRound: s.proposer?.usedRound ?? 0,
    decided: s.learner?.decided ?? null,
  };
}

function durableChanged(a: BasicPaxosState, b: BasicPaxosState): boolean {
  return (
    a.acceptor?.promised !== b.acceptor?.promised ||
    a.acceptor?.accepted !== b.acceptor?.accepted ||
    a.proposer?.usedRound !== b.proposer?.usedRound ||
    a.learner?.decided !== b.learner?.decided
  );
}

// ---------------------------------------------------------------------------------------------
// step
// ---------------------------------------------------------------------------------------------

/** The scratch of one step (see {@link PaxosCtx}). */
type Ctx = PaxosCtx<BasicPaxosState, BasicPaxosMessage, BasicPaxosOutput>;

function send(c: Ctx, to: NodeId, message: BasicPaxosMessage): void {
  sendTo(c, to, message);
}

const parts: RoundParts<BasicPaxosState, BasicPaxosMessage, BasicPaxosOutput> = {
  member: known,
  messageCheck,
  handle,
  chosen: onChosen,
  knownChosen,
  proposes: (s) => s.proposer !== null,
  start,
  tick: onTick,
  propose: onPropose,
  persist: (prev, next) => (durableChanged(prev, next) ? { type: 'persist', record: durableOf(next) } : null),
};

function step(state: BasicPaxosState, input: BasicPaxosInput): Transition<BasicPaxosState, BasicPaxosOutput> {
  return roundStep(parts, state, input);
}

/** The first input starts the node's timers from its `now`. */
function start(c: Ctx): void {
  // An undecided learner asks around from its first input on: it may have been down while the
  // value was chosen, and then nothing else would ever tell it.
  const l = c.s.learner;
  if (l !== null && l.decided === null && l.queryTimer.at === null) c.s = { ...c.s, learner: { ...l, queryTimer: startTimer(c.now, c.s.learnerRetryMs) } };
}

function known(s: BasicPaxosState, id: string): boolean {
  return s.acceptors.includes(id) || s.learners.includes(id) || s.proposers.includes(id);
}

/** Applies one valid message; returns a rejection reason when it cannot be used. */
function handle(c: Ctx, from: NodeId, m: Exclude<BasicPaxosMessage, PaxosOutcomeMessage>): string | undefined {
  switch (m.type) {
    case 'prepare':
      return onPrepare(c, from, m.ballot);
    case 'accept':
      return onAccept(c, from, m.ballot, m.value);
    case 'promise':
      return onPromise(c, from, m.ballot, m.accepted);
    case 'nack':
      return onNack(c, from, m.ballot, m.promised);
    case 'accepted':
      return onAccepted(c, from, m.ballot, m.value);
    default:
      return assertNever(m, 'message');
  }
}

// --- acceptor --------------------------------------------------------------------------------

/** A prepare or accept from `from`: the reason to reject it, null once refused with a nack, else the promise held after answering. */
function answer(c: Ctx, from: NodeId, ballot: PaxosBallot, what: string): PaxosBallot | string | null {
  const a = c.s.acceptor;
  if (a === null) return `${what}: this node is not an acceptor`;
  if (!c.s.proposers.includes(from)) return `${what}: ${from} is not a proposer`;
  return answerBallot(classicBallots, a.promised, from, ballot, (nack) => send(c, from, nack));
}

function onPrepare(c: Ctx, from: NodeId, ballot: PaxosBallot): string | undefined {
  // PMS phase 1(b): promise only for a number greater than any prepare already answered.
  const promised = answer(c, from, ballot, 'prepare');
  if (promised === null || typeof promised === 'string') return promised ?? undefined;
  const a = c.s.acceptor!;
  if (promised !== a.promised) c.s = { ...c.s, acceptor: { ...a, promised } };
  send(c, from, { type: 'promise', ballot, accepted: a.accepted });
  return undefined;
}

function onAccept(c: Ctx, from: NodeId, ballot: PaxosBallot, value: unknown): string | undefined {
  // PMS phase 2(b): accept unless a prepare with a greater number was promised.
  const promised = answer(c, from, ballot, 'accept');
  if (promised === null || typeof promised === 'string') return promised ?? undefined;
  const a = c.s.acceptor!;
  const same = a.accepted !== null && comparePaxosBallots(a.accepted.ballot, ballot) === 0;
  if (same && !sameValue(a.accepted!.value, value)) return `accept: ballot ${ballotText(ballot)} already carried another value`;
  if (!same) c.s = { ...c.s, acceptor: { promised, accepted: { ballot, value } } };
  const to = new Set<NodeId>([from, ...c.s.learners]);
  for (const n of to) send(c, n, { type: 'accepted', ballot, value });
  return undefined;
}

// --- proposer --------------------------------------------------------------------------------

function startRound(c: Ctx): void {
  const p = c.s.proposer!;
  const round = nextRound(p.usedRound, p.seenRound);
  if (round === null) {
    // Every round a peer may use is taken (unreachable in practice): stay idle, never reuse one.
    c.s = { ...c.s, proposer: { ...p, phase: 'idle', timer: stopTimer(p.timer) } };
    return;
  }
  const ballot: PaxosBallot = { round, node: c.s.id };
  c.s = {
    ...c.s,
    proposer: { ...p, usedRound: round, phase: 'prepare', ballot, promises: {}, proposal: null, accepts: [], timer: startTimer(c.now, c.s.phaseTimeoutMs) },
  };
  // PMS phase 1(a).
  for (const a of c.s.acceptors) send(c, a, { type: 'prepare', ballot });
}

function retryLater(c: Ctx, seenRound: number): void {
  const p = c.s.proposer!;
  const b = retryBackoff(p.attempt, c.now, c.s.backoffMinMs, c.s.backoffMaxMs, c.s.prng);
  c.s = {
    ...c.s,
    prng: b.prng,
    proposer: { ...p, seenRound: Math.max(p.seenRound, seenRound), phase: 'backoff', timer: b.timer, attempt: b.timer.attempt },
  };
}

function onPromise(c: Ctx, from: NodeId, ballot: PaxosBallot, accepted: PaxosAccepted | null): string | undefined {
  const p = c.s.proposer;
  if (p === null) return 'promise: this node is not a proposer';
  if (!c.s.acceptors.includes(from)) return `promise: ${from} is not an acceptor`;
  const problem = promiseProblem(classicBallots, { preparing: p.phase === 'prepare', ballot: p.ballot, promises: p.promises }, from, ballot, 'accepted.ballot', accepted?.ballot ?? null);
  if (problem !== undefined) return problem ?? undefined;
  const promises = withOwn(p.promises, from, accepted);
  const ids = Object.keys(promises);
  if (ids.length < majority(c.s.acceptors.length)) {
    c.s = { ...c.s, proposer: { ...p, promises } };
    return undefined;
  }
  // PMS phase 2(a): the value of the highest-numbered proposal among the responses, or, if the
  // responses report none, the proposer's own value.
  const best = highestVote(classicBallots, ids.map((id) => getOwn(promises, id) ?? null));
  const value = best !== null ? best.value : p.value!.value;
  c.s = { ...c.s, proposer: { ...p, promises, phase: 'accept', proposal: { value }, accepts: [], timer: startTimer(c.now, c.s.phaseTimeoutMs) } };
  for (const a of c.s.acceptors) send(c, a, { type: 'accept', ballot, value });
  return undefined;
}

function onNack(c: Ctx, from: NodeId, ballot: PaxosBallot, promised: PaxosBallot): string | undefined {
  const p = c.s.proposer;
  if (p === null) return 'nack: this node is not a proposer';
  if (!c.s.acceptors.includes(from)) return `nack: ${from} is not an acceptor`;
  const problem = nackProblem(classicBallots, p.phase === 'prepare' || p.phase === 'accept', p.ballot, ballot, promised);
  if (problem !== undefined) return problem;
  // The higher ballot tells the proposer which round to jump past; back off to let it finish.
  retryLater(c, promised.round);
  return undefined;
}

function onAccepted(c: Ctx, from: NodeId, ballot: PaxosBallot, value: unknown): string | undefined {
  if (!c.s.acceptors.includes(from)) return `accepted: ${from} is not an acceptor`;
  const p = c.s.proposer;
  let used = false;
  if (p !== null && p.phase === 'accept' && comparePaxosBallots(ballot, p.ballot) === 0 && !p.accepts.includes(from)) {
    if (!sameValue(value, p.proposal!.value)) return 'accepted: value differs from the one proposed in this ballot';
    used = true;
    const accepts = [...p.accepts, from];
    c.s = { ...c.s, proposer: { ...p, accepts } };
    if (accepts.length >= majority(c.s.acceptors.length)) {
      // A majority accepted: the value is chosen (PMS §2.1). Tell every learner and proposer.
      c.s = { ...c.s, proposer: { ...c.s.proposer!, phase: 'done', timer: STOPPED_TIMER } };
      announce(c, value);
    }
  }
  const l = c.s.learner;
  // Votes arriving after the decision are expected (the slower acceptors): nothing to do.
  if (l !== null && l.decided !== null) return undefined;
  if (l !== null) {
    const key = ballotKey(ballot);
    const prev = getOwn(l.votes, key);
    if (prev !== undefined && !sameValue(prev.value, value)) return `accepted: ballot ${ballotText(ballot)} already carried another value`;
    if (prev !== undefined && prev.from.includes(from)) return used ? undefined : `accepted: duplicate from ${from}`;
    const table = prev === undefined ? roomForBallot(classicBallots, l.votes, ballot, c.s.maxLearnerBallots) : l.votes;
    if (typeof table === 'string') return used ? undefined : `accepted: ${table}`;
    const votes = withOwn(table, key, { ballot, value, from: [...(prev?.from ?? []), from] });
    const count = getOwn(votes, key)!.from.length;
    c.s = { ...c.s, learner: { ...l, votes, queryTimer: l.queryTimer.at === null ? startTimer(c.now, c.s.learnerRetryMs) : l.queryTimer } };
    // PMS §2.3: a learner learns v once a majority of acceptors accepted it (in one ballot).
    if (count >= majority(c.s.acceptors.length)) learn(c, value);
    return undefined;
  }
  if (used || p?.phase === 'done') return undefined;
  return `accepted: ballot ${ballotText(ballot)} is not in progress here`;
}

function announce(c: Ctx, value: unknown): void {
  const to = new Set<NodeId>([...c.s.learners, ...c.s.proposers]);
  for (const n of to) send(c, n, { type: 'chosen', value });
}

function learn(c: Ctx, value: unknown): void {
  const l = c.s.learner;
  if (l !== null && l.decided === null) {
    c.s = { ...c.s, learner: { votes: {}, decided: { value }, queryTimer: STOPPED_TIMER } };
    c.out.push({ type: 'decided', value });
  }
  const p = c.s.proposer;
  if (p !== null && p.phase !== 'done') c.s = { ...c.s, proposer: { ...p, phase: 'done', proposal: { value }, timer: STOPPED_TIMER } };
}

function onChosen(c: Ctx, value: unknown): string | undefined {
  const l = c.s.learner;
  const p = c.s.proposer;
  if (l === null && p === null) return 'chosen: this node is neither a learner nor a proposer';
  if ((l === null || l.decided !== null) && (p === null || p.phase === 'done')) return undefined;
  learn(c, value);
  return undefined;
}

function knownChosen(s: BasicPaxosState): { readonly value: unknown } | null {
  if (s.learner?.decided) return s.learner.decided;
  if (s.proposer?.phase === 'done') return s.proposer.proposal;
  return null;
}


// --- time and commands -----------------------------------------------------------------------

function onTick(c: Ctx): void {
  const now = c.now;
  const p = c.s.proposer;
  if (p !== null && timerDue(p.timer, now)) {
    if (p.phase === 'backoff') startRound(c);
    // No quorum in time (lost messages, crashed acceptors): retry with a higher ballot.
    else if (p.phase === 'prepare' || p.phase === 'accept') retryLater(c, 0);
    else c.s = { ...c.s, proposer: { ...p, timer: STOPPED_TIMER } };
  }
  const l = c.s.learner;
  if (l !== null && timerDue(l.queryTimer, now)) {
    if (l.decided !== null) {
      c.s = { ...c.s, learner: { ...l, queryTimer: STOPPED_TIMER } };
      return;
    }
    c.s = { ...c.s, learner: { ...l, queryTimer: startTimer(now, c.s.learnerRetryMs) } };
    const to = new Set<NodeId>([...c.s.acceptors, ...c.s.proposers, ...c.s.learners]);
    to.delete(c.s.id);
    for (const n of to) send(c, n, { type: 'query' });
  }
}

function onPropose(c: Ctx, value: unknown): void {
  const p = c.s.proposer!;
  if (p.value === null) c.s = { ...c.s, proposer: { ...p, value: { value } } };
  if (p.phase === 'idle') {
    if (!canStartRound(Math.max(p.usedRound, p.seenRound))) throw new InvalidCommandError('propose', `node ${c.s.id} has used every ballot round (MAX_COUNTER)`);
    startRound(c);
  }
}

function nextDeadline(s: BasicPaxosState): number | undefined {
  // An unstarted node asks for a tick at once, so that its timers start from the host's clock.
  if (!s.started) return START_DEADLINE;
  return earliest(s.proposer?.timer, s.learner?.queryTimer);
}

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

/**
 * Basic Paxos (Lamport, "Paxos Made Simple", 2001) as a pure, durable machine: one node plays
 * any of proposer, acceptor and learner. Ballots are `(round, node id)`; phase 1 collects
 * promises carrying each acceptor's highest accepted proposal, phase 2 proposes the value of
 * the highest one (or the client's own); acceptors refuse lower ballots with a `nack` carrying
 * the ballot they promised; proposers retry after a randomized backoff from a seeded PRNG;
 * learners learn on a majority of `accepted` for one ballot, and undecided learners ask around.
 * The acceptor's state and the proposer's highest round are durable.
 *
 * @example
 * ```ts
 * import { basicPaxos } from 'distkit/consensus';
 * const acceptors = ['a', 'b', 'c'];
 * let s = basicPaxos.init({ id: 'a', acceptors, seed: 1 });
 * const t = basicPaxos.step(s, { type: 'propose', value: 'x', now: 0 });
 * // The round and the self-promise are persisted first, then prepare goes to b and c.
 * t.outputs.map((o) => o.type); //=> ['persist', 'send', 'send']
 * ```
 */
export const basicPaxos: DurableMachine<BasicPaxosConfig, BasicPaxosState, BasicPaxosInput, BasicPaxosOutput, BasicPaxosDurable> & {
  /** The earliest host time at which the node wants a `tick` (its timers), or `undefined` when it waits for nothing. */
  nextDeadline(state: BasicPaxosState): number | undefined;
} = durableMachine('basic-paxos', initState, step, nextDeadline, durableOf);
