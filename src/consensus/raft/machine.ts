/**
 * The Raft state machine (Ongaro & Ousterhout, "In Search of an Understandable Consensus
 * Algorithm", 2014; Ongaro's thesis, 2014), with etcd-io/raft's production features.
 * Section references: "§n" is the paper, "thesis §n" the dissertation.
 *
 * @packageDocumentation
 */
// The machine contract; the protocol kit (ids, options, quorums, records, sends); data checks; time.
import { ConfigError, checkObject, InvalidCommandError, assertNever, inputNow, reject, type DurableMachine, type Transition } from '../../core/index.js';
import { MAX_COUNTER, checkId, getOwn, majority, positiveInt, reached, send as sendOutput, setOwn, withOwn, type NodeId } from '../../core/index.js';
import { PAYLOAD_LIMITS, plainDataProblem, type DataLimits } from '../../core/index.js';
import { STOPPED_TIMER, earliest, randomTimer, seedPrng, startTimer, stopTimer, timerDue } from '../../core/index.js';
import { raftAssert, raftBug } from './assert.js';
import { UNLIMITED_BYTES } from './inflights.js';
import { appendOne, appendToLog, compactLog, emptyLog, entryAt, lastTerm, raftEntries, raftLastIndex, termAt, truncateLog } from './log.js';
import { MAX_ID_LENGTH, cleanMessage, messageProblem } from './messages.js';
import { becomeSnapshot, heartbeatAcked, isPaused, isStaleRejection, maybeDecrTo, maybeUpdate, newProgress, resumeProbe, sentEntries, withActive } from './progress.js';
import { committedIndex, voteResult } from './quorum.js';
import { applyRaftPersist } from './storage.js';
import type {
  RaftAppendRequest,
  RaftAppendResponse,
  RaftConfig,
  RaftDurable,
  RaftEntry,
  RaftHeartbeat,
  RaftHeartbeatResponse,
  RaftInput,
  RaftMembership,
  RaftMembershipChange,
  RaftMessage,
  RaftNotLeaderOutput,
  RaftOptions,
  RaftOutput,
  RaftPendingRead,
  RaftPersistRecord,
  RaftProgress,
  RaftRole,
  RaftSnapshot,
  RaftSnapshotRequest,
  RaftState,
  RaftVoteRequest,
  RaftVoteResponse,
} from './types.js';

// ---------------------------------------------------------------------------------------------
// Step context: a draft of the next state plus the effects collected while handling one input.
// ---------------------------------------------------------------------------------------------

type Draft = { -readonly [K in keyof RaftState]: RaftState[K] };

interface Ctx {
  readonly d: Draft;
  /** The input's time (host ms): every timer started while handling it counts from here. */
  readonly now: number;
  /** Sends and events, in order; the persist record goes before all of them. */
  readonly out: RaftOutput[];
  snapshot?: RaftSnapshot;
  truncateFrom?: number;
  entries?: RaftEntry[];
}

function cloneState(s: RaftState): Draft {
  // An explicit literal: much faster than a spread of this many properties, and one stable shape.
  return {
    id: s.id,
    options: s.options,
    role: s.role,
    term: s.term,
    vote: s.vote,
    leader: s.leader,
    log: s.log,
    commit: s.commit,
    applied: s.applied,
    membership: s.membership,
    membershipIndex: s.membershipIndex,
    started: s.started,
    recovered: s.recovered,
    electionTimer: s.electionTimer,
    heartbeatTimer: s.heartbeatTimer,
    quorumTimer: s.quorumTimer,
    voteBlockedUntil: s.voteBlockedUntil,
    votes: s.votes,
    progress: s.progress,
    transferee: s.transferee,
    transferTimer: s.transferTimer,
    leaseRevoked: s.leaseRevoked,
    reads: s.reads,
    readSeq: s.readSeq,
    stable: s.stable,
    prng: s.prng,
  };
}

/**
 * A draft of the next state for an input at `now`. A node's first input starts its election timer
 * from that input's time (and, after a restart with check-quorum, its lease promise).
 */
function ctxOf(state: RaftState, now: number): Ctx {
  const c: Ctx = { d: cloneState(state), out: [], now };
  if (!state.started) {
    const d = c.d;
    d.started = true;
    if (d.role !== 'leader') resetElectionTimer(c);
    // A restarted node may have heard from a leader just before crashing: keep its lease promise.
    if (d.recovered && d.options.checkQuorum) d.voteBlockedUntil = now + d.options.electionTimeoutMs;
  }
  return c;
}

/** Builds the transition: persist first (rule 6 of the machine contract), then sends and events. */
function finish(prev: RaftState, c: Ctx): Transition<RaftState, RaftOutput> {
  const d = c.d;
  // §5.3: only an entry a node holds can be known committed (the leader sends min(match, commit)).
  if (d.commit > raftLastIndex(d.log)) raftBug(`commit ${d.commit} beyond the last index ${raftLastIndex(d.log)}`);
  emitApply(c);
  if (d.role !== prev.role || d.term !== prev.term || d.leader !== prev.leader) {
    c.out.push({ type: 'role', role: d.role, term: d.term, leader: d.leader });
  }
  const hard = d.term !== prev.term || d.vote !== prev.vote;
  // Thesis §10.2.1: a leader's sends need not wait for its own log write, only for a term or vote
  // it has not yet made durable (a leader never truncates its log or installs a snapshot).
  const early = d.options.parallelAppend && d.role === 'leader' && prev.role === 'leader' && !hard;
  if (early) markEarly(c.out);
  if (!hard && c.snapshot === undefined && c.truncateFrom === undefined && c.entries === undefined) {
    return { state: d, outputs: c.out };
  }
  const record: { -readonly [K in keyof RaftPersistRecord]: RaftPersistRecord[K] } = {};
  if (hard) {
    record.term = d.term;
    record.vote = d.vote;
  }
  if (c.snapshot !== undefined) record.snapshot = c.snapshot;
  if (c.truncateFrom !== undefined) record.truncateFrom = c.truncateFrom;
  if (c.entries !== undefined && c.entries.length > 0) record.entries = c.entries;
  // Built in order rather than by unshift, which is slow on V8.
  const outputs: RaftOutput[] = [persistOutput(d, record)];
  for (let i = 0; i < c.out.length; i++) outputs.push(c.out[i] as RaftOutput);
  return { state: d, outputs };
}

/** Marks a leader's sends as free to leave before its pending log writes are durable (§10.2.1). */
function markEarly(out: RaftOutput[]): void {
  for (let i = 0; i < out.length; i++) {
    const o = out[i]!;
    if (o.type === 'send') out[i] = { type: 'send', to: o.to, message: o.message, beforePersist: true };
  }
}

/** The persist output; a `parallelAppend` leader asks to hear when its appended entries are durable. */
function persistOutput(d: RaftState, record: RaftPersistRecord): RaftOutput {
  const entries = record.entries;
  if (!d.options.parallelAppend || d.role !== 'leader' || entries === undefined) return { type: 'persist', record };
  const last = entries[entries.length - 1]!;
  return { type: 'persist', record, onDurable: { type: 'persisted', index: last.index, term: last.term } };
}

function send(c: Ctx, to: NodeId, message: RaftMessage): void {
  c.out.push(sendOutput(to, message));
}

/** Records appended entries for the persist output. */
function persistEntries(c: Ctx, added: readonly RaftEntry[]): void {
  if (c.entries === undefined) c.entries = added.slice();
  else for (const e of added) c.entries.push(e);
}

/** Records a truncation: entries appended earlier in this step at or after `from` are dropped too. */
function persistTruncate(c: Ctx, from: number): void {
  if (c.entries !== undefined) c.entries = c.entries.filter((e) => e.index < from);
  c.truncateFrom = c.truncateFrom === undefined ? from : Math.min(c.truncateFrom, from);
}

// ---------------------------------------------------------------------------------------------
// Config, init, durable, recover
// ---------------------------------------------------------------------------------------------

