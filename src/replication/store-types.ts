/**
 * The data of the consistency-level store: levels, session tokens, config, state, messages,
 * inputs and outputs. Everything is plain JSON data.
 *
 * @packageDocumentation
 */
import type { NodeId, PersistOutput, RejectedOutput, SendOutput } from '../core/index.js';
import { v } from '../core/index.js';
import type { RaftConfig, RaftDurable, RaftPersistRecord, RaftReplicaInput, RaftRoleOutput, RaftState } from '../consensus/index.js';

/**
 * The consistency a request asks for, per request (Cosmos DB's five levels, plus causal from
 * COPS, SOSP 2011). Strongest first: `STRONG` (linearizable), `BOUNDED_STALENESS` (at most K
 * versions and T ms behind), `SESSION` (Terry et al. 1994's four session guarantees through a
 * token), `CAUSAL` (causal+ through the same token: what a session saw, and what that saw, is
 * never missing), `CONSISTENT_PREFIX` (a prefix of the write order, never a gap) and `EVENTUAL`.
 *
 * @example
 * ```ts
 * import { ConsistencyLevel } from 'distkit/replication';
 * ConsistencyLevel.STRONG; //=> 'strong'
 * ```
 */
export const ConsistencyLevel = {
  STRONG: 'strong',
  BOUNDED_STALENESS: 'bounded-staleness',
  SESSION: 'session',
  CAUSAL: 'causal',
  CONSISTENT_PREFIX: 'consistent-prefix',
  EVENTUAL: 'eventual',
} as const;

/**
 * One of the {@link ConsistencyLevel} values.
 *
 * @example
 * ```ts
 * import { DistributedStore, ConsistencyLevel } from 'distkit/replication';
 * const store = new DistributedStore({ replicas: ['a', 'b', 'c'], applyDelayMs: { c: 500 } });
 * store.write('x', 'v1', ConsistencyLevel.STRONG);
 * // c applies 500 ms late: what each level lets a read at c return right after the write.
 * const levels: ConsistencyLevel[] = [ConsistencyLevel.EVENTUAL, ConsistencyLevel.CONSISTENT_PREFIX, ConsistencyLevel.SESSION, ConsistencyLevel.STRONG];
 * levels.map((level) => [level, store.read('x', level, { replica: 'c' })]); //=> [['eventual', null], ['consistent-prefix', null], ['session', 'v1'], ['strong', 'v1']]
 * ```
 */
export type ConsistencyLevel = (typeof ConsistencyLevel)[keyof typeof ConsistencyLevel];

/**
 * A session token (Terry et al. 1994 §4): what the session has written and read, as a version
 * vector. Writes are ordered by one leader's log, so the vector has one entry — the highest log
 * index the session depends on (Cosmos DB's session token is likewise a partition's LSN). The
 * client hands back the token of its last answer with each request.
 *
 * @example
 * ```ts
 * import { DistributedStore, ConsistencyLevel } from 'distkit/replication';
 * const store = new DistributedStore({ replicas: ['a', 'b', 'c'], applyDelayMs: { c: 500 } });
 * import type { SessionToken } from 'distkit/replication';
 * // The session token is the log index of the session's last write or read; requests carry it.
 * store.write('x', 1, ConsistencyLevel.SESSION);
 * const token: SessionToken = store.token;
 * token; //=> { index: 2 }
 * ```
 */
export interface SessionToken {
  /** Highest log index the session has written or read. */
  readonly index: number;
}

/**
 * The bound of a bounded-staleness read: at most `versions` newer versions behind, and nothing
 * acknowledged more than `ms` before the read missed (Cosmos DB's K and T). Give one or both.
 *
 * @example
 * ```ts
 * import { DistributedStore, ConsistencyLevel } from 'distkit/replication';
 * const store = new DistributedStore({ replicas: ['a', 'b', 'c'], applyDelayMs: { c: 500 } });
 * import type { StalenessBound } from 'distkit/replication';
 * store.write('x', 'old', ConsistencyLevel.STRONG);
 * store.advance(1000);
 * store.write('x', 'new', ConsistencyLevel.STRONG);
 * // One version behind is within 1 version; not within 0.
 * const loose: StalenessBound = { versions: 1 };
 * [store.read('x', ConsistencyLevel.BOUNDED_STALENESS, { replica: 'c', bound: loose }), store.read('x', ConsistencyLevel.BOUNDED_STALENESS, { replica: 'c', bound: { versions: 0 } })]; //=> ['old', 'new']
 * ```
 */
