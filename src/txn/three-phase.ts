/**
 * Three-phase commit (Skeen, "Nonblocking Commit Protocols", SIGMOD 1981; BHG §7.5): CanCommit,
 * PreCommit, DoCommit, with the termination protocol run by a backup coordinator chosen among the
 * participants. Non-blocking when failures are crashes detected by accurate timeouts; NOT safe
 * under network partitions or badly delayed messages (see docs/txn.md and the tests).
 */
import type { DurableMachine, MessageInput, NodeId, Parsed, PersistOutput, RejectedOutput, SendOutput, TickInput, Timer, Transition } from '../core/index.js';
import { ConfigError, InvalidCommandError, STOPPED_TIMER, assertNever, checkId, earliest, getOwn, hasOwn, parse, positiveInt, positiveMs, reject, send, setOwn, startTimer, timerDue, transition, v, withOwn, withoutOwn, stepByType } from '../core/index.js';
import type { Decision } from './common.js';
import { DEFAULT_MAX_TRANSACTIONS, DUE_AT_ONCE, distinct, nodeListCheck, onePersist, onPeerMessage, txIdCheck } from './common.js';
import type { Tombstones } from './tombstones.js';
import { NO_TOMBSTONES, addTombstone, recoveredTombstones, retainMs, tickTombstones, tombstoneCount, tombstoneDeadline, tombstoneEntries, tombstoneOf } from './tombstones.js';
import type { DecidedOutput, VoteRequestedOutput } from './two-phase.js';

/**
 * Where a 3PC participant stands: `asked` (CanCommit received, not voted), `uncertain` (voted
 * YES; Skeen's state w), `precommitted` (Skeen's p), `committed`, `aborted`.
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * const p = threePhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const ask = { type: 'canCommit', txId: 't1', participants: ['a', 'b'] } as const;
 * const t = threePhaseParticipant.step(p, { type: 'message', from: 'c', message: ask, now: 0 });
 * const pc = threePhaseParticipant.step(t.state, { type: 'message', from: 'c', message: { type: 'preCommit', txId: 't1', round: 0 }, now: 1 });
 * pc.state.txs['t1']?.phase; //=> 'precommitted'
 * ```
 */
export type ThreePhase = 'asked' | 'uncertain' | 'precommitted' | 'committed' | 'aborted';

/**
 * A message of three-phase commit. `round` numbers the termination rounds (0 is the original
 * coordinator); the backup of round r ≥ 1 is participant `(r - 1) mod n` of the list.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * const c = threePhaseCoordinator.init({ id: 'c' });
 * const t = threePhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * const a = threePhaseCoordinator.step(t.state, { type: 'message', from: 'a', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 1 });
 * const b = threePhaseCoordinator.step(a.state, { type: 'message', from: 'b', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 2 });
 * // Every participant voted yes: PreCommit goes out before any commit (Skeen §4).
 * b.outputs.filter((o) => o.type === 'send').map((o) => o.message); //=> [{ type: 'preCommit', txId: 't1', round: 0 }, { type: 'preCommit', txId: 't1', round: 0 }]
 * ```
 */
export type ThreePhaseMessage =
  | { readonly type: 'canCommit'; readonly txId: string; readonly participants: readonly NodeId[] }
  | { readonly type: 'vote'; readonly txId: string; readonly vote: 'yes' | 'no' }
  | { readonly type: 'preCommit'; readonly txId: string; readonly round: number }
  | { readonly type: 'preCommitAck'; readonly txId: string; readonly round: number }
  | { readonly type: 'decision'; readonly txId: string; readonly decision: Decision }
  | { readonly type: 'stateReq'; readonly txId: string; readonly round: number }
  | { readonly type: 'stateReport'; readonly txId: string; readonly round: number; readonly phase: ThreePhase }
  | { readonly type: 'query'; readonly txId: string };

const round = v.int({ min: 0, max: 1_000_000_000 });
const check3 = v.tagged({
  canCommit: v.object({ type: v.literal('canCommit'), txId: txIdCheck, participants: nodeListCheck }),
  vote: v.object({ type: v.literal('vote'), txId: txIdCheck, vote: v.literal('yes', 'no') }),
  preCommit: v.object({ type: v.literal('preCommit'), txId: txIdCheck, round }),
  preCommitAck: v.object({ type: v.literal('preCommitAck'), txId: txIdCheck, round }),
  decision: v.object({ type: v.literal('decision'), txId: txIdCheck, decision: v.literal('commit', 'abort') }),
  stateReq: v.object({ type: v.literal('stateReq'), txId: txIdCheck, round: v.int({ min: 1, max: 1_000_000_000 }) }),
  stateReport: v.object({ type: v.literal('stateReport'), txId: txIdCheck, round, phase: v.literal('asked', 'uncertain', 'precommitted', 'committed', 'aborted') }),
  query: v.object({ type: v.literal('query'), txId: txIdCheck }),
});

/** Validates an untrusted message and returns a copy holding only its declared fields. */
function parseMessage(m: unknown): Parsed<ThreePhaseMessage> {
  return parse(check3, m, 'message') as Parsed<ThreePhaseMessage>;
}

// ---------------------------------------------------------------------------------------------
// Coordinator
// ---------------------------------------------------------------------------------------------

/**
 * Options of the 3PC coordinator.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * threePhaseCoordinator.init({ id: 'c', timeoutMs: 300 }).timeoutMs; //=> 300
 * ```
 */
export interface ThreePhaseCoordinatorConfig {
  /** This coordinator's node id. */
  readonly id: NodeId;
  /** Wait for votes, and for PreCommit acks, this long. Default 1000. */
  readonly timeoutMs?: number;
  /**
   * How long a decided transaction is remembered (to answer queries and refuse late votes) after
   * the first tick following its decision; then it is forgotten and a `forgotten` record lets the
   * host drop it from its log. Sound only if no message older than this is ever delivered (TCP's
   * 2·MSL). `null` keeps decided transactions forever. Default {@link DEFAULT_RETAIN_DECIDED_MS}.
   */
  readonly retainDecidedMs?: number | null;
}

