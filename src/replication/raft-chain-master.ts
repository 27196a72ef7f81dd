/**
 * The configuration service of chain replication and primary-backup, replicated by Raft: the
 * master's decisions are log entries, so a crash or a partition of a master node loses no epoch
 * and no two nodes issue one epoch with different views (van Renesse & Schneider 2004, §3, whose
 * master is itself replicated).
 *
 * @packageDocumentation
 */
import type { DurableMachine, Invariant, MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput } from '../core/index.js';
import { ConfigError, assertNever, canonicalJson, earliest, getOwn, inputNow, majority, parse, positiveInt, reject, send, startTimer, timerDeadline, timerDue, v, withOwn } from '../core/index.js';
import {
  raft,
  raftEntries,
  raftNextDeadline,
  raftReplica,
  type RaftConfig,
  type RaftDurable,
  type RaftMessage,
  type RaftReplicaOutputs,
  type RaftRoleOutput,
  type RaftState,
  type RaftReplicaInput,
  type ReplicatedPersistRecord,
} from '../consensus/index.js';
import { decideOnCheck, decideOnHeartbeat, heardAll, masterOptions, type ChainMasterConfig, type ChainMasterState, type MasterDecision } from './chain-master.js';
import { heartbeatCheck, viewCheck, type ChainMessage, type ChainView } from './chain-types.js';

/**
 * Configuration of one node of a {@link raftChainMaster}: its Raft node (the voters are the
 * configuration service's nodes) and the master's options, the same on every node.
 *
 * @example
 * ```ts
 * import type { RaftChainMasterConfig } from 'distkit/replication';
 * const c: RaftChainMasterConfig = { raft: { id: 'm1', voters: ['m1', 'm2', 'm3'], seed: 1 }, replicas: ['a', 'b', 'c'], failureTimeoutMs: 500 };
 * ```
 */
export interface RaftChainMasterConfig extends Omit<ChainMasterConfig, 'id'> {
  /** This node's Raft config; `checkQuorum` must stay on (a deposed leader stops answering heartbeats). */
  readonly raft: RaftConfig;
  /** Hand Raft a snapshot of the view after this many applied entries (§7). Default 1000. */
  readonly snapshotEvery?: number;
}

/**
 * State of a {@link raftChainMaster} node (plain data): the Raft node, the view of the last
 * applied entry (the replicated state: the same on every node at the same log index), and the
 * failure detector (`heard`, `timer`) that only the leader runs, reset when it becomes leader.
 *
 * @example
 * ```ts
 * import { raftChainMaster } from 'distkit/replication';
 * raftChainMaster.init({ raft: { id: 'm1', voters: ['m1'], seed: 1 }, replicas: ['a', 'b'] }).view.epoch; //=> 1
 * ```
 */
export interface RaftChainMasterState extends Pick<ChainMasterState, 'replicas' | 'failureTimeoutMs' | 'checkMs' | 'view' | 'heard' | 'timer'> {
  readonly raft: RaftState;
  readonly appliedIndex: number;
  readonly snapshotEvery: number;
  /** Why the view last changed epoch (replicated with it). */
  readonly reason: string | null;
  /** The view (canonical JSON) a proposal of this leader is based on, until a view is applied. */
  readonly pending: string | null;
}

/**
 * Inputs of a {@link raftChainMaster}: Raft messages from the other master nodes, heartbeats from
 * replicas, ticks, and Raft's `campaign` and `transferLeadership`.
 *
 * @example
 * ```ts
 * import type { RaftChainMasterInput } from 'distkit/replication';
 * const i: RaftChainMasterInput = { type: 'tick', now: 100 };
 * ```
 */
export type RaftChainMasterInput = RaftReplicaInput;

/**
 * Outputs of a {@link raftChainMaster}: Raft's persists and sends, views sent to replicas, role
 * changes, rejections, and `reconfigured` on the leader that applied a new epoch.
 *
 * @example
 * ```ts
 * import type { RaftChainMasterOutput } from 'distkit/replication';
 * const o: RaftChainMasterOutput = { type: 'reconfigured', epoch: 2, reason: 'b failed', chain: ['a', 'c'], joining: null };
 * ```
 */
export type RaftChainMasterOutput =
  | SendOutput<RaftMessage | ChainMessage>
  | PersistOutput<ReplicatedPersistRecord>
  | RejectedOutput
  | RaftRoleOutput
  | { readonly type: 'reconfigured'; readonly epoch: number; readonly reason: string; readonly chain: readonly NodeId[]; readonly joining: NodeId | null };