export interface StalenessBound {
  /** K: most committed writes the read may miss (checked against the leader's commit index after the read arrived). */
  readonly versions?: number;
  /** T: the replica must have applied everything committed before a moment at most this long ago (its own clock). */
  readonly ms?: number;
}

/**
 * Limits on what the store keeps.
 *
 * @example
 * ```ts
 * import type { StoreLimits } from 'distkit/replication';
 * const l: Partial<StoreLimits> = { maxKeys: 1000 };
 * ```
 */
export interface StoreLimits {
  /** Most distinct keys; a write of a new key beyond it fails with `'store full'` (everywhere alike). Default 100 000. */
  readonly maxKeys: number;
  /** Longest key. Default 1024. */
  readonly maxKeyLength: number;
  /** Most keys in one read. Default 64. */
  readonly maxKeysPerRead: number;
  /** Most client requests waiting at this node. Default 1024. */
  readonly maxPending: number;
  /** Most fences (ReadIndex requests) outstanding from this node, and awaited catch-ups. Default 64. */
  readonly maxFences: number;
  /** Most ReadIndex requests a leader keeps for its peers' fences. Default 1024. */
  readonly maxLeaderReads: number;
  /** Request ids remembered per origin to drop re-proposed writes. Default 1024. */
  readonly dedupeWindow: number;
}

/**
 * Configuration of one store node.
 *
 * @example
 * ```ts
 * import { distributedStore, type StoreConfig } from 'distkit/replication';
 * const config: StoreConfig = { raft: { id: 'a', voters: ['a', 'b', 'c'], seed: 1 }, applyDelayMs: 20 };
 * const s = distributedStore.init(config);
 * [s.raft.role, s.applyDelayMs]; //=> ['follower', 20]
 * ```
 */
export interface StoreConfig {
  /** This node's Raft node (its `id` is the store node's id). */
  readonly raft: RaftConfig;
  /** How long after learning that an entry committed this replica applies it (its lag). Default 0. */
  readonly applyDelayMs?: number;
  /** A request not answered by then fails (a write's outcome then is unknown). Default 1000. */
  readonly requestTimeoutMs?: number;
  /** Forwarded writes and fences unanswered for this long are sent again. Default 3 Raft heartbeats. */
  readonly retryMs?: number;
  /** The bound of bounded-staleness reads that name none. Default `{ versions: 100, ms: 1000 }`. */
  readonly staleness?: StalenessBound;
  /** Snapshot the applied state into Raft every this many entries (Raft §7). Default 1000. */
  readonly snapshotEvery?: number;
  /** See {@link StoreLimits}. */
  readonly limits?: Partial<StoreLimits>;
}

/**
 * One key's current value and the log index of the write that put it there.
 *
 * @example
 * ```ts
 * import { distributedStore } from 'distkit/replication';
 * // One replica: it elects itself, then takes requests.
 * let s = distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = distributedStore.step(s, { type: 'campaign', now: 0 }).state;
 * s = distributedStore.step(s, { type: 'write', id: 1, key: 'x', value: 'v1', level: 'strong', now: 1 }).state;
 * s = distributedStore.step(s, { type: 'tick', now: 20 }).state;
 * // Each key keeps its value and the log index that wrote it.
 * s.kv['x']; //=> { value: 'v1', index: 2 }
 * ```
 */
export interface StoreVersion {
  readonly value: unknown;
  readonly index: number;
}

/**
 * The command a write puts in the log: origin node, its request number, key, value and the
 * session's dependency (the token's index; COPS's `deps`, which the log order satisfies).
 *
 * @example
 * ```ts
 * import { distributedStore } from 'distkit/replication';
 * // One replica: it elects itself, then takes requests.
 * let s = distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = distributedStore.step(s, { type: 'campaign', now: 0 }).state;
 * import { raftEntries } from 'distkit/consensus';
 * const t = distributedStore.step(s, { type: 'write', id: 1, key: 'x', value: 1, level: 'strong', now: 1 });
 * // The write is proposed to Raft as a compact log entry: origin, boot, request, key, value, dependency.
 * raftEntries(t.state.raft.log).at(-1)?.data; //=> { o: 'a', b: 0, r: 0, k: 'x', v: 1, d: 0 }
 * ```
 */