/**
 * A decided 3PC transaction as its coordinator remembers it until its retention window ends.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * const c = threePhaseCoordinator.init({ id: 'c' });
 * const t = threePhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * const a = threePhaseCoordinator.step(t.state, { type: 'message', from: 'a', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 1 });
 * const b = threePhaseCoordinator.step(a.state, { type: 'message', from: 'b', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 2 });
 * const acks = ['a', 'b'].reduce((s, from) => threePhaseCoordinator.step(s, { type: 'message', from, message: { type: 'preCommitAck', txId: 't1', round: 0 }, now: 3 }).state, b.state);
 * // Committed: the coordinator keeps a tombstone to answer late queries.
 * acks.decided.buckets[0]!.txs['t1']; //=> { participants: ['a', 'b'], decision: 'commit' }
 * ```
 */
export interface ThreePhaseTombstone {
  /** The participants (who may ask, and who is told again after a crash). */
  readonly participants: readonly NodeId[];
  /** The outcome. */
  readonly decision: Decision;
}

/**
 * One transaction at the 3PC coordinator. `recovering`: restarted without a decision; it asks
 * the participants, because the termination protocol may have decided meanwhile.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * const c = threePhaseCoordinator.init({ id: 'c' });
 * const t = threePhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * t.state.txs['t1']; //=> { participants: ['a', 'b'], stage: 'voting', votes: [], acks: [], decision: null, deadline: { at: 1000, attempt: 0 } }
 * ```
 */
export interface ThreePhaseCoordinatorTx {
  /** The participants. */
  readonly participants: readonly NodeId[];
  /** Where the coordinator stands. */
  readonly stage: 'voting' | 'precommitting' | 'decided' | 'recovering';
  /** YES voters so far. */
  readonly votes: readonly NodeId[];
  /** PreCommit acknowledgements so far. */
  readonly acks: readonly NodeId[];
  /** The decision, once taken or learned. */
  readonly decision: Decision | null;
  /** The next timeout (stopped when none). */
  readonly deadline: Timer;
}

/**
 * State of the 3PC coordinator.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * threePhaseCoordinator.init({ id: 'c' }).timeoutMs; //=> 1000
 * ```
 */
export interface ThreePhaseCoordinatorState {
  /** This node's id. */
  readonly id: NodeId;
  /** See {@link ThreePhaseCoordinatorConfig.timeoutMs}. */
  readonly timeoutMs: number;
  /** See {@link ThreePhaseCoordinatorConfig.retainDecidedMs}. */
  readonly retainDecidedMs: number | null;
  /** Live transactions by id (and decided ones whose decision must still be re-sent after a restart). */
  readonly txs: Readonly<Record<string, ThreePhaseCoordinatorTx>>;
  /** Decided transactions still remembered (see {@link threePhaseCoordinatorDecision}). */
  readonly decided: Tombstones<ThreePhaseTombstone>;
}

/**
 * What the 3PC coordinator keeps durable: per transaction, its participants and its decision.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * const c = threePhaseCoordinator.init({ id: 'c' });
 * const t = threePhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * threePhaseCoordinator.durable(t.state); //=> { txs: { t1: { participants: ['a', 'b'], decision: null } } }
 * ```
 */
export interface ThreePhaseCoordinatorDurable {
  /** Logged transactions. */
  readonly txs: Readonly<Record<string, { readonly participants: readonly NodeId[]; readonly decision: Decision | null }>>;
}

/**
 * A 3PC coordinator log record: begin before CanCommit, the decision before it is sent, and
 * `forgotten` once a decided transaction left its retention window (the host may then drop every
 * record of it).
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * const c = threePhaseCoordinator.init({ id: 'c' });
 * const t = threePhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * t.outputs[0]; //=> { type: 'persist', record: [{ txId: 't1', participants: ['a', 'b'], decision: null }] }
 * ```
 */
export type ThreePhaseCoordinatorRecord =
  | {
      /** The transaction. */
      readonly txId: string;
      /** Its participants. */
      readonly participants: readonly NodeId[];
      /** Null for the begin record. */
      readonly decision: Decision | null;
    }
  | {
      /** The transaction. */
      readonly txId: string;
      /** The transaction left the retention window. */
      readonly forgotten: true;
    };

/**
 * Folds one 3PC coordinator log record into a durable image: a host that appends the `persist`
 * records to a log rebuilds {@link ThreePhaseCoordinatorDurable} after a crash by folding them in order.
 *
 * @example
 * ```ts
 * import { applyThreePhaseCoordinatorRecord } from 'distkit/txn';
 * let d = applyThreePhaseCoordinatorRecord({ txs: {} }, { txId: 't1', participants: ['a'], decision: 'commit' });
 * d = applyThreePhaseCoordinatorRecord(d, { txId: 't1', forgotten: true });
 * Object.keys(d.txs).length; //=> 0
 * ```
 */
export function applyThreePhaseCoordinatorRecord(durable: ThreePhaseCoordinatorDurable, record: ThreePhaseCoordinatorRecord): ThreePhaseCoordinatorDurable {
  if (hasOwn(record, 'forgotten')) return { txs: withoutOwn(durable.txs, record.txId) };
  if (!('participants' in record)) return durable;
  return { txs: withOwn(durable.txs, record.txId, { participants: record.participants, decision: record.decision }) };
}

/**
 * What the 3PC coordinator knows of a transaction's outcome: the decision, `null` while undecided,
 * `undefined` if it never began it or has forgotten it.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator, threePhaseCoordinatorDecision } from 'distkit/txn';
 * const s = threePhaseCoordinator.step(threePhaseCoordinator.init({ id: 'c' }), { type: 'begin', txId: 't1', participants: ['a'], now: 0 }).state;
 * threePhaseCoordinatorDecision(s, 't1'); //=> null
 * ```
 */
export function threePhaseCoordinatorDecision(state: ThreePhaseCoordinatorState, txId: string): Decision | null | undefined {
  const tx = getOwn(state.txs, txId);
  if (tx !== undefined) return tx.decision;
  return tombstoneOf(state.decided, txId)?.decision;
}

/**
 * Local command: start a 3PC transaction.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * const c = threePhaseCoordinator.init({ id: 'c' });
 * const t = threePhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * t.outputs.filter((o) => o.type === 'send').map((o) => o.to); //=> ['a', 'b']
 * ```
 */
