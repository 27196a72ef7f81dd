/**
 * Types, limits and message checks of the COPS causal+ replica ({@link copsReplica}).
 *
 * @packageDocumentation
 */
import type { LamportTimestamp } from '../clocks/index.js';
import type { NodeId, PersistOutput, RejectedOutput, SendOutput, Timer } from '../core/index.js';
import { v } from '../core/index.js';

/**
 * A version of a key (COPS §4: a Lamport timestamp with the writing replica's id as tie-break):
 * versions of one key are totally ordered, and a write's version is greater than the versions of
 * every write it depends on.
 *
 * @example
 * ```ts
 * import { CausalStore } from 'distkit/replication';
 * const store = new CausalStore({ replicas: ['east', 'west'], latencyMs: 100 });
 * const alice = store.session('east');
 * const bob = store.session('west');
 * import type { CopsVersion } from 'distkit/replication';
 * // A version is a Lamport timestamp with the writing replica as tie-break (COPS §4).
 * const first: CopsVersion = alice.put('x', 1);
 * const second: CopsVersion = alice.put('x', 2);
 * [first, second]; //=> [{ time: 1, node: 'east' }, { time: 2, node: 'east' }]
 * ```
 */
export type CopsVersion = LamportTimestamp;

/**
 * One dependency of a write (COPS §4.1, a "nearest dependency"): the write depends on `version` of
 * `key` being visible.
 *
 * @example
 * ```ts
 * import { CausalStore } from 'distkit/replication';
 * const store = new CausalStore({ replicas: ['east', 'west'], latencyMs: 100 });
 * const alice = store.session('east');
 * const bob = store.session('west');
 * import type { CopsDependency } from 'distkit/replication';
 * // Alice uploads a photo, then adds it to an album: the album write depends on the photo, and
 * // the context collapses to the album write, which carries that dependency (COPS §4.2).
 * alice.put('photo', 'beach.jpg');
 * alice.put('album', ['photo']);
 * const deps: readonly CopsDependency[] = alice.context;
 * deps; //=> [{ key: 'album', version: { time: 2, node: 'east' } }]
 * ```
 */
export interface CopsDependency {
  readonly key: string;
  readonly version: CopsVersion;
}

/**
 * A client's causal context (COPS §4.1): the nearest dependencies of its next write. The client
 * library functions ({@link copsAfterGet}, {@link copsAfterPut}) keep it.
 *
 * @example
 * ```ts
 * import { CausalStore } from 'distkit/replication';
 * const store = new CausalStore({ replicas: ['east', 'west'], latencyMs: 100 });
 * const alice = store.session('east');
 * const bob = store.session('west');
 * import type { CopsContext } from 'distkit/replication';
 * alice.put('x', 1);
 * store.settle();
 * // A read adds what it saw to the reader's context; bob's next write will depend on it.
 * bob.get('x');
 * const ctx: CopsContext = bob.context;
 * ctx; //=> [{ key: 'x', version: { time: 1, node: 'east' } }]
 * ```
 */
export type CopsContext = readonly CopsDependency[];

/**
 * Bounds of a {@link copsReplica}: every table a peer or client can grow has one.
 *
 * @example
 * ```ts
 * import { copsReplica, type CopsLimits } from 'distkit/replication';
 * const limits: Partial<CopsLimits> = { maxKeys: 1 };
 * let s = copsReplica.init({ id: 'east', replicas: ['east', 'west'], limits });
 * s = copsReplica.step(s, { type: 'put', id: 1, key: 'x', value: 1, deps: [], now: 0 }).state;
 * // Every table has a named limit: a second key is refused.
 * copsReplica.step(s, { type: 'put', id: 2, key: 'y', value: 2, deps: [], now: 1 }).outputs.filter((o) => o.type === 'put-failed'); //=> [{ type: 'put-failed', id: 2, key: 'y', reason: 'the store holds 1 keys (limits.maxKeys)' }]
 * ```
 */
export interface CopsLimits {
  /** Keys in the store. A local put of a new key beyond it fails; a replicated one waits. Default 100,000. */
  readonly maxKeys: number;
  /** Longest key, in characters. Default 1024. */
  readonly maxKeyLength: number;
  /** Largest value, in bytes of JSON. Default 65,536. */
  readonly maxValueBytes: number;
  /** Dependencies of one write. Default 64 (a context is compacted to fit, see {@link copsAfterGet}). */
  readonly maxDeps: number;
  /** Replicated writes received but waiting for their dependencies (COPS §4.3). Default 1024. */
  readonly maxPending: number;
  /** Local writes not yet acknowledged by every other replica. A local put beyond it fails. Default 10,000. */
  readonly maxOutbox: number;
  /** Writes per replication message. Default 64. */
  readonly maxBatch: number;
}

