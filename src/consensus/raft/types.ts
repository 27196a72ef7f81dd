/**
 * Raft's data: configuration, state, messages, inputs and outputs. Everything here is plain JSON
 * data, so any transport can carry a message and any store can persist a state.
 *
 * @packageDocumentation
 */
import type { DataLimits, MessageInput, NodeId, PersistOutput, PrngState, RejectedOutput, SendOutput, TickInput, Timer } from '../../core/index.js';

/**
 * The members of a Raft group: voters count in elections and commit quorums, learners only
 * replicate (thesis §4.2.1: new servers join as non-voting members until they catch up).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * raft.init({ id: 'a', voters: ['c', 'a', 'b'], learners: ['d'], seed: 1 }).membership;
 * //=> { voters: ['a', 'b', 'c'], learners: ['d'] }
 * ```
 */
export interface RaftMembership {
  /** The voting members, sorted. */
  readonly voters: readonly NodeId[];
  /** Non-voting members that receive the log (sorted, disjoint from `voters`). */
  readonly learners: readonly NodeId[];
}

/**
 * One log entry (Raft §5.3). `kind` is absent for application entries; `'noop'` is the entry a new
 * leader appends to commit its term (§8), `'config'` carries a membership (thesis §4.1).
 *
 * @example
 * ```ts
 * import { raft, raftEntries } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state;
 * s = raft.step(s, { type: 'propose', data: { op: 'put', key: 'x' }, now: 1 }).state;
 * raftEntries(s.log);
 * //=> [{ index: 1, term: 1, data: null, kind: 'noop' }, { index: 2, term: 1, data: { op: 'put', key: 'x' } }]
 * ```
 */
export interface RaftEntry {
  /** Position in the log, from 1. */
  readonly index: number;
  /** Term of the leader that created the entry. */
  readonly term: number;
  /** The application's command (any JSON data); `null` for noop and config entries. */
  readonly data: unknown;
  /** Absent for application entries. */
  readonly kind?: 'noop' | 'config';
  /** The new membership, for `kind: 'config'` entries. */
  readonly membership?: RaftMembership;
}

/**
 * A snapshot of the application's state machine up to and including `index` (Raft §7).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * s = raft.step(s, { type: 'compact', index: 1, data: { x: 1 }, now: 1 }).state;
 * s.log.snapshot; //=> { index: 1, term: 1, membership: { voters: ['a'], learners: [] }, data: { x: 1 } }
 * ```
 */
export interface RaftSnapshot {
  /** The last log index the snapshot covers. */
  readonly index: number;
  /** The term of that entry. */
  readonly term: number;
  /** The membership in effect at `index`. */
  readonly membership: RaftMembership;
  /** The application's state (JSON data, or a reference the host resolves). */
  readonly data: unknown;
}

/**
 * How linearizable reads are served (thesis §6.4): `'index'` confirms leadership with a heartbeat
 * round (ReadIndex); `'lease'` answers from the leader's lease when check-quorum is on (§6.4.1),
 * trading a clock assumption for one round trip.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * raft.init({ id: 'a', voters: ['a'], seed: 1 }).options.readMode; //=> 'index'
 * raft.init({ id: 'a', voters: ['a'], seed: 1, readMode: 'lease' }).options.leaseMs; //=> 900
 * ```
 */
export type RaftReadMode = 'index' | 'lease';

/**
 * Configuration of one Raft node. Times are milliseconds of the host's monotonic clock.
 *
 * @example
 * ```ts
 * import { raft, type RaftConfig } from 'distkit/consensus';
 * const config: RaftConfig = { id: 'a', voters: ['a', 'b', 'c'], seed: 1, electionTimeoutMs: 500 };
 * raft.init(config).options.heartbeatIntervalMs; //=> 50
 * ```
 */
