/**
 * Types, limits and message checks of chain replication (van Renesse & Schneider, OSDI 2004) with
 * CRAQ reads (Terrace & Freedman, USENIX ATC 2009): the replica ({@link chainReplica}) and the
 * master that hands out chain configurations ({@link chainMaster}).
 *
 * @packageDocumentation
 */
import type { MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput, TickInput, Timer } from '../core/index.js';
import { MAX_COUNTER, MAX_ID_LENGTH, v } from '../core/index.js';

/**
 * Bounds on what a chain replica holds. A peer can raise none of these tables past them.
 *
 * @example
 * ```ts
 * import { CHAIN_LIMITS } from 'distkit/replication';
 * CHAIN_LIMITS.maxPending; //=> 1024
 * ```
 */
export const CHAIN_LIMITS = Object.freeze({
  /** Writes the head holds that the tail has not acknowledged; past it the head refuses writes. */
  maxPending: 1024,
  /** Distinct keys in the store; past it the head refuses writes to new keys. */
  maxKeys: 100_000,
  /** Entries one `entries` message carries. */
  maxBatch: 256,
  /** CRAQ version queries waiting for the tail's answer. */
  maxQueries: 1024,
  /** Replicas in a chain. */
  maxChain: 64,
  /** Nodes of a replicated configuration service (`masters`). */
  maxMasters: 9,
  /** Longest key (characters). */
  maxKeyLength: MAX_ID_LENGTH,
  /** Nesting depth and JSON size of one value. */
  valueLimits: { maxDepth: 16, maxBytes: 64 * 1024 },
});

/**
 * One chain member as the master lists it: its id and the incarnation it had when it joined (`null`
 * for an initial member not heard from yet). A replica that restarted has a new incarnation and
 * is no longer that member.
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { chainMaster, chainReplica } from 'distkit/replication';
 * // A master and a chain of two replicas, driven by hand: the replicas join, the master makes them a chain.
 * const c = createTestCluster({ nodes: [
 *   { id: 'm', machine: chainMaster, config: { id: 'm', replicas: ['a', 'b'] } },
 *   { id: 'a', machine: chainReplica, config: { id: 'a', master: 'm' } },
 *   { id: 'b', machine: chainReplica, config: { id: 'b', master: 'm' } },
 * ] });
 * c.tickNext(); c.tickNext(); c.tickNext();
 * c.stabilize();
 * (c.state('a') as { view: { chain: unknown[] } | null }).view?.chain; //=> [{ id: 'a', incarnation: 0, since: 1 }, { id: 'b', incarnation: null, since: 1 }]
 * ```
 */
export interface ChainMember {
  readonly id: NodeId;
  readonly incarnation: number | null;
  /** The epoch in which it entered the chain (1 for an initial member). */
  readonly since: number;
}

/**
 * A chain configuration: its epoch, the members from head to tail, and the replica being added at
 * the tail (§3 "extending a chain"), which holds no committed state until its predecessor's
 * state transfer arrives; until the master clears `joining`, the predecessor stays the tail.
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { chainMaster, chainReplica } from 'distkit/replication';
 * // A master and a chain of two replicas, driven by hand: the replicas join, the master makes them a chain.
 * const c = createTestCluster({ nodes: [
 *   { id: 'm', machine: chainMaster, config: { id: 'm', replicas: ['a', 'b'] } },
 *   { id: 'a', machine: chainReplica, config: { id: 'a', master: 'm' } },
 *   { id: 'b', machine: chainReplica, config: { id: 'b', master: 'm' } },
 * ] });
 * c.tickNext(); c.tickNext(); c.tickNext();
 * c.stabilize();
 * import type { ChainView } from 'distkit/replication';
 * // Every replica holds the master's latest view: an epoch, the chain head first, a joining tail if any.
 * const view = (c.state('b') as { view: ChainView | null }).view;
 * [view?.epoch, view?.chain.map((m) => m.id), view?.joining]; //=> [1, ['a', 'b'], null]
 * ```
 */
export interface ChainView {
  readonly epoch: number;
  readonly chain: readonly ChainMember[];
  readonly joining: NodeId | null;
}

/**
 * A write as it travels down the chain: the head's sequence number, the key, the value and the
 * client's request id (echoed by the tail's `written` output).
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { chainMaster, chainReplica } from 'distkit/replication';
 * // A master and a chain of two replicas, driven by hand: the replicas join, the master makes them a chain.
 * const c = createTestCluster({ nodes: [
 *   { id: 'm', machine: chainMaster, config: { id: 'm', replicas: ['a', 'b'] } },
 *   { id: 'a', machine: chainReplica, config: { id: 'a', master: 'm' } },
 *   { id: 'b', machine: chainReplica, config: { id: 'b', master: 'm' } },
 * ] });
 * c.tickNext(); c.tickNext(); c.tickNext();
 * c.stabilize();
 * // A write enters at the head and flows down the chain; the tail commits it.
 * c.input('a', { type: 'write', id: 'w1', key: 'x', value: 5 });
 * c.stabilize();
 * c.inFlight.length; //=> 0
 * (c.state('b') as { store: Record<string, unknown> }).store; //=> { x: [{ seq: 1, value: 5 }] }
 * ```
 */
