/**
 * Multi-Paxos: a replicated log of slots with a stable leader. Sources: van Renesse & Altinbuken,
 * "Paxos Made Moderately Complex" (ACM CSUR 2015, cited as PMMC) and Chandra, Griesemer &
 * Redstone, "Paxos Made Live" (PODC 2007, cited as PML); the single-slot rules are those of
 * Lamport's "Paxos Made Simple" (PMS).
 *
 * Every node is an acceptor, a replica (learner) and a potential leader. A leader runs phase 1
 * once, for every slot from its first undecided one on (PMMC §3 "scouts"), fills the gaps it
 * finds with no-ops (PML §4.2), and then runs only phase 2 per slot (PMMC "commanders").
 */
import type { DataLimits, DurableMachine, MessageInput, NodeId, PersistOutput, PrngState, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../../core/index.js';
import { ConfigError, InvalidCommandError, MAX_COUNTER, STOPPED_TIMER, assertNever, canonicalJson, checkMembers, earliest, getOwn, hasOwn, inputNow, majority, nonNegativeInt, positiveInt, positiveMs, randomTimer, reject, seedPrng, startTimer, stopTimer, timerDue, v, withOwn } from '../../core/index.js';
import { answerBallot } from './acceptor.js';
import type { PaxosBallot, PaxosNack, PaxosPropose } from './common.js';
import { START_DEADLINE, ballotCheck, ballotText, canStartRound, classicBallots, comparePaxosBallots, requireLimits, requireSeed } from './common.js';
import { nextRound } from './proposer.js';
import type { PaxosCtx } from './step.js';
import { checkConfigObject, checksByLimits, durableMachine, handleLocal, nackCheck, newCtx, persistFirst, proposedValue, receive, sendTo } from './step.js';
import type { MultiPaxosLog } from './log.js';
import { emptyLog, logAppend, logAt, logFrom, logSlice, multiPaxosLogItems } from './log.js';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/**
 * Options of a Multi-Paxos replica.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * const s = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 7, heartbeatIntervalMs: 20 });
 * [s.acceptors, s.heartbeatIntervalMs]; //=> [['a', 'b', 'c'], 20]
 * ```
 */
export interface MultiPaxosConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every replica: each one an acceptor, a learner (replica) and a potential leader. */
  readonly acceptors: readonly NodeId[];
  /** Seed of the PRNG that randomizes election timeouts. Default: the node id. */
  readonly seed?: number | string;
  /** How often a leader sends heartbeats and re-sends unacknowledged accepts, ms. Default 50. */
  readonly heartbeatIntervalMs?: number;
  /** A follower that hears no leader for a random time in [T, 2T) campaigns, ms. Default 300. */
  readonly electionTimeoutMs?: number;
  /** Slots a leader may have in phase 2 at once (PMMC's window α). Default 64. */
  readonly maxInflight?: number;
  /** Proposals a leader queues while its window is full; more are refused. Default 10 000. */
  readonly maxQueued?: number;
  /** Entries per `accept`, `promise` or `decisions` message. Default 64. */
  readonly maxBatch?: number;
  /** On recovery: slots the application has already applied (not delivered again). Default 0. */
  readonly applied?: number;
  /**
   * How far beyond its decided prefix a replica accepts votes, in slots: this bounds the slots a
   * peer's `accept`s can make it keep, and the no-ops a new leader fills. At least `maxInflight`.
   * Default {@link MULTI_PAXOS_MAX_PENDING_SLOTS}.
   */
  readonly maxPendingSlots?: number;
  /** Bounds on a proposed or received command (depth and JSON size). Default `PAYLOAD_LIMITS` of distkit/core. */
  readonly payloadLimits?: Partial<DataLimits>;
}

/**
 * The default of {@link MultiPaxosConfig.maxPendingSlots}: a replica keeps votes for at most
 * this many slots beyond its decided prefix and refuses `accept`s beyond them (it catches up
 * first).
 *
 * @example
 * ```ts
 * import { MULTI_PAXOS_MAX_PENDING_SLOTS } from 'distkit/consensus';
 * MULTI_PAXOS_MAX_PENDING_SLOTS; //=> 1024
 * ```
 */
export const MULTI_PAXOS_MAX_PENDING_SLOTS = 1024;

/**
 * A log entry: a client command, or a no-op that fills a gap after a leader change (PML §4.2).
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * const ballot = { round: 1, node: 'a' };
 * // b's promise makes a majority with a's own: a leads from slot 1.
 * a = multiPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, logEnd: 0, accepted: [], more: false }, now: 1 }).state;
 * const t = multiPaxos.step(a, { type: 'propose', value: 'set x 1', now: 2 });
 * t.outputs.filter((o) => o.type === 'send').map((o) => o.message); //=> [{ type: 'accept', ballot: { round: 1, node: 'a' }, entries: [{ slot: 1, entry: { kind: 'command', value: 'set x 1' } }] }, { type: 'accept', ballot: { round: 1, node: 'a' }, entries: [{ slot: 1, entry: { kind: 'command', value: 'set x 1' } }] }]
 * ```
 */
export type MultiPaxosEntry = { readonly kind: 'command'; readonly value: unknown } | { readonly kind: 'noop' };

/**
 * An acceptor's vote for a slot: the entry it accepted and the ballot it accepted it in.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * const ballot = { round: 1, node: 'a' };
 * let b = multiPaxos.init({ id: 'b', acceptors: ['a', 'b', 'c'], seed: 1 });
 * b = multiPaxos.step(b, { type: 'message', from: 'a', message: { type: 'prepare', ballot, fromSlot: 1 }, now: 0 }).state;
 * const t = multiPaxos.step(b, { type: 'message', from: 'a', message: { type: 'accept', ballot, entries: [{ slot: 1, entry: { kind: 'command', value: 'set x 1' } }] }, now: 1 });
 * multiPaxos.durable(t.state).accepted; //=> [{ slot: 1, ballot: { round: 1, node: 'a' }, entry: { kind: 'command', value: 'set x 1' } }]
 * ```
 */
export interface MultiPaxosAccepted {
  /** The slot. */
  readonly slot: number;
  /** Ballot of the vote. */
  readonly ballot: PaxosBallot;
  /** The accepted entry. */
  readonly entry: MultiPaxosEntry;
}

/**
 * A message of Multi-Paxos.
 *
 * - `prepare` (phase 1a for every slot from `fromSlot` on) and `promise` (1b: the acceptor's
 *   votes for those slots and the length of its decided prefix, `logEnd`).
 * - `accept` (2a) and `accepted` (2b) for batches of slots; `nack` refuses a lower ballot and
 *   carries the promised one.
 * - `decide`: slots chosen in `ballot` (a replica that voted for them in that ballot learns them).
 * - `heartbeat`: the leader is alive and its decided prefix is `logEnd` long.
 * - `catchup` / `decisions`: a lagging replica fetches decided entries from `from` on.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * camp.outputs.filter((o) => o.type === 'send').map((o) => o.message); //=> [{ type: 'prepare', ballot: { round: 1, node: 'a' }, fromSlot: 1 }, { type: 'prepare', ballot: { round: 1, node: 'a' }, fromSlot: 1 }]
 * ```
 */