function optionsOf(config: RaftConfig): RaftOptions {
  const electionTimeoutMs = positiveInt('electionTimeoutMs', config.electionTimeoutMs, 1000);
  if (electionTimeoutMs < 2) throw new ConfigError('electionTimeoutMs', 'must be at least 2');
  const heartbeatIntervalMs = positiveInt('heartbeatIntervalMs', config.heartbeatIntervalMs, Math.max(1, Math.floor(electionTimeoutMs / 10)));
  if (heartbeatIntervalMs >= electionTimeoutMs) {
    throw new ConfigError('heartbeatIntervalMs', `must be below electionTimeoutMs (${electionTimeoutMs}); §5.2 wants it well below`);
  }
  const checkQuorum = config.checkQuorum ?? true;
  const readMode = config.readMode ?? 'index';
  if (readMode !== 'index' && readMode !== 'lease') throw new ConfigError('readMode', `must be 'index' or 'lease'`);
  if (readMode === 'lease' && !checkQuorum) {
    throw new ConfigError('readMode', `'lease' needs checkQuorum: true (thesis §6.4.1)`);
  }
  const leaseMs = positiveInt('leaseMs', config.leaseMs, Math.max(1, Math.floor((electionTimeoutMs * 9) / 10)));
  if (leaseMs > electionTimeoutMs) throw new ConfigError('leaseMs', `must be at most electionTimeoutMs (${electionTimeoutMs})`);
  return {
    electionTimeoutMs,
    heartbeatIntervalMs,
    preVote: config.preVote ?? true,
    checkQuorum,
    readMode,
    leaseMs,
    maxEntriesPerAppend: positiveInt('maxEntriesPerAppend', config.maxEntriesPerAppend, 256),
    maxBytesPerAppend: positiveInt('maxBytesPerAppend', config.maxBytesPerAppend, 1 << 20),
    maxInflight: positiveInt('maxInflight', config.maxInflight, 64),
    maxInflightBytes: positiveInt('maxInflightBytes', config.maxInflightBytes, UNLIMITED_BYTES),
    maxUncommittedEntries: positiveInt('maxUncommittedEntries', config.maxUncommittedEntries, 100_000),
    parallelAppend: flag('parallelAppend', config.parallelAppend),
    payloadLimits: limitsOf(config.payloadLimits),
  };
}

function flag(field: string, value: unknown): boolean {
  if (value !== undefined && typeof value !== 'boolean') throw new ConfigError(field, 'must be a boolean');
  return value === true;
}

function limitsOf(limits: Partial<DataLimits> | undefined): DataLimits {
  if (limits === undefined) return PAYLOAD_LIMITS;
  checkObject('payloadLimits', limits, 'must be an object { maxDepth?, maxBytes? }');
  return {
    maxDepth: positiveInt('payloadLimits.maxDepth', limits.maxDepth, PAYLOAD_LIMITS.maxDepth),
    maxBytes: positiveInt('payloadLimits.maxBytes', limits.maxBytes, PAYLOAD_LIMITS.maxBytes),
  };
}

function membershipOf(voters: unknown, learners: unknown, field: string): RaftMembership {
  if (!Array.isArray(voters)) throw new ConfigError(`${field}voters`, 'must be an array of node ids');
  const l: unknown = learners ?? [];
  if (!Array.isArray(l)) throw new ConfigError(`${field}learners`, 'must be an array of node ids');
  voters.forEach((id, i) => checkId(`${field}voters[${i}]`, id));
  l.forEach((id, i) => checkId(`${field}learners[${i}]`, id));
  const all = [...(voters as string[]), ...(l as string[])];
  if (new Set(all).size !== all.length) throw new ConfigError(`${field}voters`, 'ids must be unique across voters and learners');
  return { voters: (voters as string[]).slice().sort(), learners: (l as string[]).slice().sort() };
}

function baseState(config: RaftConfig, log: RaftState['log'], term: number, vote: NodeId | null): RaftState {
  const id = checkId('id', config.id);
  if (typeof config.seed !== 'string' && (typeof config.seed !== 'number' || !Number.isFinite(config.seed))) {
    throw new ConfigError('seed', 'must be a finite number or a string');
  }
  const options = optionsOf(config);
  const { membership, index } = membershipAt(log, raftLastIndex(log));
  return {
    id,
    options,
    role: 'follower',
    term,
    vote,
    leader: null,
    log,
    commit: log.snapshotIndex,
    applied: log.snapshotIndex,
    membership,
    membershipIndex: index,
    started: false,
    recovered: false,
    electionTimer: STOPPED_TIMER,
    heartbeatTimer: STOPPED_TIMER,
    quorumTimer: STOPPED_TIMER,
    voteBlockedUntil: 0,
    votes: {},
    progress: {},
    transferee: null,
    transferTimer: STOPPED_TIMER,
    leaseRevoked: false,
    reads: [],
    readSeq: 0,
    stable: 0,
    prng: seedPrng(typeof config.seed === 'string' ? `${config.seed}/${id}` : `${config.seed}/${id}`),
  };
}

function init(config: RaftConfig): RaftState {
  checkObject('config', config);
  const membership = membershipOf(config.voters, config.learners, '');
  const snapshot: RaftSnapshot = { index: 0, term: 0, membership, data: null };
  return baseState(config, emptyLog(snapshot), 0, null);
}

function durable(state: RaftState): RaftDurable {
  return { term: state.term, vote: state.vote, snapshot: state.log.snapshot, entries: raftEntries(state.log) };
}

function recover(config: RaftConfig, saved: RaftDurable): RaftState {
  checkObject('durable', saved, 'must be a RaftDurable record');
  const { term, vote, snapshot, entries } = saved;
  if (!Number.isSafeInteger(term) || term < 0) throw new ConfigError('durable.term', 'must be a non-negative integer');
  if (vote !== null && typeof vote !== 'string') throw new ConfigError('durable.vote', 'must be a node id or null');
  if (snapshot === null || typeof snapshot !== 'object' || !Number.isSafeInteger(snapshot.index)) {
    throw new ConfigError('durable.snapshot', 'must be a snapshot record');
  }
  membershipOf(snapshot.membership?.voters, snapshot.membership?.learners, 'durable.snapshot.membership.');
  if (!Array.isArray(entries)) throw new ConfigError('durable.entries', 'must be an array');
  entries.forEach((e, i) => {
    if (e.index !== snapshot.index + 1 + i) throw new ConfigError(`durable.entries[${i}].index`, `expected ${snapshot.index + 1 + i}`);
  });
  const log = appendToLog(emptyLog(snapshot), entries);
  const s = baseState(config, log, term, vote);
  const applied = config.applied ?? snapshot.index;
  if (!Number.isSafeInteger(applied) || applied < 0 || applied > raftLastIndex(log)) {
    throw new ConfigError('applied', `must be an integer in [0, ${raftLastIndex(log)}], got ${String(applied)}`);
  }
  // Entries up to `applied` were committed before the crash; the rest wait for the leader (§5.3).
  const at = Math.max(applied, snapshot.index);
  return { ...s, applied: at, commit: at, recovered: true };
}

/** The membership in effect at `index`: the latest config entry at or before it, else the snapshot's (thesis §4.1). */
function membershipAt(log: RaftState['log'], index: number): { membership: RaftMembership; index: number } {
  for (let i = Math.min(index, raftLastIndex(log)); i > log.snapshotIndex; i--) {
    const e = entryAt(log, i);
    if (e.kind === 'config' && e.membership !== undefined) return { membership: e.membership, index: i };
  }
  return { membership: log.snapshot.membership, index: log.snapshotIndex };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function isVoter(d: RaftState, id: NodeId): boolean {
  return d.membership.voters.includes(id);
}

function isMember(d: RaftState, id: NodeId): boolean {
  return d.membership.voters.includes(id) || d.membership.learners.includes(id);
}

/** Only voters campaign (etcd's `promotable`); learners and removed nodes never do. */
function promotable(d: RaftState): boolean {
  return isVoter(d, d.id);
}

function peersOf(d: RaftState): NodeId[] {
  const out: NodeId[] = [];
  for (const id of d.membership.voters) if (id !== d.id) out.push(id);
  for (const id of d.membership.learners) if (id !== d.id) out.push(id);
  return out;
}

/**
 * Restarts the election timer at a random point in [now + T, now + 2T) (§5.2), `now` being the
 * time of the input that restarted it (the message from the leader, the vote granted ...).
 */
function resetElectionTimer(c: Ctx): void {
  const d = c.d;
  const T = d.options.electionTimeoutMs;
  const r = randomTimer(c.now, T, 2 * T, d.prng);
  d.prng = r.prng;
  d.electionTimer = r.timer;
}

/** The replication state of `id` (an own property: a peer may be named `__proto__`). */
function progressOf(d: RaftState, id: NodeId): RaftProgress | undefined {
  return getOwn(d.progress, id);
}

function setProgress(d: Draft, id: NodeId, p: RaftProgress): void {
  d.progress = withOwn(d.progress, id, p);
}

/** Progress for a follower the leader has not heard from, probing from just after its last entry (§5.3). */
function freshProgress(d: RaftState, active: boolean): RaftProgress {
  return newProgress(raftLastIndex(d.log) + 1, active);
}

function estimateBytes(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data === null || typeof data !== 'object') return 8;
  return JSON.stringify(data).length;
}