export interface ChainEntry {
  readonly seq: number;
  readonly key: string;
  readonly value: unknown;
  readonly id: string;
}

/**
 * One version of a key: the sequence number of the write that made it and its value. A replica
 * keeps the newest committed version of each key and the newer, not yet committed ones (CRAQ §2.3).
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { chainMaster, chainReplica } from 'distkit/replication';
 * // A master and a chain of two replicas, driven by hand: the replicas join, the master makes them a chain.
 * const c = createTestCluster({ nodes: [
 *   { id: 'm', machine: chainMaster, config: { id: 'm', replicas: ['a', 'b'] } },
 *   { id: 'a', machine: chainReplica, config: { id: 'a', master: 'm' } },
 *   { id: 'b', machine: chainReplica, config: { id: 'b', master: 'm' } },
 * ] });
 * c.tickNext(); c.tickNext(); c.tickNext();
 * c.stabilize();
 * c.input('a', { type: 'write', id: 'w1', key: 'x', value: 5 });
 * c.stabilize();
 * // CRAQ: any replica answers a read with the committed version, here the head.
 * c.input('a', { type: 'read', id: 'r1', key: 'x' }); //=> [{ type: 'value', id: 'r1', key: 'x', value: 5, seq: 1 }]
 * ```
 */
export interface ChainVersion {
  readonly seq: number;
  readonly value: unknown;
}

/**
 * The messages of chain replication. Every message but the heartbeat carries the sender's epoch;
 * a replica drops any message from another epoch, which fences a replica the master removed.
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { chainMaster, chainReplica } from 'distkit/replication';
 * // A master and a chain of two replicas, driven by hand: the replicas join, the master makes them a chain.
 * const c = createTestCluster({ nodes: [
 *   { id: 'm', machine: chainMaster, config: { id: 'm', replicas: ['a', 'b'] } },
 *   { id: 'a', machine: chainReplica, config: { id: 'a', master: 'm' } },
 *   { id: 'b', machine: chainReplica, config: { id: 'b', master: 'm' } },
 * ] });
 * c.tickNext(); c.tickNext(); c.tickNext();
 * c.stabilize();
 * c.input('a', { type: 'write', id: 'w1', key: 'x', value: 5 });
 * // The head sends the write to its successor.
 * c.inFlight.map((m) => [m.from, m.to, (m.message as { type: string }).type]); //=> [['a', 'b', 'entries']]
 * ```
 */
export type ChainMessage =
  | { readonly type: 'heartbeat'; readonly incarnation: number; readonly epoch: number; readonly sentAt: number; readonly synced: boolean }
  | { readonly type: 'config'; readonly view: ChainView; readonly sentAt: number | null }
  | { readonly type: 'entries'; readonly epoch: number; readonly held: number; readonly committed: number; readonly entries: readonly ChainEntry[] }
  | { readonly type: 'snapshot'; readonly epoch: number; readonly held: number; readonly committed: number; readonly store: Readonly<Record<string, readonly ChainVersion[]>> }
  | { readonly type: 'ack'; readonly epoch: number; readonly held: number; readonly committed: number; readonly synced: boolean }
  | { readonly type: 'query'; readonly epoch: number; readonly qid: number; readonly key: string }
  | { readonly type: 'version'; readonly epoch: number; readonly qid: number; readonly key: string; readonly seq: number };

const seqCheck = v.int({ min: 0, max: MAX_COUNTER });
const keyCheck = v.string({ maxLength: CHAIN_LIMITS.maxKeyLength });
const valueCheck = v.json(CHAIN_LIMITS.valueLimits);
const versionCheck = v.object({ seq: seqCheck, value: valueCheck });
const memberCheck = v.object({ id: v.id(), incarnation: v.nullable(seqCheck), since: seqCheck });

/** Checks a view's shape (the master is a peer like any other: its messages are data). */
export const viewCheck = v.object({
  epoch: seqCheck,
  chain: v.array(memberCheck, { minLength: 1, maxLength: CHAIN_LIMITS.maxChain }),
  joining: v.nullable(v.id()),
});