export interface StoreEntry {
  readonly o: NodeId;
  /** The origin's incarnation (it counts its restarts durably), so request numbers never repeat. */
  readonly b: number;
  readonly r: number;
  readonly k: string;
  readonly v: unknown;
  readonly d: number;
}

/** A client's request id, echoed in the answer. */
export type StoreRequestId = number | string;

/**
 * A client request waiting at its node: a write until this node applies it, a read until the
 * replica satisfies the read's level.
 *
 * @example
 * ```ts
 * import { distributedStore } from 'distkit/replication';
 * // One replica: it elects itself, then takes requests.
 * let s = distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = distributedStore.step(s, { type: 'campaign', now: 0 }).state;
 * // In a three-voter group that has no leader yet, the request waits in the pending table with its deadline.
 * const b = distributedStore.init({ raft: { id: 'b', voters: ['a', 'b', 'c'], seed: 1 } });
 * distributedStore.step(b, { type: 'write', id: 1, key: 'x', value: 1, level: 'strong', now: 1 }).state.pending; //=> [{ kind: 'write', id: 1, rid: 0, key: 'x', value: 1, deps: 0, deadline: 1001, sentAt: null }]
 * ```
 */
export type StorePending =
  | {
      readonly kind: 'write';
      readonly id: StoreRequestId;
      readonly rid: number;
      readonly key: string;
      readonly value: unknown;
      readonly deps: number;
      readonly deadline: number;
      /** When it was last proposed or forwarded (null: not yet, no leader known). */
      readonly sentAt: number | null;
    }
  | {
      readonly kind: 'read';
      readonly id: StoreRequestId;
      readonly keys: readonly string[];
      /** Whether the client asked for one key (answer `value`) or several (`values`). */
      readonly single: boolean;
      readonly level: ConsistencyLevel;
      readonly token: number;
      /** The replica must have applied this index. */
      readonly minIndex: number;
      /** Waiting for a fence asked at or after this time (strong and K-bounded reads). */
      readonly fenceAfter: number | null;
      /** K of a bounded read (0 for strong), applied once the fence arrives. */
      readonly lagVersions: number;
      /** T of a bounded read. */
      readonly freshMs: number | null;
      readonly deadline: number;
      /** When a fence was last asked for it. */
      readonly askedAt: number | null;
    };

/**
 * The whole state of a store node.
 *
 * @example
 * ```ts
 * import { distributedStore } from 'distkit/replication';
 * distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } }).applied; //=> 0
 * ```
 */
export interface StoreState {
  readonly raft: RaftState;
  readonly applyDelayMs: number;
  readonly requestTimeoutMs: number;
  readonly retryMs: number;
  readonly staleness: StalenessBound;
  readonly snapshotEvery: number;
  readonly limits: StoreLimits;
  /** The applied key-value state. */
  readonly kv: Readonly<Record<string, StoreVersion>>;
  readonly keyCount: number;
  /** Recent request numbers applied, per origin, of its latest incarnation (ascending), to drop re-proposals. */
  readonly dedupe: Readonly<Record<NodeId, { readonly boot: number; readonly rids: readonly number[] }>>;
  /** This node's incarnation: 0 at init, one more at each recovery (persisted on the first step after it). */
  readonly boot: number;
  /** Whether `boot` is on disk yet. */
  readonly bootSaved: boolean;
  /** Highest log index applied to `kv`. */
  readonly applied: number;
  /** Committed entries waiting for their turn (`readyAt`, this replica's lag). */
  readonly backlog: readonly { readonly index: number; readonly entry: StoreEntry | null; readonly readyAt: number }[];
  readonly pending: readonly StorePending[];
  /** Fences asked (ReadIndex through the leader), by nonce, with the local time they were asked and of whom. */
  readonly asks: readonly { readonly nonce: number; readonly at: number; readonly to: NodeId }[];
  /** Fences answered but not yet applied up to. */
  readonly catchUp: readonly { readonly index: number; readonly at: number }[];
  /** Every write committed before this local time is applied here (null: not known). */
  readonly freshAt: number | null;
  /** Request and fence numbers. */
  readonly seq: number;
  /** Entries dropped at apply: malformed, re-proposed, or a new key beyond `maxKeys`. */
  readonly skipped: number;
}