function appendEntriesLocally(c: Ctx, added: RaftEntry[]): void {
  const d = c.d;
  d.log = added.length === 1 ? appendOne(d.log, added[0] as RaftEntry) : appendToLog(d.log, added);
  persistEntries(c, added);
  for (let i = added.length - 1; i >= 0; i--) {
    const e = added[i] as RaftEntry;
    // Thesis §4.1: a server uses the latest configuration in its log, committed or not.
    if (e.kind === 'config' && e.membership !== undefined) {
      d.membership = e.membership;
      d.membershipIndex = e.index;
      break;
    }
  }
}

function truncateLocally(c: Ctx, from: number): void {
  const d = c.d;
  d.log = truncateLog(d.log, from);
  persistTruncate(c, from);
  if (d.membershipIndex >= from) {
    const m = membershipAt(d.log, raftLastIndex(d.log));
    d.membership = m.membership;
    d.membershipIndex = m.index;
  }
}

/** Hands newly committed entries to the application, in order, once (§5.3, Figure 2 "Rules for all servers"). */
function emitApply(c: Ctx): void {
  const d = c.d;
  if (d.commit > d.applied) {
    const entries = raftEntries(d.log, d.applied + 1, d.commit);
    d.applied = d.commit;
    c.out.push({ type: 'apply', entries });
  }
}

// ---------------------------------------------------------------------------------------------
// Role changes (§5.2, thesis §9.6)
// ---------------------------------------------------------------------------------------------

function becomeFollower(c: Ctx, term: number, leader: NodeId | null): void {
  const d = c.d;
  if (d.role === 'leader') dropReads(c);
  if (term > d.term) {
    d.term = term;
    d.vote = null;
  }
  d.role = 'follower';
  d.leader = leader;
  d.votes = {};
  d.progress = {};
  d.transferee = null;
  d.transferTimer = stopTimer(d.transferTimer);
  d.heartbeatTimer = stopTimer(d.heartbeatTimer);
  d.quorumTimer = stopTimer(d.quorumTimer);
  resetElectionTimer(c);
}

function dropReads(c: Ctx): void {
  for (const r of c.d.reads) c.out.push({ type: 'notLeader', command: 'read', leader: null, id: r.id });
  c.d.reads = [];
}

/** Election timeout: pre-vote first when enabled (thesis §9.6), else a real campaign. */
function campaign(c: Ctx, transfer: boolean): void {
  // The term is a bounded counter: a node at the largest term cannot start another one.
  if (c.d.term >= MAX_COUNTER) {
    resetElectionTimer(c);
    return;
  }
  if (c.d.options.preVote && !transfer) becomePreCandidate(c);
  else becomeCandidate(c, transfer);
}

function becomePreCandidate(c: Ctx): void {
  const d = c.d;
  raftAssert(d.role !== 'leader', 'invalid transition leader -> preCandidate');
  // Thesis §9.6: a pre-candidate does not change its term or vote; it asks whether it could win.
  d.role = 'preCandidate';
  d.leader = null;
  d.votes = withOwn({}, d.id, true);
  resetElectionTimer(c);
  if (voteResult(d.membership.voters, d.votes) === 'won') return becomeCandidate(c, false);
  requestVotes(c, true, false);
}

function becomeCandidate(c: Ctx, transfer: boolean): void {
  const d = c.d;
  raftAssert(d.role !== 'leader', 'invalid transition leader -> candidate');
  // The term is a bounded counter: at MAX_COUNTER no new term can start (peers refuse larger ones).
  if (d.term >= MAX_COUNTER) {
    if (d.role === 'follower') resetElectionTimer(c);
    else becomeFollower(c, d.term, null);
    return;
  }
  // §5.2: increment currentTerm, vote for self, reset the election timer, request votes.
  d.role = 'candidate';
  d.term += 1;
  d.vote = d.id;
  d.leader = null;
  d.votes = withOwn({}, d.id, true);
  resetElectionTimer(c);
  if (voteResult(d.membership.voters, d.votes) === 'won') return becomeLeader(c);
  requestVotes(c, false, transfer);
}

function requestVotes(c: Ctx, pre: boolean, transfer: boolean): void {
  const d = c.d;
  const msg: RaftVoteRequest = {
    type: 'vote',
    term: pre ? d.term + 1 : d.term,
    lastIndex: raftLastIndex(d.log),
    lastTerm: lastTerm(d.log),
    pre,
    transfer,
  };
  for (const id of d.membership.voters) if (id !== d.id && getOwn(d.votes, id) === undefined) send(c, id, msg);
  // §5.1: servers retry RPCs that get no answer in time; a lost request or grant must not cost a
  // whole election timeout. Candidates retry every heartbeat interval.
  d.heartbeatTimer = startTimer(c.now, d.options.heartbeatIntervalMs);
}

function becomeLeader(c: Ctx): void {
  const d = c.d;
  // §5.2: only a candidate that won a vote of its term leads (etcd panics on follower -> leader).
  if (d.role !== 'candidate') raftBug(`invalid transition ${d.role} -> leader`);
  d.role = 'leader';
  d.leader = d.id;
  d.votes = {};
  d.transferee = null;
  d.transferTimer = stopTimer(d.transferTimer);
  d.leaseRevoked = false;
  d.reads = [];
  const progress: Record<NodeId, RaftProgress> = {};
  // §5.3: nextIndex starts just after the leader's last entry. Nobody counts as heard from yet:
  // check-quorum steps down one T after the election unless a quorum answers by then (thesis §6.2).
  const fresh = freshProgress(d, false);
  for (const id of peersOf(d)) setOwn(progress, id, fresh);
  d.progress = progress;
  d.electionTimer = stopTimer(d.electionTimer);
  d.heartbeatTimer = startTimer(c.now, d.options.heartbeatIntervalMs);
  d.quorumTimer = startTimer(c.now, d.options.electionTimeoutMs);
  // §10.2.1: what a candidate holds was durable before it asked for votes.
  d.stable = raftLastIndex(d.log);
  // §8 / thesis §6.4: a new leader commits a no-op entry of its term, which also makes earlier
  // entries commit (§5.4.2) and lets it serve reads.
  const noop: RaftEntry = { index: raftLastIndex(d.log) + 1, term: d.term, data: null, kind: 'noop' };
  appendEntriesLocally(c, [noop]);
  broadcastAppend(c);
  maybeCommit(c);
}

// ---------------------------------------------------------------------------------------------
// step
// ---------------------------------------------------------------------------------------------

function step(state: RaftState, input: RaftInput): Transition<RaftState, RaftOutput> {
  const now = inputNow(input);
  switch (input.type) {
    case 'message':
      return onMessage(state, input.from, input.message, now);
    case 'tick':
      return onTick(state, now);
    case 'propose':
      return onPropose(state, [input.data], 'propose', now);
    case 'proposeBatch':
      if (!Array.isArray(input.data)) throw new InvalidCommandError('proposeBatch', 'data must be an array');
      return onPropose(state, input.data, 'proposeBatch', now);
    case 'read':
      return onRead(state, input.id, now);
    case 'compact':
      return onCompact(state, input.index, input.data, now);
    case 'changeMembership':
      return onChangeMembership(state, input.change, now);
    case 'transferLeadership':
      return onTransfer(state, input.to, now);
    case 'campaign':
      return onCampaign(state, now);
    case 'persisted':
      return onPersisted(state, input.index, input.term, now);
    default:
      return assertNever(input, 'input');
  }
}