export interface RaftConfig {
  /** This node's id. */
  readonly id: NodeId;
  /**
   * The initial voters when bootstrapping a new group (they all must be given the same list).
   * A node joining an existing group passes `[]`: it learns the membership from the leader.
   */
  readonly voters: readonly NodeId[];
  /** Initial learners (default none). */
  readonly learners?: readonly NodeId[];
  /** Seed of the PRNG that randomizes election timeouts (§5.2). */
  readonly seed: number | string;
  /** Base election timeout T; each timeout is drawn from [T, 2T) (§5.2). Default 1000. */
  readonly electionTimeoutMs?: number;
  /** Heartbeat interval, well below T (§5.2, §9.3). Default T / 10. */
  readonly heartbeatIntervalMs?: number;
  /** Pre-vote phase before campaigning (thesis §9.6). Default true. */
  readonly preVote?: boolean;
  /** A leader steps down when it has not heard from a quorum for T; followers ignore votes while in a lease (thesis §6.2). Default true. */
  readonly checkQuorum?: boolean;
  /** How reads are served. Default `'index'`; `'lease'` requires `checkQuorum`. */
  readonly readMode?: RaftReadMode;
  /** Lease length for lease reads, at most T (thesis §6.4.1: T minus the clock drift bound). Default 0.9 T. */
  readonly leaseMs?: number;
  /** Most entries in one AppendEntries message (flow control). Default 256. */
  readonly maxEntriesPerAppend?: number;
  /** Most payload bytes (estimated) in one AppendEntries message; at least one entry is always sent. Default 1 MiB. */
  readonly maxBytesPerAppend?: number;
  /** Most unacknowledged AppendEntries messages per follower in the replicate state (etcd's `MaxInflightMsgs`). Default 64. */
  readonly maxInflight?: number;
  /**
   * Most payload bytes (estimated like `maxBytesPerAppend`) in unacknowledged AppendEntries per
   * follower in the replicate state (etcd's `MaxInflightBytes`), beside the count limit
   * `maxInflight`. A window below the limit admits one more message of any size, so a large entry
   * still goes out, alone. Default unlimited (`Number.MAX_SAFE_INTEGER`: nothing is counted).
   */
  readonly maxInflightBytes?: number;
  /** Most uncommitted entries a leader accepts before dropping proposals (back-pressure). Default 100 000. */
  readonly maxUncommittedEntries?: number;
  /**
   * The leader replicates new entries while it writes them to its own disk (thesis §10.2.1): its
   * `send`s of AppendEntries are marked `beforePersist`, its log-append `persist` carries an
   * `onDurable` {@link RaftPersistedInput}, and it counts itself toward the commit quorum only up to
   * the index its host confirmed durable. Needs a host that honours both (`createNode` and the
   * simulator do). Default false: the leader counts its in-memory log and sends after its persist.
   */
  readonly parallelAppend?: boolean;
  /**
   * Bounds on the opaque data of entries and snapshots (proposals, `compact` data, and what peers
   * send): nesting depth and JSON size. A peer's message beyond them is rejected; a local command
   * beyond them throws. Default `PAYLOAD_LIMITS` (64 levels, 1 MiB). Give every node the same limits.
   */
  readonly payloadLimits?: Partial<DataLimits>;
  /**
   * On `raft.recover`: the last index the application has already applied (e.g. kept in its
   * own store). Committed entries after it are emitted again. Default: the snapshot's index.
   */
  readonly applied?: number;
}

/**
 * The options of a {@link RaftConfig} with defaults filled in, kept in the state.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * raft.init({ id: 'a', voters: ['a'], seed: 1 }).options.electionTimeoutMs; //=> 1000
 * ```
 */
export interface RaftOptions {
  /** See {@link RaftConfig.electionTimeoutMs}. */
  readonly electionTimeoutMs: number;
  /** See {@link RaftConfig.heartbeatIntervalMs}. */
  readonly heartbeatIntervalMs: number;
  /** See {@link RaftConfig.preVote}. */
  readonly preVote: boolean;
  /** See {@link RaftConfig.checkQuorum}. */
  readonly checkQuorum: boolean;
  /** See {@link RaftConfig.readMode}. */
  readonly readMode: RaftReadMode;
  /** See {@link RaftConfig.leaseMs}. */
  readonly leaseMs: number;
  /** See {@link RaftConfig.maxEntriesPerAppend}. */
  readonly maxEntriesPerAppend: number;
  /** See {@link RaftConfig.maxBytesPerAppend}. */
  readonly maxBytesPerAppend: number;
  /** See {@link RaftConfig.maxInflight}. */
  readonly maxInflight: number;
  /** See {@link RaftConfig.maxInflightBytes}. */
  readonly maxInflightBytes: number;
  /** See {@link RaftConfig.maxUncommittedEntries}. */
  readonly maxUncommittedEntries: number;
  /** See {@link RaftConfig.parallelAppend}. */
  readonly parallelAppend: boolean;
  /** See {@link RaftConfig.payloadLimits}. */
  readonly payloadLimits: DataLimits;
}