export interface ThreePhaseBegin {
  /** Discriminator. */
  readonly type: 'begin';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** A new transaction id. */
  readonly txId: string;
  /** Distinct participants, not including the coordinator. */
  readonly participants: readonly NodeId[];
}

/**
 * Inputs of the 3PC coordinator.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * const c = threePhaseCoordinator.init({ id: 'c' });
 * const t = threePhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * // No votes by the timeout: abort.
 * threePhaseCoordinator.step(t.state, { type: 'tick', now: 1000 }).outputs.find((o) => o.type === 'decided'); //=> { type: 'decided', txId: 't1', decision: 'abort' }
 * ```
 */
export type ThreePhaseCoordinatorInput = MessageInput | TickInput | ThreePhaseBegin;

/**
 * Outputs of the 3PC coordinator.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * const c = threePhaseCoordinator.init({ id: 'c' });
 * const t = threePhaseCoordinator.step(c, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * const a = threePhaseCoordinator.step(t.state, { type: 'message', from: 'a', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 1 });
 * const b = threePhaseCoordinator.step(a.state, { type: 'message', from: 'b', message: { type: 'vote', txId: 't1', vote: 'yes' }, now: 2 });
 * b.outputs.map((o) => o.type); //=> ['send', 'send']
 * ```
 */
export type ThreePhaseCoordinatorOutput = SendOutput<ThreePhaseMessage> | PersistOutput<readonly ThreePhaseCoordinatorRecord[]> | RejectedOutput | DecidedOutput;

type CT = Transition<ThreePhaseCoordinatorState, ThreePhaseCoordinatorOutput>;

function cInit(config: ThreePhaseCoordinatorConfig): ThreePhaseCoordinatorState {
  return {
    id: checkId('id', config.id),
    timeoutMs: positiveMs('timeoutMs', config.timeoutMs, 1000),
    retainDecidedMs: retainMs(config.retainDecidedMs),
    txs: {},
    decided: NO_TOMBSTONES,
  };
}

function cApplyPersist(durable: ThreePhaseCoordinatorDurable, records: readonly ThreePhaseCoordinatorRecord[]): ThreePhaseCoordinatorDurable {
  let d = durable;
  for (const r of records) d = applyThreePhaseCoordinatorRecord(d, r);
  return d;
}

/** Moves a decided transaction out of the live table into the tombstones. */
function cSettle(s: ThreePhaseCoordinatorState, txId: string, participants: readonly NodeId[], decision: Decision, now: number): ThreePhaseCoordinatorState {
  return { ...s, txs: withoutOwn(s.txs, txId), decided: addTombstone(s.decided, txId, { participants, decision }, now, s.retainDecidedMs) };
}

function cDecide(s: ThreePhaseCoordinatorState, txId: string, tx: ThreePhaseCoordinatorTx, decision: Decision, out: ThreePhaseCoordinatorOutput[], now: number, tell = true): ThreePhaseCoordinatorState {
  out.push({ type: 'persist', record: [{ txId, participants: tx.participants, decision }] });
  if (tell) for (const p of tx.participants) out.push(send(p, { type: 'decision', txId, decision }));
  out.push({ type: 'decided', txId, decision });
  return cSettle(s, txId, tx.participants, decision, now);
}

function cMessage(s: ThreePhaseCoordinatorState, input: MessageInput, now: number): CT {
  return onPeerMessage(s, input, parseMessage, (m, from) => cReceive(s, m, from, now));
}

function cReceive(s: ThreePhaseCoordinatorState, m: ThreePhaseMessage, from: NodeId, now: number): CT {
  const live = getOwn(s.txs, m.txId);
  const gone = live !== undefined ? undefined : tombstoneOf(s.decided, m.txId);
  // A retained decision is seen as a decided transaction; no handler changes a decided one.
  const tx: ThreePhaseCoordinatorTx | undefined =
    gone === undefined ? live : { participants: gone.participants, stage: 'decided', votes: [], acks: [], decision: gone.decision, deadline: STOPPED_TIMER };
  if (tx === undefined) return reject(s, from, `${m.type} for unknown or forgotten transaction ${m.txId}`);
  if (!tx.participants.includes(from)) return reject(s, from, `${m.type} from a non-participant of ${m.txId}`);
  const out: ThreePhaseCoordinatorOutput[] = [];
  switch (m.type) {
    case 'vote': {
      if (tx.stage !== 'voting') return reject(s, from, `vote after the voting phase of ${m.txId}`);
      if (m.vote === 'no') return onePersist(cDecide(s, m.txId, tx, 'abort', out, now), out);
      if (tx.votes.includes(from)) return reject(s, from, 'duplicate vote');
      const votes = [...tx.votes, from];
      if (votes.length < tx.participants.length) return transition({ ...s, txs: withOwn(s.txs, m.txId, { ...tx, votes }) });
      // Skeen §4: all YES → PreCommit, a state from which commit is the only outcome.
      for (const p of tx.participants) out.push(send(p, { type: 'preCommit', txId: m.txId, round: 0 }));
      const txs = withOwn(s.txs, m.txId, { ...tx, votes, stage: 'precommitting' as const, deadline: startTimer(now, s.timeoutMs) });
      return transition({ ...s, txs }, out);
    }
    case 'preCommitAck': {
      if (tx.stage !== 'precommitting' || m.round !== 0) return reject(s, from, `unexpected preCommitAck for ${m.txId}`);
      if (tx.acks.includes(from)) return reject(s, from, 'duplicate preCommitAck');
      const acks = [...tx.acks, from];
      if (acks.length < tx.participants.length) return transition({ ...s, txs: withOwn(s.txs, m.txId, { ...tx, acks }) });
      return onePersist(cDecide(s, m.txId, { ...tx, acks }, 'commit', out, now), out);
    }
    case 'decision': {
      // The termination protocol decided while this coordinator was away or slow.
      if (tx.decision !== null) {
        return tx.decision === m.decision ? transition(s) : reject(s, from, `decision ${m.decision} conflicts with the recorded ${tx.decision}`);
      }
      return onePersist(cDecide(s, m.txId, tx, m.decision, out, now, false), out);
    }
    case 'query':
      return transition(s, tx.decision === null ? [] : [send(from, { type: 'decision', txId: m.txId, decision: tx.decision })]);
    case 'canCommit':
    case 'preCommit':
    case 'stateReq':
    case 'stateReport':
      return reject(s, from, `a coordinator does not accept ${m.type} messages`);
    default:
      return assertNever(m, 'message');
  }
}

