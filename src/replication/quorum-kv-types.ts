/**
 * The quorum key-value store's config, state, messages, inputs and outputs, and the checks of
 * its peers' messages.
 *
 * @packageDocumentation
 */
import type { VectorClock } from '../clocks/index.js';
import type { HashRingJSON } from '../hashing/index.js';
import type { MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput, TickInput, Timer } from '../core/index.js';
import { MAX_COUNTER, v } from '../core/index.js';
import type { Dvv } from './dvv.js';

/**
 * Limits on everything a peer or client can make a {@link quorumKv} node store.
 *
 * @example
 * ```ts
 * import { quorumKv, type QuorumKvLimits } from 'distkit/replication';
 * const limits: Partial<QuorumKvLimits> = { maxKeys: 1 };
 * let s = quorumKv.init({ id: 'a', nodes: ['a'], n: 1, r: 1, w: 1, limits });
 * s = quorumKv.step(s, { type: 'put', id: 1, key: 'x', value: 1, now: 0 }).state;
 * // A second key is over the limit: refused by name, nothing stored.
 * quorumKv.step(s, { type: 'put', id: 2, key: 'y', value: 2, now: 1 }).outputs.at(-1); //=> { type: 'request-failed', id: 2, key: 'y', op: 'put', reason: 'key table full (1 keys)' }
 * ```
 */
export interface QuorumKvLimits {
  /** Keys in the local store (default 100,000); a write of a new key beyond it is refused. */
  readonly maxKeys?: number;
  /** Longest key, in UTF-16 code units (default 1024). */
  readonly maxKeyLength?: number;
  /** Largest value, as JSON text length (default 65,536). */
  readonly maxValueBytes?: number;
  /** Siblings (concurrent values) per key (default 64); a write that would exceed it is refused. */
  readonly maxSiblings?: number;
  /** Hints held for unreachable owners (default 10,000). */
  readonly maxHints?: number;
  /** Requests this node coordinates at once, its clients' and forwarded ones (default 1024). */
  readonly maxPending?: number;
  /** Ring members, joins included (default 1024); a join beyond it is refused by name. */
  readonly maxNodes?: number;
  /** Keys per `transfer` message of a joiner's bootstrap (default 256). */
  readonly maxTransferKeys?: number;
}

/**
 * Configuration of a {@link quorumKv} node.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { quorumKv } from 'distkit/replication';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: quorumKv, config: { id, nodes: ids, n: 3, r: 2, w: 2 } }));
 * const answers: unknown[] = [];
 * const onOutput = (e: { output: unknown }) => { const o = e.output as { type: string }; if (o.type.endsWith('-ok') || o.type.endsWith('-failed')) answers.push(o); };
 * // Two clients write the cart concurrently (empty contexts) at different nodes, then one reads.
 * simulate({ seed: 1, nodes, onOutput, maxTimeMs: 500, commands: [
 *   { at: 0, node: 'a', input: { type: 'put', id: 1, key: 'cart', value: ['milk'], context: {} } },
 *   { at: 0, node: 'b', input: { type: 'put', id: 2, key: 'cart', value: ['eggs'], context: {} } },
 *   { at: 100, node: 'c', input: { type: 'get', id: 3, key: 'cart' } },
 * ] });
 * // N = 3, R = W = 2: both writes are acknowledged, and the read returns both as siblings.
 * answers; //=> [{ type: 'put-ok', id: 2, key: 'cart', context: { b: 1 } }, { type: 'put-ok', id: 1, key: 'cart', context: { a: 1 } }, { type: 'get-ok', id: 3, key: 'cart', values: [['milk'], ['eggs']], context: { a: 1, b: 1 } }]
 * ```
 */