function notLeader(state: RaftState, command: RaftNotLeaderOutput['command']): Transition<RaftState, RaftOutput> {
  return { state, outputs: [{ type: 'notLeader', command, leader: state.role === 'leader' ? state.id : state.leader }] };
}

function localReject(state: RaftState, reason: string): Transition<RaftState, RaftOutput> {
  return reject(state, 'local', reason);
}

// --- time -------------------------------------------------------------------------------------

function onTick(state: RaftState, now: number): Transition<RaftState, RaftOutput> {
  // `tick` only says that a deadline is due; a tick with nothing due changes nothing.
  if (state.started && !tickDue(state, now)) return { state, outputs: [] };
  const c = ctxOf(state, now);
  const d = c.d;
  if (!state.started) return finish(state, c);
  if (d.role === 'leader') tickLeader(c);
  else if (timerDue(d.electionTimer, now)) {
    // §5.2: no word from a leader (or no winner) for a whole election timeout.
    if (promotable(d)) campaign(c, false);
    else resetElectionTimer(c);
    return finish(state, c);
  } else if (timerDue(d.heartbeatTimer, now)) {
    // Ask again the voters that have not answered (a retransmission: same term, same log).
    requestVotes(c, d.role === 'preCandidate', false);
  }
  return finish(state, c);
}

function tickDue(state: RaftState, now: number): boolean {
  const at = raftNextDeadline(state);
  return at !== undefined && now >= at;
}

function tickLeader(c: Ctx): void {
  const d = c.d;
  const now = c.now;
  if (timerDue(d.heartbeatTimer, now)) {
    d.heartbeatTimer = startTimer(now, d.options.heartbeatIntervalMs);
    broadcastHeartbeat(c);
  }
  // Thesis §3.10: a transfer that has not completed within an election timeout is abandoned.
  if (d.transferee !== null && timerDue(d.transferTimer, now)) {
    d.transferee = null;
    d.transferTimer = stopTimer(d.transferTimer);
  }
  if (timerDue(d.quorumTimer, now)) {
    d.quorumTimer = startTimer(now, d.options.electionTimeoutMs);
    // Check-quorum (thesis §6.2): step down when a majority has not been heard from for T.
    if (d.options.checkQuorum && promotableOrLeaving(d) && !quorumActive(d)) return becomeFollower(c, d.term, null);
    const progress: Record<NodeId, RaftProgress> = {};
    for (const [id, p] of Object.entries(d.progress)) setOwn(progress, id, withActive(p, false));
    d.progress = progress;
  }
}

function promotableOrLeaving(d: RaftState): boolean {
  return d.membership.voters.length > 0;
}

/** Whether a majority of voters was heard from in this round, the leader counting itself (etcd's `QuorumActive`). */
function quorumActive(d: RaftState): boolean {
  const heard: Record<NodeId, boolean> = {};
  for (const id of d.membership.voters) setOwn(heard, id, id === d.id || progressOf(d, id)?.active === true);
  return voteResult(d.membership.voters, heard) === 'won';
}

function broadcastHeartbeat(c: Ctx): void {
  const d = c.d;
  d.readSeq += 1;
  for (const id of peersOf(d)) {
    const p = progressOf(d, id);
    if (p === undefined) continue;
    // etcd: never tell a follower to commit beyond what it is known to hold.
    const hb: RaftHeartbeat = { type: 'heartbeat', term: d.term, commit: Math.min(p.match, d.commit), seq: d.readSeq, sentAt: c.now };
    send(c, id, hb);
  }
}

// --- messages ---------------------------------------------------------------------------------

function onMessage(state: RaftState, from: unknown, message: unknown, now: number): Transition<RaftState, RaftOutput> {
  if (typeof from !== 'string' || from.length === 0 || from.length > MAX_ID_LENGTH) {
    return reject(state, typeof from === 'string' ? from.slice(0, MAX_ID_LENGTH) : 'unknown', 'from: expected a node id');
  }
  if (from === state.id) return reject(state, from, 'from: a node does not message itself');
  const problem = messageProblem(message, state.options.payloadLimits);
  if (problem !== undefined) return reject(state, from, problem);
  // Only the validated fields go on: the machine never stores or forwards the received object.
  const m = cleanMessage(message as RaftMessage);
  if (!isMember(state, from)) {
    // A node outside its own membership (joining, or removed) still follows whoever leads.
    const passive = !isMember(state, state.id) && (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot');
    if (!passive) return reject(state, from, `from: ${from} is not a member`);
  }

  // §5.1: terms act as logical clocks.
  if (m.term > state.term) {
    if (m.type === 'vote') {
      // Thesis §4.2.3 / §9.6: within the minimum election timeout of hearing from a leader, a
      // server ignores requests to elect another (unless the leader itself asked, §3.10).
      if (!m.transfer && inLease(state, now)) return reject(state, from, 'vote: ignored while a leader lease holds (thesis §4.2.3)');
      if (m.pre) return onVoteRequest(state, from, m, now);
    } else if (m.type === 'voteResponse' && m.pre && m.granted) {
      // A granted pre-vote carries the term the candidate will campaign in; it bumps nothing.
      return onVoteResponse(state, from, m, now);
    }
    const c = ctxOf(state, now);
    const leaderMsg = m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot' || m.type === 'timeoutNow';
    becomeFollower(c, m.term, leaderMsg ? from : null);
    return dispatch(state, c, from, m);
  }
  if (m.term < state.term) {
    if ((m.type === 'append' || m.type === 'heartbeat') && (state.options.checkQuorum || state.options.preVote)) {
      // etcd: a stale leader (e.g. healed from a partition) must learn the new term, since with
      // pre-vote or check-quorum no vote request from us may ever reach it.
      const resp: RaftAppendResponse = { type: 'appendResponse', term: state.term, success: false, index: 0, hintIndex: 0, hintTerm: 0 };
      return { state, outputs: [{ type: 'rejected', from, reason: `term: ${m.term} is stale` }, { type: 'send', to: from, message: resp }] };
    }
    if (m.type === 'vote' && m.pre) {
      const resp: RaftVoteResponse = { type: 'voteResponse', term: state.term, granted: false, pre: true };
      return { state, outputs: [{ type: 'rejected', from, reason: `term: ${m.term} is stale` }, { type: 'send', to: from, message: resp }] };
    }
    return reject(state, from, `term: ${m.term} is stale (current ${state.term})`);
  }
  return dispatch(state, ctxOf(state, now), from, m);
}

/**
 * Thesis §4.2.3 / §9.6: within the minimum election timeout of hearing from a leader (one T after
 * the message's `now`), a server ignores requests to elect another, while check-quorum is on. A
 * restarted node keeps the promise it may have made before its crash for one T.
 */
function inLease(state: RaftState, now: number): boolean {
  if (!state.options.checkQuorum) return false;
  if (state.role === 'leader') return true;
  if (!state.started) return state.recovered;
  return now < state.voteBlockedUntil;
}

/** A message other than a vote request, which every role handles alike. */
type RoleMessage = Exclude<RaftMessage, RaftVoteRequest>;

type RoleStep = (prev: RaftState, c: Ctx, from: NodeId, m: RoleMessage) => Transition<RaftState, RaftOutput>;

/** Same-term handling per role: the step function of each role, as etcd switches `r.step`. */
const stepOf: Readonly<Record<RaftRole, RoleStep>> = {
  leader: stepLeader,
  candidate: stepCandidate,
  preCandidate: stepCandidate,
  follower: stepFollower,
};

function dispatch(prev: RaftState, c: Ctx, from: NodeId, m: RaftMessage): Transition<RaftState, RaftOutput> {
  // Every role answers a vote request by the same rules (§5.2, §5.4.1, thesis §9.6).
  if (m.type === 'vote') return handleVote(prev, c, from, m);
  return stepOf[c.d.role](prev, c, from, m);
}

function stepLeader(prev: RaftState, c: Ctx, from: NodeId, m: RoleMessage): Transition<RaftState, RaftOutput> {
  switch (m.type) {
    case 'appendResponse':
      return handleAppendResponse(prev, c, from, m);
    case 'heartbeatResponse':
      return handleHeartbeatResponse(prev, c, from, m);
    case 'voteResponse':
      return unchanged(prev, c, from, 'voteResponse: not campaigning');
    case 'append':
    case 'heartbeat':
    case 'snapshot':
    case 'timeoutNow':
      // §5.2 election safety: there is at most one leader per term, and it is us.
      return unchanged(prev, c, from, `${m.type}: from a second leader of term ${m.term}`);
    default:
      return assertNever(m, 'message');
  }
}

function stepCandidate(prev: RaftState, c: Ctx, from: NodeId, m: RoleMessage): Transition<RaftState, RaftOutput> {
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      // §5.2: a candidate that hears from a leader of its term returns to follower.
      becomeFollower(c, m.term, from);
      return stepFollower(prev, c, from, m);
    case 'voteResponse':
      return onVoteResponseCtx(prev, c, from, m);
    case 'timeoutNow':
    case 'appendResponse':
    case 'heartbeatResponse':
      return unchanged(prev, c, from, `${m.type}: unexpected while campaigning`);
    default:
      return assertNever(m, 'message');
  }
}