/** Checks a replica-to-replica or master-to-replica message. */
export const chainMessageCheck = v.tagged({
  config: v.object({ type: v.literal('config'), view: viewCheck, sentAt: v.nullable(v.number()) }),
  entries: v.object({
    type: v.literal('entries'),
    epoch: seqCheck,
    held: seqCheck,
    committed: seqCheck,
    entries: v.array(v.object({ seq: seqCheck, key: keyCheck, value: valueCheck, id: v.string({ minLength: 1, maxLength: MAX_ID_LENGTH }) }), { maxLength: CHAIN_LIMITS.maxBatch }),
  }),
  snapshot: v.object({
    type: v.literal('snapshot'),
    epoch: seqCheck,
    held: seqCheck,
    committed: seqCheck,
    store: v.record(v.array(versionCheck, { maxLength: CHAIN_LIMITS.maxPending + 1 }), { maxKeys: CHAIN_LIMITS.maxKeys }),
  }),
  ack: v.object({ type: v.literal('ack'), epoch: seqCheck, held: seqCheck, committed: seqCheck, synced: v.boolean() }),
  query: v.object({ type: v.literal('query'), epoch: seqCheck, qid: seqCheck, key: keyCheck }),
  version: v.object({ type: v.literal('version'), epoch: seqCheck, qid: seqCheck, key: keyCheck, seq: seqCheck }),
});

/** Checks a heartbeat (the master's only input from replicas). */
export const heartbeatCheck = v.object({
  type: v.literal('heartbeat'),
  incarnation: seqCheck,
  epoch: seqCheck,
  sentAt: v.number(),
  synced: v.boolean(),
});

/**
 * Configuration of a {@link chainReplica}.
 *
 * @example
 * ```ts
 * import { chainReplica, type ChainReplicaConfig } from 'distkit/replication';
 * const config: ChainReplicaConfig = { id: 'a', master: 'm', leaseMs: 300 };
 * const s = chainReplica.init(config);
 * // Until the master names a chain and grants a lease, a replica redirects every request.
 * [s.view, chainReplica.step(s, { type: 'read', id: 'r1', key: 'x', now: 0 }).outputs]; //=> [{ epoch: 0, chain: [], joining: null }, [{ type: 'redirect', id: 'r1', to: null, reason: 'no lease from the master' }]]
 * ```
 */
export interface ChainReplicaConfig {
  /** This replica's id. */
  readonly id: NodeId;
  /** The master (configuration service) it heartbeats to and takes views from. */
  readonly master: NodeId;
  /**
   * Every node of a replicated configuration service ({@link raftChainMaster}'s voters), `master`
   * among them: heartbeats go to each, and a view is taken from any (only the Raft leader answers,
   * and an epoch names one view). Default `[master]`.
   */
  readonly masters?: readonly NodeId[];
  /** Heartbeat, resend and acknowledgement period (ms). Default 50. */
  readonly heartbeatMs?: number;
  /**
   * How long after sending a heartbeat the master's answer lets this replica serve reads and take
   * writes (ms). Must be shorter than the master's `failureTimeoutMs`, with room for clock drift.
   * Default 300.
   */
  readonly leaseMs?: number;
  /** CRAQ: every replica serves reads of clean keys (default true); false sends readers to the tail. */
  readonly craq?: boolean;
}

/**
 * State of a {@link chainReplica} (plain data).
 *
 * @example
 * ```ts
 * import { chainReplica } from 'distkit/replication';
 * chainReplica.init({ id: 'a', master: 'm' }).view.epoch; //=> 0
 * ```
 */
export interface ChainReplicaState {
  readonly id: NodeId;
  readonly master: NodeId;
  /** The configuration service's nodes (`[master]` for a single {@link chainMaster}). */
  readonly masters: readonly NodeId[];
  readonly heartbeatMs: number;
  readonly leaseMs: number;
  readonly craq: boolean;
  /** Bumped at every restart (durable): a restarted replica is a new server to the master. */
  readonly incarnation: number;
  /** Whether `incarnation` has been persisted (it is, before anything is sent). */
  readonly persisted: boolean;
  /** The view this replica runs in (epoch 0: none yet). */
  readonly view: ChainView;
  /** Whether this replica is in `view.chain` with its current incarnation. */
  readonly member: boolean;
  /** Whether its store is a valid prefix of the chain's history (false while awaiting state transfer). */
  readonly synced: boolean;
  /** Whether, in this epoch, it holds everything its predecessor held (a tail serves reads only then). */
  readonly caughtUp: boolean;
  /** Local time until which the master's last answer lets it serve (its lease). */
  readonly leaseUntil: number;
  /** Sequence number of the last write applied. */
  readonly held: number;
  /** Highest sequence number known committed (applied at the tail). */
  readonly committed: number;
  /** Versions per key: the newest committed one, then the pending ones. */
  readonly store: Readonly<Record<string, readonly ChainVersion[]>>;
  /** Writes kept for resending: those the tail (or a joining successor) may still lack. */
  readonly log: readonly ChainEntry[];
  /** What the successor reported holding in this epoch (`null`: not heard yet). */
  readonly successorHeld: number | null;
  /** Whether the successor reported a valid store in this epoch. */
  readonly successorSynced: boolean;
  /** CRAQ reads of dirty keys waiting for the tail's committed version. */
  readonly queries: readonly { readonly qid: number; readonly id: string; readonly key: string; readonly at: number }[];
  readonly nextQid: number;
  readonly timer: Timer;
}