export interface QuorumKvConfig {
  /** This node's id. */
  readonly id: NodeId;
  /** Every node of the ring, this one included. */
  readonly nodes: readonly NodeId[];
  /** Replicas per key (default 3, at most the number of nodes): the preference list's length. */
  readonly n?: number;
  /** Replies a read waits for (default 2); a `get` may ask for another. */
  readonly r?: number;
  /** Acknowledgements a write waits for (default 2); a `put` may ask for another. */
  readonly w?: number;
  /** Virtual nodes per node on the hash ring (default 64). */
  readonly vnodes?: number;
  /** How long a coordinator waits for R or W replies before failing the request (default 1000). */
  readonly requestTimeoutMs?: number;
  /** How long a hint is kept for an unreachable owner before it is dropped (default 60,000). */
  readonly hintWindowMs?: number;
  /** How often hints are offered to owners believed up (default 500). */
  readonly handoffIntervalMs?: number;
  /**
   * Resolve siblings by last-writer-wins (the coordinator's timestamp, then its id): every merge
   * keeps one value and counts the others in `stats.lwwDiscarded`. Default `false`: keep siblings.
   */
  readonly lastWriterWins?: boolean;
  /**
   * Merkle-tree anti-entropy (Dynamo §4.7): every this many ms, compare the keys shared with the
   * next peer by exchanging hashes down a tree, and send the keys of the buckets that differ.
   * Default: off.
   */
  readonly antiEntropyIntervalMs?: number;
  /** Depth of the anti-entropy trees (default 6: 64 buckets per peer). */
  readonly merkleDepth?: number;
  /**
   * Treat SWIM's `member` event `alive` for a node outside the ring as a join (Dynamo §4.8–4.9):
   * the node is added to the ring here and told about to the others. Default `false`: a SWIM
   * group may hold members that are not storage nodes (clients, other services), and they are
   * ignored. The `join` command and membership gossip from ring members add nodes either way.
   */
  readonly acceptJoins?: boolean;
  /**
   * This node is joining a running ring: `nodes` is that ring with this node added. It answers no
   * reads until every other member has sent it the keys it now replicates (its bootstrap), so a
   * read never counts its empty replica. Persisted: a restart after the bootstrap does not repeat
   * it. Default `false`.
   */
  readonly joining?: boolean;
  /**
   * After a membership change, how often this node offers its member list to a peer that has not
   * yet confirmed the same list, and a joiner asks for the keys it is still missing (Dynamo §4.8.1
   * reconciles membership by gossip every second). Default 1000.
   */
  readonly membershipIntervalMs?: number;
  /** Table limits. */
  readonly limits?: QuorumKvLimits;
}

/**
 * One stored version: the value, and the coordinator's clock and id at the write (used only for
 * last-writer-wins).
 *
 * @example
 * ```ts
 * import { quorumKv } from 'distkit/replication';
 * let s = quorumKv.init({ id: 'a', nodes: ['a'], n: 1, r: 1, w: 1 });
 * s = quorumKv.step(s, { type: 'put', id: 1, key: 'cart', value: 'cart:[milk]', now: 120 }).state;
 * // Each stored version carries the value, the coordinator's clock reading and its id (for LWW, if asked for).
 * s.store['cart']?.entries.flatMap((e) => e.values); //=> [{ value: 'cart:[milk]', ts: 120, node: 'a' }]
 * ```
 */
export interface QuorumKvVersion {
  readonly value: unknown;
  readonly ts: number;
  readonly node: NodeId;
}

/**
 * A key's clock: a DVV-set of versions.
 *
 * @example
 * ```ts
 * import { DVV_EMPTY, quorumKv, type QuorumKvClock } from 'distkit/replication';
 * let s = quorumKv.init({ id: 'a', nodes: ['a'], n: 1, r: 1, w: 1 });
 * const before: QuorumKvClock = s.store['cart'] ?? DVV_EMPTY;
 * s = quorumKv.step(s, { type: 'put', id: 1, key: 'cart', value: ['milk'], now: 0 }).state;
 * // A key's clock is a dotted version vector set (Almeida et al.): per node, a counter and the values of its dots.
 * [before.entries.length, s.store['cart']?.entries.map((e) => [e.id, e.counter, e.values.length])]; //=> [0, [['a', 1, 1]]]
 * ```
 */
export type QuorumKvClock = Dvv<QuorumKvVersion>;

/**
 * A write held for an owner believed down (Dynamo §4.6, hinted handoff).
 *
 * @example
 * ```ts
 * import { DVV_EMPTY, type QuorumKvHint } from 'distkit/replication';
 * const h: QuorumKvHint = { key: 'k', owner: 'c', clock: DVV_EMPTY, since: 0, version: 1 };
 * ```
 */
export interface QuorumKvHint {
  readonly key: string;
  /** The node of the preference list the write was meant for. */
  readonly owner: NodeId;
  readonly clock: QuorumKvClock;
  /** When the hint was first stored (ms); it is dropped `hintWindowMs` later. */
  readonly since: number;
  /** Raised on every merge, so a handoff acknowledgement removes only what it carried. */
  readonly version: number;
}