function stepFollower(prev: RaftState, c: Ctx, from: NodeId, m: RoleMessage): Transition<RaftState, RaftOutput> {
  const d = c.d;
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      d.leader = from;
      // §5.2: the election timeout restarts from the time this message arrived.
      resetElectionTimer(c);
      d.voteBlockedUntil = c.now + d.options.electionTimeoutMs;
      if (m.type === 'append') handleAppend(c, from, m);
      else if (m.type === 'heartbeat') handleHeartbeat(c, from, m);
      else handleSnapshot(c, from, m);
      return finish(prev, c);
    case 'timeoutNow':
      // Thesis §3.10: the leader asks us to campaign now, skipping pre-vote and leases.
      if (!promotable(d)) return unchanged(prev, c, from, 'timeoutNow: not a voter');
      becomeCandidate(c, true);
      return finish(prev, c);
    case 'voteResponse':
    case 'appendResponse':
    case 'heartbeatResponse':
      return unchanged(prev, c, from, `${m.type}: not expected by a follower`);
    default:
      return assertNever(m, 'message');
  }
}

/** A stale or unexpected message: state unchanged unless handling the term already changed it. */
function unchanged(prev: RaftState, c: Ctx, from: NodeId, reason: string): Transition<RaftState, RaftOutput> {
  if (c.d.term === prev.term && c.d.role === prev.role && c.d.leader === prev.leader) return reject(prev, from, reason);
  return finish(prev, c);
}

// --- elections (§5.2, §5.4.1) -----------------------------------------------------------------

function onVoteRequest(state: RaftState, from: NodeId, m: RaftVoteRequest, now: number): Transition<RaftState, RaftOutput> {
  return handleVote(state, ctxOf(state, now), from, m);
}

function handleVote(prev: RaftState, c: Ctx, from: NodeId, m: RaftVoteRequest): Transition<RaftState, RaftOutput> {
  const d = c.d;
  // etcd's rule: we can vote for `from` if we already did, if we have neither voted nor seen a
  // leader this term, or for a pre-vote of a future term.
  const canVote = d.vote === from || (d.vote === null && d.leader === null) || (m.pre && m.term > d.term);
  // §5.4.1: grant only to a candidate whose log is at least as up-to-date as ours.
  const ourLastTerm = lastTerm(d.log);
  const upToDate = m.lastTerm > ourLastTerm || (m.lastTerm === ourLastTerm && m.lastIndex >= raftLastIndex(d.log));
  if (canVote && upToDate) {
    send(c, from, { type: 'voteResponse', term: m.term, granted: true, pre: m.pre });
    if (!m.pre) {
      d.vote = from;
      resetElectionTimer(c);
    }
  } else {
    send(c, from, { type: 'voteResponse', term: d.term, granted: false, pre: m.pre });
  }
  return finish(prev, c);
}

function onVoteResponse(state: RaftState, from: NodeId, m: RaftVoteResponse, now: number): Transition<RaftState, RaftOutput> {
  return onVoteResponseCtx(state, ctxOf(state, now), from, m);
}

function onVoteResponseCtx(prev: RaftState, c: Ctx, from: NodeId, m: RaftVoteResponse): Transition<RaftState, RaftOutput> {
  const d = c.d;
  const expectPre = d.role === 'preCandidate';
  if (d.role !== 'preCandidate' && d.role !== 'candidate') return unchanged(prev, c, from, 'voteResponse: not campaigning');
  if (m.pre !== expectPre) return unchanged(prev, c, from, 'voteResponse: answers another kind of request');
  if (m.pre && m.granted && m.term !== d.term + 1) return unchanged(prev, c, from, 'voteResponse: pre-vote for another term');
  if (!isVoter(d, from)) return unchanged(prev, c, from, 'voteResponse: not a voter');
  const earlier = getOwn(d.votes, from);
  if (earlier === m.granted) return unchanged(prev, c, from, 'voteResponse: duplicate');
  if (earlier !== undefined) return unchanged(prev, c, from, 'voteResponse: conflicting duplicate');
  d.votes = withOwn(d.votes, from, m.granted);
  const result = voteResult(d.membership.voters, d.votes);
  if (result === 'won') {
    if (d.role === 'preCandidate') becomeCandidate(c, false);
    else becomeLeader(c);
  } else if (result === 'lost') {
    becomeFollower(c, d.term, null);
  }
  return finish(prev, c);
}

// --- replication, follower side (§5.3) ----------------------------------------------------------

function handleAppend(c: Ctx, from: NodeId, m: RaftAppendRequest): void {
  const d = c.d;
  if (m.prevIndex < d.commit) {
    // Already committed here; answer with our commit so the leader moves on (etcd).
    send(c, from, { type: 'appendResponse', term: d.term, success: true, index: d.commit, hintIndex: 0, hintTerm: 0 });
    return;
  }
  const last = raftLastIndex(d.log);
  if (termAt(d.log, m.prevIndex) !== m.prevTerm) {
    // §5.3 consistency check failed. Fast backtracking: report the largest index <= prevIndex
    // whose term is <= prevTerm, so the leader can skip a whole conflicting term at once.
    let hint = Math.min(m.prevIndex, last);
    while (hint > d.log.snapshotIndex && termAt(d.log, hint) > m.prevTerm) hint--;
    const hintTerm = Math.max(0, termAt(d.log, hint));
    send(c, from, { type: 'appendResponse', term: d.term, success: false, index: m.prevIndex, hintIndex: hint, hintTerm });
    return;
  }
  // Find the first entry that is new or conflicts (§5.3 receiver steps 3-4).
  let i = 0;
  for (; i < m.entries.length; i++) {
    const e = m.entries[i] as RaftEntry;
    if (e.index > last) break;
    if (termAt(d.log, e.index) !== e.term) {
      if (e.index <= d.commit) {
        // Would erase a committed entry: never from a correct leader (leader completeness, §5.4).
        c.out.push({ type: 'rejected', from, reason: `entries: conflict at committed index ${e.index}` });
        return;
      }
      truncateLocally(c, e.index);
      break;
    }
  }
  if (i < m.entries.length) appendEntriesLocally(c, i === 0 ? (m.entries as RaftEntry[]) : m.entries.slice(i));
  const lastNew = m.prevIndex + m.entries.length;
  // §5.3 receiver step 5: commitIndex = min(leaderCommit, index of last new entry).
  const commit = Math.min(m.commit, lastNew);
  if (commit > d.commit) d.commit = commit;
  send(c, from, { type: 'appendResponse', term: d.term, success: true, index: lastNew, hintIndex: 0, hintTerm: 0 });
}