export type MultiPaxosMessage =
  | { readonly type: 'prepare'; readonly ballot: PaxosBallot; readonly fromSlot: number }
  | { readonly type: 'promise'; readonly ballot: PaxosBallot; readonly logEnd: number; readonly accepted: readonly MultiPaxosAccepted[]; readonly more: boolean }
  | { readonly type: 'accept'; readonly ballot: PaxosBallot; readonly entries: readonly { readonly slot: number; readonly entry: MultiPaxosEntry }[] }
  | { readonly type: 'accepted'; readonly ballot: PaxosBallot; readonly slots: readonly number[] }
  | PaxosNack
  | { readonly type: 'decide'; readonly ballot: PaxosBallot; readonly slots: readonly number[] }
  | { readonly type: 'heartbeat'; readonly ballot: PaxosBallot; readonly logEnd: number }
  | { readonly type: 'catchup'; readonly from: number }
  | { readonly type: 'decisions'; readonly from: number; readonly entries: readonly MultiPaxosEntry[] };

/** Largest batch a message may carry (bounds the work of one untrusted message). */
const MAX_WIRE_BATCH = 4096;
/** Largest `maxPendingSlots` (and so the farthest slot beyond a prefix that is ever used). */
const MAX_SLOT_AHEAD = 1 << 20;
/** Slot numbers on the wire: a slot plus a full window and a batch stays a counter. */
const MAX_SLOT = MAX_COUNTER - MAX_SLOT_AHEAD - MAX_WIRE_BATCH;
const slotCheck = v.int({ min: 1, max: MAX_SLOT });

function messageCheckFor(limits: DataLimits) {
  const entryCheck = v.tagged({ command: v.object({ kind: v.literal('command'), value: v.json(limits) }), noop: v.object({ kind: v.literal('noop') }) }, 'kind');
  return v.tagged({
    prepare: v.object({ type: v.literal('prepare'), ballot: ballotCheck, fromSlot: slotCheck }),
    promise: v.object({
      type: v.literal('promise'),
      ballot: ballotCheck,
      logEnd: v.int({ min: 0, max: MAX_SLOT }),
      accepted: v.array(v.object({ slot: slotCheck, ballot: ballotCheck, entry: entryCheck }), { maxLength: MAX_WIRE_BATCH }),
      more: v.boolean(),
    }),
    accept: v.object({ type: v.literal('accept'), ballot: ballotCheck, entries: v.array(v.object({ slot: slotCheck, entry: entryCheck }), { minLength: 1, maxLength: MAX_WIRE_BATCH }) }),
    accepted: v.object({ type: v.literal('accepted'), ballot: ballotCheck, slots: v.array(slotCheck, { minLength: 1, maxLength: MAX_WIRE_BATCH }) }),
    nack: nackCheck(ballotCheck),
    decide: v.object({ type: v.literal('decide'), ballot: ballotCheck, slots: v.array(slotCheck, { minLength: 1, maxLength: MAX_WIRE_BATCH }) }),
    heartbeat: v.object({ type: v.literal('heartbeat'), ballot: ballotCheck, logEnd: v.int({ min: 0, max: MAX_SLOT }) }),
    catchup: v.object({ type: v.literal('catchup'), from: slotCheck }),
    decisions: v.object({ type: v.literal('decisions'), from: slotCheck, entries: v.array(entryCheck, { minLength: 1, maxLength: MAX_WIRE_BATCH }) }),
  });
}
const messageCheck = checksByLimits(messageCheckFor);

/**
 * A slot above the decided prefix: this node's vote for it and, if learned, the chosen entry.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * const ballot = { round: 1, node: 'a' };
 * // b's promise makes a majority with a's own: a leads from slot 1.
 * a = multiPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, logEnd: 0, accepted: [], more: false }, now: 1 }).state;
 * const t = multiPaxos.step(a, { type: 'propose', value: 'set x 1', now: 2 });
 * const d = multiPaxos.step(t.state, { type: 'message', from: 'b', message: { type: 'accepted', ballot, slots: [1] }, now: 3 });
 * d.outputs.filter((o) => o.type !== 'send'); //=> [{ type: 'persist', record: { promised: { round: 1, node: 'a' }, usedRound: 1, accepted: [], logFrom: 1, decided: [{ kind: 'command', value: 'set x 1' }] } }, { type: 'deliver', slot: 1, value: 'set x 1' }]
 * ```
 */
export interface MultiPaxosSlot {
  /** The acceptor's vote (durable). */
  readonly accepted: { readonly ballot: PaxosBallot; readonly entry: MultiPaxosEntry } | null;
  /** The chosen entry, once learned out of order. */
  readonly decided: MultiPaxosEntry | null;
}

/**
 * A slot a leader has in phase 2.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * const ballot = { round: 1, node: 'a' };
 * // b's promise makes a majority with a's own: a leads from slot 1.
 * a = multiPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, logEnd: 0, accepted: [], more: false }, now: 1 }).state;
 * const t = multiPaxos.step(a, { type: 'propose', value: 'set x 1', now: 2 });
 * t.state.lead?.inflight; //=> { '1': { entry: { kind: 'command', value: 'set x 1' }, acks: ['a'] } }
 * ```
 */
export interface MultiPaxosInflight {
  /** The proposed entry. */
  readonly entry: MultiPaxosEntry;
  /** Acceptors that accepted it. */
  readonly acks: readonly NodeId[];
}

/**
 * A candidate's phase 1 in progress.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * a.campaign; //=> { ballot: { round: 1, node: 'a' }, fromSlot: 1, promises: { a: { logEnd: 0, accepted: [] } } }
 * ```
 */
export interface MultiPaxosCampaign {
  /** The ballot being prepared. */
  readonly ballot: PaxosBallot;
  /** Phase 1 covers every slot from here on. */
  readonly fromSlot: number;
  /** Promises so far: each acceptor's `logEnd` and its votes at or above `fromSlot`. */
  readonly promises: Readonly<Record<NodeId, { readonly logEnd: number; readonly accepted: readonly MultiPaxosAccepted[] }>>;
}

/**
 * A leader's volatile state.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * const ballot = { round: 1, node: 'a' };
 * // b's promise makes a majority with a's own: a leads from slot 1.
 * a = multiPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, logEnd: 0, accepted: [], more: false }, now: 1 }).state;
 * [a.role, a.lead?.nextSlot]; //=> ['leader', 1]
 * ```
 */
export interface MultiPaxosLeadership {
  /** The ballot phase 1 succeeded for. */
  readonly ballot: PaxosBallot;
  /** The next free slot. */
  readonly nextSlot: number;
  /** Slots in phase 2, keyed by slot number. */
  readonly inflight: Readonly<Record<string, MultiPaxosInflight>>;
  /** Proposals waiting for room in the window. */
  readonly queue: readonly unknown[];
  /** When to send the next heartbeat (and re-send unacknowledged accepts). */
  readonly heartbeatTimer: Timer;
}