/**
 * The default {@link CopsLimits}.
 *
 * @example
 * ```ts
 * import { COPS_LIMITS } from 'distkit/replication';
 * COPS_LIMITS.maxPending; //=> 1024
 * ```
 */
export const COPS_LIMITS: CopsLimits = Object.freeze({
  maxKeys: 100_000,
  maxKeyLength: 1024,
  maxValueBytes: 65_536,
  maxDeps: 64,
  maxPending: 1024,
  maxOutbox: 10_000,
  maxBatch: 64,
});

/**
 * Configuration of a {@link copsReplica}: its id, the other replicas (COPS "clusters", one per
 * datacenter) and the replication period.
 *
 * @example
 * ```ts
 * import { copsReplica, type CopsConfig } from 'distkit/replication';
 * const config: CopsConfig = { id: 'east', replicas: ['east', 'west'], replicateIntervalMs: 50 };
 * const t = copsReplica.step(copsReplica.init(config), { type: 'put', id: 1, key: 'x', value: 1, deps: [], now: 0 });
 * // A local put is answered at once and replicated in the background every replicateIntervalMs.
 * [t.outputs.map((o) => o.type), copsReplica.nextDeadline?.(t.state)]; //=> [['persist', 'send', 'put-ok'], 50]
 * ```
 */
export interface CopsConfig {
  readonly id: NodeId;
  /** Every replica, this one included. */
  readonly replicas: readonly NodeId[];
  /** How often unacknowledged local writes are sent again, ms. Default 50. */
  readonly replicateIntervalMs?: number;
  readonly limits?: Partial<CopsLimits>;
}

/**
 * A write as replicas exchange it: its origin's sequence number (per origin, from 1), the key,
 * value, version and nearest dependencies.
 *
 * @example
 * ```ts
 * import { copsReplica } from 'distkit/replication';
 * const t = copsReplica.step(copsReplica.init({ id: 'east', replicas: ['east', 'west'] }), { type: 'put', id: 1, key: 'x', value: 1, deps: [], now: 0 });
 * // The write as shipped to the other replicas: origin sequence number, key, value, version, dependencies.
 * t.outputs.filter((o) => o.type === 'send'); //=> [{ type: 'send', to: 'west', message: { type: 'cops-replicate', writes: [{ seq: 1, key: 'x', value: 1, version: { time: 1, node: 'east' }, deps: [] }] } }]
 * ```
 */
export interface CopsWrite {
  readonly seq: number;
  readonly key: string;
  readonly value: unknown;
  readonly version: CopsVersion;
  readonly deps: readonly CopsDependency[];
}

/**
 * A visible value in a replica's store: the value, its version and the nearest dependencies it
 * was written with (kept so that invariants and COPS-GT reads can inspect them).
 *
 * @example
 * ```ts
 * import { CausalStore } from 'distkit/replication';
 * const store = new CausalStore({ replicas: ['east', 'west'], latencyMs: 100 });
 * const alice = store.session('east');
 * const bob = store.session('west');
 * alice.put('x', 1);
 * // The stored entry keeps the version and the dependencies it was written with.
 * store.state('east')?.store['x']; //=> { value: 1, version: { time: 1, node: 'east' }, deps: [] }
 * ```
 */
export interface CopsEntry {
  readonly value: unknown;
  readonly version: CopsVersion;
  readonly deps: readonly CopsDependency[];
}

/**
 * Counters a {@link copsReplica} keeps.
 *
 * @example
 * ```ts
 * import { copsReplica } from 'distkit/replication';
 * copsReplica.init({ id: 'a', replicas: ['a', 'b'] }).stats; //=> { applied: 0, waited: 0, overwritten: 0 }
 * ```
 */
export interface CopsStats {
  /** Replicated writes applied. */
  readonly applied: number;
  /** Replicated writes that arrived before one of their dependencies and had to wait (COPS §4.3). */
  readonly waited: number;
  /** Writes that lost to a higher version of their key (last-writer-wins, COPS §5). */
  readonly overwritten: number;
}

/**
 * State of a {@link copsReplica}.
 *
 * @example
 * ```ts
 * import { copsReplica } from 'distkit/replication';
 * copsReplica.init({ id: 'a', replicas: ['b', 'a'] }).peers; //=> ['b']
 * ```
 */