function handleHeartbeat(c: Ctx, from: NodeId, m: RaftHeartbeat): void {
  const d = c.d;
  const commit = Math.min(m.commit, raftLastIndex(d.log));
  if (commit > d.commit) d.commit = commit;
  const resp: RaftHeartbeatResponse = { type: 'heartbeatResponse', term: d.term, seq: m.seq, sentAt: m.sentAt };
  send(c, from, resp);
}

function handleSnapshot(c: Ctx, from: NodeId, m: RaftSnapshotRequest): void {
  const d = c.d;
  const snap = m.snapshot;
  if (snap.index <= d.commit) {
    send(c, from, { type: 'appendResponse', term: d.term, success: true, index: d.commit, hintIndex: 0, hintTerm: 0 });
    return;
  }
  if (termAt(d.log, snap.index) === snap.term) {
    // §7: our log already holds the snapshot's last entry: keep it, just learn the commit index.
    d.commit = snap.index;
  } else {
    // §7: discard the whole log and reset the state machine from the snapshot.
    d.log = emptyLog(snap);
    c.snapshot = snap;
    persistTruncate(c, snap.index + 1);
    delete c.entries;
    d.membership = snap.membership;
    d.membershipIndex = snap.index;
    d.commit = snap.index;
    d.applied = snap.index;
    c.out.push({ type: 'restore', snapshot: snap });
  }
  send(c, from, { type: 'appendResponse', term: d.term, success: true, index: snap.index, hintIndex: 0, hintTerm: 0 });
}

// --- replication, leader side (§5.3, etcd's progress tracker) --------------------------------

function broadcastAppend(c: Ctx): void {
  for (const id of peersOf(c.d)) sendAppend(c, id, false);
}

/** Sends the next AppendEntries (or InstallSnapshot) to `to` if flow control allows. */
function sendAppend(c: Ctx, to: NodeId, sendIfEmpty: boolean): void {
  const d = c.d;
  const p = progressOf(d, to);
  if (p === undefined || isPaused(p, d.options)) return;
  const prevIndex = p.next - 1;
  const prevTerm = termAt(d.log, prevIndex);
  if (prevTerm < 0) {
    // §7: the entries the follower needs are compacted away: send the snapshot instead.
    const snap = d.log.snapshot;
    send(c, to, { type: 'snapshot', term: d.term, snapshot: snap });
    setProgress(d, to, becomeSnapshot(p, snap.index, c.now));
    return;
  }
  const hi = appendEnd(d, p.next);
  if (hi < p.next && !sendIfEmpty) return;
  const entries = hi >= p.next ? raftEntries(d.log, p.next, hi) : [];
  send(c, to, { type: 'append', term: d.term, prevIndex, prevTerm, entries, commit: d.commit });
  // The window counts bytes only when it has a byte limit: the default costs nothing.
  const bytes = d.options.maxInflightBytes < UNLIMITED_BYTES ? payloadBytes(entries) : 0;
  const q = sentEntries(p, hi, bytes, d.options);
  if (q !== p) setProgress(d, to, q);
}

/**
 * The last index of the next AppendEntries from `next`: at most `maxEntriesPerAppend` entries and
 * `maxBytesPerAppend` payload bytes, but at least one entry when there is one.
 */
function appendEnd(d: RaftState, next: number): number {
  let hi = Math.min(raftLastIndex(d.log), next - 1 + d.options.maxEntriesPerAppend);
  if (hi > next && d.options.maxBytesPerAppend < Number.MAX_SAFE_INTEGER) {
    let bytes = 0;
    for (let i = next; i <= hi; i++) {
      bytes += estimateBytes(entryAt(d.log, i).data);
      if (bytes > d.options.maxBytesPerAppend && i > next) return i - 1;
    }
  }
  return hi;
}

function payloadBytes(entries: readonly RaftEntry[]): number {
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) bytes += estimateBytes((entries[i] as RaftEntry).data);
  return bytes;
}

function handleAppendResponse(prev: RaftState, c: Ctx, from: NodeId, m: RaftAppendResponse): Transition<RaftState, RaftOutput> {
  const d = c.d;
  const known = progressOf(d, from);
  if (known === undefined) return unchanged(prev, c, from, 'appendResponse: no replication state for this node');
  const last = raftLastIndex(d.log);
  if (m.success && m.index > last) return unchanged(prev, c, from, `index: ${m.index} is beyond the leader's log (${last})`);
  const p = withActive(known, true);
  if (!m.success) {
    const probe = isStaleRejection(p, m.index) ? undefined : maybeDecrTo(p, m.index, matchHint(d, m));
    setProgress(d, from, probe ?? p);
    if (probe !== undefined) sendAppend(c, from, true);
    return finish(prev, c);
  }
  const updated = maybeUpdate(p, m.index);
  if (updated !== undefined) {
    setProgress(d, from, updated);
    maybeCommit(c);
    if (d.role !== 'leader') return finish(prev, c);
    if (d.transferee === from && updated.match === raftLastIndex(d.log)) sendTimeoutNow(c, from);
    streamAppends(c, from);
    return finish(prev, c);
  }
  // A duplicate or reordered acknowledgement: nothing new, but a probe may continue.
  if (p.state === 'probe' && p.paused) {
    setProgress(d, from, resumeProbe(p));
    sendAppend(c, from, false);
  } else if (p !== known) {
    setProgress(d, from, p);
  }
  return finish(prev, c);
}

/** Sends `to` what remains of the log, as far as its window permits. */
function streamAppends(c: Ctx, to: NodeId): void {
  for (;;) {
    const before = progressOf(c.d, to);
    if (before === undefined || before.next > raftLastIndex(c.d.log)) return;
    sendAppend(c, to, false);
    if (progressOf(c.d, to) === before || before.state !== 'replicate') return;
  }
}

/**
 * The leader's guess of the last index its log shares with a follower that rejected an append:
 * skipping the follower's conflicting term, the largest index <= hintIndex whose term in our log
 * is <= hintTerm (§5.3, the optimization in its last paragraphs; etcd's `findConflictByTerm`).
 */
function matchHint(d: RaftState, m: RaftAppendResponse): number {
  let probe = Math.min(m.hintIndex, raftLastIndex(d.log));
  while (probe > d.log.snapshotIndex && termAt(d.log, probe) > m.hintTerm) probe--;
  return probe;
}

function handleHeartbeatResponse(prev: RaftState, c: Ctx, from: NodeId, m: RaftHeartbeatResponse): Transition<RaftState, RaftOutput> {
  const d = c.d;
  const known = progressOf(d, from);
  if (known === undefined) return unchanged(prev, c, from, 'heartbeatResponse: no replication state for this node');
  // A snapshot unanswered for T may have been lost (progress.ts).
  const p = heartbeatAcked(known, m.sentAt, c.now, d.options, d.options.electionTimeoutMs);
  setProgress(d, from, p);
  if (p.match < raftLastIndex(d.log)) sendAppend(c, from, true);
  confirmReads(c, from, m.seq);
  return finish(prev, c);
}

function hasUnstartedRead(reads: readonly RaftPendingRead[]): boolean {
  for (const r of reads) if (r.index < 0) return true;
  return false;
}

/** §5.3 matchIndex of a voter, the leader's own being its last index (a top-level function: no closure per commit). */
function matchIndexOf(d: RaftState, id: NodeId): number {
  if (id !== d.id) return progressOf(d, id)?.match ?? 0;
  // Thesis §10.2.1: with parallel appends the leader counts only what its disk holds.
  return d.options.parallelAppend ? Math.min(d.stable, raftLastIndex(d.log)) : raftLastIndex(d.log);
}

/** Advances the leader's commit index to what a majority of voters holds (§5.3, §5.4.2). */
function maybeCommit(c: Ctx): void {
  const d = c.d;
  const voters = d.membership.voters;
  if (voters.length === 0) return;
  const q = committedIndex(voters, d, matchIndexOf);
  // Raft §5.3 / §5.4.2 (Figure 8): a leader commits only entries of its current term by counting
  // replicas; earlier entries commit with them (Log Matching). An entry of an older term stored on
  // a majority may still be overwritten by a later leader, so counting its replicas is unsafe.
  if (q <= d.commit || termAt(d.log, q) !== d.term) return;
  d.commit = q;
  // Thesis §6.4: reads that waited for the leader's first commit in its term can now proceed.
  if (d.reads.length > 0 && hasUnstartedRead(d.reads)) startPendingReads(c);
  // Thesis §4.2.2: a leader removed from the membership steps down once the change commits.
  if (!isVoter(d, d.id) && d.membershipIndex <= d.commit) {
    emitApply(c);
    becomeFollower(c, d.term, null);
  }
}