/**
 * A replica's role.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * const ballot = { round: 1, node: 'a' };
 * // b's promise makes a majority with a's own: a leads from slot 1.
 * a = multiPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, logEnd: 0, accepted: [], more: false }, now: 1 }).state;
 * a.role; //=> 'leader'
 * ```
 */
export type MultiPaxosRole = 'follower' | 'candidate' | 'leader';

/**
 * The state of a Multi-Paxos replica.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * const s = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'] });
 * s.role; //=> 'follower'
 * ```
 */
export interface MultiPaxosState {
  /** This node's id. */
  readonly id: NodeId;
  /** All replicas (see {@link MultiPaxosConfig.acceptors}). */
  readonly acceptors: readonly NodeId[];
  /** See {@link MultiPaxosConfig.heartbeatIntervalMs}. */
  readonly heartbeatIntervalMs: number;
  /** See {@link MultiPaxosConfig.electionTimeoutMs}. */
  readonly electionTimeoutMs: number;
  /** See {@link MultiPaxosConfig.maxInflight}. */
  readonly maxInflight: number;
  /** See {@link MultiPaxosConfig.maxQueued}. */
  readonly maxQueued: number;
  /** See {@link MultiPaxosConfig.maxBatch}. */
  readonly maxBatch: number;
  /** See {@link MultiPaxosConfig.maxPendingSlots}. */
  readonly maxPendingSlots: number;
  /** See {@link MultiPaxosConfig.payloadLimits}. */
  readonly payloadLimits: DataLimits;
  /** Election-timeout PRNG. */
  readonly prng: PrngState;
  /** Acceptor: the highest ballot promised (durable). */
  readonly promised: PaxosBallot | null;
  /** Highest round this node used for a ballot (durable: a ballot is never reused). */
  readonly usedRound: number;
  /** Highest round seen from others. */
  readonly seenRound: number;
  /** The decided prefix of the log, slots 1..length (durable). */
  readonly log: MultiPaxosLog<MultiPaxosEntry>;
  /** Slots above the decided prefix, keyed by slot number. */
  readonly pending: Readonly<Record<string, MultiPaxosSlot>>;
  /** Slots delivered to the application. */
  readonly delivered: number;
  /** Role. */
  readonly role: MultiPaxosRole;
  /** The leader this node follows (a hint), or null. */
  readonly leader: NodeId | null;
  /** When a follower or candidate campaigns next (randomized in [T, 2T)); stopped for a leader. */
  readonly electionTimer: Timer;
  /**
   * False until the node's first input: the election timer then starts from that input's `now`
   * (an unstarted node asks for a tick at once, see {@link multiPaxosNextDeadline}).
   */
  readonly started: boolean;
  /** Longest decided prefix heard of, and from whom (for catch-up). */
  readonly knownEnd: number;
  /** Who reported {@link MultiPaxosState.knownEnd}. */
  readonly knownEndFrom: NodeId | null;
  /** When to ask for missing decisions again. */
  readonly catchupTimer: Timer;
  /** Phase 1 in progress (candidates only). */
  readonly campaign: MultiPaxosCampaign | null;
  /** Leader state (leaders only). */
  readonly lead: MultiPaxosLeadership | null;
}

/**
 * What a replica keeps on stable storage: the acceptor's promise and votes, the highest round
 * it used, and the decided log.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * const ballot = { round: 1, node: 'a' };
 * let b = multiPaxos.init({ id: 'b', acceptors: ['a', 'b', 'c'], seed: 1 });
 * b = multiPaxos.step(b, { type: 'message', from: 'a', message: { type: 'prepare', ballot, fromSlot: 1 }, now: 0 }).state;
 * const t = multiPaxos.step(b, { type: 'message', from: 'a', message: { type: 'accept', ballot, entries: [{ slot: 1, entry: { kind: 'command', value: 'set x 1' } }] }, now: 1 });
 * multiPaxos.durable(t.state); //=> { promised: { round: 1, node: 'a' }, usedRound: 0, log: [], accepted: [{ slot: 1, ballot: { round: 1, node: 'a' }, entry: { kind: 'command', value: 'set x 1' } }] }
 * ```
 */
export interface MultiPaxosDurable {
  /** Highest promise. */
  readonly promised: PaxosBallot | null;
  /** Highest round used. */
  readonly usedRound: number;
  /** The decided prefix, slot 1 first. */
  readonly log: readonly MultiPaxosEntry[];
  /** Votes for slots above the decided prefix. */
  readonly accepted: readonly MultiPaxosAccepted[];
}

/**
 * The record of a `persist` output: what changed in this step. Fold it into the stored
 * {@link MultiPaxosDurable} with {@link applyMultiPaxosPersist}.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * camp.outputs[0]; //=> { type: 'persist', record: { promised: { round: 1, node: 'a' }, usedRound: 1, accepted: [], logFrom: 1, decided: [] } }
 * ```
 */
export interface MultiPaxosPersistRecord {
  /** The promise now. */
  readonly promised: PaxosBallot | null;
  /** The highest round used now. */
  readonly usedRound: number;
  /** Votes cast in this step (each replaces the slot's previous vote). */
  readonly accepted: readonly MultiPaxosAccepted[];
  /** The slot of `decided[0]`. */
  readonly logFrom: number;
  /** Entries appended to the decided prefix in this step. */
  readonly decided: readonly MultiPaxosEntry[];
}

/**
 * Local command: propose a command. Only the leader takes it; others answer `notLeader`.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * const ballot = { round: 1, node: 'a' };
 * // b's promise makes a majority with a's own: a leads from slot 1.
 * a = multiPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, logEnd: 0, accepted: [], more: false }, now: 1 }).state;
 * const t = multiPaxos.step(a, { type: 'propose', value: 'set x 1', now: 2 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'proposed', 'send', 'send']
 * ```
 */
export type MultiPaxosPropose = PaxosPropose;

/**
 * Local command: start phase 1 now (tests, operators, leadership hand-over).
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * a.role; //=> 'candidate'
 * ```
 */
export interface MultiPaxosCampaignCommand {
  /** Discriminator. */
  readonly type: 'campaign';
  /** The host's current time (ms). */
  readonly now: number;
}

/**
 * Inputs of Multi-Paxos.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * const ballot = { round: 1, node: 'a' };
 * let b = multiPaxos.init({ id: 'b', acceptors: ['a', 'b', 'c'], seed: 1 });
 * b = multiPaxos.step(b, { type: 'message', from: 'a', message: { type: 'prepare', ballot, fromSlot: 1 }, now: 0 }).state;
 * const t = multiPaxos.step(b, { type: 'message', from: 'a', message: { type: 'accept', ballot, entries: [{ slot: 1, entry: { kind: 'command', value: 'set x 1' } }] }, now: 1 });
 * t.outputs.filter((o) => o.type === 'send'); //=> [{ type: 'send', to: 'a', message: { type: 'accepted', ballot: { round: 1, node: 'a' }, slots: [1] } }]
 * ```
 */
