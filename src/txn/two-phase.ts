/**
 * Two-phase commit (Gray 1978; Bernstein, Hadzilacos & Goodman, "Concurrency Control and Recovery
 * in Database Systems" 1987, ch. 7 — cited below as BHG), with the presumed-abort and read-only
 * optimizations of Mohan, Lindsay & Obermarck, "Transaction Management in the R* Distributed
 * Database Management System" (TODS 1986, cited as R*).
 */
import type { DataLimits, DurableMachine, MessageInput, NodeId, Parsed, PersistOutput, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../core/index.js';
import { ConfigError, InvalidCommandError, PAYLOAD_LIMITS, STOPPED_TIMER, assertNever, checkId, earliest, getOwn, hasOwn, parse, positiveInt, positiveMs, reject, send, setOwn, startTimer, timerDue, transition, v, withOwn, withoutOwn, stepByType } from '../core/index.js';
import type { Decision, Vote } from './common.js';
import { DEFAULT_MAX_TRANSACTIONS, DUE_AT_ONCE, bump, distinct, nodeListCheck, onePersist, onPeerMessage, payloadLimits, txIdCheck } from './common.js';
import type { Tombstones } from './tombstones.js';
import { NO_TOMBSTONES, addTombstone, recoveredTombstones, retainMs, tickTombstones, tombstoneCount, tombstoneDeadline, tombstoneEntries, tombstoneOf } from './tombstones.js';

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/**
 * A message of the two-phase commit protocol (coordinator ↔ participants, participant ↔ participant).
 *
 * - `prepare`: the coordinator's VOTE-REQ (BHG §7.3), carrying the participant list so that an
 *   in-doubt participant can run the cooperative termination protocol.
 * - `vote`: a participant's answer.
 * - `decision`: COMMIT or ABORT; `ack` says whether the sender wants an `ack` back.
 * - `ack`: a participant has made the decision durable; the coordinator may forget after all acks.
 * - `query`: an in-doubt participant asks for the outcome (BHG §7.4 termination protocol).
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * // The coordinator asks every participant to prepare:
 * t.outputs.filter((o) => o.type === 'send').map((o) => o.message.type); //=> ['prepare', 'prepare']
 * ```
 */
export type TwoPhaseMessage =
  | { readonly type: 'prepare'; readonly txId: string; readonly participants: readonly NodeId[]; readonly payload: unknown }
  | { readonly type: 'vote'; readonly txId: string; readonly vote: Vote }
  | { readonly type: 'decision'; readonly txId: string; readonly decision: Decision; readonly ack: boolean }
  | { readonly type: 'ack'; readonly txId: string }
  | { readonly type: 'query'; readonly txId: string };

function messageCheck(limits: DataLimits) {
  return v.tagged({
    prepare: v.object({ type: v.literal('prepare'), txId: txIdCheck, participants: nodeListCheck, payload: v.json(limits) }),
    vote: v.object({ type: v.literal('vote'), txId: txIdCheck, vote: v.literal('yes', 'no', 'readonly') }),
    decision: v.object({ type: v.literal('decision'), txId: txIdCheck, decision: v.literal('commit', 'abort'), ack: v.boolean() }),
    ack: v.object({ type: v.literal('ack'), txId: txIdCheck }),
    query: v.object({ type: v.literal('query'), txId: txIdCheck }),
  });
}

const DEFAULT_MESSAGE_CHECK = messageCheck(PAYLOAD_LIMITS);

/**
 * Validates an untrusted message and returns a copy holding only its declared fields (an opaque
 * `prepare` payload is checked iteratively against `limits` and deep-copied).
 */
function parseMessage(m: unknown, limits: DataLimits): Parsed<TwoPhaseMessage> {
  const check = limits.maxDepth === PAYLOAD_LIMITS.maxDepth && limits.maxBytes === PAYLOAD_LIMITS.maxBytes ? DEFAULT_MESSAGE_CHECK : messageCheck(limits);
  return parse(check, m, 'message') as Parsed<TwoPhaseMessage>;
}

/**
 * The protocol outputs both 2PC roles share: 2PC messages to send, the role's log records `R` to
 * force (one `persist` per transition, before the sends), and rejections of bad peer messages.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'send', 'send']
 * ```
 */
export type TwoPhaseProtocolOutput<R> = SendOutput<TwoPhaseMessage> | PersistOutput<readonly R[]> | RejectedOutput;

// ---------------------------------------------------------------------------------------------
// Coordinator
// ---------------------------------------------------------------------------------------------

/**
 * Options of the 2PC coordinator.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord', voteTimeoutMs: 500 });
 * c.voteTimeoutMs; //=> 500
 * c.resendIntervalMs; //=> 200
 * ```
 */
export interface TwoPhaseCoordinatorConfig {
  /** This coordinator's node id. */
  readonly id: NodeId;
  /** A transaction whose votes are not all in after this long is aborted (BHG §7.3 timeout actions). Default 1000. */
  readonly voteTimeoutMs?: number;
  /** Interval for re-sending `prepare` to silent participants and decisions to unacknowledged ones. Default 200. */
  readonly resendIntervalMs?: number;
  /**
   * Presumed abort (R* §3): no begin record, abort decisions are neither logged nor acknowledged,
   * and a query about an unknown transaction is answered ABORT. Default false (presumed nothing).
   */
  readonly presumedAbort?: boolean;
  /** Depth and size limits of a `begin` payload (default {@link PAYLOAD_LIMITS}). */
  readonly payloadLimits?: Partial<DataLimits>;
}

/**
 * One transaction as the coordinator tracks it.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * const tx = t.state.txs['t1']!;
 * [tx.participants, tx.decision, tx.awaiting]; //=> [['a', 'b'], null, []]
 * ```
 */
export interface CoordinatorTx {
  /** Every participant of the transaction. */
  readonly participants: readonly NodeId[];
  /** Opaque data sent with `prepare`. */
  readonly payload: unknown;
  /** `null` while votes are being collected. */
  readonly decision: Decision | null;
  /** Votes received so far (phase one). */
  readonly votes: Readonly<Record<NodeId, Vote>>;
  /** Who receives the decision (logged with it); empty until decided. */
  readonly recipients: readonly NodeId[];
  /** Recipients that must still acknowledge the decision (phase two). */
  readonly awaiting: readonly NodeId[];
  /** When phase one gives up and aborts (stopped once decided). */
  readonly voteDeadline: Timer;
  /** When to re-send `prepare` or the decision to the silent participants. */
  readonly resendAt: Timer;
}

/**
 * The state of a 2PC coordinator: its options and the transactions it has not yet forgotten.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const s = twoPhaseCoordinator.init({ id: 'coord' });
 * Object.keys(s.txs).length; //=> 0
 * ```
 */
export interface TwoPhaseCoordinatorState {
  /** This node's id. */
  readonly id: NodeId;
  /** See {@link TwoPhaseCoordinatorConfig.voteTimeoutMs}. */
  readonly voteTimeoutMs: number;
  /** See {@link TwoPhaseCoordinatorConfig.resendIntervalMs}. */
  readonly resendIntervalMs: number;
  /** See {@link TwoPhaseCoordinatorConfig.presumedAbort}. */
  readonly presumedAbort: boolean;
  /** See {@link TwoPhaseCoordinatorConfig.payloadLimits}. */
  readonly payloadLimits: DataLimits;
  /** Live transactions by id. */
  readonly txs: Readonly<Record<string, CoordinatorTx>>;
}

/**
 * A record of the coordinator's log. `begin` (presumed nothing only) is written before any
 * `prepare`; `decision` before any decision is sent (BHG §7.3 rule 2); `end` once every
 * recipient has acknowledged, after which the transaction is forgotten.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * const a = twoPhaseCoordinator.step(t.state, { type: 'message', from: 'a', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 1 });
 * const b = twoPhaseCoordinator.step(a.state, { type: 'message', from: 'b', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 2 });
 * // Both voted yes: the decision is forced to the log before anyone hears of it (BHG §7.3).
 * b.outputs[0]; //=> { type: 'persist', record: [{ kind: 'decision', txId: 't1', decision: 'commit', participants: ['a', 'b'], recipients: ['a', 'b'] }] }
 * ```
 */
export type CoordinatorLogRecord =
  | { readonly kind: 'begin'; readonly txId: string; readonly participants: readonly NodeId[] }
  | { readonly kind: 'decision'; readonly txId: string; readonly decision: Decision; readonly participants: readonly NodeId[]; readonly recipients: readonly NodeId[] }
  | { readonly kind: 'end'; readonly txId: string };

/**
 * What the coordinator keeps on stable storage: per live transaction, its participants and (once
 * decided) the decision and who must acknowledge it.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * const a = twoPhaseCoordinator.step(t.state, { type: 'message', from: 'a', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 1 });
 * const b = twoPhaseCoordinator.step(a.state, { type: 'message', from: 'b', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 2 });
 * twoPhaseCoordinator.durable(b.state); //=> { txs: { t1: { participants: ['a', 'b'], decision: 'commit', recipients: ['a', 'b'] } } }
 * ```
 */
export interface CoordinatorDurable {
  /** Logged transactions that have not ended. */
  readonly txs: Readonly<Record<string, { readonly participants: readonly NodeId[]; readonly decision: Decision | null; readonly recipients: readonly NodeId[] }>>;
}

/**
 * Local command: start a transaction. The coordinator sends `prepare` to every participant.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * t.outputs[0]; //=> { type: 'persist', record: [{ kind: 'begin', txId: 't1', participants: ['a', 'b'] }] }
 * ```
 */
export interface BeginCommand {
  /** Discriminator. */
  readonly type: 'begin';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** A transaction id not in use at this coordinator. */
  readonly txId: string;
  /** The participants (distinct, non-empty, not including the coordinator itself). */
  readonly participants: readonly NodeId[];
  /** Opaque JSON data delivered to participants with `prepare`. */
  readonly payload?: unknown;
}

/**
 * Inputs of the 2PC coordinator.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * // Nobody votes: at the vote timeout the coordinator aborts.
 * const late = twoPhaseCoordinator.step(t.state, { type: 'tick', now: 1000 });
 * late.outputs.find((o) => o.type === 'decided'); //=> { type: 'decided', txId: 't1', decision: 'abort' }
 * ```
 */
export type TwoPhaseCoordinatorInput = MessageInput | TickInput | BeginCommand;

/**
 * Event: the coordinator reached a decision (it is already durable when this output appears).
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * const a = twoPhaseCoordinator.step(t.state, { type: 'message', from: 'a', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 1 });
 * const b = twoPhaseCoordinator.step(a.state, { type: 'message', from: 'b', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 2 });
 * b.outputs.find((o) => o.type === 'decided'); //=> { type: 'decided', txId: 't1', decision: 'commit' }
 * ```
 */
export interface DecidedOutput {
  /** Discriminator. */
  readonly type: 'decided';
  /** The transaction. */
  readonly txId: string;
  /** Its outcome. */
  readonly decision: Decision;
}

/**
 * Event: the coordinator forgot a transaction (every recipient acknowledged).
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * const a = twoPhaseCoordinator.step(t.state, { type: 'message', from: 'a', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 1 });
 * const b = twoPhaseCoordinator.step(a.state, { type: 'message', from: 'b', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 2 });
 * const acked = ['a', 'b'].reduce((s, from) => twoPhaseCoordinator.step(s, { type: 'message', from, message: { type: 'ack', txId: 't1' }, now: 3 }).state, b.state);
 * Object.keys(acked.txs); //=> []
 * ```
 */
export interface EndedOutput {
  /** Discriminator. */
  readonly type: 'ended';
  /** The transaction. */
  readonly txId: string;
}

/**
 * Outputs of the 2PC coordinator.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * const c = twoPhaseCoordinator.init({ id: 'coord' });
 * const t = twoPhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * const a = twoPhaseCoordinator.step(t.state, { type: 'message', from: 'a', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 1 });
 * const b = twoPhaseCoordinator.step(a.state, { type: 'message', from: 'b', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 2 });
 * b.outputs.map((o) => o.type); //=> ['persist', 'send', 'send', 'decided']
 * ```
 */
export type TwoPhaseCoordinatorOutput = TwoPhaseProtocolOutput<CoordinatorLogRecord> | DecidedOutput | EndedOutput;

type CT = Transition<TwoPhaseCoordinatorState, TwoPhaseCoordinatorOutput>;

/**
 * Folds one coordinator log record into a durable image. A host that appends the `persist`
 * records to a log rebuilds {@link CoordinatorDurable} after a crash by folding them in order.
 *
 * @example
 * ```ts
 * import { applyCoordinatorRecord, type CoordinatorDurable } from 'distkit/txn';
 * let d: CoordinatorDurable = { txs: {} };
 * d = applyCoordinatorRecord(d, { kind: 'begin', txId: 't1', participants: ['a'] });
 * d.txs.t1?.decision; //=> null
 * ```
 */
export function applyCoordinatorRecord(durable: CoordinatorDurable, record: CoordinatorLogRecord): CoordinatorDurable {
  switch (record.kind) {
    case 'begin':
      return { txs: withOwn(durable.txs, record.txId, { participants: record.participants, decision: null, recipients: [] }) };
    case 'decision':
      return {
        txs: withOwn(durable.txs, record.txId, { participants: record.participants, decision: record.decision, recipients: record.recipients }),
      };
    case 'end':
      return { txs: withoutOwn(durable.txs, record.txId) };
    default:
      return assertNever(record, 'coordinator log record');
  }
}

function coordinatorApplyPersist(durable: CoordinatorDurable, records: readonly CoordinatorLogRecord[]): CoordinatorDurable {
  let d = durable;
  for (const r of records) d = applyCoordinatorRecord(d, r);
  return d;
}

function coordinatorInit(config: TwoPhaseCoordinatorConfig): TwoPhaseCoordinatorState {
  return {
    id: checkId('id', config.id),
    voteTimeoutMs: positiveMs('voteTimeoutMs', config.voteTimeoutMs, 1000),
    resendIntervalMs: positiveMs('resendIntervalMs', config.resendIntervalMs, 200),
    presumedAbort: config.presumedAbort ?? false,
    payloadLimits: payloadLimits(config.payloadLimits),
    txs: {},
  };
}

function coordinatorBegin(s: TwoPhaseCoordinatorState, c: BeginCommand, now: number): CT {
  if (typeof c.txId !== 'string' || c.txId.length === 0) throw new InvalidCommandError('begin', 'txId must be a non-empty string');
  if (hasOwn(s.txs, c.txId)) throw new InvalidCommandError('begin', `transaction ${c.txId} is already in progress`);
  if (nodeListCheck(c.participants) !== undefined || !distinct(c.participants)) {
    throw new InvalidCommandError('begin', 'participants must be a non-empty list of distinct node ids');
  }
  if (c.participants.includes(s.id)) throw new InvalidCommandError('begin', 'the coordinator cannot list itself as a participant');
  const parsed = parse(v.json(s.payloadLimits), c.payload ?? null);
  if (!parsed.ok) throw new InvalidCommandError('begin', `payload must be plain JSON data within the payload limits: ${parsed.problem}`);
  const payload = parsed.value;
  const tx: CoordinatorTx = {
    participants: [...c.participants],
    payload,
    decision: null,
    votes: {},
    recipients: [],
    awaiting: [],
    voteDeadline: startTimer(now, s.voteTimeoutMs),
    resendAt: startTimer(now, s.resendIntervalMs),
  };
  const outputs: TwoPhaseCoordinatorOutput[] = [];
  // BHG §7.3: without presumed abort the coordinator logs the participants before VOTE-REQ, so that
  // after a crash it knows whom to tell ABORT. Presumed abort (R* §3) skips this write.
  if (!s.presumedAbort) outputs.push({ type: 'persist', record: [{ kind: 'begin', txId: c.txId, participants: tx.participants }] });
  for (const p of tx.participants) outputs.push(send(p, { type: 'prepare', txId: c.txId, participants: tx.participants, payload }));
  return onePersist({ ...s, txs: withOwn(s.txs, c.txId, tx) }, outputs);
}

/** Decides, logs (when needed) and sends the decision: the heart of phase two. */
function decide(s: TwoPhaseCoordinatorState, txId: string, tx: CoordinatorTx, decision: Decision, outputs: TwoPhaseCoordinatorOutput[], now: number): TwoPhaseCoordinatorState {
  // Commit goes to the YES voters only (read-only voters left after phase one, R* §3); abort goes to
  // everyone who did not already abort or leave (NO and read-only voters).
  const recipients =
    decision === 'commit'
      ? tx.participants.filter((p) => getOwn(tx.votes, p) === 'yes')
      : tx.participants.filter((p) => getOwn(tx.votes, p) !== 'no' && getOwn(tx.votes, p) !== 'readonly');
  const presumed = decision === 'abort' && s.presumedAbort;
  if (recipients.length === 0 || presumed) {
    // Nothing to acknowledge: presumed abort needs neither a log record nor acks; an all-read-only
    // transaction needs no phase two at all.
    for (const p of recipients) outputs.push(send(p, { type: 'decision', txId, decision, ack: false }));
    if (!s.presumedAbort) outputs.push({ type: 'persist', record: [{ kind: 'end', txId }] });
    outputs.push({ type: 'decided', txId, decision }, { type: 'ended', txId });
    return { ...s, txs: withoutOwn(s.txs, txId) };
  }
  // BHG §7.3: the decision record is forced before any participant may learn the decision.
  outputs.push({ type: 'persist', record: [{ kind: 'decision', txId, decision, participants: tx.participants, recipients }] });
  for (const p of recipients) outputs.push(send(p, { type: 'decision', txId, decision, ack: true }));
  outputs.push({ type: 'decided', txId, decision });
  const next: CoordinatorTx = { ...tx, decision, recipients, awaiting: recipients, voteDeadline: STOPPED_TIMER, resendAt: startTimer(now, s.resendIntervalMs) };
  return { ...s, txs: withOwn(s.txs, txId, next) };
}

function coordinatorMessage(s: TwoPhaseCoordinatorState, input: MessageInput, now: number): CT {
  return onPeerMessage(s, input, (raw) => parseMessage(raw, PAYLOAD_LIMITS), (m, from) => coordinatorReceive(s, m, from, now));
}

function coordinatorReceive(s: TwoPhaseCoordinatorState, m: TwoPhaseMessage, from: NodeId, now: number): CT {
  const tx = getOwn(s.txs, m.txId);
  switch (m.type) {
    case 'vote': {
      if (tx === undefined) return reject(s, from, `vote for unknown transaction ${m.txId}`);
      if (!tx.participants.includes(from)) return reject(s, from, `vote from a non-participant of ${m.txId}`);
      const prior = getOwn(tx.votes, from);
      if (prior !== undefined) return reject(s, from, prior === m.vote ? 'duplicate vote' : `vote conflicts with earlier vote ${prior}`);
      if (tx.decision !== null) return reject(s, from, `vote after the decision of ${m.txId}`);
      const votes = withOwn(tx.votes, from, m.vote);
      const updated: CoordinatorTx = { ...tx, votes };
      const outputs: TwoPhaseCoordinatorOutput[] = [];
      // BHG §7.3: any NO aborts at once; all votes in and none NO commits.
      if (m.vote === 'no') return onePersist(decide(s, m.txId, updated, 'abort', outputs, now), outputs);
      if (tx.participants.every((p) => hasOwn(votes, p))) {
        return onePersist(decide(s, m.txId, updated, 'commit', outputs, now), outputs);
      }
      return transition({ ...s, txs: withOwn(s.txs, m.txId, updated) });
    }
    case 'ack': {
      if (tx === undefined) return reject(s, from, `ack for unknown or forgotten transaction ${m.txId}`);
      if (tx.decision === null) return reject(s, from, `ack before a decision of ${m.txId}`);
      if (!tx.awaiting.includes(from)) {
        return reject(s, from, tx.participants.includes(from) ? 'duplicate ack' : `ack from a non-participant of ${m.txId}`);
      }
      const awaiting = tx.awaiting.filter((p) => p !== from);
      if (awaiting.length > 0) return transition({ ...s, txs: withOwn(s.txs, m.txId, { ...tx, awaiting }) });
      // BHG §7.3: the coordinator forgets a transaction only when every recipient has acknowledged.
      return transition({ ...s, txs: withoutOwn(s.txs, m.txId) }, [
        { type: 'persist', record: [{ kind: 'end', txId: m.txId }] },
        { type: 'ended', txId: m.txId },
      ]);
    }
    case 'query': {
      if (tx === undefined) {
        // Unknown here means never logged or ended. A transaction ends only after every recipient
        // acknowledged, so whoever still asks was not a commit recipient: ABORT is safe (R* §3).
        return transition(s, [send(from, { type: 'decision', txId: m.txId, decision: 'abort', ack: false })]);
      }
      if (!tx.participants.includes(from)) return reject(s, from, `query from a non-participant of ${m.txId}`);
      if (tx.decision === null) return transition(s); // still collecting votes: the answer will come
      return transition(s, [send(from, { type: 'decision', txId: m.txId, decision: tx.decision, ack: tx.awaiting.includes(from) })]);
    }
    case 'prepare':
    case 'decision':
      return reject(s, from, `a coordinator does not accept ${m.type} messages`);
    default:
      return assertNever(m, 'message');
  }
}

function coordinatorTick(s0: TwoPhaseCoordinatorState, now: number): CT {
  let s = s0;
  const outputs: TwoPhaseCoordinatorOutput[] = [];
  for (const txId of Object.keys(s0.txs)) {
    const tx = getOwn(s0.txs, txId)!;
    if (tx.decision === null) {
      if (timerDue(tx.voteDeadline, now)) {
        // BHG §7.3 timeout action: a coordinator missing a vote decides ABORT.
        s = decide(s, txId, tx, 'abort', outputs, now);
      } else if (timerDue(tx.resendAt, now)) {
        for (const p of tx.participants) {
          if (!hasOwn(tx.votes, p)) outputs.push(send(p, { type: 'prepare', txId, participants: tx.participants, payload: tx.payload }));
        }
        s = { ...s, txs: withOwn(s.txs, txId, { ...tx, resendAt: startTimer(now, s.resendIntervalMs) }) };
      }
    } else if (timerDue(tx.resendAt, now)) {
      // Decisions are re-sent until acknowledged.
      for (const p of tx.awaiting) outputs.push(send(p, { type: 'decision', txId, decision: tx.decision, ack: true }));
      s = { ...s, txs: withOwn(s.txs, txId, { ...tx, resendAt: startTimer(now, s.resendIntervalMs) }) };
    }
  }
  return onePersist(s, outputs);
}

function coordinatorStep(s: TwoPhaseCoordinatorState, input: TwoPhaseCoordinatorInput): CT {
  return stepByType<TwoPhaseCoordinatorState, TwoPhaseCoordinatorInput, TwoPhaseCoordinatorOutput>({ message: coordinatorMessage, tick: (c, _i, now) => coordinatorTick(c, now), begin: coordinatorBegin }, s, input);
}

function coordinatorNextDeadline(s: TwoPhaseCoordinatorState): number | undefined {
  let d: number | undefined;
  for (const txId of Object.keys(s.txs)) {
    const tx = getOwn(s.txs, txId)!;
    d = earliest(d, tx.voteDeadline, tx.resendAt);
  }
  return d;
}

function coordinatorDurable(s: TwoPhaseCoordinatorState): CoordinatorDurable {
  const txs: Record<string, CoordinatorDurable['txs'][string]> = {};
  for (const [txId, tx] of Object.entries(s.txs)) {
    if (tx.decision === null) {
      if (!s.presumedAbort) setOwn(txs, txId, { participants: tx.participants, decision: null, recipients: [] });
    } else {
      setOwn(txs, txId, { participants: tx.participants, decision: tx.decision, recipients: tx.recipients });
    }
  }
  return { txs };
}

function coordinatorRecover(config: TwoPhaseCoordinatorConfig, durable: CoordinatorDurable): TwoPhaseCoordinatorState {
  const s = coordinatorInit(config);
  const txs: Record<string, CoordinatorTx> = {};
  for (const [txId, d] of Object.entries(durable.txs)) {
    // A logged but undecided transaction times out at the first tick and aborts (BHG §7.4
    // recovery: no decision record means the coordinator may decide ABORT). A decided one re-sends
    // its decision to every recipient, since the acknowledgements were volatile.
    setOwn(txs, txId, {
      participants: d.participants,
      payload: null,
      decision: d.decision,
      votes: {},
      recipients: d.recipients,
      awaiting: d.recipients,
      voteDeadline: d.decision === null ? DUE_AT_ONCE : STOPPED_TIMER,
      resendAt: DUE_AT_ONCE,
    });
  }
  return { ...s, txs };
}

/**
 * The two-phase commit coordinator (BHG §7.3). Drives any number of concurrent transactions: send
 * `begin`, deliver messages and ticks; make each `persist` record durable before delivering the
 * sends that follow it. Recovers from {@link CoordinatorDurable} after a crash at any point.
 *
 * @example
 * ```ts
 * import { twoPhaseCoordinator } from 'distkit/txn';
 * let s = twoPhaseCoordinator.init({ id: 'coord', presumedAbort: true });
 * const t = twoPhaseCoordinator.step(s, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * t.outputs.filter((o) => o.type === 'send').length; //=> 2 (prepare to a and b)
 * ```
 */
export const twoPhaseCoordinator: DurableMachine<
  TwoPhaseCoordinatorConfig,
  TwoPhaseCoordinatorState,
  TwoPhaseCoordinatorInput,
  TwoPhaseCoordinatorOutput,
  CoordinatorDurable
> = {
  name: 'two-phase-coordinator',
  init: coordinatorInit,
  step: coordinatorStep,
  nextDeadline: coordinatorNextDeadline,
  durable: coordinatorDurable,
  recover: coordinatorRecover,
  applyPersist: coordinatorApplyPersist as (d: CoordinatorDurable, record: unknown) => CoordinatorDurable,
};

// ---------------------------------------------------------------------------------------------
// Participant
// ---------------------------------------------------------------------------------------------

/**
 * Options of a 2PC participant.
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a', decisionTimeoutMs: 500, autoVote: 'yes' });
 * [p.decisionTimeoutMs, p.autoVote]; //=> [500, 'yes']
 * ```
 */
export interface TwoPhaseParticipantConfig {
  /** This participant's node id. */
  readonly id: NodeId;
  /** How long an in-doubt participant waits before asking for the outcome, and between asks. Default 1000. */
  readonly decisionTimeoutMs?: number;
  /**
   * Vote this way on every `prepare` without asking the host. Absent: each `prepare` yields a
   * `voteRequested` output and the host answers with a `vote` command.
   */
  readonly autoVote?: Vote;
  /**
   * How long a decided transaction is remembered (as a tombstone: id and outcome) after the first
   * tick following its decision, to recognise late duplicate `prepare`s and decisions and to
   * answer peers' termination queries. After that it is forgotten and a `forgotten` record lets
   * the host drop it from its log. Sound only if the network never delivers a message older than
   * this — set it to at least twice the longest time a message may spend in flight (TCP's 2·MSL).
   * `null` keeps decided transactions forever. Default {@link DEFAULT_RETAIN_DECIDED_MS}.
   */
  readonly retainDecidedMs?: number | null;
  /**
   * The most transactions tracked at once, live and retained decided ones together. A `prepare`
   * (or an abort) for a new transaction past it is rejected, so a peer flooding fresh ids cannot
   * grow the state without bound. Default {@link DEFAULT_MAX_TRANSACTIONS}.
   */
  readonly maxTransactions?: number;
  /** Depth and size limits of a `prepare` payload (default {@link PAYLOAD_LIMITS}). */
  readonly payloadLimits?: Partial<DataLimits>;
}

/**
 * Where a participant stands in one transaction.
 *
 * `active`: the host voted (or aborted) before any `prepare`; `asked`: `prepare` received, vote
 * pending; `prepared`: voted YES, in doubt; `readonly`: voted read-only and left the protocol.
 *
 * @example
 * ```ts
 * import { participantPhase, twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } as const;
 * const t = twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 });
 * participantPhase(t.state, 't1'); //=> 'prepared'
 * ```
 */
export type ParticipantPhase = 'active' | 'asked' | 'prepared' | 'readonly' | 'committed' | 'aborted';

/**
 * How a participant left a transaction: the phases kept in its tombstone once it is decided.
 *
 * @example
 * ```ts
 * import { participantPhase, twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } as const;
 * const t = twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 });
 * const commit = { type: 'decision', txId: 't1', decision: 'commit', ack: true } as const;
 * const d = twoPhaseParticipant.step(t.state, { type: 'message', from: 'coord', message: commit, now: 1 });
 * participantPhase(d.state, 't1'); //=> 'committed'
 * ```
 */
export type ParticipantOutcome = 'committed' | 'aborted' | 'readonly';

/**
 * A decided transaction as a participant remembers it until its retention window ends: the
 * outcome, and who may ask about it (its coordinator and participants, to refuse strangers).
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } as const;
 * const t = twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 });
 * const commit = { type: 'decision', txId: 't1', decision: 'commit', ack: true } as const;
 * const d = twoPhaseParticipant.step(t.state, { type: 'message', from: 'coord', message: commit, now: 1 });
 * // Decided and done: only a tombstone is kept, to answer late duplicates and queries.
 * d.state.decided.buckets[0]!.txs['t1']; //=> { phase: 'committed', coordinator: 'coord', participants: ['a', 'b'] }
 * ```
 */
export interface ParticipantTombstone {
  /** How the participant left the transaction. */
  readonly phase: ParticipantOutcome;
  /** Its coordinator, when known. */
  readonly coordinator: NodeId | null;
  /** Its participants, when known. */
  readonly participants: readonly NodeId[];
}

/**
 * One transaction as a participant tracks it.
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } as const;
 * const t = twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 });
 * t.state.txs['t1']; //=> { coordinator: 'coord', participants: ['a', 'b'], phase: 'prepared', intended: null, deadline: { at: 1000, attempt: 0 }, queries: 0 }
 * ```
 */
export interface ParticipantTx {
  /** The coordinator, once a `prepare` named it. */
  readonly coordinator: NodeId | null;
  /** All participants (for the cooperative termination protocol). */
  readonly participants: readonly NodeId[];
  /** Where this participant stands. */
  readonly phase: ParticipantPhase;
  /** A vote given by the host before `prepare` arrived. */
  readonly intended: Vote | null;
  /** When an in-doubt participant next asks for the outcome. */
  readonly deadline: Timer;
  /** How many times it has asked so far. */
  readonly queries: number;
}

/**
 * The state of a 2PC participant.
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * twoPhaseParticipant.init({ id: 'a' }).id; //=> 'a'
 * ```
 */
export interface TwoPhaseParticipantState {
  /** This node's id. */
  readonly id: NodeId;
  /** See {@link TwoPhaseParticipantConfig.decisionTimeoutMs}. */
  readonly decisionTimeoutMs: number;
  /** See {@link TwoPhaseParticipantConfig.autoVote}. */
  readonly autoVote: Vote | null;
  /** See {@link TwoPhaseParticipantConfig.retainDecidedMs}. */
  readonly retainDecidedMs: number | null;
  /** Live (undecided) transactions by id: `active`, `asked` or `prepared`. */
  readonly txs: Readonly<Record<string, ParticipantTx>>;
  /** Decided transactions still remembered (see {@link participantPhase}). */
  readonly decided: Tombstones<ParticipantTombstone>;
  /** See {@link TwoPhaseParticipantConfig.maxTransactions}. */
  readonly maxTransactions: number;
  /** See {@link TwoPhaseParticipantConfig.payloadLimits}. */
  readonly payloadLimits: DataLimits;
}

/**
 * A record of the participant's log: `prepared` is forced before the YES vote is sent (BHG §7.3
 * rule 1), `committed`/`aborted` before the decision is acknowledged or told to a peer, and
 * `forgotten` once the retention window of a decided transaction has passed: the host may then
 * drop every record of that transaction from its log.
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } as const;
 * const t = twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 });
 * // A yes vote is forced to the log before it is sent (BHG §7.3).
 * t.outputs[0]; //=> { type: 'persist', record: [{ kind: 'prepared', txId: 't1', coordinator: 'coord', participants: ['a', 'b'] }] }
 * ```
 */
export type ParticipantLogRecord =
  | {
      /** What happened. */
      readonly kind: 'prepared' | 'committed' | 'aborted';
      /** The transaction. */
      readonly txId: string;
      /** Its coordinator, when known. */
      readonly coordinator: NodeId | null;
      /** Its participants, when known. */
      readonly participants: readonly NodeId[];
    }
  | {
      /** The transaction left the retention window. */
      readonly kind: 'forgotten';
      /** The transaction. */
      readonly txId: string;
    };

/**
 * What a participant keeps on stable storage: per transaction, whether it is prepared or decided
 * (a decided one only until it is forgotten).
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } as const;
 * const t = twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 });
 * twoPhaseParticipant.durable(t.state); //=> { txs: { t1: { coordinator: 'coord', participants: ['a', 'b'], phase: 'prepared' } } }
 * ```
 */
export interface ParticipantDurable {
  /** Logged transactions. */
  readonly txs: Readonly<Record<string, { readonly coordinator: NodeId | null; readonly participants: readonly NodeId[]; readonly phase: 'prepared' | 'committed' | 'aborted' }>>;
}

/**
 * Local command: the host's vote for a transaction (before or after its `prepare` arrived).
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } as const;
 * const asked = twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 }).state;
 * twoPhaseParticipant.step(asked, { type: 'vote', txId: 't1', vote: 'no', now: 1 }).outputs.map((o) => o.type); //=> ['persist', 'send', 'decided']
 * ```
 */
export interface VoteCommand {
  /** Discriminator. */
  readonly type: 'vote';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** The transaction. */
  readonly txId: string;
  /** The vote. */
  readonly vote: Vote;
}

/**
 * Local command: abort a transaction this participant has not voted YES on (unilateral abort, BHG §7.3).
 *
 * @example
 * ```ts
 * import { participantPhase, twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a' });
 * // The host aborts before any prepare arrived: the participant will vote no.
 * participantPhase(twoPhaseParticipant.step(p, { type: 'abort', txId: 't1', now: 0 }).state, 't1'); //=> 'aborted'
 * ```
 */
export interface AbortCommand {
  /** Discriminator. */
  readonly type: 'abort';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** The transaction. */
  readonly txId: string;
}

/**
 * Inputs of a 2PC participant.
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } as const;
 * const t = twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 });
 * // In doubt past the decision timeout, it asks the coordinator (termination protocol).
 * twoPhaseParticipant.step(t.state, { type: 'tick', now: 1000 }).outputs.filter((o) => o.type === 'send'); //=> [{ type: 'send', to: 'coord', message: { type: 'query', txId: 't1' } }]
 * ```
 */
export type TwoPhaseParticipantInput = MessageInput | TickInput | VoteCommand | AbortCommand;

/**
 * Event: a `prepare` arrived and the host must answer with a {@link VoteCommand}.
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: { op: 'debit' } } as const;
 * twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 }).outputs; //=> [{ type: 'voteRequested', txId: 't1', coordinator: 'coord', payload: { op: 'debit' } }]
 * ```
 */
export interface VoteRequestedOutput {
  /** Discriminator. */
  readonly type: 'voteRequested';
  /** The transaction. */
  readonly txId: string;
  /** Who asked. */
  readonly coordinator: NodeId;
  /** The payload of the `prepare`. */
  readonly payload: unknown;
}

/**
 * Outputs of a 2PC participant. `decided` tells the host to apply (commit) or undo (abort) the
 * transaction's effects; it is already durable when it appears.
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const p = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const prepare = { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null } as const;
 * const t = twoPhaseParticipant.step(p, { type: 'message', from: 'coord', message: prepare, now: 0 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'send']
 * ```
 */
export type TwoPhaseParticipantOutput = TwoPhaseProtocolOutput<ParticipantLogRecord> | VoteRequestedOutput | DecidedOutput;

type PT = Transition<TwoPhaseParticipantState, TwoPhaseParticipantOutput>;
type POut = TwoPhaseParticipantOutput[];

/**
 * Folds one participant log record into a durable image (see {@link applyCoordinatorRecord}).
 *
 * @example
 * ```ts
 * import { applyParticipantRecord } from 'distkit/txn';
 * const d = applyParticipantRecord({ txs: {} }, { kind: 'prepared', txId: 't1', coordinator: 'c', participants: ['a'] });
 * d.txs.t1?.phase; //=> 'prepared'
 * ```
 */
export function applyParticipantRecord(durable: ParticipantDurable, record: ParticipantLogRecord): ParticipantDurable {
  switch (record.kind) {
    case 'prepared':
    case 'committed':
    case 'aborted':
      return { txs: withOwn(durable.txs, record.txId, { coordinator: record.coordinator, participants: record.participants, phase: record.kind }) };
    case 'forgotten':
      return { txs: withoutOwn(durable.txs, record.txId) };
    default:
      return assertNever(record, 'participant log record');
  }
}

/**
 * Where a participant stands in a transaction, whether it is live or a retained tombstone;
 * `undefined` if it never saw the transaction or has forgotten it.
 *
 * @example
 * ```ts
 * import { participantPhase, twoPhaseParticipant } from 'distkit/txn';
 * const s = twoPhaseParticipant.step(twoPhaseParticipant.init({ id: 'a' }), { type: 'abort', txId: 't1', now: 0 }).state;
 * participantPhase(s, 't1'); //=> 'aborted'
 * ```
 */
export function participantPhase(state: TwoPhaseParticipantState, txId: string): ParticipantPhase | undefined {
  return getOwn(state.txs, txId)?.phase ?? tombstoneOf(state.decided, txId)?.phase;
}

/**
 * How many decided transactions a participant still remembers: bounded by the decision rate
 * times {@link TwoPhaseParticipantConfig.retainDecidedMs}, not by history.
 *
 * @example
 * ```ts
 * import { retainedDecidedCount, twoPhaseParticipant } from 'distkit/txn';
 * retainedDecidedCount(twoPhaseParticipant.init({ id: 'a' })); //=> 0
 * ```
 */
export function retainedDecidedCount(state: TwoPhaseParticipantState): number {
  return tombstoneCount(state.decided);
}

function participantInit(config: TwoPhaseParticipantConfig): TwoPhaseParticipantState {
  const autoVote = config.autoVote ?? null;
  if (autoVote !== null && autoVote !== 'yes' && autoVote !== 'no' && autoVote !== 'readonly') {
    throw new ConfigError('autoVote', `must be 'yes', 'no' or 'readonly', got ${String(autoVote)}`);
  }
  return {
    id: checkId('id', config.id),
    decisionTimeoutMs: positiveMs('decisionTimeoutMs', config.decisionTimeoutMs, 1000),
    autoVote,
    retainDecidedMs: retainMs(config.retainDecidedMs),
    txs: {},
    decided: NO_TOMBSTONES,
    maxTransactions: positiveInt('maxTransactions', config.maxTransactions, DEFAULT_MAX_TRANSACTIONS),
    payloadLimits: payloadLimits(config.payloadLimits),
  };
}

function participantApplyPersist(durable: ParticipantDurable, records: readonly ParticipantLogRecord[]): ParticipantDurable {
  let d = durable;
  for (const r of records) d = applyParticipantRecord(d, r);
  return d;
}

function record(kind: 'prepared' | 'committed' | 'aborted', txId: string, tx: ParticipantTx): PersistOutput<readonly ParticipantLogRecord[]> {
  return { type: 'persist', record: [{ kind, txId, coordinator: tx.coordinator, participants: tx.participants }] };
}

/** Whether the table of transactions (live and retained) is full: a new one must be refused. */
function full(s: TwoPhaseParticipantState): boolean {
  return Object.keys(s.txs).length + tombstoneCount(s.decided) >= s.maxTransactions;
}

function fullReason(s: TwoPhaseParticipantState, txId: string): string {
  return `transaction ${txId} refused: maxTransactions (${s.maxTransactions}) live and retained transactions reached`;
}

function castVote(s: TwoPhaseParticipantState, txId: string, tx: ParticipantTx, vote: Vote, out: POut, now: number): TwoPhaseParticipantState {
  const to = tx.coordinator!;
  let next: ParticipantTx;
  switch (vote) {
    case 'yes':
      // BHG §7.3 rule 1: the prepared record is durable before the YES vote leaves.
      next = { ...tx, phase: 'prepared', intended: null, deadline: startTimer(now, s.decisionTimeoutMs), queries: 0 };
      out.push(record('prepared', txId, next), send(to, { type: 'vote', txId, vote: 'yes' }));
      break;
    case 'no':
      out.push(record('aborted', txId, tx), send(to, { type: 'vote', txId, vote: 'no' }), { type: 'decided', txId, decision: 'abort' });
      return settle(s, txId, tx, 'aborted', now);
    case 'readonly':
      // R* §3: a read-only participant writes nothing and leaves the protocol after phase one.
      out.push(send(to, { type: 'vote', txId, vote: 'readonly' }));
      return settle(s, txId, tx, 'readonly', now);
    default:
      return assertNever(vote, 'vote');
  }
  return { ...s, txs: withOwn(s.txs, txId, next) };
}

/** Moves a transaction out of the live table into the tombstones (it is never in doubt again). */
function settle(s: TwoPhaseParticipantState, txId: string, tx: ParticipantTx, phase: ParticipantOutcome, now: number): TwoPhaseParticipantState {
  const tomb: ParticipantTombstone = { phase, coordinator: tx.coordinator, participants: tx.participants };
  return { ...s, txs: withoutOwn(s.txs, txId), decided: addTombstone(s.decided, txId, tomb, now, s.retainDecidedMs) };
}

function applyDecision(s: TwoPhaseParticipantState, txId: string, tx: ParticipantTx, decision: Decision, out: POut, now: number): TwoPhaseParticipantState {
  const phase = decision === 'commit' ? 'committed' : 'aborted';
  out.push(record(phase, txId, tx), { type: 'decided', txId, decision });
  return settle(s, txId, tx, phase, now);
}

const NEW_TX: ParticipantTx = { coordinator: null, participants: [], phase: 'active', intended: null, deadline: STOPPED_TIMER, queries: 0 };

/** A retained tombstone seen through the live-transaction shape, for the message handlers. */
function tombstoneView(t: ParticipantTombstone): ParticipantTx {
  return { coordinator: t.coordinator, participants: t.participants, phase: t.phase, intended: null, deadline: STOPPED_TIMER, queries: 0 };
}

function participantMessage(s: TwoPhaseParticipantState, input: MessageInput, now: number): PT {
  return onPeerMessage(s, input, (raw) => parseMessage(raw, s.payloadLimits), (m, from) => participantReceive(s, m, from, now));
}

function participantReceive(s: TwoPhaseParticipantState, m: TwoPhaseMessage, from: NodeId, now: number): PT {
  const live = getOwn(s.txs, m.txId);
  const gone = live === undefined ? tombstoneOf(s.decided, m.txId) : undefined;
  const tx = live ?? (gone === undefined ? undefined : tombstoneView(gone));
  switch (m.type) {
    case 'prepare':
      return participantPrepare(s, from, m, tx, now);
    case 'decision':
      return participantDecision(s, from, m, tx, now);
    case 'query':
      return participantQuery(s, from, m, tx, now);
    case 'vote':
    case 'ack':
      return reject(s, from, `a participant does not accept ${m.type} messages`);
    default:
      return assertNever(m, 'message');
  }
}

type Msg<K extends TwoPhaseMessage['type']> = Extract<TwoPhaseMessage, { type: K }>;

function participantPrepare(s: TwoPhaseParticipantState, from: NodeId, m: Msg<'prepare'>, tx: ParticipantTx | undefined, now: number): PT {
  const out: POut = [];
    if (!m.participants.includes(s.id)) return reject(s, from, `prepare for ${m.txId} does not list this participant`);
    if (!distinct(m.participants) || m.participants.includes(from)) return reject(s, from, 'prepare: participants must be distinct and exclude the coordinator');
    if (tx !== undefined && tx.coordinator !== null && tx.coordinator !== from) {
      return reject(s, from, `prepare for ${m.txId} from a node that is not its coordinator`);
    }
    // A transaction forgotten after its retention window is new again here: the window must
    // outlast any duplicate the network still holds (see retainDecidedMs).
    if (tx === undefined || (tx.coordinator === null && tx.phase === 'active')) {
      if (tx === undefined && full(s)) return reject(s, from, fullReason(s, m.txId));
      const base: ParticipantTx = { ...(tx ?? NEW_TX), coordinator: from, participants: [...m.participants] };
      const vote = base.intended ?? s.autoVote;
      if (vote !== null) return onePersist(castVote(s, m.txId, base, vote, out, now), out);
      const asked: ParticipantTx = { ...base, phase: 'asked' };
      return transition({ ...s, txs: withOwn(s.txs, m.txId, asked) }, [
        { type: 'voteRequested', txId: m.txId, coordinator: from, payload: m.payload },
      ]);
    }
    // A re-sent or late duplicate prepare: repeat the vote already cast (its record is durable).
    switch (tx.phase) {
      case 'prepared':
        return transition(s, [send(from, { type: 'vote', txId: m.txId, vote: 'yes' })]);
      case 'readonly':
        return transition(s, [send(from, { type: 'vote', txId: m.txId, vote: 'readonly' })]);
      case 'aborted':
        return transition(s, [send(from, { type: 'vote', txId: m.txId, vote: 'no' })]);
      default:
        return transition(s);
    }
}

function participantDecision(s: TwoPhaseParticipantState, from: NodeId, m: Msg<'decision'>, tx: ParticipantTx | undefined, now: number): PT {
  const out: POut = [];
    if (tx === undefined) {
      if (m.decision === 'commit') {
        // R* §3: a commit goes only to YES voters, whose prepared record is durable, so a commit
        // with an ack request for a transaction this participant does not know is one it applied
        // and then forgot: acknowledge it, or its coordinator would re-send it forever.
        if (m.ack) return transition(s, [send(from, { type: 'ack', txId: m.txId })]);
        return reject(s, from, `commit for ${m.txId}, which this participant never prepared`);
      }
      // An abort for a transaction never seen (the prepare was lost): remember it so that a late
      // prepare is answered NO.
      if (full(s)) return reject(s, from, fullReason(s, m.txId));
      const aborted: ParticipantTx = { ...NEW_TX, coordinator: from };
      out.push(record('aborted', m.txId, aborted), { type: 'decided', txId: m.txId, decision: 'abort' });
      if (m.ack) out.push(send(from, { type: 'ack', txId: m.txId }));
      return onePersist(settle(s, m.txId, aborted, 'aborted', now), out);
    }
    const fromCoordinator = tx.coordinator === from;
    if (!fromCoordinator && (tx.coordinator === null || !tx.participants.includes(from))) {
      if (!(tx.coordinator === null && m.decision === 'abort')) {
        return reject(s, from, `decision for ${m.txId} from a node that is neither its coordinator nor a participant`);
      }
    }
    const ack = m.ack && fromCoordinator ? [send<TwoPhaseMessage>(from, { type: 'ack', txId: m.txId })] : [];
    switch (tx.phase) {
      case 'committed':
      case 'aborted': {
        const mine: Decision = tx.phase === 'committed' ? 'commit' : 'abort';
        if (mine !== m.decision) return reject(s, from, `decision ${m.decision} conflicts with the recorded ${mine} of ${m.txId}`);
        return transition(s, ack);
      }
      case 'readonly':
        return transition(s, ack);
      case 'prepared': {
        const next = applyDecision(s, m.txId, tx, m.decision, out, now);
        return onePersist(next, [...out, ...ack]);
      }
      case 'active':
      case 'asked': {
        if (m.decision === 'commit') return reject(s, from, `commit for ${m.txId} before this participant voted`);
        const next = applyDecision(s, m.txId, tx, 'abort', out, now);
        return onePersist(next, [...out, ...ack]);
      }
      default:
        return assertNever(tx.phase, 'phase');
    }
}

function participantQuery(s: TwoPhaseParticipantState, from: NodeId, m: Msg<'query'>, tx: ParticipantTx | undefined, now: number): PT {
  const out: POut = [];
    // Cooperative termination (BHG §7.4). Unknown: say nothing — a read-only voter that crashed
    // forgets, and must not answer ABORT for a transaction that may commit.
    if (tx === undefined) return transition(s);
    if (from !== tx.coordinator && !tx.participants.includes(from)) return reject(s, from, `query from a non-participant of ${m.txId}`);
    switch (tx.phase) {
      case 'committed':
      case 'aborted':
        return transition(s, [send(from, { type: 'decision', txId: m.txId, decision: tx.phase === 'committed' ? 'commit' : 'abort', ack: false })]);
      case 'prepared':
      case 'readonly':
        return transition(s);
      case 'active':
      case 'asked': {
        // Not yet voted: this participant may abort unilaterally, and then tell the asker.
        const next = applyDecision(s, m.txId, tx, 'abort', out, now);
        out.push(send(from, { type: 'decision', txId: m.txId, decision: 'abort', ack: false }));
        return onePersist(next, out);
      }
      default:
        return assertNever(tx.phase, 'phase');
    }
}

function participantTick(s0: TwoPhaseParticipantState, now: number): PT {
  let s = s0;
  const out: POut = [];
  // TIME_WAIT-style forgetting (RFC 9293 §3.6): a tombstone outlives every duplicate the network
  // may still deliver, then goes, and the host may drop its records.
  const kept = tickTombstones(s.decided, now, s.retainDecidedMs);
  if (kept.tombstones !== s.decided) {
    s = { ...s, decided: kept.tombstones };
    const forgotten: ParticipantLogRecord[] = [];
    for (const [txId, t] of kept.dropped) if (t.phase !== 'readonly') forgotten.push({ kind: 'forgotten', txId });
    if (forgotten.length > 0) out.push({ type: 'persist', record: forgotten });
  }
  for (const txId of Object.keys(s.txs)) {
    const tx = getOwn(s.txs, txId)!;
    if (tx.phase !== 'prepared' || !timerDue(tx.deadline, now)) continue;
    // BHG §7.4: an in-doubt participant must wait. It first asks the coordinator; when that stays
    // unanswered it also asks every other participant (cooperative termination protocol).
    if (tx.coordinator !== null) out.push(send(tx.coordinator, { type: 'query', txId }));
    if (tx.queries >= 1) for (const p of tx.participants) if (p !== s.id) out.push(send(p, { type: 'query', txId }));
    s = { ...s, txs: withOwn(s.txs, txId, { ...tx, deadline: startTimer(now, s.decisionTimeoutMs), queries: bump(tx.queries) }) };
  }
  return onePersist(s, out);
}

function participantCommand(s: TwoPhaseParticipantState, c: VoteCommand | AbortCommand, now: number): PT {
  if (txIdCheck(c.txId) !== undefined) throw new InvalidCommandError(c.type, 'txId must be a non-empty string of at most 256 characters');
  const tx = getOwn(s.txs, c.txId);
  const done = tx === undefined ? tombstoneOf(s.decided, c.txId)?.phase : undefined;
  const out: POut = [];
  if (c.type === 'vote') {
    if (c.vote !== 'yes' && c.vote !== 'no' && c.vote !== 'readonly') throw new InvalidCommandError('vote', `unknown vote ${String(c.vote)}`);
    // The transaction moved on (e.g. a peer's query aborted it first): a race, not an error.
    if (done !== undefined) return reject(s, 'local', `vote for ${c.txId}: the transaction is already ${done}`);
    if (tx === undefined && full(s)) return reject(s, 'local', fullReason(s, c.txId));
    if (tx === undefined || tx.phase === 'active') {
      return transition({ ...s, txs: withOwn(s.txs, c.txId, { ...(tx ?? NEW_TX), intended: c.vote }) });
    }
    if (tx.phase === 'asked') return onePersist(castVote(s, c.txId, tx, c.vote, out, now), out);
    return reject(s, 'local', `vote for ${c.txId}: the transaction is already ${tx.phase}`);
  }
  const phase = done ?? tx?.phase;
  if (phase === 'prepared' || phase === 'committed') {
    throw new InvalidCommandError('abort', `transaction ${c.txId} is ${phase}; only the coordinator can abort it now`);
  }
  if (phase === 'aborted' || phase === 'readonly') return transition(s);
  if (tx === undefined && full(s)) return reject(s, 'local', fullReason(s, c.txId));
  const base = tx ?? NEW_TX;
  const next = applyDecision(s, c.txId, base, 'abort', out, now);
  if (base.coordinator !== null) out.push(send(base.coordinator, { type: 'vote', txId: c.txId, vote: 'no' }));
  return onePersist(next, out);
}

function participantStep(s: TwoPhaseParticipantState, input: TwoPhaseParticipantInput): PT {
  return stepByType<TwoPhaseParticipantState, TwoPhaseParticipantInput, TwoPhaseParticipantOutput>(
    { message: participantMessage, tick: (p, _i, now) => participantTick(p, now), vote: participantCommand, abort: participantCommand },
    s,
    input,
  );
}

function participantNextDeadline(s: TwoPhaseParticipantState): number | undefined {
  let d = tombstoneDeadline(s.decided);
  for (const txId of Object.keys(s.txs)) d = earliest(d, getOwn(s.txs, txId)!.deadline);
  return d;
}

function participantDurable(s: TwoPhaseParticipantState): ParticipantDurable {
  const txs: Record<string, ParticipantDurable['txs'][string]> = {};
  for (const [txId, t] of tombstoneEntries(s.decided)) {
    if (t.phase !== 'readonly') setOwn(txs, txId, { coordinator: t.coordinator, participants: t.participants, phase: t.phase });
  }
  for (const [txId, tx] of Object.entries(s.txs)) {
    if (tx.phase === 'prepared') setOwn(txs, txId, { coordinator: tx.coordinator, participants: tx.participants, phase: tx.phase });
  }
  return { txs };
}

function participantRecover(config: TwoPhaseParticipantConfig, durable: ParticipantDurable): TwoPhaseParticipantState {
  const s = participantInit(config);
  const txs: Record<string, ParticipantTx> = {};
  const decided: Record<string, ParticipantTombstone> = {};
  for (const [txId, d] of Object.entries(durable.txs)) {
    // BHG §7.4 recovery: a prepared record without a decision means in doubt: ask at once.
    if (d.phase === 'prepared') setOwn(txs, txId, { coordinator: d.coordinator, participants: d.participants, phase: d.phase, intended: null, deadline: DUE_AT_ONCE, queries: 0 });
    // A decided one restarts its whole retention window at the first tick: the downtime is unknown.
    else setOwn(decided, txId, { phase: d.phase, coordinator: d.coordinator, participants: d.participants });
  }
  return { ...s, txs, decided: recoveredTombstones(decided) };
}

/**
 * The two-phase commit participant (BHG §7.3–7.4): votes, forces its prepared record before a YES,
 * waits in doubt (asking the coordinator, then every participant), aborts unilaterally only before
 * voting YES, and acknowledges decisions once they are durable. A decided transaction is kept as a
 * tombstone for {@link TwoPhaseParticipantConfig.retainDecidedMs} and then forgotten (TIME_WAIT,
 * RFC 9293 §3.6), so memory and per-step cost do not grow with history.
 *
 * @example
 * ```ts
 * import { twoPhaseParticipant } from 'distkit/txn';
 * const s = twoPhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const t = twoPhaseParticipant.step(s, {
 *   type: 'message', from: 'coord',
 *   message: { type: 'prepare', txId: 't1', participants: ['a', 'b'], payload: null },
 *   now: 0,
 * });
 * t.outputs.map((o) => o.type); //=> ['persist', 'send']
 * ```
 */
export const twoPhaseParticipant: DurableMachine<
  TwoPhaseParticipantConfig,
  TwoPhaseParticipantState,
  TwoPhaseParticipantInput,
  TwoPhaseParticipantOutput,
  ParticipantDurable
> = {
  name: 'two-phase-participant',
  init: participantInit,
  step: participantStep,
  nextDeadline: participantNextDeadline,
  durable: participantDurable,
  recover: participantRecover,
  applyPersist: participantApplyPersist as (d: ParticipantDurable, record: unknown) => ParticipantDurable,
};