/**
 * Messages between store nodes besides Raft's own: a write forwarded to the leader, a fence
 * request (answered through Raft's ReadIndex) and its answer.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { distributedStore } from 'distkit/replication';
 * const voters = ['a', 'b', 'c'];
 * const nodes = voters.map((id) => ({ id, machine: distributedStore, config: { raft: { id, voters, seed: id } } }));
 * // A strong read at a follower asks the leader for a ReadIndex fence.
 * const r = simulate({ seed: 1, nodes, maxTimeMs: 3000, commands: voters.map((node) => ({ at: 2500, node, input: { type: 'read', id: 1, key: 'x', level: 'strong' } })) });
 * Object.keys(r.stats.byType).filter((t) => t.startsWith('store-')).sort(); //=> ['store-fence', 'store-fenced']
 * ```
 */
export type StoreMessage =
  | { readonly type: 'store-write'; readonly boot: number; readonly rid: number; readonly key: string; readonly value: unknown; readonly deps: number }
  | { readonly type: 'store-fence'; readonly nonce: number }
  | { readonly type: 'store-fenced'; readonly nonce: number; readonly index: number };

const counter = v.int({ min: 0 });

/** Validation of store messages (Raft's are validated by Raft). */
export const storeMessageCheck = v.tagged({
  'store-write': v.object({ type: v.literal('store-write'), boot: counter, rid: counter, key: v.string({ maxLength: 1 << 16 }), value: v.json(), deps: counter }),
  'store-fence': v.object({ type: v.literal('store-fence'), nonce: counter }),
  'store-fenced': v.object({ type: v.literal('store-fenced'), nonce: counter, index: counter }),
});

/**
 * A client write at a level. Writes always go through the leader's log; the level only matters
 * for the session token the answer carries.
 *
 * @example
 * ```ts
 * import { distributedStore } from 'distkit/replication';
 * // One replica: it elects itself, then takes requests.
 * let s = distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = distributedStore.step(s, { type: 'campaign', now: 0 }).state;
 * import type { StoreWriteInput } from 'distkit/replication';
 * const write: StoreWriteInput = { type: 'write', id: 1, key: 'x', value: 1, level: 'session', now: 1 };
 * // A lone replica is its own majority: the write commits and is answered in the same step.
 * distributedStore.step(s, write).outputs.filter((o) => o.type === 'write-ok'); //=> [{ type: 'write-ok', id: 1, key: 'x', index: 2, token: { index: 2 } }]
 * ```
 */
export interface StoreWriteInput {
  readonly type: 'write';
  readonly now: number;
  readonly id: StoreRequestId;
  readonly key: string;
  readonly value: unknown;
  readonly level: ConsistencyLevel;
  /** The session's token (session and causal levels). */
  readonly token?: SessionToken;
}

/**
 * A client read of `key` (or of several `keys` from one snapshot) at a level.
 *
 * @example
 * ```ts
 * import { distributedStore } from 'distkit/replication';
 * // One replica: it elects itself, then takes requests.
 * let s = distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = distributedStore.step(s, { type: 'campaign', now: 0 }).state;
 * import type { StoreReadInput } from 'distkit/replication';
 * const read: StoreReadInput = { type: 'read', id: 2, key: 'x', level: 'eventual', now: 5 };
 * // An eventual read answers at once from local state.
 * distributedStore.step(s, read).outputs; //=> [{ type: 'read-ok', id: 2, values: { x: null }, versions: { x: 0 }, index: 1, token: { index: 1 }, value: null }]
 * ```
 */
export interface StoreReadInput {
  readonly type: 'read';
  readonly now: number;
  readonly id: StoreRequestId;
  readonly key?: string;
  readonly keys?: readonly string[];
  readonly level: ConsistencyLevel;
  readonly token?: SessionToken;
  /** For bounded staleness (default the config's). */
  readonly bound?: StalenessBound;
}