export type MultiPaxosInput = MessageInput | TickInput | MultiPaxosPropose | MultiPaxosCampaignCommand;

/**
 * Events of Multi-Paxos.
 *
 * - `deliver`: apply command `value` decided in `slot`; slots come in increasing order, no-ops skipped.
 * - `proposed`: the leader put a proposal in `slot`.
 * - `notLeader`: a proposal was refused (or dropped from the queue after losing leadership);
 *   retry at `leader`, a hint that may be null.
 * - `role`: this node's role or leader changed.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * let a = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * const camp = multiPaxos.step(a, { type: 'campaign', now: 0 });
 * a = camp.state;
 * const ballot = { round: 1, node: 'a' };
 * // b's promise makes a majority with a's own: a leads from slot 1.
 * a = multiPaxos.step(a, { type: 'message', from: 'b', message: { type: 'promise', ballot, logEnd: 0, accepted: [], more: false }, now: 1 }).state;
 * const t = multiPaxos.step(a, { type: 'propose', value: 'set x 1', now: 2 });
 * const d = multiPaxos.step(t.state, { type: 'message', from: 'b', message: { type: 'accepted', ballot, slots: [1] }, now: 3 });
 * d.outputs.find((o) => o.type === 'deliver'); //=> { type: 'deliver', slot: 1, value: 'set x 1' }
 * ```
 */
export type MultiPaxosEvent =
  | { readonly type: 'deliver'; readonly slot: number; readonly value: unknown }
  | { readonly type: 'proposed'; readonly slot: number; readonly value: unknown }
  | { readonly type: 'notLeader'; readonly value: unknown; readonly leader: NodeId | null }
  | { readonly type: 'role'; readonly role: MultiPaxosRole; readonly ballot: PaxosBallot | null; readonly leader: NodeId | null };

/**
 * Outputs of Multi-Paxos.
 *
 * @example
 * ```ts
 * import { multiPaxos } from 'distkit/consensus';
 * const b = multiPaxos.init({ id: 'b', acceptors: ['a', 'b', 'c'], seed: 1 });
 * multiPaxos.step(b, { type: 'propose', value: 1, now: 0 }).outputs; //=> [{ type: 'notLeader', value: 1, leader: null }]
 * ```
 */
export type MultiPaxosOutput = SendOutput<MultiPaxosMessage> | PersistOutput<MultiPaxosPersistRecord> | RejectedOutput | MultiPaxosEvent;

// ---------------------------------------------------------------------------------------------
// init / durable / recover
// ---------------------------------------------------------------------------------------------

function initState(config: MultiPaxosConfig, d: MultiPaxosDurable | null): MultiPaxosState {
  checkConfigObject(config);
  const acceptors = checkMembers(config.id, config.acceptors, 'acceptors');
  const id = config.id;
  const heartbeatIntervalMs = positiveMs('heartbeatIntervalMs', config.heartbeatIntervalMs, 50);
  const electionTimeoutMs = positiveMs('electionTimeoutMs', config.electionTimeoutMs, 300);
  if (electionTimeoutMs <= heartbeatIntervalMs) {
    throw new ConfigError('electionTimeoutMs', `must exceed heartbeatIntervalMs (${electionTimeoutMs} <= ${heartbeatIntervalMs}), or followers campaign against a live leader`);
  }
  const maxInflight = positiveInt('maxInflight', config.maxInflight, 64);
  const maxQueued = positiveInt('maxQueued', config.maxQueued, 10_000);
  const maxBatch = positiveInt('maxBatch', config.maxBatch, 64);
  if (maxBatch > MAX_WIRE_BATCH) throw new ConfigError('maxBatch', `must be at most ${MAX_WIRE_BATCH}, got ${maxBatch}`);
  const seed = requireSeed('seed', config.seed, id);
  const applied = nonNegativeInt('applied', config.applied, 0);
  const maxPendingSlots = positiveInt('maxPendingSlots', config.maxPendingSlots, Math.max(MULTI_PAXOS_MAX_PENDING_SLOTS, maxInflight));
  if (maxPendingSlots > MAX_SLOT_AHEAD) throw new ConfigError('maxPendingSlots', `must be at most ${MAX_SLOT_AHEAD}, got ${maxPendingSlots}`);
  if (maxPendingSlots < maxInflight) throw new ConfigError('maxPendingSlots', `must be at least maxInflight (${maxPendingSlots} < ${maxInflight})`);
  const payloadLimits = requireLimits('payloadLimits', config.payloadLimits);
  const log = d === null ? (emptyLog as MultiPaxosLog<MultiPaxosEntry>) : logFrom(d.log);
  const pending: Record<string, MultiPaxosSlot> = {};
  for (const a of d?.accepted ?? []) if (a.slot > log.length) pending[a.slot] = { accepted: { ballot: a.ballot, entry: a.entry }, decided: null };
  const prng = seedPrng(d === null ? seed : `${String(seed)}/${d.usedRound}/${d.promised?.round ?? 0}`);
  return {
    id,
    acceptors,
    heartbeatIntervalMs,
    electionTimeoutMs,
    maxInflight,
    maxQueued,
    maxBatch,
    maxPendingSlots,
    payloadLimits,
    prng,
    promised: d?.promised ?? null,
    usedRound: d?.usedRound ?? 0,
    seenRound: 0,
    log,
    pending,
    delivered: Math.min(applied, log.length),
    role: 'follower',
    leader: null,
    electionTimer: STOPPED_TIMER,
    started: false,
    knownEnd: log.length,
    knownEndFrom: null,
    catchupTimer: STOPPED_TIMER,
    campaign: null,
    lead: null,
  };
}

function durableOf(s: MultiPaxosState): MultiPaxosDurable {
  const accepted: MultiPaxosAccepted[] = [];
  for (const k of Object.keys(s.pending)) {
    const a = s.pending[k]!.accepted;
    if (a !== null) accepted.push({ slot: Number(k), ballot: a.ballot, entry: a.entry });
  }
  accepted.sort((x, y) => x.slot - y.slot);
  return { promised: s.promised, usedRound: s.usedRound, log: multiPaxosLogItems(s.log), accepted };
}

/**
 * Folds a `persist` record into the stored durable state: the reference for hosts that store
 * {@link MultiPaxosDurable} as one document.
 *
 * @example
 * ```ts
 * import { applyMultiPaxosPersist, type MultiPaxosDurable } from 'distkit/consensus';
 * let disk: MultiPaxosDurable = { promised: null, usedRound: 0, log: [], accepted: [] };
 * disk = applyMultiPaxosPersist(disk, { promised: null, usedRound: 0, accepted: [], logFrom: 1, decided: [{ kind: 'noop' }] });
 * disk.log.length; //=> 1
 * ```
 */