type Reconfigured = Extract<RaftChainMasterOutput, { type: 'reconfigured' }>;
type S = RaftChainMasterState;
type Out = RaftReplicaOutputs<ChainMessage, Reconfigured>;

/** A log entry: replace the view `base` by `next` (a compare-and-set, so a stale proposal is a no-op). */
const snapshotCheck = v.object({ view: viewCheck, reason: v.nullable(v.string({ maxLength: 512 })) });
const commandCheck = v.object({ type: v.literal('view'), base: viewCheck, next: viewCheck, reason: v.nullable(v.string({ maxLength: 512 })) });

/**
 * Whether the view change `base` → `next` is one a master makes: the epoch goes up by one, or
 * stays when only incarnations were learned (same members, same order, same `joining`).
 */
function validChange(base: ChainView, next: ChainView, reason: string | null): boolean {
  const ids = (w: ChainView) => w.chain.map((m) => m.id).join('\u0000');
  if (reason === null) return next.epoch === base.epoch && ids(next) === ids(base) && next.joining === base.joining;
  const chain = next.chain.map((m) => m.id);
  return next.epoch === base.epoch + 1 && new Set(chain).size === chain.length && (next.joining === null || chain[chain.length - 1] === next.joining);
}

/** After a step that applied view changes, the leader sends the resulting view to every replica. */
function announce(before: S, state: S, out: Out): void {
  // Only the leader speaks for the service; followers apply silently.
  if (state.raft.role !== 'leader' || state.view === before.view) return;
  for (const r of state.replicas) out.sends.push(send<RaftMessage | ChainMessage>(r, { type: 'config', view: state.view, sentAt: null }));
  if (state.view.epoch !== before.view.epoch) {
    out.events.push({ type: 'reconfigured', epoch: state.view.epoch, reason: state.reason ?? 'reconfigured', chain: state.view.chain.map((m) => m.id), joining: state.view.joining });
  }
}

const steps = raftReplica.steps<S, ChainMessage, Reconfigured>({
  apply(state, data) {
    const parsed = parse(commandCheck, data, 'entry');
    if (!parsed.ok) return state;
    const { base, next, reason } = parsed.value as { base: ChainView; next: ChainView; reason: string | null };
    // Log order decides: a change computed from a view that is no longer current is dropped, so an
    // epoch names exactly one view on every node.
    if (canonicalJson(base) !== canonicalJson(state.view) || !validChange(base, next, reason)) return state;
    return { ...state, view: next, reason: reason ?? state.reason, pending: null };
  },
  restore(state, snapshot) {
    const parsed = parse(snapshotCheck, snapshot.data, 'snapshot');
    return parsed.ok ? { ...state, view: parsed.value.view as ChainView, reason: parsed.value.reason } : state;
  },
  snapshotData: (state) => ({ view: state.view, reason: state.reason }),
});

/** Thesis §6.4: a new leader knows the latest view once an entry of its own term is applied. */
function knowsLatestView(state: S): boolean {
  const r = state.raft;
  if (r.role !== 'leader') return false;
  const term = state.appliedIndex === r.log.snapshotIndex ? r.log.snapshot.term : raftEntries(r.log, state.appliedIndex, state.appliedIndex)[0]?.term;
  return term === r.term;
}

/**
 * Thesis §6.4.1: the leader's lease holds while a quorum acknowledged a heartbeat it sent less than
 * Raft's `leaseMs` ago; with `checkQuorum` those voters elect no other leader until an election
 * timeout after they heard it. A leader that was paused or cut off, and was deposed meanwhile
 * without hearing of it yet, finds its lease run out and renews no replica's lease.
 */
function leaseHolds(r: RaftState, now: number): boolean {
  if (r.leaseRevoked) return false; // a leadership transfer lets the target be elected at once
  const acked = r.membership.voters.map((id) => (id === r.id ? now : (getOwn(r.progress, id)?.ackedAt ?? -1))).sort((a, b) => b - a);
  const quorumAckedAt = acked[majority(acked.length) - 1] ?? -1;
  return quorumAckedAt >= 0 && quorumAckedAt + r.options.leaseMs > now;
}