/**
 * The in-memory log: a snapshot boundary plus the entries after it, stored as a window
 * `[start, start + length)` of an append-only array shared between successive states (like a Go
 * slice), so appending does not copy the log. Entry `snapshotIndex + k` lives at `entries[start + k - 1]`.
 * Treat it as opaque; read it with {@link raftEntries} / {@link raftLastIndex}.
 *
 * @example
 * ```ts
 * import { raft, raftLastIndex } from 'distkit/consensus';
 * raftLastIndex(raft.init({ id: 'a', voters: ['a'], seed: 1 }).log); //=> 0
 * ```
 */
export interface RaftLog {
  /** Index of the last entry covered by the snapshot (0 when none). */
  readonly snapshotIndex: number;
  /** Term of that entry (0 when none). */
  readonly snapshotTerm: number;
  /** The latest snapshot; at index 0 it holds the bootstrap membership. */
  readonly snapshot: RaftSnapshot;
  /** The shared backing array (may hold entries outside this log's window). */
  readonly entries: readonly RaftEntry[];
  /** Offset of the first live entry in `entries`. */
  readonly start: number;
  /** Number of live entries. */
  readonly length: number;
}

/**
 * Replication state of one follower as the leader sees it (etcd's `tracker.Progress`): `probe` sends
 * one AppendEntries at a time until the match point is found, `replicate` streams optimistically
 * within the inflight window (capped by `maxInflight` messages and `maxInflightBytes` bytes),
 * `snapshot` waits for an InstallSnapshot to land. Invariant: `match < next`.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a', 'b'], seed: 1, preVote: false });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state;
 * s = raft.step(s, { type: 'message', from: 'b', message: { type: 'voteResponse', term: 1, granted: true, pre: false }, now: 1 }).state;
 * const p = s.progress['b']!; // a new leader probes b from just after its own log
 * [p.state, p.match, p.next, p.paused]; //=> ['probe', 0, 1, true]
 * ```
 */
export interface RaftProgress {
  /** Highest index known to be replicated on the follower (§5.3 matchIndex). */
  readonly match: number;
  /** Next index to send (§5.3 nextIndex). */
  readonly next: number;
  /** Flow-control state. */
  readonly state: 'probe' | 'replicate' | 'snapshot';
  /** In `probe`: an AppendEntries is out and unanswered. */
  readonly paused: boolean;
  /** In `replicate`: last index of each unacknowledged AppendEntries, ascending. */
  readonly inflight: readonly number[];
  /**
   * Heard from since the last check-quorum round (etcd's `RecentActive`). False for the progress a
   * new leader creates, true for a member a configuration change adds.
   */
  readonly active: boolean;
  /** In `snapshot`: the index of the snapshot sent. */
  readonly pendingSnapshot: number;
  /** Leader time (host ms) at which the last InstallSnapshot was sent (resent after T without an answer). */
  readonly snapshotSentAt: number;
  /** Leader time at which the latest heartbeat this follower acknowledged was sent (-1 for none); drives leases. */
  readonly ackedAt: number;
  /** In `replicate` with a `maxInflightBytes` limit: the estimated payload bytes of each message in `inflight`, same order (empty without a limit). */
  readonly inflightSizes: readonly number[];
  /** The sum of `inflightSizes`: the bytes in flight, checked against `maxInflightBytes` (0 without a limit). */
  readonly inflightBytes: number;
}

/**
 * A ReadIndex request waiting for a heartbeat quorum (thesis §6.4).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1, preVote: false });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state;
 * s = raft.step(s, { type: 'message', from: 'b', message: { type: 'voteResponse', term: 1, granted: true, pre: false }, now: 1 }).state;
 * s = raft.step(s, { type: 'read', id: 'r1', now: 2 }).state;
 * // It waits: the leader has not yet committed an entry of its term (thesis §6.4).
 * s.reads;
 * //=> [{ id: 'r1', index: -1, seq: 0, acks: [] }]
 * ```
 */
export interface RaftPendingRead {
  /** The caller's id for the read. */
  readonly id: string;
  /** The commit index recorded when the read arrived (-1 while the leader has not committed in its term). */
  readonly index: number;
  /** The heartbeat round that confirms it. */
  readonly seq: number;
  /** Voters that acknowledged that round (or a later one). */
  readonly acks: readonly NodeId[];
}

/**
 * Role of a node: the paper's three (§5.1) plus etcd's pre-candidate (thesis §9.6).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * s.role; //=> 'leader'
 * ```
 */
export type RaftRole = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/**
 * The whole state of one Raft node. Plain data; never mutate it (the log's backing array is
 * shared between successive states).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1 });
 * s.role; //=> 'follower'
 * ```
 */