function cTick(s0: ThreePhaseCoordinatorState, now: number): CT {
  let s = s0;
  const out: ThreePhaseCoordinatorOutput[] = [];
  // TIME_WAIT-style forgetting (RFC 9293 §3.6), as for the 2PC participant.
  const kept = tickTombstones(s.decided, now, s.retainDecidedMs);
  if (kept.tombstones !== s.decided) {
    s = { ...s, decided: kept.tombstones };
    if (kept.dropped.length > 0) out.push({ type: 'persist', record: kept.dropped.map(([txId]) => ({ txId, forgotten: true as const })) });
  }
  for (const txId of Object.keys(s.txs)) {
    const tx = getOwn(s.txs, txId)!;
    if (!timerDue(tx.deadline, now)) continue;
    switch (tx.stage) {
      case 'voting':
        s = cDecide(s, txId, tx, 'abort', out, now);
        break;
      case 'precommitting':
        // Skeen §4: a participant that does not acknowledge PreCommit is taken as failed; it
        // learns the outcome when it recovers.
        s = cDecide(s, txId, tx, 'commit', out, now);
        break;
      case 'recovering':
        for (const p of tx.participants) out.push(send(p, { type: 'query', txId }));
        s = { ...s, txs: withOwn(s.txs, txId, { ...tx, deadline: startTimer(now, s.timeoutMs) }) };
        break;
      case 'decided':
        // Recovered with a decision: tell everyone again, then keep it as a tombstone.
        for (const p of tx.participants) out.push(send(p, { type: 'decision', txId, decision: tx.decision! }));
        s = cSettle(s, txId, tx.participants, tx.decision!, now);
        break;
      default:
        return assertNever(tx.stage, 'stage');
    }
  }
  return onePersist(s, out);
}

function cStep(s: ThreePhaseCoordinatorState, input: ThreePhaseCoordinatorInput): CT {
  return stepByType<ThreePhaseCoordinatorState, ThreePhaseCoordinatorInput, ThreePhaseCoordinatorOutput>({ message: cMessage, tick: (c, _i, now) => cTick(c, now), begin: cBegin }, s, input);
}

function cBegin(s: ThreePhaseCoordinatorState, input: Extract<ThreePhaseCoordinatorInput, { type: 'begin' }>, now: number): CT {
    if (txIdCheck(input.txId) !== undefined || hasOwn(s.txs, input.txId) || tombstoneOf(s.decided, input.txId) !== undefined) {
      throw new InvalidCommandError('begin', `txId must be a new non-empty string, got ${String(input.txId)}`);
    }
    if (nodeListCheck(input.participants) !== undefined || !distinct(input.participants) || input.participants.includes(s.id)) {
      throw new InvalidCommandError('begin', 'participants must be distinct node ids other than the coordinator');
    }
    const participants = [...input.participants];
    const tx: ThreePhaseCoordinatorTx = { participants, stage: 'voting', votes: [], acks: [], decision: null, deadline: startTimer(now, s.timeoutMs) };
    const out: ThreePhaseCoordinatorOutput[] = [{ type: 'persist', record: [{ txId: input.txId, participants, decision: null }] }];
    for (const p of participants) out.push(send(p, { type: 'canCommit', txId: input.txId, participants }));
    return transition({ ...s, txs: withOwn(s.txs, input.txId, tx) }, out);
}

/**
 * The three-phase commit coordinator (Skeen 1981 §4). Recovering without a decision, it asks the
 * participants instead of deciding: the termination protocol may have decided in its absence.
 *
 * @example
 * ```ts
 * import { threePhaseCoordinator } from 'distkit/txn';
 * const s = threePhaseCoordinator.init({ id: 'c' });
 * const t = threePhaseCoordinator.step(s, { type: 'begin', txId: 't1', participants: ['a', 'b'], now: 0 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'send', 'send']
 * ```
 */
export const threePhaseCoordinator: DurableMachine<
  ThreePhaseCoordinatorConfig,
  ThreePhaseCoordinatorState,
  ThreePhaseCoordinatorInput,
  ThreePhaseCoordinatorOutput,
  ThreePhaseCoordinatorDurable
> = {
  name: 'three-phase-coordinator',
  init: cInit,
  step: cStep,
  nextDeadline(s) {
    let d = tombstoneDeadline(s.decided);
    for (const id of Object.keys(s.txs)) d = earliest(d, getOwn(s.txs, id)!.deadline);
    return d;
  },
  durable(s) {
    const txs: Record<string, { participants: readonly NodeId[]; decision: Decision | null }> = {};
    for (const [id, t] of tombstoneEntries(s.decided)) setOwn(txs, id, { participants: t.participants, decision: t.decision });
    for (const [id, tx] of Object.entries(s.txs)) setOwn(txs, id, { participants: tx.participants, decision: tx.decision });
    return { txs };
  },
  recover(config, durable) {
    const s = cInit(config);
    const txs: Record<string, ThreePhaseCoordinatorTx> = {};
    for (const [id, d] of Object.entries(durable.txs)) {
      setOwn(txs, id, { participants: d.participants, stage: d.decision === null ? 'recovering' : 'decided', votes: [], acks: [], decision: d.decision, deadline: DUE_AT_ONCE });
    }
    return { ...s, txs };
  },
  applyPersist: cApplyPersist as (d: ThreePhaseCoordinatorDurable, record: unknown) => ThreePhaseCoordinatorDurable,
};

// ---------------------------------------------------------------------------------------------
// Participant
// ---------------------------------------------------------------------------------------------

/**
 * Options of a 3PC participant.
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * threePhaseParticipant.init({ id: 'a', timeoutMs: 300, autoVote: 'yes' }).timeoutMs; //=> 300
 * ```
 */