export interface CopsState {
  readonly id: NodeId;
  /** The other replicas, sorted. */
  readonly peers: readonly NodeId[];
  readonly replicateIntervalMs: number;
  readonly limits: CopsLimits;
  /** The Lamport clock: the highest time issued or seen. */
  readonly clock: number;
  /** The time of the last version this replica issued (never issued again, even after a crash). */
  readonly issued: number;
  /** Local writes issued (the sequence number of the last one). */
  readonly seq: number;
  /** key → the visible value (the highest version applied). */
  readonly store: Readonly<Record<string, CopsEntry>>;
  readonly keyCount: number;
  /** origin → its last write applied here (origins' writes apply in their order). */
  readonly applied: Readonly<Record<NodeId, { readonly seq: number; readonly time: number }>>;
  /** origin → the last sequence number accepted from it (applied, or waiting in `pending`). */
  readonly received: Readonly<Record<NodeId, number>>;
  /** Replicated writes waiting for their dependencies, in arrival order. */
  readonly pending: readonly CopsWrite[];
  /** Local writes some peer has not acknowledged, by sequence number. */
  readonly outbox: readonly CopsWrite[];
  /** peer → the last local sequence number it acknowledged. */
  readonly acked: Readonly<Record<NodeId, number>>;
  readonly timer: Timer;
  readonly stats: CopsStats;
}

/**
 * What a {@link copsReplica} keeps on stable storage: what it issued (so that no version is issued
 * twice), its store, what it applied, and the local writes not yet at every peer.
 *
 * @example
 * ```ts
 * import { copsReplica } from 'distkit/replication';
 * copsReplica.durable(copsReplica.init({ id: 'a', replicas: ['a', 'b'] })); //=> { issued: 0, seq: 0, store: {}, applied: {}, outbox: [] }
 * ```
 */
export interface CopsDurable {
  readonly issued: number;
  readonly seq: number;
  readonly store: Readonly<Record<string, CopsEntry>>;
  readonly applied: Readonly<Record<NodeId, { readonly seq: number; readonly time: number }>>;
  readonly outbox: readonly CopsWrite[];
}

/**
 * One change to a {@link copsReplica}'s stable storage: a local write, a replicated write applied,
 * or the outbox trimmed up to a sequence number every peer acknowledged.
 *
 * @example
 * ```ts
 * import { copsReplica } from 'distkit/replication';
 * const t = copsReplica.step(copsReplica.init({ id: 'east', replicas: ['east', 'west'] }), { type: 'put', id: 1, key: 'x', value: 1, deps: [], now: 0 });
 * // Each step persists its changes (before its sends), so a restart never reissues a version.
 * const persist = t.outputs.find((o) => o.type === 'persist');
 * persist?.type === 'persist' ? persist.record.changes.map((c) => c.type) : []; //=> ['local']
 * ```
 */
export type CopsChange =
  | { readonly type: 'local'; readonly write: CopsWrite }
  | { readonly type: 'apply'; readonly write: CopsWrite }
  | { readonly type: 'trim'; readonly upTo: number };

/**
 * The `persist` record of one {@link copsReplica} transition: its changes, in order.
 *
 * @example
 * ```ts
 * import { copsReplica, type CopsPersistRecord } from 'distkit/replication';
 * const config = { id: 'east', replicas: ['east', 'west'] };
 * const t = copsReplica.step(copsReplica.init(config), { type: 'put', id: 1, key: 'x', value: 1, deps: [], now: 0 });
 * const persist = t.outputs.find((o) => o.type === 'persist');
 * const record: CopsPersistRecord | undefined = persist?.type === 'persist' ? persist.record : undefined;
 * // Folding the records into the durable image restores the store after a crash.
 * copsReplica.recover(config, copsReplica.durable(t.state)).store['x']?.value; //=> 1
 * record !== undefined; //=> true
 * ```
 */
export interface CopsPersistRecord {
  readonly changes: readonly CopsChange[];
}

/**
 * Messages between replicas: a batch of an origin's writes in sequence order, and the
 * acknowledgement of the last sequence number received.
 *
 * @example
 * ```ts
 * import { CausalStore } from 'distkit/replication';
 * const store = new CausalStore({ replicas: ['east', 'west'], latencyMs: 100 });
 * const alice = store.session('east');
 * const bob = store.session('west');
 * alice.put('x', 1);
 * store.settle();
 * // west acknowledges what it applied, so east can stop resending it.
 * store.state('east')?.outbox.length; //=> 0
 * ```
 */
export type CopsMessage =
  | { readonly type: 'cops-replicate'; readonly writes: readonly CopsWrite[] }
  | { readonly type: 'cops-ack'; readonly received: number };

