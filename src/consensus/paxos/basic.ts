/**
 * Basic (single-decree) Paxos: Lamport, "Paxos Made Simple" (2001). Cited below as PMS.
 *
 * One machine plays any of the three roles of PMS §2 — proposer, acceptor, learner — as the
 * config lists the node in `proposers`, `acceptors` and `learners`.
 */
import type { DurableMachine, MessageInput, NodeId, PersistOutput, PrngState, RejectedOutput, SendOutput, TickInput, Transition } from '../../core/index.js';
import { ConfigError, InvalidCommandError, assertNever, plainDataProblem, reject, seedPrng, v } from '../../core/index.js';
import type { PaxosBallot } from './common.js';
import {
  backoff,
  ballotCheck,
  ballotKey,
  ballotText,
  comparePaxosBallots,
  majority,
  requireId,
  requireIds,
  requireMs,
  requireOrder,
  requireSeed,
  sameValue,
  senderText,
} from './common.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/**
 * Options of a Basic Paxos node.
 *
 * @example
 * ```ts
 * import type { BasicPaxosConfig } from 'distkit/consensus';
 * const c: BasicPaxosConfig = { id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 };
 * ```
 */
export interface BasicPaxosConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** The acceptors (PMS §2.2). A value is chosen when a majority of them accept it. */
  readonly acceptors: readonly NodeId[];
  /** Nodes that learn the chosen value (PMS §2.3). Default: the acceptors. */
  readonly learners?: readonly NodeId[];
  /** Nodes that may propose. Default: the acceptors. */
  readonly proposers?: readonly NodeId[];
  /** Seed of the PRNG that randomizes retry backoff. Default: the node id. */
  readonly seed?: number | string;
  /** A phase without a quorum of answers after this long is retried with a higher ballot. Default 100. */
  readonly phaseTimeoutMs?: number;
  /** Smallest randomized backoff before a retry, ms. Default 10. */
  readonly backoffMinMs?: number;
  /** Largest randomized backoff before a retry, ms. Default 500. */
  readonly backoffMaxMs?: number;
  /** An undecided learner asks the others for the outcome this often, ms. Default 200. */
  readonly learnerRetryMs?: number;
}

/**
 * A value an acceptor accepted, with the ballot it accepted it in.
 *
 * @example
 * ```ts
 * import type { PaxosAccepted } from 'distkit/consensus';
 * const a: PaxosAccepted = { ballot: { round: 1, node: 'a' }, value: 'x' };
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
 * import type { BasicPaxosMessage } from 'distkit/consensus';
 * const m: BasicPaxosMessage = { type: 'prepare', ballot: { round: 1, node: 'a' } };
 * ```
 */
export type BasicPaxosMessage =
  | { readonly type: 'prepare'; readonly ballot: PaxosBallot }
  | { readonly type: 'promise'; readonly ballot: PaxosBallot; readonly accepted: PaxosAccepted | null }
  | { readonly type: 'accept'; readonly ballot: PaxosBallot; readonly value: unknown }
  | { readonly type: 'accepted'; readonly ballot: PaxosBallot; readonly value: unknown }
  | { readonly type: 'nack'; readonly ballot: PaxosBallot; readonly promised: PaxosBallot }
  | { readonly type: 'chosen'; readonly value: unknown }
  | { readonly type: 'query' };

const acceptedCheck = v.object({ ballot: ballotCheck, value: v.json() });
const messageCheck = v.tagged({
  prepare: v.object({ ballot: ballotCheck }),
  promise: v.object({ ballot: ballotCheck, accepted: v.nullable(acceptedCheck) }),
  accept: v.object({ ballot: ballotCheck, value: v.json() }),
  accepted: v.object({ ballot: ballotCheck, value: v.json() }),
  nack: v.object({ ballot: ballotCheck, promised: ballotCheck }),
  chosen: v.object({ value: v.json() }),
  query: v.object({}),
});

/**
 * An acceptor's state (PMS §2.5: all of it is kept on stable storage).
 *
 * @example
 * ```ts
 * import type { BasicPaxosAcceptorState } from 'distkit/consensus';
 * const a: BasicPaxosAcceptorState = { promised: null, accepted: null };
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
 * import type { BasicPaxosPhase } from 'distkit/consensus';
 * const p: BasicPaxosPhase = 'prepare';
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
  /** When the current phase or backoff ends (host clock, ms). */
  readonly deadline: number | null;
  /** Length of the current timer, ms. */
  readonly timerMs: number;
  /**
   * False when the timer was started outside a `tick`, from a possibly stale clock: the next
   * tick restarts it from its own `now` (so a timeout is never shorter than intended).
   */
  readonly timerFresh: boolean;
  /** Failed attempts so far (drives the backoff). */
  readonly attempt: number;
}