/**
 * Who a coordinated request answers: a local client (`node` absent) or the node that forwarded it.
 *
 * @example
 * ```ts
 * import type { QuorumKvOrigin } from 'distkit/replication';
 * const local: QuorumKvOrigin = { id: 7 };
 * const forwarded: QuorumKvOrigin = { node: 'b', id: 3 };
 * ```
 */
export interface QuorumKvOrigin {
  readonly node?: NodeId;
  readonly id: number;
}

/**
 * A replica a request goes to, with the owner it stands in for when it is not in the top N.
 *
 * @example
 * ```ts
 * import type { QuorumKvTarget } from 'distkit/replication';
 * const t: QuorumKvTarget = { node: 'd', hint: 'c' };
 * ```
 */
export interface QuorumKvTarget {
  readonly node: NodeId;
  readonly hint?: NodeId;
}

/**
 * A request this node coordinates.
 *
 * @example
 * ```ts
 * import type { QuorumKvPending } from 'distkit/replication';
 * const p: QuorumKvPending = { kind: 'forward', seq: 1, origin: { id: 4 }, key: 'k', to: 'b', deadline: 1000 };
 * ```
 */
export type QuorumKvPending =
  | {
      readonly kind: 'get';
      readonly seq: number;
      readonly origin: QuorumKvOrigin;
      readonly key: string;
      readonly r: number;
      readonly targets: readonly QuorumKvTarget[];
      readonly replies: readonly { readonly node: NodeId; readonly clock: QuorumKvClock }[];
      /** The client has its answer; the request stays open for read repair. */
      readonly done: boolean;
      readonly deadline: number;
    }
  | {
      readonly kind: 'put';
      readonly seq: number;
      readonly origin: QuorumKvOrigin;
      readonly key: string;
      readonly w: number;
      readonly targets: readonly QuorumKvTarget[];
      readonly acks: readonly NodeId[];
      readonly context: VectorClock;
      readonly done: boolean;
      readonly deadline: number;
    }
  | {
      readonly kind: 'forward';
      readonly seq: number;
      readonly origin: QuorumKvOrigin;
      readonly key: string;
      readonly to: NodeId;
      readonly deadline: number;
    };

/**
 * Counters a node keeps: what the store did that an operator should see.
 *
 * @example
 * ```ts
 * import { quorumKv } from 'distkit/replication';
 * quorumKv.init({ id: 'a', nodes: ['a'], n: 1, r: 1, w: 1 }).stats.lwwDiscarded; //=> 0
 * ```
 */
export interface QuorumKvStats {
  /** Siblings discarded by last-writer-wins at this node (one write may be counted at several nodes). */
  readonly lwwDiscarded: number;
  /** Hints dropped because their window passed before the owner came back. */
  readonly hintsDropped: number;
  /** Hints the owner acknowledged. */
  readonly hintsDelivered: number;
  /** Read-repair writes sent to stale replicas. */
  readonly readRepairs: number;
  /** Keys sent to a peer because an anti-entropy exchange found their bucket different. */
  readonly antiEntropyKeys: number;
}

/**
 * State of a {@link quorumKv} node (plain data).
 *
 * @example
 * ```ts
 * import { quorumKv } from 'distkit/replication';
 * const s = quorumKv.init({ id: 'a', nodes: ['a', 'b', 'c'] });
 * [s.n, s.r, s.w]; //=> [3, 2, 2]
 * ```
 */