export interface ThreePhaseParticipantConfig {
  /** This participant's node id. */
  readonly id: NodeId;
  /** Silence from the coordinator (or backup) this long starts a termination round. Default 1000. */
  readonly timeoutMs?: number;
  /** Vote this way on every CanCommit. Absent: emit `voteRequested` and wait for a `vote` command. */
  readonly autoVote?: 'yes' | 'no';
  /**
   * The most transactions this participant tracks. A `canCommit` for a new transaction past it is
   * rejected, so a peer flooding fresh ids cannot grow the state without bound. Default
   * {@link DEFAULT_MAX_TRANSACTIONS}.
   */
  readonly maxTransactions?: number;
}

/**
 * A backup coordinator's termination round in progress (Skeen §5 / BHG §7.5 termination protocol).
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * const p = threePhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const ask = { type: 'canCommit', txId: 't1', participants: ['a', 'b'] } as const;
 * const t = threePhaseParticipant.step(p, { type: 'message', from: 'c', message: ask, now: 0 });
 * // The coordinator went silent: a backup starts a termination round (Skeen §5).
 * const later = threePhaseParticipant.step(t.state, { type: 'tick', now: 1000 });
 * later.outputs.filter((o) => o.type === 'send').map((o) => o.message); //=> [{ type: 'stateReq', txId: 't1', round: 1 }]
 * ```
 */
export interface TerminationRound {
  /** Collecting states, or waiting for PreCommit acks before committing. */
  readonly stage: 'collecting' | 'precommitting';
  /** States reported by the other participants. */
  readonly reports: Readonly<Record<NodeId, ThreePhase>>;
  /** PreCommit acks (stage `precommitting`). */
  readonly acks: readonly NodeId[];
  /** When the stage ends. */
  readonly deadline: Timer;
}

/**
 * One transaction at a 3PC participant.
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * const p = threePhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const ask = { type: 'canCommit', txId: 't1', participants: ['a', 'b'] } as const;
 * const t = threePhaseParticipant.step(p, { type: 'message', from: 'c', message: ask, now: 0 });
 * t.state.txs['t1']; //=> { coordinator: 'c', participants: ['a', 'b'], phase: 'uncertain', round: 0, deadline: { at: 1000, attempt: 0 }, recovered: false, termination: null }
 * ```
 */
export interface ThreePhaseParticipantTx {
  /** The coordinator. */
  readonly coordinator: NodeId;
  /** All participants. */
  readonly participants: readonly NodeId[];
  /** Where this participant stands. */
  readonly phase: ThreePhase;
  /** The highest termination round joined (0: the original coordinator). */
  readonly round: number;
  /** The next timeout (stopped when none). */
  readonly deadline: Timer;
  /** Restarted while undecided: asks for the outcome and stays out of termination rounds. */
  readonly recovered: boolean;
  /** The round this participant runs as backup coordinator, if any. */
  readonly termination: TerminationRound | null;
}

/**
 * State of a 3PC participant.
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * threePhaseParticipant.init({ id: 'a' }).id; //=> 'a'
 * ```
 */
export interface ThreePhaseParticipantState {
  /** This node's id. */
  readonly id: NodeId;
  /** See {@link ThreePhaseParticipantConfig.timeoutMs}. */
  readonly timeoutMs: number;
  /** See {@link ThreePhaseParticipantConfig.autoVote}. */
  readonly autoVote: 'yes' | 'no' | null;
  /** Transactions by id. */
  readonly txs: Readonly<Record<string, ThreePhaseParticipantTx>>;
  /** See {@link ThreePhaseParticipantConfig.maxTransactions}. */
  readonly maxTransactions: number;
}

/**
 * A 3PC participant log record: its phase, written before it is announced.
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * const p = threePhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const ask = { type: 'canCommit', txId: 't1', participants: ['a', 'b'] } as const;
 * const t = threePhaseParticipant.step(p, { type: 'message', from: 'c', message: ask, now: 0 });
 * t.outputs[0]; //=> { type: 'persist', record: [{ txId: 't1', coordinator: 'c', participants: ['a', 'b'], phase: 'uncertain' }] }
 * ```
 */
export interface ThreePhaseParticipantRecord {
  /** The transaction. */
  readonly txId: string;
  /** Its coordinator. */
  readonly coordinator: NodeId;
  /** Its participants. */
  readonly participants: readonly NodeId[];
  /** The phase reached. */
  readonly phase: 'uncertain' | 'precommitted' | 'committed' | 'aborted';
}

/**
 * What a 3PC participant keeps durable.
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * const p = threePhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const ask = { type: 'canCommit', txId: 't1', participants: ['a', 'b'] } as const;
 * const t = threePhaseParticipant.step(p, { type: 'message', from: 'c', message: ask, now: 0 });
 * const pc = threePhaseParticipant.step(t.state, { type: 'message', from: 'c', message: { type: 'preCommit', txId: 't1', round: 0 }, now: 1 });
 * threePhaseParticipant.durable(pc.state); //=> { txs: { t1: { txId: 't1', coordinator: 'c', participants: ['a', 'b'], phase: 'precommitted' } } }
 * ```
 */
export interface ThreePhaseParticipantDurable {
  /** Latest record per transaction. */
  readonly txs: Readonly<Record<string, ThreePhaseParticipantRecord>>;
}

/**
 * Local command for a 3PC participant: its vote on a pending CanCommit.
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * const p = threePhaseParticipant.init({ id: 'a' });
 * const ask = { type: 'canCommit', txId: 't1', participants: ['a', 'b'] } as const;
 * const asked = threePhaseParticipant.step(p, { type: 'message', from: 'c', message: ask, now: 0 }).state;
 * threePhaseParticipant.step(asked, { type: 'vote', txId: 't1', vote: 'no', now: 1 }).state.txs['t1']?.phase; //=> 'aborted'
 * ```
 */
export interface ThreePhaseVote {
  /** Discriminator. */
  readonly type: 'vote';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** The transaction. */
  readonly txId: string;
  /** The vote. */
  readonly vote: 'yes' | 'no';
}

/**
 * Inputs of a 3PC participant.
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * const p = threePhaseParticipant.init({ id: 'a' });
 * const ask = { type: 'canCommit', txId: 't1', participants: ['a', 'b'] } as const;
 * const asked = threePhaseParticipant.step(p, { type: 'message', from: 'c', message: ask, now: 0 }).state;
 * threePhaseParticipant.step(asked, { type: 'vote', txId: 't1', vote: 'yes', now: 1 }).outputs.map((o) => o.type); //=> ['persist', 'send']
 * ```
 */