/**
 * Inputs of a store node.
 *
 * @example
 * ```ts
 * import { distributedStore } from 'distkit/replication';
 * // One replica: it elects itself, then takes requests.
 * let s = distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = distributedStore.step(s, { type: 'campaign', now: 0 }).state;
 * import type { StoreInput } from 'distkit/replication';
 * const inputs: StoreInput[] = [{ type: 'write', id: 1, key: 'x', value: 7, level: 'strong', now: 1 }, { type: 'tick', now: 20 }, { type: 'read', id: 2, key: 'x', level: 'strong', now: 21 }, { type: 'tick', now: 40 }];
 * inputs.flatMap((i) => { const t = distributedStore.step(s, i); s = t.state; return t.outputs.filter((o) => o.type === 'write-ok' || o.type === 'read-ok').map((o) => o.type); }); //=> ['write-ok', 'read-ok']
 * ```
 */
export type StoreInput = RaftReplicaInput | StoreWriteInput | StoreReadInput;

/**
 * The persist record of a store node: Raft's records of one step, in order.
 *
 * @example
 * ```ts
 * import { distributedStore, type StorePersistRecord } from 'distkit/replication';
 * const s = distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * const t = distributedStore.step(s, { type: 'campaign', now: 0 });
 * const persist = t.outputs.find((o) => o.type === 'persist');
 * (persist?.type === 'persist' ? (persist.record as StorePersistRecord).raft.length : 0) > 0; //=> true
 * ```
 */
export interface StorePersistRecord {
  readonly raft: readonly RaftPersistRecord[];
  /** The node's new incarnation number, after a recovery. */
  readonly boot?: number;
}

/**
 * What a store node keeps on disk: Raft's durable state and its incarnation number.
 *
 * @example
 * ```ts
 * import { distributedStore, type StoreDurable } from 'distkit/replication';
 * const config = { raft: { id: 'a', voters: ['a'], seed: 1 } };
 * let s = distributedStore.init(config);
 * s = distributedStore.step(s, { type: 'campaign', now: 0 }).state;
 * // The durable image: Raft's term, vote and log, and a boot counter so request ids never repeat after a restart.
 * const d: StoreDurable = distributedStore.durable(s);
 * [d.raft.term, d.boot, distributedStore.recover(config, d).boot]; //=> [1, 0, 1]
 * ```
 */
export interface StoreDurable {
  readonly raft: RaftDurable;
  readonly boot: number;
}

/**
 * Outputs of a store node: sends, one persist, rejections, Raft role changes and the answers.
 * `write-ok` comes once this node has applied the write (at log `index`); `read-ok` carries the
 * index of the state read (`index`) and, per key, the index of the write read (`versions`);
 * both carry the session's next token.
 *
 * @example
 * ```ts
 * import { distributedStore } from 'distkit/replication';
 * // One replica: it elects itself, then takes requests.
 * let s = distributedStore.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = distributedStore.step(s, { type: 'campaign', now: 0 }).state;
 * import type { StoreOutput } from 'distkit/replication';
 * s = distributedStore.step(s, { type: 'write', id: 1, key: 'x', value: 1, level: 'strong', now: 1 }).state;
 * s = distributedStore.step(s, { type: 'tick', now: 20 }).state;
 * const outputs: readonly StoreOutput[] = distributedStore.step(s, { type: 'read', id: 2, key: 'x', level: 'eventual', now: 21 }).outputs;
 * outputs; //=> [{ type: 'read-ok', id: 2, values: { x: 1 }, versions: { x: 2 }, index: 2, token: { index: 2 }, value: 1 }]
 * ```
 */
export type StoreOutput =
  | SendOutput<unknown>
  | PersistOutput<StorePersistRecord>
  | RejectedOutput
  | RaftRoleOutput
  | { readonly type: 'write-ok'; readonly id: StoreRequestId; readonly key: string; readonly index: number; readonly token: SessionToken }
  | {
      readonly type: 'read-ok';
      readonly id: StoreRequestId;
      /** The value, for a single-key read. */
      readonly value?: unknown;
      readonly values: Readonly<Record<string, unknown>>;
      readonly versions: Readonly<Record<string, number>>;
      readonly index: number;
      readonly token: SessionToken;
    }
  | { readonly type: 'request-failed'; readonly id: StoreRequestId; readonly op: 'read' | 'write'; readonly reason: string };