export interface QuorumKvState {
  readonly id: NodeId;
  /** Ring members, sorted. */
  readonly nodes: readonly NodeId[];
  /** The consistent-hash ring the preference lists come from. */
  readonly ring: HashRingJSON;
  readonly n: number;
  readonly r: number;
  readonly w: number;
  readonly requestTimeoutMs: number;
  readonly hintWindowMs: number;
  readonly handoffIntervalMs: number;
  readonly lastWriterWins: boolean;
  readonly limits: Required<QuorumKvLimits>;
  /** Nodes believed down (from a failure detector or membership events). */
  readonly down: readonly NodeId[];
  /** Keys this node stores as a replica. */
  readonly store: Readonly<Record<string, QuorumKvClock>>;
  readonly keyCount: number;
  /** Writes held for owners believed down. */
  readonly hints: readonly QuorumKvHint[];
  readonly pending: readonly QuorumKvPending[];
  /** The last request sequence number used. */
  readonly seq: number;
  /** When hints are next offered to their owners. */
  readonly handoff: Timer;
  /** Anti-entropy period (ms), or `null` when off. */
  readonly antiEntropyIntervalMs: number | null;
  readonly merkleDepth: number;
  /** When the next anti-entropy exchange starts. */
  readonly antiEntropy: Timer;
  /** Rounds started so far (picks the next peer). */
  readonly antiEntropyRounds: number;
  /** Accept SWIM `alive` for a node outside the ring as a join. */
  readonly acceptJoins: boolean;
  readonly membershipIntervalMs: number;
  /**
   * Peers not yet known to hold the same member list as this node: after a membership change,
   * every other member; gossip goes to them until each has answered with the same list.
   */
  readonly gossipTo: readonly NodeId[];
  /** Gossip rounds so far (picks the next peer). */
  readonly membershipRounds: number;
  /**
   * A joiner's bootstrap: per other member, the last key received from it and whether it has sent
   * them all; `null` once every member has (or for a node that did not join).
   */
  readonly bootstrap: readonly QuorumKvBootstrap[] | null;
  /** When membership gossip and bootstrap requests are next sent. */
  readonly membership: Timer;
  readonly stats: QuorumKvStats;
}

/**
 * A joiner's progress in receiving one member's keys: keys come in key order, in batches.
 *
 * @example
 * ```ts
 * import { quorumKv } from 'distkit/replication';
 * const s = quorumKv.init({ id: 'd', nodes: ['a', 'b', 'c', 'd'], joining: true });
 * // A fresh joiner has received nothing from anybody yet.
 * s.bootstrap; //=> [{ node: 'a', after: null, done: false }, { node: 'b', after: null, done: false }, { node: 'c', after: null, done: false }]
 * ```
 */
export interface QuorumKvBootstrap {
  readonly node: NodeId;
  /** The last key received from `node` (the next batch starts after it), or `null` for none yet. */
  readonly after: string | null;
  /** `node` has sent every key it holds that this node replicates. */
  readonly done: boolean;
}

/**
 * A message between {@link quorumKv} nodes.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { quorumKv } from 'distkit/replication';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: quorumKv, config: { id, nodes: ids, n: 3, r: 2, w: 2 } }));
 * const answers: unknown[] = [];
 * const onOutput = (e: { output: unknown }) => { const o = e.output as { type: string }; if (o.type.endsWith('-ok') || o.type.endsWith('-failed')) answers.push(o); };
 * const r = simulate({ seed: 1, nodes, onOutput, maxTimeMs: 500, commands: [{ at: 0, node: 'a', input: { type: 'put', id: 1, key: 'cart', value: ['milk'] } }, { at: 50, node: 'b', input: { type: 'get', id: 2, key: 'cart' } }] });
 * Object.keys(r.stats.byType).sort(); //=> ['read', 'read-reply', 'write', 'write-ack']
 * ```
 */
export type QuorumKvMessage =
  | { readonly type: 'read'; readonly seq: number; readonly key: string }
  | { readonly type: 'read-reply'; readonly seq: number; readonly key: string; readonly clock: QuorumKvClock }
  | { readonly type: 'write'; readonly seq: number; readonly key: string; readonly clock: QuorumKvClock; readonly hint?: NodeId; readonly repair?: boolean }
  | { readonly type: 'write-ack'; readonly seq: number; readonly key: string }
  | { readonly type: 'forward'; readonly seq: number; readonly key: string; readonly value: unknown; readonly context: VectorClock; readonly w: number; readonly n: number }
  | { readonly type: 'forward-reply'; readonly seq: number; readonly ok: boolean; readonly context?: VectorClock; readonly reason?: string }
  | { readonly type: 'handoff'; readonly key: string; readonly clock: QuorumKvClock; readonly version: number }
  | { readonly type: 'handoff-ack'; readonly key: string; readonly version: number }
  | { readonly type: 'tree'; readonly indices: readonly number[]; readonly hashes: readonly number[]; readonly reply: boolean }
  | { readonly type: 'members'; readonly nodes: readonly NodeId[]; readonly reply: boolean }
  | { readonly type: 'bootstrap'; readonly after: string | null }
  | { readonly type: 'transfer'; readonly after: string | null; readonly entries: readonly { readonly key: string; readonly clock: QuorumKvClock }[]; readonly last: boolean };