export type ThreePhaseParticipantInput = MessageInput | TickInput | ThreePhaseVote;

/**
 * Outputs of a 3PC participant.
 *
 * @example
 * ```ts
 * import type { ThreePhaseParticipantOutput } from 'distkit/txn';
 * const o: ThreePhaseParticipantOutput = { type: 'decided', txId: 't1', decision: 'abort' };
 * ```
 */
export type ThreePhaseParticipantOutput =
  | SendOutput<ThreePhaseMessage>
  | PersistOutput<readonly ThreePhaseParticipantRecord[]>
  | RejectedOutput
  | VoteRequestedOutput
  | DecidedOutput;

type PT = Transition<ThreePhaseParticipantState, ThreePhaseParticipantOutput>;
type POut = ThreePhaseParticipantOutput[];

/** The backup coordinator of termination round `r` (r ≥ 1). */
function backup(participants: readonly NodeId[], r: number): NodeId {
  return participants[(r - 1) % participants.length]!;
}

function pInit(config: ThreePhaseParticipantConfig): ThreePhaseParticipantState {
  const autoVote = config.autoVote ?? null;
  if (autoVote !== null && autoVote !== 'yes' && autoVote !== 'no') throw new ConfigError('autoVote', `must be 'yes' or 'no', got ${String(autoVote)}`);
  return {
    id: checkId('id', config.id),
    timeoutMs: positiveMs('timeoutMs', config.timeoutMs, 1000),
    autoVote,
    txs: {},
    maxTransactions: positiveInt('maxTransactions', config.maxTransactions, DEFAULT_MAX_TRANSACTIONS),
  };
}

function pApplyPersist(durable: ThreePhaseParticipantDurable, records: readonly ThreePhaseParticipantRecord[]): ThreePhaseParticipantDurable {
  let txs = durable.txs;
  for (const r of records) txs = withOwn(txs, r.txId, r);
  return { txs };
}

function rec(txId: string, tx: ThreePhaseParticipantTx, phase: ThreePhaseParticipantRecord['phase']): PersistOutput<readonly ThreePhaseParticipantRecord[]> {
  return { type: 'persist', record: [{ txId, coordinator: tx.coordinator, participants: tx.participants, phase }] };
}

function put(s: ThreePhaseParticipantState, txId: string, tx: ThreePhaseParticipantTx): ThreePhaseParticipantState {
  return { ...s, txs: withOwn(s.txs, txId, tx) };
}

function pDecide(s: ThreePhaseParticipantState, txId: string, tx: ThreePhaseParticipantTx, decision: Decision, out: POut): ThreePhaseParticipantState {
  const phase = decision === 'commit' ? 'committed' : 'aborted';
  out.push(rec(txId, tx, phase), { type: 'decided', txId, decision });
  return put(s, txId, { ...tx, phase, deadline: STOPPED_TIMER, termination: null, recovered: false });
}

function pVote(s: ThreePhaseParticipantState, txId: string, tx: ThreePhaseParticipantTx, vote: 'yes' | 'no', out: POut, now: number): ThreePhaseParticipantState {
  if (vote === 'no') {
    const next = pDecide(s, txId, tx, 'abort', out);
    out.push(send(tx.coordinator, { type: 'vote', txId, vote: 'no' }));
    return next;
  }
  const next: ThreePhaseParticipantTx = { ...tx, phase: 'uncertain', deadline: startTimer(now, s.timeoutMs) };
  out.push(rec(txId, next, 'uncertain'), send(tx.coordinator, { type: 'vote', txId, vote: 'yes' }));
  return put(s, txId, next);
}

/** Skeen §5 / BHG §7.5 termination rule, applied by the backup to the states it collected. */
function conclude(s: ThreePhaseParticipantState, txId: string, tx: ThreePhaseParticipantTx, reports: Readonly<Record<NodeId, ThreePhase>>, out: POut, now: number): ThreePhaseParticipantState {
  const phases = [tx.phase, ...Object.values(reports)];
  const others = tx.participants.filter((p) => p !== s.id);
  const tell = (decision: Decision): ThreePhaseParticipantState => {
    const next = pDecide(s, txId, tx, decision, out);
    for (const p of [...others, tx.coordinator]) out.push(send(p, { type: 'decision', txId, decision }));
    return next;
  };
  if (phases.includes('committed')) return tell('commit');
  if (phases.includes('aborted') || phases.includes('asked')) return tell('abort');
  if (!phases.includes('precommitted')) return tell('abort'); // all uncertain: nobody can have committed
  // Some precommitted, none decided: bring the uncertain ones to precommitted, then commit.
  const uncertain = Object.keys(reports).filter((p) => getOwn(reports, p) === 'uncertain');
  if (uncertain.length === 0 && tx.phase === 'precommitted') return tell('commit');
  const next: ThreePhaseParticipantTx = {
    ...tx,
    phase: 'precommitted',
    deadline: startTimer(now, s.timeoutMs),
    termination: { stage: 'precommitting', reports, acks: [], deadline: startTimer(now, s.timeoutMs) },
  };
  if (tx.phase !== 'precommitted') out.push(rec(txId, next, 'precommitted'));
  for (const p of uncertain) out.push(send(p, { type: 'preCommit', txId, round: tx.round }));
  if (uncertain.length === 0) return tell('commit');
  return put(s, txId, next);
}

function pMessage(s: ThreePhaseParticipantState, input: MessageInput, now: number): PT {
  return onPeerMessage(s, input, parseMessage, (m, from) => pReceive(s, m, from, now));
}