/**
 * Inputs of a {@link copsReplica}: a peer's message, a tick, and the client library's `get` and
 * `put` (COPS §3: `get(key)`, `put(key, value, context)`). `deps` on a `get` is optional: when
 * given, the read fails instead of showing a state older than the client has seen (a client that
 * moved to another replica).
 *
 * @example
 * ```ts
 * import { copsReplica, type CopsInput } from 'distkit/replication';
 * let s = copsReplica.init({ id: 'east', replicas: ['east', 'west'] });
 * const inputs: CopsInput[] = [{ type: 'put', id: 1, key: 'x', value: 1, deps: [], now: 0 }, { type: 'get', id: 2, key: 'x', now: 1 }];
 * inputs.map((i) => { const t = copsReplica.step(s, i); s = t.state; return t.outputs.find((o) => o.type === 'put-ok' || o.type === 'get-ok'); }); //=> [{ type: 'put-ok', id: 1, key: 'x', version: { time: 1, node: 'east' } }, { type: 'get-ok', id: 2, key: 'x', value: 1, version: { time: 1, node: 'east' } }]
 * ```
 */
export type CopsInput =
  | { readonly type: 'message'; readonly from: NodeId; readonly message: unknown; readonly now: number }
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'get'; readonly id: number; readonly key: string; readonly deps?: CopsContext; readonly now: number }
  | { readonly type: 'put'; readonly id: number; readonly key: string; readonly value: unknown; readonly deps: CopsContext; readonly now: number };

/**
 * Outputs of a {@link copsReplica}: sends, persist records, rejections, and answers to the client
 * library (`version` is `null` for a key never written).
 *
 * @example
 * ```ts
 * import { CausalStore } from 'distkit/replication';
 * const store = new CausalStore({ replicas: ['east', 'west'], latencyMs: 100 });
 * const alice = store.session('east');
 * const bob = store.session('west');
 * // A write whose dependency has not arrived waits (dep_check, COPS §4.3): bob never sees the album before the photo.
 * store.partition([['east'], ['west']]);
 * alice.put('photo', 'beach.jpg');
 * alice.put('album', ['photo']);
 * store.heal();
 * store.advance(150);
 * [bob.get('album'), bob.get('album') === null || bob.get('photo') !== null]; //=> [['photo'], true]
 * store.settle();
 * [bob.get('photo'), bob.get('album')]; //=> ['beach.jpg', ['photo']]
 * ```
 */
export type CopsOutput =
  | SendOutput<CopsMessage>
  | PersistOutput<CopsPersistRecord>
  | RejectedOutput
  | { readonly type: 'get-ok'; readonly id: number; readonly key: string; readonly value: unknown; readonly version: CopsVersion | null }
  | { readonly type: 'put-ok'; readonly id: number; readonly key: string; readonly version: CopsVersion }
  | { readonly type: 'get-failed'; readonly id: number; readonly key: string; readonly reason: string }
  | { readonly type: 'put-failed'; readonly id: number; readonly key: string; readonly reason: string };

/** The largest message batch any replica accepts, whatever its own limits. */
const MAX_WIRE_BATCH = 4096;
/** The most dependencies on one write any replica accepts from the wire. */
const MAX_WIRE_DEPS = 4096;

const time = v.int({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 });
const versionCheck = v.object({ time, node: v.id() });
const dependencyCheck = v.object({ key: v.string({ maxLength: 1 << 16 }), version: versionCheck });
const writeCheck = v.object({
  seq: v.int({ min: 1, max: Number.MAX_SAFE_INTEGER - 1 }),
  key: v.string({ maxLength: 1 << 16 }),
  value: v.json(),
  version: versionCheck,
  deps: v.array(dependencyCheck, { maxLength: MAX_WIRE_DEPS }),
});

/**
 * The check of a peer's {@link CopsMessage} (shapes only; the replica checks origins, order and
 * its own limits).
 *
 * @example
 * ```ts
 * import { copsMessageCheck } from 'distkit/replication';
 * copsMessageCheck({ type: 'cops-ack', received: 2 }); //=> undefined
 * copsMessageCheck({ type: 'cops-ack', received: 'all' }) !== undefined; //=> true
 * ```
 */
export const copsMessageCheck = v.tagged({
  'cops-replicate': v.object({ type: v.literal('cops-replicate'), writes: v.array(writeCheck, { maxLength: MAX_WIRE_BATCH }) }),
  'cops-ack': v.object({ type: v.literal('cops-ack'), received: v.int({ min: 0, max: Number.MAX_SAFE_INTEGER - 1 }) }),
});