function propose(state: S, d: MasterDecision, now: number, out: Out): S {
  const base = canonicalJson(state.view);
  if (state.pending === base) return state; // one change in flight per view
  const proposed = steps.propose(state, { type: 'view', base: state.view, next: d.view, reason: d.reason }, now, out);
  return proposed.refused === undefined ? { ...proposed.state, pending: base } : state;
}

/** §3: the leader's failure detector. */
function onCheck(state: S, now: number, out: Out): S {
  const s: S = { ...state, heard: heardAll(state.view, state.heard, now), timer: startTimer(now, state.checkMs) };
  const d = decideOnCheck(s.view, s.heard, now, s.failureTimeoutMs);
  return d === undefined ? s : propose(s, d, now, out);
}

function onHeartbeat(state: S, from: NodeId, message: unknown, now: number, out: Out): S | string {
  const parsed = parse(heartbeatCheck, message, 'message');
  if (!parsed.ok) return parsed.problem;
  // Only the leader acts as master; the replicas heartbeat to every node.
  if (!knowsLatestView(state)) return state.raft.role === 'leader' ? 'heartbeat before this leader applied an entry of its term' : 'heartbeat to a node that is not the leader';
  const hb = parsed.value;
  const s: S = { ...state, heard: withOwn(state.heard, from, now) };
  // The answer renews the sender's lease in the view in effect; a change waits for its commit.
  // None is renewed while a change is in flight (it may remove the sender: a lease renewed now
  // would outlive the epoch that ends when it commits), nor without this leader's own lease.
  if (state.pending !== canonicalJson(state.view) && leaseHolds(s.raft, now)) {
    out.sends.push(send<RaftMessage | ChainMessage>(from, { type: 'config', view: s.view, sentAt: hb.sentAt }));
  }
  const d = decideOnHeartbeat(s.view, from, hb);
  return d === undefined ? s : propose(s, d, now, out);
}

/** A node that gains or loses leadership starts its failure detector afresh: every replica gets a full timeout. */
function afterRaft(before: S, after: S, now: number): S {
  if ((before.raft.role === 'leader') === (after.raft.role === 'leader')) return after;
  return { ...after, heard: {}, pending: null, timer: startTimer(now, after.checkMs) };
}

function start(config: RaftChainMasterConfig, r: RaftState): S {
  if (config === null || typeof config !== 'object' || config.raft === null || typeof config.raft !== 'object') throw new ConfigError('raft', 'must be a RaftConfig');
  if (config.raft.checkQuorum === false) throw new ConfigError('raft.checkQuorum', 'must stay on: a deposed leader must stop answering heartbeats');
  const masters = [...new Set([r.id, ...r.membership.voters, ...r.membership.learners, ...config.raft.voters])];
  const { start: initial, ...options } = masterOptions(masters, config);
  const snap = r.log.snapshot;
  const restored = snap.index > 0 ? parse(snapshotCheck, snap.data, 'snapshot') : undefined;
  const app = restored?.ok === true ? { view: restored.value.view as ChainView, reason: restored.value.reason } : { view: initial, reason: null };
  return { raft: r, appliedIndex: r.applied, snapshotEvery: positiveInt('snapshotEvery', config.snapshotEvery, 1000), ...options, ...app, heard: {}, timer: startTimer(0, 0), pending: null };
}

function stepMessage(state: S, input: MessageInput<unknown>, now: number, out: Out): S | string {
  if (!state.replicas.includes(input.from)) return afterRaft(state, steps.raft(state, input, out), now);
  return onHeartbeat(state, input.from, input.message, now, out);
}