export interface RaftState {
  /** This node's id. */
  readonly id: NodeId;
  /** Options with defaults applied. */
  readonly options: RaftOptions;
  /** Current role. */
  readonly role: RaftRole;
  /** Latest term seen (§5.1; persistent). */
  readonly term: number;
  /** Candidate voted for in `term` (§5.2; persistent). */
  readonly vote: NodeId | null;
  /** The leader of `term` when known. */
  readonly leader: NodeId | null;
  /** The log (persistent). */
  readonly log: RaftLog;
  /** Highest index known committed (§5.3). */
  readonly commit: number;
  /** Highest index handed to the application in an `apply` output. */
  readonly applied: number;
  /** The membership in effect: the latest config entry in the log, else the snapshot's (thesis §4.1). */
  readonly membership: RaftMembership;
  /** Index of the entry (or snapshot) `membership` comes from. */
  readonly membershipIndex: number;
  /** False until the node's first input: its timers start from that input's `now`. */
  readonly started: boolean;
  /** Rebuilt by `recover`: refuses votes for one T after its first input while check-quorum is on (lease safety). */
  readonly recovered: boolean;
  /** Followers and candidates: the randomized election timeout, in [T, 2T) after the last restart (§5.2). */
  readonly electionTimer: Timer;
  /** Leader: the next heartbeat round. Candidates: when to ask unanswered voters again. */
  readonly heartbeatTimer: Timer;
  /** Leader: the next check-quorum round, every T (thesis §6.2). */
  readonly quorumTimer: Timer;
  /** Until when vote requests are ignored (host ms): one T after the last contact from a leader (lease, thesis §4.2.3 / §6.4.1). */
  readonly voteBlockedUntil: number;
  /** Candidates: votes received, by voter. */
  readonly votes: Readonly<Record<NodeId, boolean>>;
  /** Leader: replication state per member except itself. */
  readonly progress: Readonly<Record<NodeId, RaftProgress>>;
  /** Leader: the target of a leadership transfer in progress (thesis §3.10). */
  readonly transferee: NodeId | null;
  /** Leader: when a transfer in progress is abandoned (one T after it was first requested). */
  readonly transferTimer: Timer;
  /**
   * Leader: a TimeoutNow went out in this term. Its recipient may win an election that bypasses
   * the followers' leases (thesis §3.10), so lease reads are off until the term ends.
   */
  readonly leaseRevoked: boolean;
  /** Leader: reads waiting for confirmation. */
  readonly reads: readonly RaftPendingRead[];
  /** Leader: sequence number of the latest heartbeat round. */
  readonly readSeq: number;
  /**
   * Leader with `parallelAppend`: the highest index its host confirmed durable on this node (what
   * it counts as its own match index, thesis §10.2.1). Otherwise unused.
   */
  readonly stable: number;
  /** PRNG for election timeouts. */
  readonly prng: PrngState;
}

/**
 * What Raft needs on stable storage (Figure 2's persistent state, plus the snapshot of §7).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * raft.durable(s);
 * //=> { term: 1, vote: 'a', snapshot: { index: 0, term: 0, membership: { voters: ['a'], learners: [] }, data: null }, entries: [{ index: 1, term: 1, data: null, kind: 'noop' }] }
 * ```
 */
export interface RaftDurable {
  /** currentTerm. */
  readonly term: number;
  /** votedFor. */
  readonly vote: NodeId | null;
  /** The latest snapshot (index 0 with the bootstrap membership before the first compaction). */
  readonly snapshot: RaftSnapshot;
  /** The log after the snapshot, contiguous. */
  readonly entries: readonly RaftEntry[];
}

/**
 * The record of a `persist` output: a delta to the durable state, applied in this order: install
 * `snapshot` (drop entries up to its index), drop entries from `truncateFrom` on, append `entries`,
 * then store `term` / `vote` when present. {@link applyRaftPersist} implements exactly that.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * // The vote for itself and the no-op entry, in one record:
 * raft.step(s, { type: 'campaign', now: 0 }).outputs[0];
 * //=> { type: 'persist', record: { term: 1, vote: 'a', entries: [{ index: 1, term: 1, data: null, kind: 'noop' }] } }
 * ```
 */
export interface RaftPersistRecord {
  /** New currentTerm. */
  readonly term?: number;
  /** New votedFor (with `term`). */
  readonly vote?: NodeId | null;
  /** A snapshot to install (its data included). */
  readonly snapshot?: RaftSnapshot;
  /** Drop every entry with index >= this. */
  readonly truncateFrom?: number;
  /** Entries to append (contiguous, following the log). */
  readonly entries?: readonly RaftEntry[];
}

