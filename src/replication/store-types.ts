/**
 * The data of the consistency-level store: levels, session tokens, config, state, messages,
 * inputs and outputs. Everything is plain JSON data.
 *
 * @packageDocumentation
 */
import type { MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput, TickInput } from '../core/index.js';
import { v } from '../core/index.js';
import type { RaftCampaignInput, RaftConfig, RaftDurable, RaftPersistRecord, RaftRoleOutput, RaftState, RaftTransferInput } from '../consensus/index.js';

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
 * import { ConsistencyLevel } from 'distkit/replication';
 * const level: ConsistencyLevel = ConsistencyLevel.SESSION;
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
 * import type { SessionToken } from 'distkit/replication';
 * const token: SessionToken = { index: 12 };
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
 * import type { StalenessBound } from 'distkit/replication';
 * const b: StalenessBound = { versions: 10, ms: 500 };
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
 * import type { StoreConfig } from 'distkit/replication';
 * const c: StoreConfig = { raft: { id: 'a', voters: ['a', 'b', 'c'], seed: 1 }, applyDelayMs: 20 };
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
 * import type { StoreVersion } from 'distkit/replication';
 * const x: StoreVersion = { value: 'v1', index: 4 };
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
 * import type { StoreEntry } from 'distkit/replication';
 * const e: StoreEntry = { o: 'a', b: 0, r: 1, k: 'x', v: 1, d: 0 };
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
 * import type { StorePending } from 'distkit/replication';
 * const p: StorePending = { kind: 'write', id: 1, rid: 0, key: 'x', value: 1, deps: 0, deadline: 1000, sentAt: 0 };
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
 * import type { StoreMessage } from 'distkit/replication';
 * const m: StoreMessage = { type: 'store-fence', nonce: 3 };
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
 * import type { StoreWriteInput } from 'distkit/replication';
 * const i: StoreWriteInput = { type: 'write', id: 1, key: 'x', value: 1, level: 'session', now: 0 };
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
 * import type { StoreReadInput } from 'distkit/replication';
 * const i: StoreReadInput = { type: 'read', id: 2, key: 'x', level: 'bounded-staleness', bound: { ms: 200 }, now: 5 };
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
 * import type { StoreInput } from 'distkit/replication';
 * const i: StoreInput = { type: 'tick', now: 10 };
 * ```
 */
export type StoreInput = MessageInput<unknown> | TickInput | StoreWriteInput | StoreReadInput | RaftCampaignInput | RaftTransferInput;

/**
 * The persist record of a store node: Raft's records of one step, in order.
 *
 * @example
 * ```ts
 * import type { StorePersistRecord } from 'distkit/replication';
 * const r: StorePersistRecord = { raft: [{ term: 1, vote: 'a' }] };
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
 * import type { StoreDurable } from 'distkit/replication';
 * const d: StoreDurable = { raft: { term: 0, vote: null, snapshot: { index: 0, term: 0, membership: { voters: ['a'], learners: [] }, data: null }, entries: [] }, boot: 0 };
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
 * import type { StoreOutput } from 'distkit/replication';
 * const o: StoreOutput = { type: 'read-ok', id: 2, value: 1, values: { x: 1 }, versions: { x: 3 }, index: 7, token: { index: 7 } };
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