/**
 * A local command: read or write a key, news of a node's liveness, or a join. `member` takes
 * SWIM's membership events (`distkit/election`) as they are: `dead` marks the node down, `alive`
 * up, `suspect` changes nothing; a member outside the ring is ignored, unless `acceptJoins` is set
 * and it is `alive`: then it joins. `join` adds a node to the ring (Dynamo §4.8's explicit join);
 * a bad id or a full ring is refused with a `rejected` output (`from: 'local'`) naming why.
 *
 * @example
 * ```ts
 * import { simulate } from 'distkit/sim';
 * import { quorumKv } from 'distkit/replication';
 * const ids = ['a', 'b', 'c'];
 * const nodes = ids.map((id) => ({ id, machine: quorumKv, config: { id, nodes: ids, n: 3, r: 2, w: 2 } }));
 * const answers: unknown[] = [];
 * const onOutput = (e: { output: unknown }) => { const o = e.output as { type: string }; if (o.type.endsWith('-ok') || o.type.endsWith('-failed')) answers.push(o); };
 * // A read returns a context; a put with it supersedes what was read.
 * simulate({ seed: 1, nodes, onOutput, maxTimeMs: 500, commands: [
 *   { at: 0, node: 'a', input: { type: 'put', id: 1, key: 'cart', value: ['milk'], context: {} } },
 *   { at: 0, node: 'b', input: { type: 'put', id: 2, key: 'cart', value: ['eggs'], context: {} } },
 * ] });
 * answers.length = 0;
 * simulate({ seed: 1, nodes, onOutput, maxTimeMs: 800, commands: [
 *   { at: 0, node: 'a', input: { type: 'put', id: 1, key: 'cart', value: ['milk'], context: {} } },
 *   { at: 0, node: 'b', input: { type: 'put', id: 2, key: 'cart', value: ['eggs'], context: {} } },
 *   { at: 300, node: 'c', input: { type: 'put', id: 3, key: 'cart', value: ['milk', 'eggs'], context: { a: 1, b: 1 } } },
 *   { at: 600, node: 'a', input: { type: 'get', id: 4, key: 'cart' } },
 * ] });
 * answers.at(-1); //=> { type: 'get-ok', id: 4, key: 'cart', values: [['milk', 'eggs']], context: { a: 1, b: 1, c: 1 } }
 * ```
 */
export type QuorumKvCommand =
  | { readonly type: 'get'; readonly id: number; readonly key: string; readonly r?: number; readonly n?: number; readonly now: number }
  | { readonly type: 'put'; readonly id: number; readonly key: string; readonly value: unknown; readonly context?: VectorClock; readonly w?: number; readonly n?: number; readonly now: number }
  | { readonly type: 'down'; readonly node: NodeId; readonly now: number }
  | { readonly type: 'up'; readonly node: NodeId; readonly now: number }
  | { readonly type: 'member'; readonly node: NodeId; readonly status: 'alive' | 'suspect' | 'dead'; readonly now: number }
  | { readonly type: 'join'; readonly node: NodeId; readonly now: number };

/**
 * Inputs of {@link quorumKv}.
 *
 * @example
 * ```ts
 * import type { QuorumKvInput } from 'distkit/replication';
 * const i: QuorumKvInput = { type: 'tick', now: 500 };
 * ```
 */
export type QuorumKvInput = QuorumKvCommand | MessageInput | TickInput;

/**
 * Outputs of {@link quorumKv}: sends, persist records, rejections, and the answers to clients —
 * `get-ok` with every sibling and the context to write back, `put-ok`, `request-failed` — plus
 * `lww-discarded` when last-writer-wins drops siblings, `hint-dropped` when a hint expires,
 * `joined` when a node joins this node's ring, and `bootstrapped` when a joiner has received its
 * keys from every member and starts answering reads.
 *
 * @example
 * ```ts
 * import type { QuorumKvOutput } from 'distkit/replication';
 * const o: QuorumKvOutput = { type: 'get-ok', id: 1, key: 'cart', values: [['milk'], ['eggs']], context: { a: 2 } };
 * ```
 */
export type QuorumKvOutput =
  | SendOutput<QuorumKvMessage>
  | PersistOutput<QuorumKvRecord>
  | RejectedOutput
  | { readonly type: 'get-ok'; readonly id: number; readonly key: string; readonly values: readonly unknown[]; readonly context: VectorClock }
  | { readonly type: 'put-ok'; readonly id: number; readonly key: string; readonly context: VectorClock }
  | { readonly type: 'request-failed'; readonly id: number; readonly key: string; readonly op: 'get' | 'put'; readonly reason: string }
  | { readonly type: 'lww-discarded'; readonly key: string; readonly count: number }
  | { readonly type: 'hint-dropped'; readonly key: string; readonly owner: NodeId }
  | { readonly type: 'joined'; readonly node: NodeId; readonly nodes: readonly NodeId[] }
  | { readonly type: 'bootstrapped'; readonly keys: number };