export function applyMultiPaxosPersist(durable: MultiPaxosDurable, record: MultiPaxosPersistRecord): MultiPaxosDurable {
  let log = durable.log;
  if (record.decided.length > 0) {
    if (record.logFrom > log.length + 1) throw new ConfigError('record.logFrom', `leaves a gap after slot ${log.length}`);
    log = [...log.slice(0, record.logFrom - 1), ...record.decided];
  }
  const bySlot = new Map<number, MultiPaxosAccepted>();
  for (const a of durable.accepted) bySlot.set(a.slot, a);
  for (const a of record.accepted) bySlot.set(a.slot, a);
  const accepted = [...bySlot.values()].filter((a) => a.slot > log.length).sort((x, y) => x.slot - y.slot);
  return { promised: record.promised, usedRound: record.usedRound, log, accepted };
}

// ---------------------------------------------------------------------------------------------
// step
// ---------------------------------------------------------------------------------------------

/** The scratch of one step (see {@link PaxosCtx}), plus the votes cast in it for the persist record. */
type Ctx = PaxosCtx<MultiPaxosState, MultiPaxosMessage, MultiPaxosOutput> & { readonly voted: MultiPaxosAccepted[] };

function send(c: Ctx, to: NodeId, message: MultiPaxosMessage): void {
  sendTo(c, to, message);
}

function broadcast(c: Ctx, message: MultiPaxosMessage, self = true): void {
  for (const n of c.s.acceptors) if (self || n !== c.s.id) send(c, n, message);
}

function finish(prev: MultiPaxosState, c: Ctx): Transition<MultiPaxosState, MultiPaxosOutput> {
  handleLocal(c, handle, Infinity);
  advance(c);
  if (!c.s.started) {
    // The first input starts the election timer from its `now`.
    c.s = { ...c.s, started: true };
    if (c.s.role !== 'leader' && c.s.electionTimer.at === null) resetElection(c);
  }
  const s = c.s;
  const logFrom = prev.log.length + 1;
  if (s.promised === prev.promised && s.usedRound === prev.usedRound && c.voted.length === 0 && s.log === prev.log) return persistFirst(s, c.out, null);
  const record: MultiPaxosPersistRecord = {
    promised: s.promised,
    usedRound: s.usedRound,
    accepted: c.voted.filter((a) => a.slot > s.log.length),
    logFrom,
    decided: logSlice(s.log, logFrom, s.log.length),
  };
  // Architecture rule 6 / PMS §2.5: votes and promises are on disk before any reply leaves.
  return persistFirst(s, c.out, { type: 'persist', record });
}

function step(state: MultiPaxosState, input: MultiPaxosInput): Transition<MultiPaxosState, MultiPaxosOutput> {
  const c: Ctx = { ...newCtx<MultiPaxosState, MultiPaxosMessage, MultiPaxosOutput>(state, inputNow(input)), voted: [] };
  switch (input.type) {
    case 'message': {
      const m = receive<MultiPaxosState, MultiPaxosMessage>(state, input, (id) => state.acceptors.includes(id), messageCheck(state.payloadLimits));
      if ('state' in m) return m;
      const reason = handle(c, m.from, m.message);
      if (reason !== undefined) return c.s === state && c.out.length === 0 ? reject(state, m.from, reason) : finish(state, c);
      return finish(state, c);
    }
    case 'tick':
      onTick(c);
      return c.s === state && c.out.length === 0 && c.local.length === 0 && state.started ? { state, outputs: [] } : finish(state, c);
    case 'propose':
      onPropose(c, proposedValue(input.value, state.payloadLimits));
      return finish(state, c);
    case 'campaign':
      if (state.role === 'leader') return state.started ? { state, outputs: [] } : finish(state, c);
      if (!canStartRound(highestRound(state))) throw new InvalidCommandError('campaign', `node ${state.id} has used every ballot round (MAX_COUNTER)`);
      startCampaign(c);
      return finish(state, c);
    default:
      return assertNever(input, 'input');
  }
}

function handle(c: Ctx, from: NodeId, m: MultiPaxosMessage): string | undefined {
  switch (m.type) {
    case 'prepare':
      return onPrepare(c, from, m.ballot, m.fromSlot);
    case 'promise':
      return onPromise(c, from, m);
    case 'accept':
      return onAccept(c, from, m.ballot, m.entries);
    case 'accepted':
      return onAcceptedMsg(c, from, m.ballot, m.slots);
    case 'nack':
      return onNack(c, m.ballot, m.promised);
    case 'decide':
      return onDecide(c, from, m.ballot, m.slots);
    case 'heartbeat':
      return onHeartbeat(c, from, m.ballot, m.logEnd);
    case 'catchup':
      return onCatchup(c, from, m.from);
    case 'decisions':
      return onDecisions(c, from, m.from, m.entries);
    default:
      return assertNever(m, 'message');
  }
}

// --- helpers ---------------------------------------------------------------------------------

/**
 * A fresh randomized election deadline in [now + T, now + 2T), counted from this input's `now`
 * (the PRNG is the backoff between duelling candidates).
 */
function resetElection(c: Ctx): void {
  const r = randomTimer(c.now, c.s.electionTimeoutMs, 2 * c.s.electionTimeoutMs, c.s.prng);
  c.s = { ...c.s, prng: r.prng, electionTimer: r.timer };
}

/** The highest round this node has used, seen or promised: the next ballot goes above it. */
function highestRound(s: MultiPaxosState): number {
  return Math.max(s.usedRound, s.seenRound, s.promised?.round ?? 0);
}

function setPending(c: Ctx, slot: number, p: MultiPaxosSlot): void {
  // Slot keys are validated integers: never names of Object.prototype members.
  c.s = { ...c.s, pending: { ...c.s.pending, [slot]: p } };
}

/** Steps down to follower of `leader` (a hint). Queued proposals are handed back to the client. */
function stepDown(c: Ctx, ballot: PaxosBallot | null, leader: NodeId | null): void {
  const wasLeader = c.s.role !== 'follower';
  for (const value of c.s.lead?.queue ?? []) c.out.push({ type: 'notLeader', value, leader });
  c.s = {
    ...c.s,
    role: 'follower',
    leader,
    campaign: null,
    lead: null,
    seenRound: Math.max(c.s.seenRound, ballot?.round ?? 0),
  };
  resetElection(c);
  if (wasLeader) c.out.push({ type: 'role', role: 'follower', ballot, leader });
}

function noteEnd(c: Ctx, from: NodeId, logEnd: number, live = false): void {
  // A live leader is the preferred source: the node that first reported the end may be gone.
  if (logEnd > c.s.knownEnd || (live && logEnd === c.s.knownEnd && logEnd > c.s.log.length && c.s.knownEndFrom !== from)) {
    c.s = { ...c.s, knownEnd: logEnd, knownEndFrom: from };
  }
  if (c.s.knownEnd > c.s.log.length && c.s.catchupTimer.at === null) requestCatchup(c);
}

function requestCatchup(c: Ctx): void {
  const to = c.s.knownEndFrom;
  if (to === null || to === c.s.id) {
    c.s = { ...c.s, catchupTimer: stopTimer(c.s.catchupTimer) };
    return;
  }
  c.s = { ...c.s, catchupTimer: startTimer(c.now, 2 * c.s.heartbeatIntervalMs) };
  send(c, to, { type: 'catchup', from: c.s.log.length + 1 });
}