// --- proposals ------------------------------------------------------------------------------------

function onPropose(state: RaftState, data: readonly unknown[], command: 'propose' | 'proposeBatch', now: number): Transition<RaftState, RaftOutput> {
  const limits = state.options.payloadLimits;
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x !== null && typeof x !== 'boolean') {
      // The followers check entry data against the same limits: refuse here what they would refuse.
      const p = plainDataProblem(x, command === 'propose' ? 'data' : `data[${i}]`, limits);
      if (p !== undefined) throw new InvalidCommandError(command, `data must be JSON data within payloadLimits: ${p}`);
    }
  }
  // Not the leader: refuse with a hint; the client retries there (no forwarding, see docs).
  if (state.role !== 'leader') return notLeader(state, command);
  if (state.transferee !== null) return localReject(state, `${command}: leadership transfer to ${state.transferee} in progress`);
  if (data.length === 0) return { state, outputs: [] };
  const last = raftLastIndex(state.log);
  // Back-pressure, etcd's rule: admit when the uncommitted backlog plus the proposal fits, or when
  // nothing is uncommitted (a batch larger than the limit then waits for the backlog to drain
  // instead of being refused forever).
  const backlog = last - state.commit;
  if (backlog > 0 && backlog + data.length > state.options.maxUncommittedEntries) {
    return localReject(state, `${command}: more than ${state.options.maxUncommittedEntries} uncommitted entries (maxUncommittedEntries); retry once some commit`);
  }
  if (last + data.length > MAX_COUNTER) return localReject(state, `${command}: the log index would pass MAX_COUNTER`);
  const c = ctxOf(state, now);
  const d = c.d;
  const term = d.term;
  let added: RaftEntry[];
  if (data.length === 1) added = [{ index: last + 1, term, data: data[0] }];
  else {
    added = [];
    for (let i = 0; i < data.length; i++) added.push({ index: last + 1 + i, term, data: data[i] });
  }
  appendEntriesLocally(c, added);
  c.out.push({ type: 'proposed', index: last + 1, term: d.term, count: data.length });
  broadcastAppend(c);
  maybeCommit(c);
  return finish(state, c);
}

/** The host made this node's log durable up to `index` (term `term`): a leader counts it (§10.2.1). */
function onPersisted(state: RaftState, index: unknown, term: unknown, now: number): Transition<RaftState, RaftOutput> {
  if (!Number.isSafeInteger(index) || (index as number) < 0) throw new InvalidCommandError('persisted', 'index must be a non-negative integer');
  if (!Number.isSafeInteger(term) || (term as number) < 0) throw new InvalidCommandError('persisted', 'term must be a non-negative integer');
  const i = index as number;
  // Stale: the node stepped down, or the entry at `index` is not the one that was written.
  if (state.role !== 'leader' || i <= state.stable || i > raftLastIndex(state.log) || termAt(state.log, i) !== term) {
    return { state, outputs: [] };
  }
  const c = ctxOf(state, now);
  c.d.stable = i;
  maybeCommit(c);
  return finish(state, c);
}

// --- reads (thesis §6.4) --------------------------------------------------------------------------

function onRead(state: RaftState, id: string, now: number): Transition<RaftState, RaftOutput> {
  if (typeof id !== 'string') throw new InvalidCommandError('read', 'id must be a string');
  if (state.role !== 'leader') {
    return { state, outputs: [{ type: 'notLeader', command: 'read', leader: state.leader, id }] };
  }
  const committedInTerm = termAt(state.log, state.commit) === state.term;
  if (committedInTerm && state.options.readMode === 'lease' && leaseValid(state, now)) {
    // Thesis §6.4.1: within the lease no other leader can exist; answer at once.
    return { state, outputs: [{ type: 'readReady', id, index: state.commit }] };
  }
  if (committedInTerm && state.membership.voters.length === 1 && isVoter(state, state.id)) {
    return { state, outputs: [{ type: 'readReady', id, index: state.commit }] };
  }
  const c = ctxOf(state, now);
  const d = c.d;
  if (!committedInTerm) {
    // Thesis §6.4 step 1: wait until the leader has committed an entry of its term.
    d.reads = [...d.reads, { id, index: -1, seq: 0, acks: [] }];
    return finish(state, c);
  }
  // Thesis §6.4 steps 2-3: record the commit index, confirm leadership with a heartbeat round.
  d.reads = [...d.reads, { id, index: d.commit, seq: d.readSeq + 1, acks: isVoter(d, d.id) ? [d.id] : [] }];
  d.heartbeatTimer = startTimer(now, d.options.heartbeatIntervalMs);
  broadcastHeartbeat(c);
  return finish(state, c);
}

function startPendingReads(c: Ctx): void {
  const d = c.d;
  const seq = d.readSeq + 1;
  d.reads = d.reads.map((r): RaftPendingRead => (r.index < 0 ? { id: r.id, index: d.commit, seq, acks: isVoter(d, d.id) ? [d.id] : [] } : r));
  if (d.membership.voters.length === 1 && isVoter(d, d.id)) {
    for (const r of d.reads) c.out.push({ type: 'readReady', id: r.id, index: r.index });
    d.reads = [];
    return;
  }
  broadcastHeartbeat(c);
}

function confirmReads(c: Ctx, from: NodeId, seq: number): void {
  const d = c.d;
  if (d.reads.length === 0 || !isVoter(d, from)) return;
  const q = majority(d.membership.voters.length);
  let ready = -1;
  const reads = d.reads.map((r, i) => {
    if (r.index < 0 || r.seq > seq || r.acks.includes(from)) return r;
    const acks = [...r.acks, from];
    if (reached(acks.length, q)) ready = i;
    return { ...r, acks };
  });
  if (ready < 0) {
    d.reads = reads;
    return;
  }
  // Reads are confirmed in order: a quorum for a later round confirms every earlier one.
  for (let i = 0; i <= ready; i++) {
    const r = reads[i] as RaftPendingRead;
    c.out.push({ type: 'readReady', id: r.id, index: r.index });
  }
  d.reads = reads.slice(ready + 1);
}

/**
 * Thesis §6.4.1: the lease holds while a quorum acknowledged a heartbeat sent less than `leaseMs`
 * before `now` (the read's time: no margin for a stale clock is needed).
 */
function leaseValid(state: RaftState, now: number): boolean {
  if (state.leaseRevoked || state.membership.voters.length === 0) return false;
  // The latest heartbeat a majority acknowledged, the leader's own counting as now.
  const q = committedIndex(state.membership.voters, now, (at, id) => (id === state.id ? at : (progressOf(state, id)?.ackedAt ?? -1)));
  return q >= 0 && q + state.options.leaseMs > now;
}

// --- snapshots (§7) ---------------------------------------------------------------------------

function onCompact(state: RaftState, index: number, data: unknown, now: number): Transition<RaftState, RaftOutput> {
  if (!Number.isSafeInteger(index) || index < 0) throw new InvalidCommandError('compact', 'index must be a non-negative integer');
  if (index > state.applied) {
    throw new InvalidCommandError('compact', `index ${index} is beyond the applied index ${state.applied}: snapshot only applied state`);
  }
  if (index <= state.log.snapshotIndex) return { state, outputs: [] };
  // Followers check snapshot data against the same limits.
  const p = plainDataProblem(data, 'data', state.options.payloadLimits);
  if (p !== undefined) throw new InvalidCommandError('compact', `data must be JSON data within payloadLimits: ${p}`);
  const c = ctxOf(state, now);
  const d = c.d;
  const snapshot: RaftSnapshot = { index, term: termAt(d.log, index), membership: membershipAt(d.log, index).membership, data };
  d.log = compactLog(d.log, snapshot, true);
  c.snapshot = snapshot;
  return finish(state, c);
}