/**
 * The durable part of a {@link chainReplica}: only its incarnation. The store is not: a replica
 * that restarts rejoins the chain as a new server and is sent the state (§3).
 *
 * @example
 * ```ts
 * import { chainReplica, type ChainReplicaDurable } from 'distkit/replication';
 * const config = { id: 'a', master: 'm' };
 * // What survives a crash is the incarnation: a restarted replica comes back as a new member.
 * const d: ChainReplicaDurable = chainReplica.durable(chainReplica.init(config));
 * [d, chainReplica.recover(config, d).incarnation]; //=> [{ incarnation: 0 }, 1]
 * ```
 */
export interface ChainReplicaDurable {
  readonly incarnation: number;
}

/**
 * Inputs of a {@link chainReplica}: messages, ticks, and client requests. A `write` goes to the
 * head; a `read` to the tail or, with CRAQ, to any replica.
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { chainMaster, chainReplica } from 'distkit/replication';
 * // A master and a chain of two replicas, driven by hand: the replicas join, the master makes them a chain.
 * const c = createTestCluster({ nodes: [
 *   { id: 'm', machine: chainMaster, config: { id: 'm', replicas: ['a', 'b'] } },
 *   { id: 'a', machine: chainReplica, config: { id: 'a', master: 'm' } },
 *   { id: 'b', machine: chainReplica, config: { id: 'b', master: 'm' } },
 * ] });
 * c.tickNext(); c.tickNext(); c.tickNext();
 * c.stabilize();
 * import type { ChainReplicaInput } from 'distkit/replication';
 * // A write at the tail is not accepted: writes enter at the head.
 * const write: ChainReplicaInput = { type: 'write', id: 'w1', key: 'x', value: 1, now: 0 };
 * chainReplica.step(c.state('b') as never, write).outputs; //=> [{ type: 'redirect', id: 'w1', to: 'a', reason: 'not the head' }]
 * ```
 */
export type ChainReplicaInput =
  | MessageInput<unknown>
  | TickInput
  | { readonly type: 'write'; readonly id: string; readonly key: string; readonly value: unknown; readonly now: number }
  | { readonly type: 'read'; readonly id: string; readonly key: string; readonly now: number };

/**
 * Outputs of a {@link chainReplica}. `written` comes from the tail once a write is committed;
 * `value` answers a read; `redirect` says the request was not taken (nothing happened) and
 * names the replica to ask instead when known; `view` reports a new configuration and the last
 * write this replica held when it took it up.
 *
 * @example
 * ```ts
 * import { createTestCluster } from 'distkit/sim';
 * import { chainMaster, chainReplica } from 'distkit/replication';
 * // A master and a chain of two replicas, driven by hand: the replicas join, the master makes them a chain.
 * const c = createTestCluster({ nodes: [
 *   { id: 'm', machine: chainMaster, config: { id: 'm', replicas: ['a', 'b'] } },
 *   { id: 'a', machine: chainReplica, config: { id: 'a', master: 'm' } },
 *   { id: 'b', machine: chainReplica, config: { id: 'b', master: 'm' } },
 * ] });
 * c.tickNext(); c.tickNext(); c.tickNext();
 * c.stabilize();
 * // The head answers once the tail has acknowledged the write.
 * c.input('a', { type: 'write', id: 'w1', key: 'x', value: 5 });
 * c.stabilize();
 * c.transcript.filter((line) => line.includes('written')); //=> ['  {"type":"written","id":"w1","key":"x","seq":1}']
 * ```
 */
export type ChainReplicaOutput =
  | SendOutput<ChainMessage>
  | PersistOutput<ChainReplicaDurable>
  | RejectedOutput
  | { readonly type: 'written'; readonly id: string; readonly key: string; readonly seq: number }
  | { readonly type: 'value'; readonly id: string; readonly key: string; readonly value: unknown; readonly seq: number }
  | { readonly type: 'redirect'; readonly id: string; readonly to: NodeId | null; readonly reason: string }
  | { readonly type: 'view'; readonly epoch: number; readonly chain: readonly NodeId[]; readonly joining: NodeId | null; readonly held: number };