/** Moves decided slots onto the log and delivers commands in slot order (PMMC replica `perform`). */
function advance(c: Ctx): void {
  let s = c.s;
  const add: MultiPaxosEntry[] = [];
  let next = s.log.length + 1;
  let pending = s.pending;
  while (pending[next]?.decided) {
    add.push(pending[next]!.decided!);
    if (pending === s.pending) pending = { ...pending };
    delete (pending as Record<string, MultiPaxosSlot>)[next];
    next++;
  }
  if (add.length > 0) s = { ...s, log: logAppend(s.log, add), pending, knownEnd: Math.max(s.knownEnd, next - 1) };
  if (s.catchupTimer.at !== null && s.knownEnd <= s.log.length) s = { ...s, catchupTimer: STOPPED_TIMER };
  if (s.delivered < s.log.length) {
    for (let slot = s.delivered + 1; slot <= s.log.length; slot++) {
      const e = logAt(s.log, slot)!;
      if (e.kind === 'command') c.out.push({ type: 'deliver', slot, value: e.value });
    }
    s = { ...s, delivered: s.log.length };
  }
  c.s = s;
}

// --- acceptor --------------------------------------------------------------------------------

/** PMS P1b/P2b (see answerBallot): the reason to reject, null once refused with a nack, else the promise held after answering. */
function answer(c: Ctx, from: NodeId, ballot: PaxosBallot): PaxosBallot | string | null {
  return answerBallot(classicBallots, c.s.promised, from, ballot, (nack) => send(c, from, nack));
}

function onPrepare(c: Ctx, from: NodeId, ballot: PaxosBallot, fromSlot: number): string | undefined {
  const promised = answer(c, from, ballot);
  if (promised === null || typeof promised === 'string') return promised ?? undefined;
  if (promised !== c.s.promised) {
    c.s = { ...c.s, promised };
    // A leader or candidate that promised a higher ballot can no longer get its own through.
    if (from !== c.s.id && c.s.role !== 'follower') stepDown(c, ballot, from);
    if (from !== c.s.id) {
      c.s = { ...c.s, leader: from };
      resetElection(c);
    }
  }
  // PMMC §3 (acceptor, p1a): the reply carries every vote at or above fromSlot. Votes below the
  // sender's decided prefix are useless to it; above our own prefix the sender learns `logEnd`.
  const accepted: MultiPaxosAccepted[] = [];
  const keys = Object.keys(c.s.pending)
    .map(Number)
    .filter((k) => k >= fromSlot)
    .sort((a, b) => a - b);
  for (const k of keys) {
    const a = c.s.pending[k]!.accepted;
    if (a !== null) accepted.push({ slot: k, ballot: a.ballot, entry: a.entry });
  }
  send(c, from, { type: 'promise', ballot, logEnd: c.s.log.length, accepted: accepted.slice(0, MAX_WIRE_BATCH), more: accepted.length > MAX_WIRE_BATCH });
  return undefined;
}

function onAccept(c: Ctx, from: NodeId, ballot: PaxosBallot, entries: readonly { readonly slot: number; readonly entry: MultiPaxosEntry }[]): string | undefined {
  // PMS phase 2(b): refuse a ballot below the promise, and say which one won.
  const promised = answer(c, from, ballot);
  if (promised === null || typeof promised === 'string') return promised ?? undefined;
  for (const e of entries) {
    if (e.slot > c.s.log.length + c.s.maxPendingSlots) return `accept: slot ${e.slot} is beyond the decided prefix ${c.s.log.length} + maxPendingSlots ${c.s.maxPendingSlots}`;
  }
  if (promised !== c.s.promised) c.s = { ...c.s, promised };
  if (from !== c.s.id) {
    if (c.s.role !== 'follower' && comparePaxosBallots(ballot, c.s.lead?.ballot ?? c.s.campaign?.ballot ?? null) > 0) stepDown(c, ballot, from);
    if (c.s.leader !== from) c.s = { ...c.s, leader: from };
    resetElection(c);
  }
  const slots: number[] = [];
  for (const { slot, entry } of entries) {
    if (slot <= c.s.log.length) {
      // Already decided here: acknowledge only the same entry (a stale leader may carry another).
      if (canonicalJson(logAt(c.s.log, slot)) === canonicalJson(entry)) slots.push(slot);
      continue;
    }
    slots.push(slot);
    const p = c.s.pending[slot];
    if (p?.accepted && comparePaxosBallots(p.accepted.ballot, ballot) === 0) continue;
    setPending(c, slot, { accepted: { ballot, entry }, decided: p?.decided ?? null });
    c.voted.push({ slot, ballot, entry });
  }
  if (slots.length > 0) send(c, from, { type: 'accepted', ballot, slots });
  return undefined;
}

// --- learner ---------------------------------------------------------------------------------

function onDecide(c: Ctx, from: NodeId, ballot: PaxosBallot, slots: readonly number[]): string | undefined {
  let missing = 0;
  for (const slot of slots) {
    if (slot <= c.s.log.length) continue;
    const p = c.s.pending[slot];
    if (p?.decided) continue;
    // The decision names a ballot: our vote in that ballot is the chosen entry (one entry per
    // ballot and slot). Without such a vote the entry comes later by catch-up.
    if (p?.accepted && comparePaxosBallots(p.accepted.ballot, ballot) === 0) setPending(c, slot, { ...p, decided: p.accepted.entry });
    else missing = Math.max(missing, slot);
  }
  if (missing > 0) noteEnd(c, from, missing);
  return undefined;
}

function onHeartbeat(c: Ctx, from: NodeId, ballot: PaxosBallot, logEnd: number): string | undefined {
  // A leader is alive only in a ballot this node may still follow (PMS P1b).
  const promised = answer(c, from, ballot);
  if (promised === null || typeof promised === 'string') return promised ?? undefined;
  if (c.s.role !== 'follower') {
    const mine = c.s.lead?.ballot ?? c.s.campaign?.ballot ?? null;
    if (comparePaxosBallots(ballot, mine) <= 0) return `heartbeat: ballot ${ballotText(ballot)} is not above this node's ${ballotText(mine)}`;
    stepDown(c, ballot, from);
  }
  if (c.s.leader !== from) c.out.push({ type: 'role', role: 'follower', ballot, leader: from });
  c.s = { ...c.s, leader: from, seenRound: Math.max(c.s.seenRound, ballot.round) };
  resetElection(c);
  noteEnd(c, from, logEnd, true);
  return undefined;
}

function onCatchup(c: Ctx, from: NodeId, fromSlot: number): string | undefined {
  if (fromSlot > c.s.log.length) return undefined;
  const entries = logSlice(c.s.log, fromSlot, fromSlot + c.s.maxBatch - 1);
  send(c, from, { type: 'decisions', from: fromSlot, entries });
  return undefined;
}