/**
 * RequestVote / PreVote request (§5.2, thesis §9.6).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1, preVote: false });
 * const t = raft.step(s, { type: 'campaign', now: 0 });
 * t.outputs.find((o) => o.type === 'send');
 * //=> { type: 'send', to: 'b', message: { type: 'vote', term: 1, lastIndex: 0, lastTerm: 0, pre: false, transfer: false } }
 * ```
 */
export interface RaftVoteRequest {
  /** Tag. */
  readonly type: 'vote';
  /** Candidate's term (for a pre-vote: the term it would campaign in). */
  readonly term: number;
  /** Index of the candidate's last entry (§5.4.1). */
  readonly lastIndex: number;
  /** Term of the candidate's last entry (§5.4.1). */
  readonly lastTerm: number;
  /** A pre-vote: grants change nothing on the voter. */
  readonly pre: boolean;
  /** Campaign caused by a leadership transfer: bypasses leases (thesis §3.10). */
  readonly transfer: boolean;
}

/**
 * RequestVote / PreVote response.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const b = raft.init({ id: 'b', voters: ['a', 'b', 'c'], seed: 1 });
 * const vote = { type: 'vote', term: 1, lastIndex: 0, lastTerm: 0, pre: false, transfer: false } as const;
 * raft.step(b, { type: 'message', from: 'a', message: vote, now: 0 }).outputs.find((o) => o.type === 'send');
 * //=> { type: 'send', to: 'a', message: { type: 'voteResponse', term: 1, granted: true, pre: false } }
 * ```
 */
export interface RaftVoteResponse {
  /** Tag. */
  readonly type: 'voteResponse';
  /** The voter's term, or the requested term for a granted pre-vote. */
  readonly term: number;
  /** Whether the vote was granted. */
  readonly granted: boolean;
  /** Answers a pre-vote. */
  readonly pre: boolean;
}

/**
 * AppendEntries request (§5.3).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a', 'b'], seed: 1, preVote: false });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state;
 * const won = raft.step(s, { type: 'message', from: 'b', message: { type: 'voteResponse', term: 1, granted: true, pre: false }, now: 1 });
 * // The new leader's no-op entry:
 * won.outputs.find((o) => o.type === 'send');
 * //=> { type: 'send', to: 'b', message: { type: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [{ index: 1, term: 1, data: null, kind: 'noop' }], commit: 0 } }
 * ```
 */
export interface RaftAppendRequest {
  /** Tag. */
  readonly type: 'append';
  /** Leader's term. */
  readonly term: number;
  /** Index of the entry preceding `entries`. */
  readonly prevIndex: number;
  /** Term of that entry (the consistency check). */
  readonly prevTerm: number;
  /** Entries to store (may be empty). */
  readonly entries: readonly RaftEntry[];
  /** Leader's commit index. */
  readonly commit: number;
}

/**
 * AppendEntries response, also the answer to InstallSnapshot. On rejection, `hintIndex`/`hintTerm`
 * let the leader skip a whole conflicting term at once (§5.3, last paragraphs; etcd's scheme).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const b = raft.init({ id: 'b', voters: ['a', 'b'], seed: 1 });
 * const append = { type: 'append', term: 1, prevIndex: 0, prevTerm: 0, entries: [{ index: 1, term: 1, data: 'x' }], commit: 0 } as const;
 * raft.step(b, { type: 'message', from: 'a', message: append, now: 0 }).outputs.find((o) => o.type === 'send');
 * //=> { type: 'send', to: 'a', message: { type: 'appendResponse', term: 1, success: true, index: 1, hintIndex: 0, hintTerm: 0 } }
 * ```
 */
export interface RaftAppendResponse {
  /** Tag. */
  readonly type: 'appendResponse';
  /** Follower's term. */
  readonly term: number;
  /** Whether the entries were stored. */
  readonly success: boolean;
  /** On success the follower's match index; on rejection the rejected `prevIndex`. */
  readonly index: number;
  /** On rejection: the largest index <= prevIndex whose term is <= prevTerm in the follower's log. */
  readonly hintIndex: number;
  /** On rejection: the term at `hintIndex`. */
  readonly hintTerm: number;
}