function pReceive(s: ThreePhaseParticipantState, m: ThreePhaseMessage, from: NodeId, now: number): PT {
  const tx = getOwn(s.txs, m.txId);
  const out: POut = [];
  if (m.type === 'canCommit') return pCanCommit(s, from, m, tx, now);
  if (tx === undefined) {
    if (m.type === 'query' || m.type === 'stateReq') {
      // Never voted YES here (that record would be durable): aborting unilaterally is safe.
      return transition(s, [send(from, m.type === 'query' ? { type: 'decision', txId: m.txId, decision: 'abort' } : { type: 'stateReport', txId: m.txId, round: m.round, phase: 'aborted' })]);
    }
    return reject(s, from, `${m.type} for unknown transaction ${m.txId}`);
  }
  const known = from === tx.coordinator || tx.participants.includes(from);
  if (!known) return reject(s, from, `${m.type} from a node outside transaction ${m.txId}`);
  switch (m.type) {
    case 'preCommit': {
      const legit = m.round === 0 ? from === tx.coordinator : from === backup(tx.participants, m.round);
      if (!legit) return reject(s, from, `preCommit for round ${m.round} from a node that does not lead it`);
      if (m.round < tx.round) return reject(s, from, `stale preCommit (round ${m.round} < ${tx.round})`);
      if (tx.phase === 'asked' || tx.phase === 'aborted') return reject(s, from, `preCommit while ${tx.phase}`);
      const next: ThreePhaseParticipantTx = { ...tx, phase: tx.phase === 'committed' ? 'committed' : 'precommitted', round: m.round, deadline: tx.phase === 'committed' ? STOPPED_TIMER : startTimer(now, s.timeoutMs) };
      if (tx.phase === 'uncertain') out.push(rec(m.txId, next, 'precommitted'));
      out.push(send(from, { type: 'preCommitAck', txId: m.txId, round: m.round }));
      return transition(put(s, m.txId, next), out);
    }
    case 'decision': {
      if (tx.phase === 'committed' || tx.phase === 'aborted') {
        const mine = tx.phase === 'committed' ? 'commit' : 'abort';
        return mine === m.decision ? transition(s) : reject(s, from, `decision ${m.decision} conflicts with the recorded ${mine} of ${m.txId}`);
      }
      if (tx.phase === 'asked' && m.decision === 'commit') return reject(s, from, `commit for ${m.txId} before this participant voted`);
      return onePersist(pDecide(s, m.txId, tx, m.decision, out), out);
    }
    case 'stateReq':
      return pStateReq(s, from, m, tx, now);
    case 'stateReport': {
      const t = tx.termination;
      if (t === null || t.stage !== 'collecting' || m.round !== tx.round) return reject(s, from, `stateReport for a round this node does not lead`);
      if (from === tx.coordinator || hasOwn(t.reports, from)) return reject(s, from, 'duplicate or foreign stateReport');
      const reports = withOwn(t.reports, from, m.phase);
      if (Object.keys(reports).length < tx.participants.length - 1) return transition(put(s, m.txId, { ...tx, termination: { ...t, reports } }));
      return onePersist(conclude(s, m.txId, tx, reports, out, now), out);
    }
    case 'preCommitAck': {
      const t = tx.termination;
      if (t === null || t.stage !== 'precommitting' || m.round !== tx.round || t.acks.includes(from)) return reject(s, from, 'unexpected preCommitAck');
      const acks = [...t.acks, from];
      const waiting = Object.keys(t.reports).filter((p) => getOwn(t.reports, p) === 'uncertain' && !acks.includes(p));
      if (waiting.length > 0) return transition(put(s, m.txId, { ...tx, termination: { ...t, acks } }));
      const next = pDecide(s, m.txId, tx, 'commit', out);
      for (const p of [...tx.participants.filter((p) => p !== s.id), tx.coordinator]) out.push(send(p, { type: 'decision', txId: m.txId, decision: 'commit' }));
      return transition(next, out);
    }
    case 'query':
      if (tx.phase === 'committed' || tx.phase === 'aborted') {
        return transition(s, [send(from, { type: 'decision', txId: m.txId, decision: tx.phase === 'committed' ? 'commit' : 'abort' })]);
      }
      return transition(s);
    case 'vote':
      return reject(s, from, 'a participant does not accept vote messages');
    default:
      return assertNever(m, 'message');
  }
}

type Msg<K extends ThreePhaseMessage['type']> = Extract<ThreePhaseMessage, { type: K }>;

function pCanCommit(s: ThreePhaseParticipantState, from: NodeId, m: Msg<'canCommit'>, tx: ThreePhaseParticipantTx | undefined, now: number): PT {
  const out: POut = [];
  if (!m.participants.includes(s.id) || !distinct(m.participants) || m.participants.includes(from)) {
    return reject(s, from, 'canCommit: participants must be distinct, list this node and exclude the coordinator');
  }
  if (tx !== undefined) {
    if (tx.coordinator !== from) return reject(s, from, `canCommit for ${m.txId} from a node that is not its coordinator`);
    if (tx.phase === 'uncertain' || tx.phase === 'precommitted') return transition(s, [send(from, { type: 'vote', txId: m.txId, vote: 'yes' })]);
    if (tx.phase === 'aborted') return transition(s, [send(from, { type: 'vote', txId: m.txId, vote: 'no' })]);
    return transition(s);
  }
  if (Object.keys(s.txs).length >= s.maxTransactions) {
    return reject(s, from, `canCommit for ${m.txId} refused: maxTransactions (${s.maxTransactions}) transactions tracked`);
  }
  const fresh: ThreePhaseParticipantTx = { coordinator: from, participants: [...m.participants], phase: 'asked', round: 0, deadline: STOPPED_TIMER, recovered: false, termination: null };
  if (s.autoVote !== null) return onePersist(pVote(s, m.txId, fresh, s.autoVote, out, now), out);
  return transition(put(s, m.txId, fresh), [{ type: 'voteRequested', txId: m.txId, coordinator: from, payload: null }]);
}