// --- membership (thesis §4.1, §4.2) -----------------------------------------------------------

function onChangeMembership(state: RaftState, change: RaftMembershipChange, now: number): Transition<RaftState, RaftOutput> {
  if (change === null || typeof change !== 'object' || !['addVoter', 'addLearner', 'remove'].includes(change.action)) {
    throw new InvalidCommandError('changeMembership', "change.action must be 'addVoter', 'addLearner' or 'remove'");
  }
  checkCommandId(change.node, 'changeMembership');
  if (state.role !== 'leader') return notLeader(state, 'changeMembership');
  // Thesis §4.1: one change at a time; the previous one must have committed.
  if (state.membershipIndex > state.commit) return localReject(state, 'changeMembership: a previous change is not committed yet');
  // The fix for the single-server change bug (Ongaro, raft-dev, 2015): a leader may not change the
  // membership until it has committed an entry of its own term.
  if (termAt(state.log, state.commit) !== state.term) {
    return localReject(state, 'changeMembership: the leader has not committed an entry of its term yet');
  }
  if (state.transferee !== null) return localReject(state, 'changeMembership: leadership transfer in progress');
  const { voters, learners } = state.membership;
  const node = change.node;
  let next: RaftMembership;
  switch (change.action) {
    case 'addVoter':
      if (voters.includes(node)) return localReject(state, `changeMembership: ${node} is already a voter`);
      next = { voters: [...voters, node].sort(), learners: learners.filter((x) => x !== node) };
      break;
    case 'addLearner':
      if (learners.includes(node)) return localReject(state, `changeMembership: ${node} is already a learner`);
      if (voters.includes(node)) return localReject(state, `changeMembership: ${node} is a voter; remove it first`);
      next = { voters, learners: [...learners, node].sort() };
      break;
    case 'remove':
      if (!voters.includes(node) && !learners.includes(node)) return localReject(state, `changeMembership: ${node} is not a member`);
      next = { voters: voters.filter((x) => x !== node), learners: learners.filter((x) => x !== node) };
      if (next.voters.length === 0) return localReject(state, 'changeMembership: cannot remove the last voter');
      break;
    default:
      return assertNever(change.action, 'membership action');
  }
  const c = ctxOf(state, now);
  const d = c.d;
  const entry: RaftEntry = { index: raftLastIndex(d.log) + 1, term: d.term, data: null, kind: 'config', membership: next };
  appendEntriesLocally(c, [entry]);
  const progress: Record<NodeId, RaftProgress> = {};
  for (const id of peersOf(d)) setOwn(progress, id, progressOf(d, id) ?? newProgress(entry.index, true));
  d.progress = progress;
  c.out.push({ type: 'proposed', index: entry.index, term: d.term, count: 1 });
  broadcastAppend(c);
  maybeCommit(c);
  return finish(state, c);
}

function checkCommandId(id: unknown, command: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
    throw new InvalidCommandError(command, 'node must be a non-empty string id');
  }
}

// --- leadership transfer (thesis §3.10) ---------------------------------------------------------

/**
 * Thesis §3.10, with etcd's rules: a request for the transfer already in progress is ignored (the
 * transfer still ends one election timeout after the first request), any other request cancels
 * the pending transfer first, and a request for the leader itself only cancels.
 */
function onTransfer(state: RaftState, to: NodeId, now: number): Transition<RaftState, RaftOutput> {
  checkCommandId(to, 'transferLeadership');
  if (state.role !== 'leader') return notLeader(state, 'transferLeadership');
  if (to !== state.id && !isVoter(state, to)) return localReject(state, `transferLeadership: ${to} is not a voter`);
  if (state.transferee === to) return { state, outputs: [] };
  if (to === state.id && state.transferee === null) return { state, outputs: [] };
  const c = ctxOf(state, now);
  const d = c.d;
  // Abort the transfer in progress, if any.
  d.transferee = null;
  d.transferTimer = stopTimer(d.transferTimer);
  if (to === d.id) return finish(state, c);
  d.transferee = to;
  d.transferTimer = startTimer(now, d.options.electionTimeoutMs);
  const p = progressOf(d, to);
  if (p !== undefined && p.match === raftLastIndex(d.log)) sendTimeoutNow(c, to);
  // Catch the target up at once, even when everything it lacks is already in flight (and may be lost).
  else sendAppend(c, to, true);
  return finish(state, c);
}

/**
 * Thesis §3.10: the target campaigns at once, and its voters ignore their leases for it. From now
 * on a leader of a later term may exist while this one still holds a lease, however long the
 * message takes, so lease reads stop for the rest of the term (thesis §6.4.1).
 */
function sendTimeoutNow(c: Ctx, to: NodeId): void {
  c.d.leaseRevoked = true;
  send(c, to, { type: 'timeoutNow', term: c.d.term });
}

function onCampaign(state: RaftState, now: number): Transition<RaftState, RaftOutput> {
  if (state.role === 'leader') return { state, outputs: [] };
  if (!promotable(state)) return localReject(state, 'campaign: this node is not a voter');
  if (state.term >= MAX_COUNTER) return localReject(state, 'campaign: the term is at MAX_COUNTER');
  const c = ctxOf(state, now);
  campaign(c, false);
  return finish(state, c);
}

// ---------------------------------------------------------------------------------------------

/**
 * The earliest time at which the node wants a `tick`, built from its timers: the election timer
 * (and, campaigning, the vote retransmission), or as leader the next heartbeat, check-quorum round
 * and transfer abort. A node that has not seen an input yet asks for a tick at once
 * (`Number.MIN_SAFE_INTEGER`): its timers start from that tick's `now`.
 *
 * @example
 * ```ts
 * import { raft, raftNextDeadline } from 'distkit/consensus';
 * const s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1, electionTimeoutMs: 1000 });
 * raftNextDeadline(s); //=> Number.MIN_SAFE_INTEGER
 * const t = raft.step(s, { type: 'tick', now: 500 }).state;
 * const at = raftNextDeadline(t)!;
 * at >= 1500 && at < 2500; //=> true
 * ```
 */
export function raftNextDeadline(state: RaftState): number | undefined {
  if (!state.started) return Number.MIN_SAFE_INTEGER;
  switch (state.role) {
    case 'follower':
      return earliest(state.electionTimer);
    case 'preCandidate':
    case 'candidate':
      return earliest(state.electionTimer, state.heartbeatTimer);
    case 'leader':
      return earliest(state.heartbeatTimer, state.quorumTimer, state.transferee === null ? null : state.transferTimer);
    default:
      return assertNever(state.role, 'role');
  }
}

/**
 * Raft consensus as a pure, durable machine: leader election with randomized timeouts (§5.2),
 * pre-vote (thesis §9.6) and check-quorum, log replication with fast backtracking and flow control
 * (§5.3), the commit rule (§5.4.2), snapshots (§7), single-server membership changes with
 * learners (thesis §4), leadership transfer (thesis §3.10), and ReadIndex / lease reads (thesis §6.4).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'tick', now: 0 }).state;
 * s = raft.step(s, { type: 'campaign', now: 5 }).state;           // a single voter elects itself
 * const t = raft.step(s, { type: 'propose', data: 'x=1', now: 10 });
 * t.outputs.map((o) => o.type); //=> ['persist', 'proposed', 'apply']
 * ```
 */
export const raft: DurableMachine<RaftConfig, RaftState, RaftInput, RaftOutput, RaftDurable> = {
  name: 'raft',
  init,
  step,
  nextDeadline: raftNextDeadline,
  durable,
  recover,
  applyPersist: applyRaftPersist,
};

/**
 * Upper bound of terms and indexes accepted from peers (so `+ 1` stays a safe integer): core's
 * `MAX_COUNTER`, kept under this name for compatibility.
 *
 * @example
 * ```ts
 * import { RAFT_MAX_COUNTER } from 'distkit/consensus';
 * import { MAX_COUNTER } from 'distkit/core';
 * RAFT_MAX_COUNTER === MAX_COUNTER; //=> true
 * ```
 */
export const RAFT_MAX_COUNTER = MAX_COUNTER;