/**
 * A persist record: one key's new clock, the whole (bounded) hint table, the ring's members, or
 * several of these from one transition, in order.
 *
 * @example
 * ```ts
 * import { DVV_EMPTY, type QuorumKvRecord } from 'distkit/replication';
 * const r: QuorumKvRecord = { type: 'store', key: 'k', clock: DVV_EMPTY };
 * ```
 */
export type QuorumKvRecord =
  | { readonly type: 'store'; readonly key: string; readonly clock: QuorumKvClock }
  | { readonly type: 'hints'; readonly hints: readonly QuorumKvHint[] }
  | { readonly type: 'members'; readonly members: QuorumKvMembers }
  | { readonly type: 'batch'; readonly records: readonly QuorumKvRecord[] };

/**
 * What a node keeps on disk of the ring: its members (joins included) and whether its own
 * bootstrap is over.
 *
 * @example
 * ```ts
 * import type { QuorumKvMembers } from 'distkit/replication';
 * const m: QuorumKvMembers = { nodes: ['a', 'b', 'c', 'd'], bootstrapped: true };
 * ```
 */
export interface QuorumKvMembers {
  readonly nodes: readonly NodeId[];
  readonly bootstrapped: boolean;
}

/**
 * What a {@link quorumKv} node keeps on stable storage: its replicas and its hints. A coordinator
 * names new versions after itself with the next counter of its stored clock, so the store must
 * survive a crash for those counters never to repeat.
 *
 * @example
 * ```ts
 * import type { QuorumKvDurable } from 'distkit/replication';
 * const d: QuorumKvDurable = { store: {}, hints: [] };
 * ```
 */
export interface QuorumKvDurable {
  readonly store: Readonly<Record<string, QuorumKvClock>>;
  readonly hints: readonly QuorumKvHint[];
  /** The ring as last changed by joins, absent while it is the configured one. */
  readonly members?: QuorumKvMembers;
}

const seq = v.int({ min: 0, max: MAX_COUNTER });
const key = v.string({ maxLength: 1 << 16 });
const clock = v.json({ maxDepth: 64, maxBytes: 1 << 24 });
const context = v.json({ maxDepth: 2, maxBytes: 1 << 16 });

/** The envelope of every message; clocks and contexts are checked further against the state. */
export const quorumKvMessageCheck = v.tagged({
  read: v.object({ type: v.literal('read'), seq, key }),
  'read-reply': v.object({ type: v.literal('read-reply'), seq, key, clock }),
  write: v.object({ type: v.literal('write'), seq, key, clock, hint: v.optional(v.id()), repair: v.optional(v.boolean()) }),
  'write-ack': v.object({ type: v.literal('write-ack'), seq, key }),
  forward: v.object({ type: v.literal('forward'), seq, key, value: v.json(), context, w: v.int({ min: 1, max: 1 << 16 }), n: v.int({ min: 1, max: 1 << 16 }) }),
  'forward-reply': v.object({ type: v.literal('forward-reply'), seq, ok: v.boolean(), context: v.optional(context), reason: v.optional(v.string({ maxLength: 200 })) }),
  handoff: v.object({ type: v.literal('handoff'), key, clock, version: seq }),
  'handoff-ack': v.object({ type: v.literal('handoff-ack'), key, version: seq }),
  tree: v.object({
    type: v.literal('tree'),
    indices: v.array(v.int({ min: 1, max: 1 << 17 }), { maxLength: 1 << 17 }),
    hashes: v.array(v.int({ min: 0, max: 0xffffffff }), { maxLength: 1 << 17 }),
    reply: v.boolean(),
  }),
  members: v.object({ type: v.literal('members'), nodes: v.array(v.id(), { maxLength: 1 << 16 }), reply: v.boolean() }),
  bootstrap: v.object({ type: v.literal('bootstrap'), after: v.nullable(key) }),
  transfer: v.object({
    type: v.literal('transfer'),
    after: v.nullable(key),
    entries: v.array(v.object({ key, clock }), { maxLength: 1 << 12 }),
    last: v.boolean(),
  }),
});