// The termination protocol (Skeen 1981; BHG §7.5): the backup of round `m.round` asks where each participant stands.
function pStateReq(s: ThreePhaseParticipantState, from: NodeId, m: Msg<'stateReq'>, tx: ThreePhaseParticipantTx, now: number): PT {
  const out: POut = [];
    if (from !== backup(tx.participants, m.round)) return reject(s, from, `stateReq for round ${m.round} from a node that does not lead it`);
    if (m.round < tx.round) return reject(s, from, `stale stateReq (round ${m.round} < ${tx.round})`);
    if (tx.recovered) return transition(s); // failed in doubt: stays out, asks instead
    if (tx.phase === 'asked') {
      const next = pDecide(s, m.txId, tx, 'abort', out);
      out.push(send(from, { type: 'stateReport', txId: m.txId, round: m.round, phase: 'aborted' }));
      return transition(next, out);
    }
    const undecided = tx.phase === 'uncertain' || tx.phase === 'precommitted';
    const next: ThreePhaseParticipantTx = { ...tx, round: m.round, termination: null, deadline: undecided ? startTimer(now, 2 * s.timeoutMs) : STOPPED_TIMER };
    return transition(undecided ? put(s, m.txId, next) : put(s, m.txId, next), [send(from, { type: 'stateReport', txId: m.txId, round: m.round, phase: tx.phase })]);
}

function pTick(s0: ThreePhaseParticipantState, now: number): PT {
  let s = s0;
  const out: POut = [];
  for (const txId of Object.keys(s.txs)) {
    const tx = getOwn(s.txs, txId)!;
    if (!timerDue(tx.deadline, now)) continue;
    if (tx.phase !== 'uncertain' && tx.phase !== 'precommitted') continue;
    const t = tx.termination;
    if (t !== null && !timerDue(t.deadline, now)) continue;
    if (t !== null) {
      if (t.stage === 'collecting') s = conclude(s, txId, tx, t.reports, out, now);
      else {
        s = pDecide(s, txId, tx, 'commit', out);
        for (const p of [...tx.participants.filter((p) => p !== s.id), tx.coordinator]) out.push(send(p, { type: 'decision', txId, decision: 'commit' }));
      }
      continue;
    }
    if (tx.recovered) {
      // Failed while in doubt (Skeen §5): it may not join termination; it asks everyone.
      for (const p of [tx.coordinator, ...tx.participants.filter((p) => p !== s.id)]) out.push(send(p, { type: 'query', txId }));
      s = put(s, txId, { ...tx, deadline: startTimer(now, s.timeoutMs) });
      continue;
    }
    // Termination protocol: move to the next round; its backup collects the states.
    const r = tx.round + 1;
    if (backup(tx.participants, r) === s.id) {
      for (const p of tx.participants) if (p !== s.id) out.push(send(p, { type: 'stateReq', txId, round: r }));
      const deadline = startTimer(now, s.timeoutMs);
      s = put(s, txId, { ...tx, round: r, deadline, termination: { stage: 'collecting', reports: {}, acks: [], deadline } });
      if (tx.participants.length === 1) s = conclude(s, txId, getOwn(s.txs, txId)!, {}, out, now);
    } else {
      s = put(s, txId, { ...tx, round: r, deadline: startTimer(now, 2 * s.timeoutMs), termination: null });
    }
  }
  return onePersist(s, out);
}

function pStep(s: ThreePhaseParticipantState, input: ThreePhaseParticipantInput): PT {
  return stepByType<ThreePhaseParticipantState, ThreePhaseParticipantInput, ThreePhaseParticipantOutput>({ message: pMessage, tick: (p, _i, now) => pTick(p, now), vote: pVoteCommand }, s, input);
}

function pVoteCommand(s: ThreePhaseParticipantState, input: Extract<ThreePhaseParticipantInput, { type: 'vote' }>, now: number): PT {
    if (input.vote !== 'yes' && input.vote !== 'no') throw new InvalidCommandError('vote', `unknown vote ${String(input.vote)}`);
    const tx = typeof input.txId === 'string' ? getOwn(s.txs, input.txId) : undefined;
    if (tx === undefined) throw new InvalidCommandError('vote', `no CanCommit received for ${input.txId}`);
    if (tx.phase !== 'asked') return reject(s, 'local', `vote for ${input.txId}: already ${tx.phase}`);
    const out: POut = [];
    return onePersist(pVote(s, input.txId, tx, input.vote, out, now), out);
}

/**
 * The three-phase commit participant (Skeen 1981 §4–5): votes, enters PreCommit, and on the
 * coordinator's silence runs termination rounds whose backup coordinator applies Skeen's rule
 * (any committed → commit; any aborted or unvoted → abort; all uncertain → abort; some
 * precommitted → PreCommit the rest, then commit).
 *
 * @example
 * ```ts
 * import { threePhaseParticipant } from 'distkit/txn';
 * const s = threePhaseParticipant.init({ id: 'a', autoVote: 'yes' });
 * const t = threePhaseParticipant.step(s, { type: 'message', from: 'c', message: { type: 'canCommit', txId: 't1', participants: ['a', 'b'] }, now: 0 });
 * t.state.txs.t1?.phase; //=> 'uncertain'
 * ```
 */
export const threePhaseParticipant: DurableMachine<
  ThreePhaseParticipantConfig,
  ThreePhaseParticipantState,
  ThreePhaseParticipantInput,
  ThreePhaseParticipantOutput,
  ThreePhaseParticipantDurable
> = {
  name: 'three-phase-participant',
  init: pInit,
  step: pStep,
  nextDeadline(s) {
    let d: number | undefined;
    for (const txId of Object.keys(s.txs)) {
      const tx = getOwn(s.txs, txId)!;
      d = earliest(d, tx.deadline, tx.termination?.deadline);
    }
    return d;
  },
  durable(s) {
    const txs: Record<string, ThreePhaseParticipantRecord> = {};
    for (const [txId, tx] of Object.entries(s.txs)) {
      if (tx.phase !== 'asked') setOwn(txs, txId, { txId, coordinator: tx.coordinator, participants: tx.participants, phase: tx.phase });
    }
    return { txs };
  },
  recover(config, durable) {
    const s = pInit(config);
    const txs: Record<string, ThreePhaseParticipantTx> = {};
    for (const [txId, r] of Object.entries(durable.txs)) {
      const undecided = r.phase === 'uncertain' || r.phase === 'precommitted';
      setOwn(txs, txId, { coordinator: r.coordinator, participants: r.participants, phase: r.phase, round: 0, deadline: undecided ? DUE_AT_ONCE : STOPPED_TIMER, recovered: undecided, termination: null });
    }
    return { ...s, txs };
  },
  applyPersist: pApplyPersist as (d: ThreePhaseParticipantDurable, record: unknown) => ThreePhaseParticipantDurable,
};