function onDecisions(c: Ctx, from: NodeId, fromSlot: number, entries: readonly MultiPaxosEntry[]): string | undefined {
  const end = fromSlot + entries.length - 1;
  if (fromSlot > c.s.log.length + 1) return `decisions: from ${fromSlot} leaves a gap after slot ${c.s.log.length}`;
  if (end <= c.s.log.length) return undefined;
  const add = entries.slice(c.s.log.length + 1 - fromSlot);
  let pending = c.s.pending;
  for (let slot = c.s.log.length + 1; slot <= end; slot++) {
    if (pending[slot] !== undefined) {
      if (pending === c.s.pending) pending = { ...pending };
      delete (pending as Record<string, MultiPaxosSlot>)[slot];
    }
  }
  c.s = { ...c.s, log: logAppend(c.s.log, add), pending, knownEnd: Math.max(c.s.knownEnd, end) };
  if (c.s.knownEnd > c.s.log.length) {
    if (c.s.knownEndFrom === null) c.s = { ...c.s, knownEndFrom: from };
    requestCatchup(c);
  } else c.s = { ...c.s, catchupTimer: stopTimer(c.s.catchupTimer) };
  return undefined;
}

// --- candidate and leader --------------------------------------------------------------------

function startCampaign(c: Ctx): void {
  const round = nextRound(highestRound(c.s));
  if (round === null) {
    // Every round a peer may use is taken (unreachable in practice): never reuse one.
    c.s = { ...c.s, electionTimer: STOPPED_TIMER };
    return;
  }
  const ballot: PaxosBallot = { round, node: c.s.id };
  const fromSlot = c.s.log.length + 1;
  for (const value of c.s.lead?.queue ?? []) c.out.push({ type: 'notLeader', value, leader: null });
  c.s = { ...c.s, usedRound: round, role: 'candidate', leader: null, lead: null, campaign: { ballot, fromSlot, promises: {} } };
  resetElection(c);
  // PMMC §3 scout: one phase 1 for every slot from the first undecided one on.
  broadcast(c, { type: 'prepare', ballot, fromSlot });
}

function onPromise(c: Ctx, from: NodeId, m: Extract<MultiPaxosMessage, { type: 'promise' }>): string | undefined {
  const camp = c.s.campaign;
  // A late promise for the ballot this node already leads with is expected (the slower acceptors).
  if (c.s.role === 'leader' && comparePaxosBallots(m.ballot, c.s.lead!.ballot) === 0) return undefined;
  if (c.s.role !== 'candidate' || camp === null || comparePaxosBallots(m.ballot, camp.ballot) !== 0) return `promise: ballot ${ballotText(m.ballot)} is not being prepared`;
  if (hasOwn(camp.promises, from)) return `promise: duplicate from ${from}`;
  for (const a of m.accepted) {
    if (comparePaxosBallots(a.ballot, m.ballot) >= 0) return `promise: a vote in ballot ${ballotText(a.ballot)} is not below the promised one`;
    // An acceptor votes only within maxPendingSlots of its decided prefix: a farther vote would
    // make this node fill (and keep in flight) an unbounded run of no-ops.
    if (a.slot > m.logEnd + c.s.maxPendingSlots) return `promise: a vote for slot ${a.slot} is beyond logEnd ${m.logEnd} + maxPendingSlots ${c.s.maxPendingSlots}`;
  }
  // A truncated report could hide a vote; the candidate then waits for a later, complete one.
  if (m.more) return 'promise: incomplete report';
  const promises = withOwn(camp.promises, from, { logEnd: m.logEnd, accepted: m.accepted });
  c.s = { ...c.s, campaign: { ...camp, promises } };
  if (Object.keys(promises).length >= majority(c.s.acceptors.length)) becomeLeader(c);
  return undefined;
}

function becomeLeader(c: Ctx): void {
  const camp = c.s.campaign!;
  const ballot = camp.ballot;
  // Slots up to the longest decided prefix in the quorum are chosen already: they are fetched by
  // catch-up, never proposed again.
  let maxEnd = c.s.log.length;
  let endFrom: NodeId | null = null;
  for (const id of Object.keys(camp.promises)) {
    const p = getOwn(camp.promises, id)!;
    if (p.logEnd > maxEnd) {
      maxEnd = p.logEnd;
      endFrom = id;
    }
  }
  // PMS phase 2(a) per slot: the entry of the highest-ballot vote reported (PMMC "pmax").
  const best = new Map<number, MultiPaxosAccepted>();
  let maxSlot = maxEnd;
  for (const id of Object.keys(camp.promises)) {
    for (const a of getOwn(camp.promises, id)!.accepted) {
      if (a.slot <= maxEnd) continue;
      const cur = best.get(a.slot);
      if (cur === undefined || comparePaxosBallots(a.ballot, cur.ballot) > 0) best.set(a.slot, a);
      if (a.slot > maxSlot) maxSlot = a.slot;
    }
  }
  const inflight: Record<string, MultiPaxosInflight> = {};
  const entries: { slot: number; entry: MultiPaxosEntry }[] = [];
  for (let slot = maxEnd + 1; slot <= maxSlot; slot++) {
    // PML §4.2: a slot nobody in the quorum voted for is filled with a no-op.
    const entry: MultiPaxosEntry = best.get(slot)?.entry ?? { kind: 'noop' };
    inflight[slot] = { entry, acks: [] };
    entries.push({ slot, entry });
  }
  c.s = {
    ...c.s,
    role: 'leader',
    leader: c.s.id,
    campaign: null,
    electionTimer: STOPPED_TIMER,
    lead: { ballot, nextSlot: maxSlot + 1, inflight, queue: [], heartbeatTimer: startTimer(c.now, c.s.heartbeatIntervalMs) },
  };
  c.out.push({ type: 'role', role: 'leader', ballot, leader: c.s.id });
  if (endFrom !== null) {
    c.s = { ...c.s, knownEnd: Math.max(c.s.knownEnd, maxEnd), knownEndFrom: endFrom, catchupTimer: STOPPED_TIMER };
    requestCatchup(c);
  }
  sendAccepts(c, entries, null);
  broadcast(c, { type: 'heartbeat', ballot, logEnd: c.s.log.length }, false);
}

function sendAccepts(c: Ctx, entries: readonly { slot: number; entry: MultiPaxosEntry }[], skip: ((slot: number, node: NodeId) => boolean) | null): void {
  const ballot = c.s.lead!.ballot;
  for (const n of c.s.acceptors) {
    const mine = skip === null ? entries : entries.filter((e) => !skip(e.slot, n));
    for (let i = 0; i < mine.length; i += c.s.maxBatch) send(c, n, { type: 'accept', ballot, entries: mine.slice(i, i + c.s.maxBatch) });
  }
}

function onPropose(c: Ctx, value: unknown): void {
  const l = c.s.lead;
  if (c.s.role !== 'leader' || l === null) {
    c.out.push({ type: 'notLeader', value, leader: c.s.leader === c.s.id ? null : c.s.leader });
    return;
  }
  if (Object.keys(l.inflight).length >= c.s.maxInflight) {
    if (l.queue.length >= c.s.maxQueued) c.out.push({ type: 'notLeader', value, leader: null });
    else c.s = { ...c.s, lead: { ...l, queue: [...l.queue, value] } };
    return;
  }
  propose(c, [value]);
}