/**
 * Votes a learner has counted for one ballot.
 *
 * @example
 * ```ts
 * import type { BasicPaxosVotes } from 'distkit/consensus';
 * const v: BasicPaxosVotes = { ballot: { round: 1, node: 'a' }, value: 'x', from: ['a'] };
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
 * import type { BasicPaxosLearnerState } from 'distkit/consensus';
 * const l: BasicPaxosLearnerState = { votes: {}, decided: null, queryAt: null, queryFresh: true };
 * ```
 */
export interface BasicPaxosLearnerState {
  /** Votes per ballot (keyed `round.node`); at most {@link BASIC_PAXOS_MAX_BALLOTS} ballots are tracked. */
  readonly votes: Readonly<Record<string, BasicPaxosVotes>>;
  /** The learned value, boxed; `null` until learned. */
  readonly decided: { readonly value: unknown } | null;
  /** When to ask the others for the outcome next. */
  readonly queryAt: number | null;
  /** False when `queryAt` was set outside a tick (see {@link BasicPaxosProposerState.timerFresh}). */
  readonly queryFresh: boolean;
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
export interface BasicPaxosState {
  /** This node's id. */
  readonly id: NodeId;
  /** See {@link BasicPaxosConfig.acceptors}. */
  readonly acceptors: readonly NodeId[];
  /** See {@link BasicPaxosConfig.learners}. */
  readonly learners: readonly NodeId[];
  /** See {@link BasicPaxosConfig.proposers}. */
  readonly proposers: readonly NodeId[];
  /** See {@link BasicPaxosConfig.phaseTimeoutMs}. */
  readonly phaseTimeoutMs: number;
  /** See {@link BasicPaxosConfig.backoffMinMs}. */
  readonly backoffMinMs: number;
  /** See {@link BasicPaxosConfig.backoffMaxMs}. */
  readonly backoffMaxMs: number;
  /** See {@link BasicPaxosConfig.learnerRetryMs}. */
  readonly learnerRetryMs: number;
  /** The backoff PRNG. */
  readonly prng: PrngState;
  /** The latest `tick` time seen. */
  readonly now: number;
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
 * import type { BasicPaxosDurable } from 'distkit/consensus';
 * const d: BasicPaxosDurable = { promised: null, accepted: null, usedRound: 0, decided: null };
 * ```
 */
export interface BasicPaxosDurable {
  /** Acceptor: highest promise. */
  readonly promised: PaxosBallot | null;
  /** Acceptor: highest accepted proposal. */
  readonly accepted: PaxosAccepted | null;
  /** Proposer: highest round used. */
  readonly usedRound: number;
  /** Learner: the learned value, boxed. */
  readonly decided: { readonly value: unknown } | null;
}

/**
 * Local command: propose `value`. Only a node listed in `proposers` may propose. If a value is
 * already known to be chosen, the node answers with `decided` at once.
 *
 * @example
 * ```ts
 * import type { BasicPaxosPropose } from 'distkit/consensus';
 * const c: BasicPaxosPropose = { type: 'propose', value: { op: 'set', x: 1 } };
 * ```
 */
export interface BasicPaxosPropose {
  /** Discriminator. */
  readonly type: 'propose';
  /** Any JSON value. */
  readonly value: unknown;
}

/**
 * Inputs of Basic Paxos.
 *
 * @example
 * ```ts
 * import type { BasicPaxosInput } from 'distkit/consensus';
 * const i: BasicPaxosInput = { type: 'tick', now: 100 };
 * ```
 */
export type BasicPaxosInput = MessageInput | TickInput | BasicPaxosPropose;

/**
 * Event: this node learned the chosen value (already durable when this output appears).
 *
 * @example
 * ```ts
 * import type { BasicPaxosDecided } from 'distkit/consensus';
 * const o: BasicPaxosDecided = { type: 'decided', value: 'x' };
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
 * import type { BasicPaxosOutput } from 'distkit/consensus';
 * const o: BasicPaxosOutput = { type: 'decided', value: 1 };
 * ```
 */
export type BasicPaxosOutput = SendOutput<BasicPaxosMessage> | PersistOutput<BasicPaxosDurable> | RejectedOutput | BasicPaxosDecided;

/**
 * How many ballots a learner tracks votes for at once (older ones are dropped); bounds memory
 * against a flood of well-formed but useless votes.
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
  if (config === null || typeof config !== 'object') throw new ConfigError('config', 'must be an object');
  const id = requireId('id', config.id);
  const acceptors = requireIds('acceptors', config.acceptors);
  const learners = config.learners === undefined ? acceptors : requireIds('learners', config.learners, { allowEmpty: true });
  const proposers = config.proposers === undefined ? acceptors : requireIds('proposers', config.proposers, { allowEmpty: true });
  const phaseTimeoutMs = requireMs('phaseTimeoutMs', config.phaseTimeoutMs, 100);
  const backoffMinMs = requireMs('backoffMinMs', config.backoffMinMs, 10);
  const backoffMaxMs = requireMs('backoffMaxMs', config.backoffMaxMs, 500);
  requireOrder('backoffMinMs', backoffMinMs, 'backoffMaxMs', backoffMaxMs);
  const learnerRetryMs = requireMs('learnerRetryMs', config.learnerRetryMs, 200);
  const seed = requireSeed('seed', config.seed, id);
  const d = durable ?? { promised: null, accepted: null, usedRound: 0, decided: null };
  return {
    id,
    acceptors,
    learners,
    proposers,
    phaseTimeoutMs,
    backoffMinMs,
    backoffMaxMs,
    learnerRetryMs,
    prng: seedPrng(durable === null ? seed : `${String(seed)}/${d.usedRound}`),
    now: 0,
    acceptor: acceptors.includes(id) ? { promised: d.promised, accepted: d.accepted } : null,
    proposer: proposers.includes(id)
      ? { usedRound: d.usedRound, seenRound: 0, value: null, phase: 'idle', ballot: null, promises: {}, proposal: null, accepts: [], deadline: null, timerMs: 0, timerFresh: true, attempt: 0 }
      : null,
    // An undecided learner asks around from its first tick on: it may have been down while the
    // value was chosen, and then nothing else would ever tell it.
    learner: learners.includes(id) ? { votes: {}, decided: d.decided, queryAt: d.decided === null ? 0 : null, queryFresh: d.decided !== null } : null,
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

/** The mutable scratch of one step: the input state is never touched. */
interface Ctx {
  s: BasicPaxosState;
  readonly out: BasicPaxosOutput[];
  /** Messages this node sent to itself, handled within the same step. */
  readonly local: BasicPaxosMessage[];
  /** Whether `s.now` is this step's time (a tick), or possibly stale (a message or command). */
  readonly atTick: boolean;
}

function timer(c: Ctx, ms: number): { deadline: number; timerMs: number; timerFresh: boolean } {
  return { deadline: c.s.now + ms, timerMs: ms, timerFresh: c.atTick };
}

function send(c: Ctx, to: NodeId, message: BasicPaxosMessage): void {
  if (to === c.s.id) c.local.push(message);
  else c.out.push({ type: 'send', to, message });
}

function finish(prev: BasicPaxosState, c: Ctx): Transition<BasicPaxosState, BasicPaxosOutput> {
  // Messages to self are handled here so a proposer that is also an acceptor needs no network hop.
  for (let i = 0; i < c.local.length && i < 10_000; i++) handle(c, c.s.id, c.local[i]!);
  if (!durableChanged(prev, c.s)) return { state: c.s, outputs: c.out };
  // Architecture rule 6: the persist record precedes every send of the step.
  return { state: c.s, outputs: [{ type: 'persist', record: durableOf(c.s) }, ...c.out] };
}

function step(state: BasicPaxosState, input: BasicPaxosInput): Transition<BasicPaxosState, BasicPaxosOutput> {
  const c: Ctx = { s: state, out: [], local: [], atTick: input.type === 'tick' };
  switch (input.type) {
    case 'message': {
      const from = input.from;
      if (typeof from !== 'string' || !known(state, from)) return reject(state, senderText(from), `from: ${senderText(from)} is not a member`);
      if (from === state.id) return reject(state, from, 'from: a node does not message itself over the network');
      const problem = messageCheck(input.message, 'message');
      if (problem !== undefined) return reject(state, from, problem);
      const reason = handle(c, from, input.message as BasicPaxosMessage);
      if (reason !== undefined) return reject(state, from, reason);
      return finish(state, c);
    }
    case 'tick':
      if (typeof input.now !== 'number' || !Number.isFinite(input.now)) return reject(state, 'local', 'now: expected a finite number');
      onTick(c, input.now);
      return c.s === state && c.out.length === 0 ? { state, outputs: [] } : finish(state, c);
    case 'propose':
      onPropose(c, input.value);
      return finish(state, c);
    default:
      return assertNever(input, 'input');
  }
}

function known(s: BasicPaxosState, id: string): boolean {
  return s.acceptors.includes(id) || s.learners.includes(id) || s.proposers.includes(id);
}

/** Applies one valid message; returns a rejection reason when it cannot be used. */
function handle(c: Ctx, from: NodeId, m: BasicPaxosMessage): string | undefined {
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
    case 'chosen':
      return onChosen(c, m.value);
    case 'query':
      return onQuery(c, from);
    default:
      return assertNever(m, 'message');
  }
}

// --- acceptor --------------------------------------------------------------------------------

function onPrepare(c: Ctx, from: NodeId, ballot: PaxosBallot): string | undefined {
  const a = c.s.acceptor;
  if (a === null) return 'prepare: this node is not an acceptor';
  if (!c.s.proposers.includes(from)) return `prepare: ${from} is not a proposer`;
  if (ballot.node !== from) return `ballot.node: ${ballot.node} is not the sender ${from}`;
  const cmp = comparePaxosBallots(ballot, a.promised);
  // PMS phase 1(b): promise only for a number greater than any prepare already answered. An
  // equal ballot is a duplicate of the prepare already promised: answer it again.
  if (cmp < 0) {
    send(c, from, { type: 'nack', ballot, promised: a.promised! });
    return undefined;
  }
  if (cmp > 0) c.s = { ...c.s, acceptor: { ...a, promised: ballot } };
  send(c, from, { type: 'promise', ballot, accepted: a.accepted });
  return undefined;
}

function onAccept(c: Ctx, from: NodeId, ballot: PaxosBallot, value: unknown): string | undefined {
  const a = c.s.acceptor;
  if (a === null) return 'accept: this node is not an acceptor';
  if (!c.s.proposers.includes(from)) return `accept: ${from} is not a proposer`;
  if (ballot.node !== from) return `ballot.node: ${ballot.node} is not the sender ${from}`;
  // PMS phase 2(b): accept unless a prepare with a greater number was promised.
  if (comparePaxosBallots(ballot, a.promised) < 0) {
    send(c, from, { type: 'nack', ballot, promised: a.promised! });
    return undefined;
  }
  const same = a.accepted !== null && comparePaxosBallots(a.accepted.ballot, ballot) === 0;
  if (same && !sameValue(a.accepted!.value, value)) return `accept: ballot ${ballotText(ballot)} already carried another value`;
  if (!same) {
    c.s = { ...c.s, acceptor: { promised: comparePaxosBallots(ballot, a.promised) > 0 ? ballot : a.promised, accepted: { ballot, value } } };
  }
  const to = new Set<NodeId>([from, ...c.s.learners]);
  for (const n of to) send(c, n, { type: 'accepted', ballot, value });
  return undefined;
}

// --- proposer --------------------------------------------------------------------------------

function startRound(c: Ctx): void {
  const p = c.s.proposer!;
  const round = Math.max(p.usedRound, p.seenRound) + 1;
  const ballot: PaxosBallot = { round, node: c.s.id };
  c.s = {
    ...c.s,
    proposer: { ...p, usedRound: round, phase: 'prepare', ballot, promises: {}, proposal: null, accepts: [], ...timer(c, c.s.phaseTimeoutMs) },
  };
  // PMS phase 1(a).
  for (const a of c.s.acceptors) send(c, a, { type: 'prepare', ballot });
}

function retryLater(c: Ctx, seenRound: number): void {
  const p = c.s.proposer!;
  const b = backoff(c.s.prng, p.attempt, c.s.backoffMinMs, c.s.backoffMaxMs);
  c.s = {
    ...c.s,
    prng: b.prng,
    proposer: { ...p, seenRound: Math.max(p.seenRound, seenRound), phase: 'backoff', ...timer(c, b.delayMs), attempt: p.attempt + 1 },
  };
}

function onPromise(c: Ctx, from: NodeId, ballot: PaxosBallot, accepted: PaxosAccepted | null): string | undefined {
  const p = c.s.proposer;
  if (p === null) return 'promise: this node is not a proposer';
  if (!c.s.acceptors.includes(from)) return `promise: ${from} is not an acceptor`;
  // A late promise for the ballot already past phase 1 is expected (the slower acceptors).
  if (p.phase !== 'prepare' && comparePaxosBallots(ballot, p.ballot) === 0) return undefined;
  if (p.phase !== 'prepare' || comparePaxosBallots(ballot, p.ballot) !== 0) return `promise: ballot ${ballotText(ballot)} is not being prepared`;
  if (accepted !== null && comparePaxosBallots(accepted.ballot, ballot) >= 0) return 'promise: accepted.ballot must be below the promised ballot';
  if (Object.prototype.hasOwnProperty.call(p.promises, from)) return `promise: duplicate from ${from}`;
  const promises = { ...p.promises, [from]: accepted };
  const ids = Object.keys(promises);
  if (ids.length < majority(c.s.acceptors.length)) {
    c.s = { ...c.s, proposer: { ...p, promises } };
    return undefined;
  }
  // PMS phase 2(a): the value of the highest-numbered proposal among the responses, or, if the
  // responses report none, the proposer's own value.
  let best: PaxosAccepted | null = null;
  for (const id of ids) {
    const acc = promises[id]!;
    if (acc !== null && comparePaxosBallots(acc.ballot, best?.ballot ?? null) > 0) best = acc;
  }
  const value = best !== null ? best.value : p.value!.value;
  c.s = { ...c.s, proposer: { ...p, promises, phase: 'accept', proposal: { value }, accepts: [], ...timer(c, c.s.phaseTimeoutMs) } };
  for (const a of c.s.acceptors) send(c, a, { type: 'accept', ballot, value });
  return undefined;
}

function onNack(c: Ctx, from: NodeId, ballot: PaxosBallot, promised: PaxosBallot): string | undefined {
  const p = c.s.proposer;
  if (p === null) return 'nack: this node is not a proposer';
  if (!c.s.acceptors.includes(from)) return `nack: ${from} is not an acceptor`;
  if (comparePaxosBallots(promised, ballot) <= 0) return 'nack: promised must exceed the refused ballot';
  if ((p.phase !== 'prepare' && p.phase !== 'accept') || comparePaxosBallots(ballot, p.ballot) !== 0) return `nack: ballot ${ballotText(ballot)} is not in progress`;
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
      c.s = { ...c.s, proposer: { ...c.s.proposer!, phase: 'done', deadline: null } };
      announce(c, value);
    }
  }
  const l = c.s.learner;
  // Votes arriving after the decision are expected (the slower acceptors): nothing to do.
  if (l !== null && l.decided !== null) return undefined;
  if (l !== null) {
    const key = ballotKey(ballot);
    const prev = l.votes[key];
    if (prev !== undefined && !sameValue(prev.value, value)) return `accepted: ballot ${ballotText(ballot)} already carried another value`;
    if (prev !== undefined && prev.from.includes(from)) return used ? undefined : `accepted: duplicate from ${from}`;
    const votes = { ...l.votes, [key]: { ballot, value, from: [...(prev?.from ?? []), from] } };
    pruneVotes(votes);
    const count = votes[key]?.from.length ?? 0;
    c.s = { ...c.s, learner: { ...l, votes, ...(l.queryAt === null ? { queryAt: c.s.now + c.s.learnerRetryMs, queryFresh: c.atTick } : {}) } };
    // PMS §2.3: a learner learns v once a majority of acceptors accepted it (in one ballot).
    if (count >= majority(c.s.acceptors.length)) learn(c, value);
    return undefined;
  }
  if (used || p?.phase === 'done') return undefined;
  return `accepted: ballot ${ballotText(ballot)} is not in progress here`;
}

function pruneVotes(votes: Record<string, BasicPaxosVotes>): void {
  const keys = Object.keys(votes);
  if (keys.length <= BASIC_PAXOS_MAX_BALLOTS) return;
  let low = keys[0]!;
  for (const k of keys) if (comparePaxosBallots(votes[k]!.ballot, votes[low]!.ballot) < 0) low = k;
  delete votes[low];
}

function announce(c: Ctx, value: unknown): void {
  const to = new Set<NodeId>([...c.s.learners, ...c.s.proposers]);
  for (const n of to) send(c, n, { type: 'chosen', value });
}

function learn(c: Ctx, value: unknown): void {
  const l = c.s.learner;
  if (l !== null && l.decided === null) {
    c.s = { ...c.s, learner: { votes: {}, decided: { value }, queryAt: null, queryFresh: true } };
    c.out.push({ type: 'decided', value });
  }
  const p = c.s.proposer;
  if (p !== null && p.phase !== 'done') c.s = { ...c.s, proposer: { ...p, phase: 'done', proposal: { value }, deadline: null } };
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

function onQuery(c: Ctx, from: NodeId): string | undefined {
  const k = knownChosen(c.s);
  if (k !== null) send(c, from, { type: 'chosen', value: k.value });
  return undefined;
}

// --- time and commands -----------------------------------------------------------------------

function onTick(c: Ctx, now: number): void {
  if (now > c.s.now) c.s = { ...c.s, now };
  const p0 = c.s.proposer;
  if (p0 !== null && p0.deadline !== null && !p0.timerFresh) {
    c.s = { ...c.s, proposer: { ...p0, deadline: c.s.now + p0.timerMs, timerFresh: true } };
  }
  const l0 = c.s.learner;
  if (l0 !== null && l0.queryAt !== null && !l0.queryFresh) c.s = { ...c.s, learner: { ...l0, queryAt: c.s.now + c.s.learnerRetryMs, queryFresh: true } };
  const p = c.s.proposer;
  if (p !== null && p.deadline !== null && c.s.now >= p.deadline) {
    if (p.phase === 'backoff') startRound(c);
    // No quorum in time (lost messages, crashed acceptors): retry with a higher ballot.
    else if (p.phase === 'prepare' || p.phase === 'accept') retryLater(c, 0);
  }
  const l = c.s.learner;
  if (l !== null && l.decided === null && l.queryAt !== null && c.s.now >= l.queryAt) {
    c.s = { ...c.s, learner: { ...l, queryAt: c.s.now + c.s.learnerRetryMs } };
    const to = new Set<NodeId>([...c.s.acceptors, ...c.s.proposers, ...c.s.learners]);
    to.delete(c.s.id);
    for (const n of to) send(c, n, { type: 'query' });
  }
}

function onPropose(c: Ctx, value: unknown): void {
  const p = c.s.proposer;
  if (p === null) throw new InvalidCommandError('propose', `node ${c.s.id} is not a proposer (see config.proposers)`);
  const problem = plainDataProblem(value, 'value');
  if (problem !== undefined || value === undefined) throw new InvalidCommandError('propose', problem ?? 'value: must be JSON data');
  const k = knownChosen(c.s);
  if (k !== null) {
    c.out.push({ type: 'decided', value: k.value });
    return;
  }
  if (p.value === null) c.s = { ...c.s, proposer: { ...p, value: { value } } };
  if (p.phase === 'idle') startRound(c);
}

function nextDeadline(s: BasicPaxosState): number | undefined {
  // A timer started from a stale clock asks for a tick now, to restart it from a fresh one.
  const a = s.proposer?.timerFresh === false ? s.now : (s.proposer?.deadline ?? null);
  const b = s.learner?.queryFresh === false ? s.now : (s.learner?.queryAt ?? null);
  if (a === null) return b ?? undefined;
  return b === null ? a : Math.min(a, b);
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
 * const t = basicPaxos.step(s, { type: 'propose', value: 'x' });
 * t.outputs[0]?.type; //=> 'persist' (round and self-promise), then prepare to b and c
 * ```
 */
export const basicPaxos: DurableMachine<BasicPaxosConfig, BasicPaxosState, BasicPaxosInput, BasicPaxosOutput, BasicPaxosDurable> & {
  /** The earliest host time at which the node wants a `tick` (its timers), or `undefined` when it waits for nothing. */
  nextDeadline(state: BasicPaxosState): number | undefined;
} = {
  name: 'basic-paxos',
  init: (config) => initState(config, null),
  step,
  nextDeadline,
  durable: durableOf,
  recover: (config, durable) => initState(config, durable),
};