/**
 * Heartbeat (§5.2): asserts leadership, carries the commit index the follower can safely use and the
 * ReadIndex round (thesis §6.4).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a', 'b'], seed: 1, preVote: false });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state;
 * const won = raft.step(s, { type: 'message', from: 'b', message: { type: 'voteResponse', term: 1, granted: true, pre: false }, now: 1 });
 * const hb = raft.step(won.state, { type: 'tick', now: 101 }).outputs.find((o) => o.type === 'send');
 * hb; //=> { type: 'send', to: 'b', message: { type: 'heartbeat', term: 1, commit: 0, seq: 1, sentAt: 101 } }
 * ```
 */
export interface RaftHeartbeat {
  /** Tag. */
  readonly type: 'heartbeat';
  /** Leader's term. */
  readonly term: number;
  /** min(follower's match, leader's commit): never beyond what the follower's log is known to hold. */
  readonly commit: number;
  /** The heartbeat round. */
  readonly seq: number;
  /** Leader's clock when sent (echoed back; starts the lease). */
  readonly sentAt: number;
}

/**
 * Heartbeat response.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const b = raft.init({ id: 'b', voters: ['a', 'b'], seed: 1 });
 * const hb = { type: 'heartbeat', term: 1, commit: 0, seq: 1, sentAt: 101 } as const;
 * raft.step(b, { type: 'message', from: 'a', message: hb, now: 102 }).outputs.find((o) => o.type === 'send');
 * //=> { type: 'send', to: 'a', message: { type: 'heartbeatResponse', term: 1, seq: 1, sentAt: 101 } }
 * ```
 */
export interface RaftHeartbeatResponse {
  /** Tag. */
  readonly type: 'heartbeatResponse';
  /** Follower's term. */
  readonly term: number;
  /** Echo of the round. */
  readonly seq: number;
  /** Echo of the leader's send time. */
  readonly sentAt: number;
}

/**
 * InstallSnapshot (§7), sent whole (not chunked, like etcd).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const b = raft.init({ id: 'b', voters: ['a', 'b'], seed: 1 });
 * const snapshot = { index: 9, term: 1, membership: { voters: ['a', 'b'], learners: [] }, data: { x: 1 } };
 * const t = raft.step(b, { type: 'message', from: 'a', message: { type: 'snapshot', term: 1, snapshot }, now: 0 });
 * t.state.log.snapshotIndex; //=> 9
 * t.outputs.map((o) => o.type); //=> ['persist', 'restore', 'send', 'role']
 * ```
 */
export interface RaftSnapshotRequest {
  /** Tag. */
  readonly type: 'snapshot';
  /** Leader's term. */
  readonly term: number;
  /** The snapshot. */
  readonly snapshot: RaftSnapshot;
}

/**
 * TimeoutNow (thesis §3.10): the leader tells an up-to-date follower to campaign at once.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const b = raft.init({ id: 'b', voters: ['a', 'b'], seed: 1, preVote: false });
 * // The leader hands over (thesis §3.10): b campaigns at once, past any lease.
 * raft.step(b, { type: 'message', from: 'a', message: { type: 'timeoutNow', term: 0 }, now: 0 }).state.role; //=> 'candidate'
 * ```
 */
export interface RaftTimeoutNow {
  /** Tag. */
  readonly type: 'timeoutNow';
  /** Leader's term. */
  readonly term: number;
}

/**
 * Every message Raft nodes exchange.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1, preVote: false });
 * const t = raft.step(s, { type: 'campaign', now: 0 });
 * t.outputs.flatMap((o) => (o.type === 'send' ? [o.message.type] : [])); //=> ['vote', 'vote']
 * ```
 */
export type RaftMessage =
  | RaftVoteRequest
  | RaftVoteResponse
  | RaftAppendRequest
  | RaftAppendResponse
  | RaftHeartbeat
  | RaftHeartbeatResponse
  | RaftSnapshotRequest
  | RaftTimeoutNow;

/**
 * A membership change, one server at a time (thesis §4.1).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * s = raft.step(s, { type: 'changeMembership', change: { action: 'addLearner', node: 'd' }, now: 1 }).state;
 * s.membership; //=> { voters: ['a'], learners: ['d'] }
 * ```
 */
export interface RaftMembershipChange {
  /** `addLearner` adds a non-voter; `addVoter` adds a voter or promotes a learner; `remove` removes either. */
  readonly action: 'addVoter' | 'addLearner' | 'remove';
  /** The node concerned. */
  readonly node: NodeId;
}

/**
 * Local commands and peer messages a Raft node accepts.
 *
 * @example
 * ```ts
 * import { raft, type RaftInput } from 'distkit/consensus';
 * const inputs: RaftInput[] = [{ type: 'campaign', now: 0 }, { type: 'propose', data: 'x', now: 1 }];
 * const s = inputs.reduce((st, i) => raft.step(st, i).state, raft.init({ id: 'a', voters: ['a'], seed: 1 }));
 * s.commit; //=> 2
 * ```
 */