function propose(c: Ctx, values: readonly unknown[]): void {
  if (values.length === 0) return;
  const l = c.s.lead!;
  const inflight = { ...l.inflight };
  const entries: { slot: number; entry: MultiPaxosEntry }[] = [];
  let slot = l.nextSlot;
  for (const value of values) {
    const entry: MultiPaxosEntry = { kind: 'command', value };
    inflight[slot] = { entry, acks: [] };
    entries.push({ slot, entry });
    c.out.push({ type: 'proposed', slot, value });
    slot++;
  }
  c.s = { ...c.s, lead: { ...l, nextSlot: slot, inflight } };
  sendAccepts(c, entries, null);
}

function onAcceptedMsg(c: Ctx, from: NodeId, ballot: PaxosBallot, slots: readonly number[]): string | undefined {
  const l = c.s.lead;
  if (c.s.role !== 'leader' || l === null || comparePaxosBallots(ballot, l.ballot) !== 0) return `accepted: ballot ${ballotText(ballot)} is not leading here`;
  let inflight = l.inflight;
  const decided: number[] = [];
  for (const slot of slots) {
    const f = inflight[slot];
    if (f === undefined || f.acks.includes(from)) continue;
    if (inflight === l.inflight) inflight = { ...inflight };
    const acks = [...f.acks, from];
    if (acks.length >= majority(c.s.acceptors.length)) {
      // PMMC commander: a majority accepted the entry in this ballot, so it is chosen.
      delete (inflight as Record<string, MultiPaxosInflight>)[slot];
      decided.push(slot);
      if (slot > c.s.log.length) {
        const p = c.s.pending[slot];
        setPending(c, slot, { accepted: p?.accepted ?? null, decided: f.entry });
      }
    } else (inflight as Record<string, MultiPaxosInflight>)[slot] = { ...f, acks };
  }
  if (inflight === l.inflight) return undefined;
  c.s = { ...c.s, lead: { ...c.s.lead!, inflight } };
  if (decided.length > 0) {
    broadcast(c, { type: 'decide', ballot, slots: decided }, false);
    // Room in the window: take queued proposals.
    const lead = c.s.lead!;
    const room = c.s.maxInflight - Object.keys(lead.inflight).length;
    if (room > 0 && lead.queue.length > 0) {
      c.s = { ...c.s, lead: { ...lead, queue: lead.queue.slice(room) } };
      propose(c, lead.queue.slice(0, room));
    }
  }
  return undefined;
}

function onNack(c: Ctx, ballot: PaxosBallot, promised: PaxosBallot): string | undefined {
  if (comparePaxosBallots(promised, ballot) <= 0) return 'nack: promised must exceed the refused ballot';
  const mine = c.s.lead?.ballot ?? c.s.campaign?.ballot ?? null;
  if (c.s.role === 'follower' || comparePaxosBallots(ballot, mine) !== 0) {
    c.s = { ...c.s, seenRound: Math.max(c.s.seenRound, promised.round) };
    return undefined;
  }
  // A higher ballot exists: stop and let its owner lead; the randomized election timer is the
  // backoff if that owner has failed.
  stepDown(c, promised, promised.node);
  return undefined;
}

// --- time ------------------------------------------------------------------------------------

function onTick(c: Ctx): void {
  // Before the first input there is nothing to fire: `finish` starts the election timer.
  if (!c.s.started) return;
  const s = c.s;
  const now = c.now;
  if (s.role === 'leader') {
    const l = s.lead!;
    if (timerDue(l.heartbeatTimer, now)) {
      c.s = { ...s, lead: { ...l, heartbeatTimer: startTimer(now, s.heartbeatIntervalMs) } };
      broadcast(c, { type: 'heartbeat', ballot: l.ballot, logEnd: s.log.length }, false);
      // Re-send accepts that some acceptors have not acknowledged (lost messages).
      const slots = Object.keys(l.inflight).map(Number).sort((a, b) => a - b);
      if (slots.length > 0) {
        const entries = slots.map((slot) => ({ slot, entry: l.inflight[slot]!.entry }));
        sendAccepts(c, entries, (slot, n) => n === s.id || l.inflight[slot]!.acks.includes(n));
      }
    }
  } else if (timerDue(s.electionTimer, now)) startCampaign(c);
  if (timerDue(c.s.catchupTimer, now)) requestCatchup(c);
}

function nextDeadline(s: MultiPaxosState): number | undefined {
  // An unstarted node asks for a tick at once, so that its timers start from the host's clock.
  if (!s.started) return START_DEADLINE;
  return earliest(s.lead?.heartbeatTimer, s.electionTimer, s.catchupTimer);
}

// ---------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------

/**
 * Multi-Paxos (PMMC; PML) as a pure, durable machine: a replicated log of slots. A stable leader
 * runs phase 1 once for all future slots, fills gaps it inherits with no-ops, then runs phase 2
 * per slot with a window of `maxInflight` slots; followers detect a silent leader by randomized
 * timeouts; lagging replicas catch up by fetching decided entries; every replica delivers decided
 * commands to the application in slot order. Promises, votes, the highest round used and the
 * decided log are durable.
 *
 * @example
 * ```ts
 * import { multiPaxos, multiPaxosNextDeadline } from 'distkit/consensus';
 * let s = multiPaxos.init({ id: 'a', acceptors: ['a', 'b', 'c'], seed: 1 });
 * s = multiPaxos.step(s, { type: 'campaign', now: 0 }).state; // prepare to b and c
 * const deadline = multiPaxosNextDeadline(s) ?? -1; // the election timer, from now 0
 * deadline >= 300 && deadline < 600; //=> true
 * ```
 */
export const multiPaxos: DurableMachine<MultiPaxosConfig, MultiPaxosState, MultiPaxosInput, MultiPaxosOutput, MultiPaxosDurable> & {
  /** The earliest host time at which the node wants a `tick` (its timers), or `undefined` when it waits for nothing. */
  nextDeadline(state: MultiPaxosState): number | undefined;
} = {
  ...durableMachine('multi-paxos', initState, step, nextDeadline, durableOf),
  applyPersist: applyMultiPaxosPersist,
};

/**
 * The earliest time a replica wants a `tick`: its next heartbeat (leader), election timeout
 * (others) or catch-up retry; before its first input, `Number.MIN_SAFE_INTEGER` (tick at once,
 * so the election timer starts from the host's clock).
 *
 * @example
 * ```ts
 * import { multiPaxos, multiPaxosNextDeadline } from 'distkit/consensus';
 * let s = multiPaxos.init({ id: 'a', acceptors: ['a'], electionTimeoutMs: 100 });
 * s = multiPaxos.step(s, { type: 'tick', now: 5000 }).state;
 * multiPaxosNextDeadline(s)! >= 5100; //=> true
 * ```
 */
export function multiPaxosNextDeadline(state: MultiPaxosState): number | undefined {
  return nextDeadline(state);
}