/**
 * The chain master (van Renesse & Schneider 2004, §3) as a service of several nodes replicated by
 * Raft, for {@link chainReplica} and {@link primaryBackup} replicas configured with
 * `masters: <the voters>`. Only the Raft leader acts as master: it runs the failure detector,
 * answers heartbeats (renewing leases) once an entry of its own term is applied, and proposes each
 * decision of {@link chainMaster} — a removal, a join at the tail, a joined tail, a learned
 * incarnation — as a log entry "replace view `base` by `next`". Every node applies the entries in
 * log order and takes a change only if `base` is still the view in effect, so an epoch names
 * exactly one view, and an epoch is issued (sent, `reconfigured`) only after a majority stored it:
 * a deposed leader's proposals never commit or are dropped as stale, and a crashed node recovers
 * every issued epoch from Raft's log. A new leader gives every replica a full `failureTimeoutMs`
 * before removing it. A heartbeat answer renews a replica's lease, so the leader answers only while
 * its own Raft lease holds (a quorum acknowledged a heartbeat of its less than Raft's `leaseMs`
 * ago; with `checkQuorum` those voters elect no one else meanwhile) and while no change is in
 * flight: a deposed leader that was paused or cut off renews nothing once it resumes, and no lease
 * outlives the epoch a pending removal ends. So the replicas' `leaseMs` < `failureTimeoutMs` rule
 * (with room for clock drift) still fences a removed replica.
 *
 * @example
 * ```ts
 * import { raftChainMaster } from 'distkit/replication';
 * const config = { raft: { id: 'm1', voters: ['m1'], seed: 1 }, replicas: ['a', 'b'], failureTimeoutMs: 100 };
 * let m = raftChainMaster.init(config);
 * m = raftChainMaster.step(m, { type: 'campaign', now: 0 }).state; // a single voter elects itself
 * m = raftChainMaster.step(m, { type: 'tick', now: 60 }).state; // the leader's first check: every replica heard now
 * const t = raftChainMaster.step(m, { type: 'tick', now: 200 });
 * t.outputs.find((o) => o.type === 'reconfigured'); //=> { type: 'reconfigured', epoch: 2, reason: 'a failed', chain: ['b'], joining: null }
 * ```
 */
export const raftChainMaster: DurableMachine<RaftChainMasterConfig, RaftChainMasterState, RaftChainMasterInput, RaftChainMasterOutput, RaftDurable> = {
  name: 'raft-chain-master',
  init: (config) => start(config, raft.init(config?.raft)),
  step(state, input) {
    const now = inputNow(input);
    const out: Out = raftReplica.collect();
    let s: S;
    switch (input.type) {
      case 'message': {
        const next = stepMessage(state, input, now, out);
        if (typeof next === 'string') return reject(state, input.from, next);
        s = next;
        break;
      }
      case 'tick': {
        s = afterRaft(state, steps.raft(state, input, out), now);
        if (knowsLatestView(s) && timerDue(s.timer, now)) s = onCheck(s, now, out);
        break;
      }
      case 'campaign':
      case 'transferLeadership':
      case 'persisted':
        s = afterRaft(state, steps.raft(state, input, out), now);
        break;
      default:
        return assertNever(input, 'input');
    }
    announce(state, s, out);
    return steps.finish(state, steps.compact(s, now, out), out);
  },
  ...raftReplica.durability(start, (config: RaftChainMasterConfig) => config.raft),
  // The failure detector's deadline counts only once it can run (a due timer would fire again at once).
  nextDeadline: (state) => earliest(raftNextDeadline(state.raft), knowsLatestView(state) ? timerDeadline(state.timer) : undefined),
};

/**
 * The configuration service's safety over the states of its nodes (other nodes' states, e.g. the
 * replicas', are skipped): nodes at the same epoch hold the same chain, so no two masters issue
 * one epoch with different views.
 *
 * @example
 * ```ts
 * import { raftChainMaster, raftChainMasterInvariants } from 'distkit/replication';
 * const s = raftChainMaster.init({ raft: { id: 'm1', voters: ['m1'], seed: 1 }, replicas: ['a'] });
 * raftChainMasterInvariants()[0]!.check({ m1: s }, { time: 0, nodes: ['m1'], isUp: () => true }); //=> undefined
 * ```
 */
export function raftChainMasterInvariants(): Invariant<unknown>[] {
  const isMaster = (s: unknown): s is RaftChainMasterState => s !== null && typeof s === 'object' && 'raft' in s && 'view' in s && 'pending' in s;
  const chainOf = (w: ChainView) => JSON.stringify([w.chain.map((m) => m.id), w.joining]);
  return [
    {
      name: 'one view per epoch',
      check(states) {
        const seen = new Map<number, { node: NodeId; chain: string }>();
        for (const [node, s] of Object.entries(states)) {
          if (!isMaster(s)) continue;
          const chain = chainOf(s.view);
          const other = seen.get(s.view.epoch);
          if (other !== undefined && other.chain !== chain) return `epoch ${s.view.epoch}: ${other.node} holds ${other.chain}, ${node} holds ${chain}`;
          seen.set(s.view.epoch, { node, chain });
        }
        return undefined;
      },
    },
  ];
}