export type RaftInput =
  | MessageInput<unknown>
  | TickInput
  | RaftProposeInput
  | RaftProposeBatchInput
  | RaftReadInput
  | RaftCompactInput
  | RaftChangeMembershipInput
  | RaftTransferInput
  | RaftCampaignInput
  | RaftPersistedInput;

/**
 * Propose one command. Only the leader accepts it; elsewhere the answer is a `notLeader` output with a hint.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * raft.step(s, { type: 'propose', data: { key: 'x', value: 1 }, now: 1 }).outputs.map((o) => o.type);
 * //=> ['persist', 'proposed', 'apply']
 * ```
 */
export interface RaftProposeInput {
  /** Tag. */
  readonly type: 'propose';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** The command (JSON data). */
  readonly data: unknown;
}

/**
 * Propose several commands as consecutive entries in one step (batching: one persist, one
 * AppendEntries per follower).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * raft.step(s, { type: 'proposeBatch', data: ['a', 'b'], now: 1 }).outputs[1]; //=> { type: 'proposed', index: 2, term: 1, count: 2 }
 * ```
 */
export interface RaftProposeBatchInput {
  /** Tag. */
  readonly type: 'proposeBatch';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** The commands, in order. */
  readonly data: readonly unknown[];
}

/**
 * Ask for a linearizable read point (thesis §6.4). The leader answers with `readReady { id, index }`:
 * serve the read once the application has applied `index`.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * raft.step(s, { type: 'read', id: 'req-17', now: 1 }).outputs; //=> [{ type: 'readReady', id: 'req-17', index: 1 }]
 * ```
 */
export interface RaftReadInput {
  /** Tag. */
  readonly type: 'read';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** The caller's id, echoed in the answer. */
  readonly id: string;
}

/**
 * Hand Raft a snapshot of the application state at `index` (<= applied) so it can drop the log up
 * to it (§7).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * s = raft.step(s, { type: 'compact', index: 1, data: { x: 1 }, now: 1 }).state;
 * [s.log.snapshotIndex, s.log.length]; //=> [1, 0]
 * ```
 */
export interface RaftCompactInput {
  /** Tag. */
  readonly type: 'compact';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** Last applied index the snapshot covers. */
  readonly index: number;
  /** The application state (JSON data or a reference). */
  readonly data: unknown;
}

/**
 * Propose a membership change (leader only).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * s = raft.step(s, { type: 'changeMembership', change: { action: 'addVoter', node: 'd' }, now: 1 }).state;
 * s.membership.voters; //=> ['a', 'd']
 * ```
 */
export interface RaftChangeMembershipInput {
  /** Tag. */
  readonly type: 'changeMembership';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** The change. */
  readonly change: RaftMembershipChange;
}

/**
 * Transfer leadership to `to` (thesis §3.10; leader only).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const b = raft.init({ id: 'b', voters: ['a', 'b'], seed: 1 });
 * raft.step(b, { type: 'transferLeadership', to: 'a', now: 0 }).outputs; //=> [{ type: 'notLeader', command: 'transferLeadership', leader: null }]
 * ```
 */
export interface RaftTransferInput {
  /** Tag. */
  readonly type: 'transferLeadership';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
  /** The voter that should lead. */
  readonly to: NodeId;
}

/**
 * Start an election now (like an election timeout; etcd's `Campaign`).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const s = raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1 });
 * raft.step(s, { type: 'campaign', now: 0 }).state.role; //=> 'preCandidate'
 * ```
 */
export interface RaftCampaignInput {
  /** Tag. */
  readonly type: 'campaign';
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
}

/**
 * The host's acknowledgement that this node's log is durable up to `index`, whose entry has
 * `term`: the `onDurable` input of a leader's log-append `persist` with `parallelAppend` (thesis
 * §10.2.1). A stale one (the entry at `index` has another term, or the node no longer leads) is
 * ignored.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1, parallelAppend: true });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state;
 * s.commit; //=> 0
 * s = raft.step(s, { type: 'persisted', index: 1, term: 1, now: 1 }).state;
 * s.commit; //=> 1
 * ```
 */
export interface RaftPersistedInput {
  /** Tag. */
  readonly type: 'persisted';
  /** The last index made durable. */
  readonly index: number;
  /** The term of the entry at `index`. */
  readonly term: number;
  /** The host's current time (ms, monotonic clock). */
  readonly now: number;
}

/**
 * Committed entries for the application, in log order, each exactly once per node lifetime.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * raft.step(s, { type: 'propose', data: 'x', now: 1 }).outputs[2]; //=> { type: 'apply', entries: [{ index: 2, term: 1, data: 'x' }] }
 * ```
 */
export interface RaftApplyOutput {
  /** Tag. */
  readonly type: 'apply';
  /** Consecutive committed entries (noop and config entries included; skip them). */
  readonly entries: readonly RaftEntry[];
}

/**
 * The node installed a snapshot from the leader: replace the application state with `snapshot.data`.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const b = raft.init({ id: 'b', voters: ['a', 'b'], seed: 1 });
 * const snapshot = { index: 9, term: 1, membership: { voters: ['a', 'b'], learners: [] }, data: { x: 1 } };
 * raft.step(b, { type: 'message', from: 'a', message: { type: 'snapshot', term: 1, snapshot }, now: 0 }).outputs[1];
 * //=> { type: 'restore', snapshot: { index: 9, term: 1, membership: { voters: ['a', 'b'], learners: [] }, data: { x: 1 } } }
 * ```
 */
export interface RaftRestoreOutput {
  /** Tag. */
  readonly type: 'restore';
  /** The snapshot now in effect. */
  readonly snapshot: RaftSnapshot;
}

/**
 * Role, term or known leader changed.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * raft.step(s, { type: 'campaign', now: 0 }).outputs.find((o) => o.type === 'role'); //=> { type: 'role', role: 'leader', term: 1, leader: 'a' }
 * ```
 */
export interface RaftRoleOutput {
  /** Tag. */
  readonly type: 'role';
  /** New role. */
  readonly role: RaftRole;
  /** Current term. */
  readonly term: number;
  /** Known leader. */
  readonly leader: NodeId | null;
}

/**
 * The leader appended proposals at `index` .. `index + count - 1` in `term`. They commit when an
 * `apply` output carries those indexes with that term; a different term there means they were lost.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * raft.step(s, { type: 'propose', data: 'x', now: 1 }).outputs[1]; //=> { type: 'proposed', index: 2, term: 1, count: 1 }
 * ```
 */
export interface RaftProposedOutput {
  /** Tag. */
  readonly type: 'proposed';
  /** Index of the first entry. */
  readonly index: number;
  /** The leader's term. */
  readonly term: number;
  /** Number of entries. */
  readonly count: number;
}

/**
 * A local command that only a leader serves reached a node that is not (or no longer) the leader.
 * `leader` is a hint for the client to retry there (no forwarding: the client chooses).
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * const s = raft.init({ id: 'b', voters: ['a', 'b'], seed: 1 });
 * raft.step(s, { type: 'propose', data: 'x', now: 0 }).outputs; //=> [{ type: 'notLeader', command: 'propose', leader: null }]
 * ```
 */
export interface RaftNotLeaderOutput {
  /** Tag. */
  readonly type: 'notLeader';
  /** The refused command. */
  readonly command: 'propose' | 'proposeBatch' | 'read' | 'changeMembership' | 'transferLeadership';
  /** The leader this node knows of, if any. */
  readonly leader: NodeId | null;
  /** For reads: the read's id. */
  readonly id?: string;
}

/**
 * A read can be served: wait until the application has applied `index`, then read locally.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * raft.step(s, { type: 'read', id: 'req-17', now: 1 }).outputs[0]; //=> { type: 'readReady', id: 'req-17', index: 1 }
 * ```
 */
export interface RaftReadReadyOutput {
  /** Tag. */
  readonly type: 'readReady';
  /** The read's id. */
  readonly id: string;
  /** The read index. */
  readonly index: number;
}

/**
 * Every output of Raft's `step`.
 *
 * @example
 * ```ts
 * import { raft } from 'distkit/consensus';
 * let s = raft.init({ id: 'a', voters: ['a'], seed: 1 });
 * s = raft.step(s, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * raft.step(s, { type: 'propose', data: 'x', now: 1 }).outputs.map((o) => o.type); //=> ['persist', 'proposed', 'apply']
 * ```
 */
export type RaftOutput =
  | SendOutput<RaftMessage>
  | PersistOutput<RaftPersistRecord>
  | RejectedOutput
  | RaftApplyOutput
  | RaftRestoreOutput
  | RaftRoleOutput
  | RaftProposedOutput
  | RaftNotLeaderOutput
  | RaftReadReadyOutput;
