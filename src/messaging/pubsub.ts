/**
 * The replicated pub/sub log's application state machine (Kafka's model): topics split into
 * partitions, each an append-only log with offsets; keyed records keep their order on one
 * partition; the idempotent producer's (producerId, sequence) de-duplication; retention by count
 * and age; consumer groups with generations and committed offsets (see `pubsub-groups.ts`); and
 * explicitly at-most-once ephemeral subscribers. Plain JSON data; time arrives on every command.
 *
 * @packageDocumentation
 */
import { replicatedStateMachine, type Applied, type ReplicatedApp } from '../consensus/index.js';
import { dataLimitsOption, restoreSnapshot } from './options.js';
import { partitionForKey } from './partitioner.js';
import { pubSubStateProblem } from './pubsub-state.js';
import { commitOffset, deleteGroup, expireMembers, groupOffsets, heartbeat, joinGroup, leaveGroup, type ConsumerGroup } from './pubsub-groups.js';
import { checkObject, MAX_COUNTER, MAX_ID_LENGTH, getOwn, parse, positiveInt, positiveMs, v, withOwn, withoutOwn, type DataLimits } from '../core/index.js';

// ---- configuration ----------------------------------------------------------------------------

/**
 * Producer de-duplication window: how many of a producer's latest sequences are remembered with
 * their offsets (Kafka keeps the last 5 batches per producer, `max.in.flight.requests.per.connection`
 * ≤ 5 with idempotence). A retry of an older sequence is refused, not stored again.
 *
 * @example
 * ```ts
 * import { PUBSUB_PRODUCER_WINDOW } from 'distkit/messaging';
 * PUBSUB_PRODUCER_WINDOW; //=> 5
 * ```
 */
export const PUBSUB_PRODUCER_WINDOW = 5;

/**
 * Configuration of {@link pubSub}. Every replica must be given the same one. Defaults follow
 * Kafka's where Kafka has one.
 *
 * @example
 * ```ts
 * import { pubSub, type PubSubConfig } from 'distkit/messaging';
 * const config: PubSubConfig = { maxTopics: 1 };
 * let s = pubSub.init(config);
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 1, now: 0 }).state;
 * // Every table has a named limit: a second topic is refused.
 * pubSub.apply(s, { type: 'createTopic', topic: 'clicks', partitions: 1, now: 1 }).result; //=> { type: 'refused', command: 'createTopic', reason: '1 topics exist (maxTopics)', at: 1 }
 * ```
 */
export interface PubSubConfig {
  /** Most topics. Default 64. */
  readonly maxTopics?: number;
  /** Most partitions of one topic. Default 64. */
  readonly maxPartitions?: number;
  /** Default retention by count: records kept per partition (oldest dropped first). Default 1000. */
  readonly retentionCount?: number;
  /** Default retention by age on the replicated clock. Default 604 800 000 (7 days, Kafka's `log.retention.hours`). */
  readonly retentionMs?: number;
  /** Most consumer groups (durable subscriptions). Default 256. */
  readonly maxGroups?: number;
  /** Most members of one group. Default 64. */
  readonly maxMembers?: number;
  /** A member silent this long is removed and its partitions reassigned. Default 45 000 (Kafka's `session.timeout.ms`). */
  readonly sessionTimeoutMs?: number;
  /** Most idempotent producers remembered. Default 1024. */
  readonly maxProducers?: number;
  /** A producer silent this long is forgotten; it must start a new id. Default 86 400 000 (Kafka's `producer.id.expiration.ms`). */
  readonly producerExpiryMs?: number;
  /** Most ephemeral (at-most-once) subscribers. Default 256. */
  readonly maxSubscribers?: number;
  /** Most records one fetch or poll returns. Default 500 (Kafka's `max.poll.records`). */
  readonly maxFetchCount?: number;
  /** Bounds on a record's value (nesting depth, JSON size). Default 64 levels, 256 KiB. */
  readonly valueLimits?: Partial<DataLimits>;
}

/**
 * The options of a {@link PubSubConfig} with defaults filled in, kept in the state.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * pubSub.init({}).options.maxFetchCount; //=> 500
 * ```
 */
export interface PubSubOptions {
  readonly maxTopics: number;
  readonly maxPartitions: number;
  readonly retentionCount: number;
  readonly retentionMs: number;
  readonly maxGroups: number;
  readonly maxMembers: number;
  readonly sessionTimeoutMs: number;
  readonly maxProducers: number;
  readonly producerExpiryMs: number;
  readonly maxSubscribers: number;
  readonly maxFetchCount: number;
  readonly valueLimits: DataLimits;
}

// ---- state ------------------------------------------------------------------------------------

/**
 * One record of a partition's log.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 2, now: 0 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 12 }, producerId: 'p1', sequence: 0, now: 5 }).state;
 * // A stored record: its offset in the partition, key, value and the time it was published.
 * s.topics['orders']?.partitions.flatMap((p) => p.records); //=> [{ offset: 0, key: 'user-7', value: { total: 12 }, timestamp: 5 }]
 * ```
 */
export interface PubSubRecord {
  readonly offset: number;
  readonly key: string | null;
  readonly value: unknown;
  /** The replicated clock when it was appended (retention by age counts from it). */
  readonly timestamp: number;
}

/**
 * A partition: the retained suffix of its log. Offsets are dense; `startOffset` is the log start
 * (everything before it was removed by retention) and the log end is `startOffset + records.length`.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 't', partitions: 1, retentionCount: 2, now: 0 }).state;
 * for (let i = 0; i < 5; i++) s = pubSub.apply(s, { type: 'publish', topic: 't', value: i, now: i }).state;
 * // Retention by count keeps the last 2; startOffset says where the log now begins.
 * const log = s.topics['t']!.partitions[0]!;
 * [log.startOffset, log.records.map((r) => r.offset)]; //=> [3, [3, 4]]
 * ```
 */
export interface PartitionLog {
  readonly startOffset: number;
  readonly records: readonly PubSubRecord[];
}

/**
 * A topic: its partitions and retention.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 2, now: 0 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 12 }, producerId: 'p1', sequence: 0, now: 5 }).state;
 * const { retentionCount, retentionMs, nextPartition, partitions } = s.topics['orders']!;
 * [retentionCount, retentionMs, nextPartition, partitions.length]; //=> [1000, 604800000, 0, 2]
 * ```
 */
export interface TopicState {
  readonly partitions: readonly PartitionLog[];
  readonly retentionCount: number;
  readonly retentionMs: number;
  /** The partition an unkeyed record without an explicit partition goes to next (round robin). */
  readonly nextPartition: number;
}

/**
 * Where a record went: topic, partition, offset.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 2, now: 0 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 12 }, producerId: 'p1', sequence: 0, now: 5 }).state;
 * // A fetch from a position returns the records there and the position to fetch next.
 * pubSub.apply(s, { type: 'fetch', topic: 'orders', partition: 0, offset: 0, now: 6 }).result; //=> { type: 'fetched', topic: 'orders', partition: 0, records: [{ offset: 0, key: 'user-7', value: { total: 12 }, timestamp: 5 }], nextOffset: 1, logStartOffset: 0, logEndOffset: 1, at: 6 }
 * ```
 */
export interface RecordPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * An idempotent producer: its last sequence and the positions of its latest
 * {@link PUBSUB_PRODUCER_WINDOW} sequences (KIP-98).
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 2, now: 0 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 12 }, producerId: 'p1', sequence: 0, now: 5 }).state;
 * // The producer's last sequence and where each recent one went, for de-duplicating retries.
 * s.producers['p1']; //=> { lastSequence: 0, lastSeen: 5, recent: [{ sequence: 0, topic: 'orders', partition: 0, offset: 0 }] }
 * ```
 */
export interface ProducerState {
  readonly lastSequence: number;
  readonly lastSeen: number;
  readonly recent: readonly (RecordPosition & { readonly sequence: number })[];
}

/**
 * An ephemeral subscriber: a cursor per partition of one topic, moved past records as they are
 * handed out (at most once), and no committed offsets.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 2, now: 0 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 12 }, producerId: 'p1', sequence: 0, now: 5 }).state;
 * s = pubSub.apply(s, { type: 'subscribe', subscriber: 'ui', topic: 'orders', delivery: 'at-most-once', now: 6 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', value: 'new', now: 7 }).state;
 * // An at-most-once subscriber sees only what is published after it subscribed.
 * pubSub.apply(s, { type: 'poll', subscriber: 'ui', now: 8 }).result; //=> { type: 'polled', subscriber: 'ui', records: [{ offset: 1, key: null, value: 'new', timestamp: 7, partition: 0 }], skipped: 0, at: 8 }
 * ```
 */
export interface EphemeralSubscriber {
  readonly topic: string;
  readonly positions: readonly number[];
  readonly lastSeen: number;
  /** The partition a poll starts from (rotated so no partition starves). */
  readonly nextPartition: number;
}

/**
 * The whole pub/sub state: plain JSON, the same on every replica that applied the same commands.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * pubSub.init({}).clock; //=> 0
 * ```
 */
export interface PubSubState {
  readonly options: PubSubOptions;
  /** The replicated clock: the largest `now` of any command applied (never goes back). */
  readonly clock: number;
  readonly topics: Readonly<Record<string, TopicState>>;
  readonly producers: Readonly<Record<string, ProducerState>>;
  readonly groups: Readonly<Record<string, ConsumerGroup>>;
  readonly subscribers: Readonly<Record<string, EphemeralSubscriber>>;
}

// ---- commands and results --------------------------------------------------------------------

/**
 * A command of {@link pubSub}. `now` is the proposer's clock (the leader's, for the replicated
 * log); the state's clock is the largest `now` seen.
 *
 * - `createTopic`: a topic with `partitions` partitions (again with the same count: a no-op).
 * - `publish`: append `value` to a partition: the explicit `partition`, else the key's
 *   ({@link partitionForKey}), else round robin. With `producerId` and `sequence` the publish is
 *   idempotent: sequence 0 first, then each one more than the last; a retry of one of the latest
 *   {@link PUBSUB_PRODUCER_WINDOW} returns the original offset (`duplicate: true`), a gap is refused.
 * - `fetch`: read records of one partition from `offset` (or from `group`'s committed offset, or
 *   from the log start). Reading commits nothing: replay from any retained offset.
 * - `join`, `heartbeat`, `leave`, `commit`, `offsets`, `deleteGroup`: consumer groups (durable
 *   subscriptions), see `pubsub-groups.ts`.
 * - `subscribe` (with `delivery: 'at-most-once'`), `poll`, `unsubscribe`: ephemeral subscribers
 *   that see records published after they subscribed, each handed out at most once.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 2, now: 0 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 12 }, producerId: 'p1', sequence: 0, now: 5 }).state;
 * import type { PubSubCommand } from 'distkit/messaging';
 * const commands: PubSubCommand[] = [
 *   { type: 'join', group: 'billing', member: 'w1', topics: ['orders'], now: 10 },
 *   { type: 'commit', group: 'billing', topic: 'orders', partition: 0, offset: 1, member: 'w1', generation: 1, now: 11 },
 *   { type: 'offsets', group: 'billing', now: 12 },
 * ];
 * commands.map((c) => { const t = pubSub.apply(s, c); s = t.state; return t.result.type; }); //=> ['joined', 'committed', 'offsets']
 * ```
 */
export type PubSubCommand =
  | { readonly type: 'createTopic'; readonly now: number; readonly topic: string; readonly partitions: number; readonly retentionCount?: number; readonly retentionMs?: number }
  | { readonly type: 'publish'; readonly now: number; readonly topic: string; readonly value: unknown; readonly key?: string; readonly partition?: number; readonly producerId?: string; readonly sequence?: number }
  | { readonly type: 'fetch'; readonly now: number; readonly topic: string; readonly partition: number; readonly offset?: number; readonly group?: string; readonly maxCount?: number }
  | { readonly type: 'join'; readonly now: number; readonly group: string; readonly member: string; readonly topics: readonly string[] }
  | { readonly type: 'heartbeat'; readonly now: number; readonly group: string; readonly member: string; readonly generation: number }
  | { readonly type: 'leave'; readonly now: number; readonly group: string; readonly member: string }
  | { readonly type: 'commit'; readonly now: number; readonly group: string; readonly topic: string; readonly partition: number; readonly offset: number; readonly member?: string; readonly generation?: number }
  | { readonly type: 'offsets'; readonly now: number; readonly group: string }
  | { readonly type: 'deleteGroup'; readonly now: number; readonly group: string }
  | { readonly type: 'subscribe'; readonly now: number; readonly subscriber: string; readonly topic: string; readonly delivery: 'at-most-once' }
  | { readonly type: 'poll'; readonly now: number; readonly subscriber: string; readonly maxCount?: number }
  | { readonly type: 'unsubscribe'; readonly now: number; readonly subscriber: string };

/**
 * A topic-partition a group member owns.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 2, now: 0 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 12 }, producerId: 'p1', sequence: 0, now: 5 }).state;
 * // A consumer group's member is assigned topic partitions (round-robin) when it joins.
 * pubSub.apply(s, { type: 'join', group: 'billing', member: 'w1', topics: ['orders'], now: 10 }).result; //=> { type: 'joined', group: 'billing', member: 'w1', generation: 1, assignment: [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }], at: 10 }
 * ```
 */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/**
 * A group's committed offset of one partition: the next offset to consume.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 2, now: 0 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 12 }, producerId: 'p1', sequence: 0, now: 5 }).state;
 * s = pubSub.apply(s, { type: 'join', group: 'billing', member: 'w1', topics: ['orders'], now: 10 }).state;
 * s = pubSub.apply(s, { type: 'commit', group: 'billing', topic: 'orders', partition: 0, offset: 1, member: 'w1', generation: 1, now: 11 }).state;
 * // Committed offsets only move forward: a commit of an older offset is refused.
 * [pubSub.apply(s, { type: 'offsets', group: 'billing', now: 12 }).result, pubSub.apply(s, { type: 'commit', group: 'billing', topic: 'orders', partition: 0, offset: 0, member: 'w1', generation: 1, now: 13 }).result.type]; //=> [{ type: 'offsets', group: 'billing', generation: 1, offsets: [{ topic: 'orders', partition: 0, offset: 1 }], at: 12 }, 'refused']
 * ```
 */
export type CommittedOffset = RecordPosition;

/**
 * The result of one command; `at` is the state's clock when it was applied.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 2, now: 0 }).state;
 * s = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 12 }, producerId: 'p1', sequence: 0, now: 5 }).state;
 * import type { PubSubResult } from 'distkit/messaging';
 * const r: PubSubResult = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: { total: 3 }, producerId: 'p1', sequence: 1, now: 6 }).result;
 * // Records with one key go to one partition, in order.
 * r; //=> { type: 'published', topic: 'orders', partition: 0, offset: 1, duplicate: false, at: 6 }
 * ```
 */
export type PubSubResult =
  | { readonly type: 'topicCreated'; readonly topic: string; readonly partitions: number; readonly existed: boolean; readonly at: number }
  | { readonly type: 'published'; readonly topic: string; readonly partition: number; readonly offset: number; readonly duplicate: boolean; readonly at: number }
  | { readonly type: 'fetched'; readonly topic: string; readonly partition: number; readonly records: readonly PubSubRecord[]; readonly nextOffset: number; readonly logStartOffset: number; readonly logEndOffset: number; readonly at: number }
  | { readonly type: 'offsetOutOfRange'; readonly topic: string; readonly partition: number; readonly offset: number; readonly logStartOffset: number; readonly logEndOffset: number; readonly at: number }
  | { readonly type: 'joined'; readonly group: string; readonly member: string; readonly generation: number; readonly assignment: readonly TopicPartition[]; readonly at: number }
  | { readonly type: 'heartbeat'; readonly group: string; readonly member: string; readonly generation: number; readonly assignment: readonly TopicPartition[]; readonly rebalanced: boolean; readonly at: number }
  | { readonly type: 'left'; readonly group: string; readonly member: string; readonly generation: number; readonly at: number }
  | { readonly type: 'committed'; readonly group: string; readonly topic: string; readonly partition: number; readonly offset: number; readonly at: number }
  | { readonly type: 'offsets'; readonly group: string; readonly generation: number; readonly offsets: readonly CommittedOffset[]; readonly at: number }
  | { readonly type: 'groupDeleted'; readonly group: string; readonly at: number }
  | { readonly type: 'subscribed'; readonly subscriber: string; readonly topic: string; readonly at: number }
  | { readonly type: 'polled'; readonly subscriber: string; readonly records: readonly (PubSubRecord & { readonly partition: number })[]; readonly skipped: number; readonly at: number }
  | { readonly type: 'unsubscribed'; readonly subscriber: string; readonly at: number }
  | { readonly type: 'refused'; readonly command: string; readonly reason: string; readonly at: number };

// ---- checks of commands (they come from a replicated log: untrusted data) --------------------

const name = () => v.string({ minLength: 1, maxLength: MAX_ID_LENGTH });
const count = () => v.int({ min: 0, max: MAX_COUNTER });

const commandCheck = v.tagged({
  createTopic: v.object({ type: v.literal('createTopic'), topic: name(), partitions: v.int({ min: 1, max: MAX_COUNTER }), retentionCount: v.optional(v.int({ min: 1, max: MAX_COUNTER })), retentionMs: v.optional(v.int({ min: 1, max: MAX_COUNTER })) }),
  publish: v.object({ type: v.literal('publish'), topic: name(), key: v.optional(v.string({ maxLength: MAX_ID_LENGTH })), partition: v.optional(count()), producerId: v.optional(name()), sequence: v.optional(count()) }),
  fetch: v.object({ type: v.literal('fetch'), topic: name(), partition: count(), offset: v.optional(count()), group: v.optional(name()), maxCount: v.optional(v.int({ min: 1, max: MAX_COUNTER })) }),
  join: v.object({ type: v.literal('join'), group: name(), member: name(), topics: v.array(name(), { minLength: 1, maxLength: 64 }) }),
  heartbeat: v.object({ type: v.literal('heartbeat'), group: name(), member: name(), generation: count() }),
  leave: v.object({ type: v.literal('leave'), group: name(), member: name() }),
  commit: v.object({ type: v.literal('commit'), group: name(), topic: name(), partition: count(), offset: count(), member: v.optional(name()), generation: v.optional(count()) }),
  offsets: v.object({ type: v.literal('offsets'), group: name() }),
  deleteGroup: v.object({ type: v.literal('deleteGroup'), group: name() }),
  subscribe: v.object({ type: v.literal('subscribe'), subscriber: name(), topic: name(), delivery: v.literal('at-most-once') }),
  poll: v.object({ type: v.literal('poll'), subscriber: name(), maxCount: v.optional(v.int({ min: 1, max: MAX_COUNTER })) }),
  unsubscribe: v.object({ type: v.literal('unsubscribe'), subscriber: name() }),
});

// ---- init -------------------------------------------------------------------------------------

function pubSubOptions(config: PubSubConfig): PubSubOptions {
  checkObject('config', config);
  return {
    maxTopics: positiveInt('maxTopics', config.maxTopics, 64),
    maxPartitions: positiveInt('maxPartitions', config.maxPartitions, 64),
    retentionCount: positiveInt('retentionCount', config.retentionCount, 1000),
    retentionMs: positiveMs('retentionMs', config.retentionMs, 604_800_000),
    maxGroups: positiveInt('maxGroups', config.maxGroups, 256),
    maxMembers: positiveInt('maxMembers', config.maxMembers, 64),
    sessionTimeoutMs: positiveMs('sessionTimeoutMs', config.sessionTimeoutMs, 45_000),
    maxProducers: positiveInt('maxProducers', config.maxProducers, 1024),
    producerExpiryMs: positiveMs('producerExpiryMs', config.producerExpiryMs, 86_400_000),
    maxSubscribers: positiveInt('maxSubscribers', config.maxSubscribers, 256),
    maxFetchCount: positiveInt('maxFetchCount', config.maxFetchCount, 500),
    valueLimits: dataLimitsOption('valueLimits', config.valueLimits, 256 * 1024),
  };
}

function init(config: PubSubConfig = {}): PubSubState {
  return { options: pubSubOptions(config), clock: 0, topics: {}, producers: {}, groups: {}, subscribers: {} };
}

// ---- helpers shared with the group protocol ----------------------------------------------------

/**
 * A refusal: the state as it was (apart from the clock) and the reason.
 *
 * @internal
 */
export function refused(state: PubSubState, command: string, reason: string): Applied<PubSubState, PubSubResult> {
  return { state, result: { type: 'refused', command, reason, at: state.clock } };
}

/**
 * The log end offset of a partition (the offset the next record gets).
 *
 * @example
 * ```ts
 * import { logEndOffset } from 'distkit/messaging';
 * logEndOffset({ startOffset: 3, records: [{ offset: 3, key: null, value: 1, timestamp: 0 }] }); //=> 4
 * ```
 */
export function logEndOffset(p: PartitionLog): number {
  return p.startOffset + p.records.length;
}

/**
 * The partition named by a command, or why there is none.
 *
 * @internal
 */
export function partitionOf(state: PubSubState, topic: string, partition: number): PartitionLog | string {
  const t = getOwn(state.topics, topic);
  if (t === undefined) return `unknown topic ${JSON.stringify(topic)}`;
  const p = t.partitions[partition];
  return p === undefined ? `topic ${JSON.stringify(topic)} has ${t.partitions.length} partitions, no partition ${partition}` : p;
}

// ---- time: the clock, retention, expiry -------------------------------------------------------

/** Drops records past the topic's age limit from the head of each partition. */
function retainByAge(t: TopicState, clock: number): TopicState {
  let partitions: PartitionLog[] | undefined;
  t.partitions.forEach((p, i) => {
    let drop = 0;
    while (drop < p.records.length && p.records[drop]!.timestamp + t.retentionMs <= clock) drop++;
    if (drop === 0) return;
    partitions ??= [...t.partitions];
    partitions[i] = { startOffset: p.startOffset + drop, records: p.records.slice(drop) };
  });
  return partitions === undefined ? t : { ...t, partitions };
}

function expireIdle<T extends { readonly lastSeen: number }>(table: Readonly<Record<string, T>>, idleMs: number, clock: number): Readonly<Record<string, T>> {
  let out = table;
  for (const [k, e] of Object.entries(table)) if (e.lastSeen + idleMs <= clock) out = withoutOwn(out, k);
  return out;
}

/**
 * Moves the clock to `now` (never back) and applies everything time does: retention by age,
 * expiry of idle producers and ephemeral subscribers, and session timeouts of group members
 * (each group that lost a member moves to a new generation).
 */
function advance(state: PubSubState, now: number): PubSubState {
  if (now <= state.clock) return state;
  const clock = now;
  const o = state.options;
  let topics = state.topics;
  for (const [name, t] of Object.entries(state.topics)) {
    const kept = retainByAge(t, clock);
    if (kept !== t) topics = withOwn(topics, name, kept);
  }
  const producers = expireIdle(state.producers, o.producerExpiryMs, clock);
  const subscribers = expireIdle(state.subscribers, o.sessionTimeoutMs, clock);
  const s: PubSubState = { ...state, clock, topics, producers, subscribers };
  return { ...s, groups: expireMembers(s) };
}

// ---- topics and publishing ---------------------------------------------------------------------

type Cmd<T extends PubSubCommand['type']> = Extract<PubSubCommand, { type: T }>;

function createTopic(state: PubSubState, c: Cmd<'createTopic'>): Applied<PubSubState, PubSubResult> {
  const o = state.options;
  const at = state.clock;
  const existing = getOwn(state.topics, c.topic);
  if (existing !== undefined) {
    if (existing.partitions.length !== c.partitions) return refused(state, 'createTopic', `topic ${JSON.stringify(c.topic)} exists with ${existing.partitions.length} partitions, not ${c.partitions}`);
    return { state, result: { type: 'topicCreated', topic: c.topic, partitions: c.partitions, existed: true, at } };
  }
  if (Object.keys(state.topics).length >= o.maxTopics) return refused(state, 'createTopic', `${o.maxTopics} topics exist (maxTopics)`);
  if (c.partitions > o.maxPartitions) return refused(state, 'createTopic', `${c.partitions} partitions exceed maxPartitions ${o.maxPartitions}`);
  const partitions = Array.from({ length: c.partitions }, (): PartitionLog => ({ startOffset: 0, records: [] }));
  const topic: TopicState = { partitions, retentionCount: c.retentionCount ?? o.retentionCount, retentionMs: c.retentionMs ?? o.retentionMs, nextPartition: 0 };
  return { state: { ...state, topics: withOwn(state.topics, c.topic, topic) }, result: { type: 'topicCreated', topic: c.topic, partitions: c.partitions, existed: false, at } };
}

/**
 * The idempotent producer's rule (Kafka KIP-98): `'append'` for the next sequence, the original
 * position for a retry still remembered, or why the sequence is refused.
 */
function producerCheck(state: PubSubState, producerId: string, sequence: number, topic: string): 'append' | RecordPosition | string {
  const p = getOwn(state.producers, producerId);
  if (p === undefined) {
    if (sequence !== 0) return `unknown producer ${JSON.stringify(producerId)}: its first sequence must be 0, got ${sequence} (a producer forgotten after producerExpiryMs must start under a new id)`;
    if (Object.keys(state.producers).length >= state.options.maxProducers) return `${state.options.maxProducers} producers remembered (maxProducers); retry later`;
    return 'append';
  }
  if (sequence === p.lastSequence + 1) return 'append';
  if (sequence > p.lastSequence) return `out-of-order sequence ${sequence} from producer ${JSON.stringify(producerId)}: expected ${p.lastSequence + 1}`;
  const seen = p.recent.find((r) => r.sequence === sequence);
  if (seen === undefined) return `sequence ${sequence} from producer ${JSON.stringify(producerId)} is older than the last ${PUBSUB_PRODUCER_WINDOW} remembered (last ${p.lastSequence}): cannot confirm it as a duplicate`;
  if (seen.topic !== topic) return `sequence ${sequence} from producer ${JSON.stringify(producerId)} was used for topic ${JSON.stringify(seen.topic)}`;
  return { topic: seen.topic, partition: seen.partition, offset: seen.offset };
}

function choosePartition(t: TopicState, c: Cmd<'publish'>): number | string {
  if (c.partition !== undefined) return c.partition < t.partitions.length ? c.partition : `no partition ${c.partition}: the topic has ${t.partitions.length}`;
  if (c.key !== undefined) return partitionForKey(c.key, t.partitions.length);
  return t.nextPartition % t.partitions.length;
}

function publish(state: PubSubState, c: Cmd<'publish'>): Applied<PubSubState, PubSubResult> {
  const at = state.clock;
  const t = getOwn(state.topics, c.topic);
  if (t === undefined) return refused(state, 'publish', `unknown topic ${JSON.stringify(c.topic)}`);
  if ((c.producerId === undefined) !== (c.sequence === undefined)) return refused(state, 'publish', 'producerId and sequence go together');
  const verdict = c.producerId === undefined ? 'append' : producerCheck(state, c.producerId, c.sequence!, c.topic);
  if (typeof verdict === 'string' && verdict !== 'append') return refused(state, 'publish', verdict);
  if (typeof verdict === 'object') return { state: touchProducer(state, c.producerId!), result: { type: 'published', ...verdict, duplicate: true, at } };
  const partition = choosePartition(t, c);
  if (typeof partition === 'string') return refused(state, 'publish', partition);
  const value = parse(v.json(state.options.valueLimits), c.value);
  if (!value.ok) return refused(state, 'publish', `value: ${value.problem}`);
  const log = t.partitions[partition]!;
  const offset = logEndOffset(log);
  if (offset >= MAX_COUNTER) return refused(state, 'publish', 'partition offsets exhausted');
  const record: PubSubRecord = { offset, key: c.key ?? null, value: value.value ?? null, timestamp: at };
  // Retention by count: the oldest records go once the partition holds retentionCount.
  const drop = Math.max(0, log.records.length + 1 - t.retentionCount);
  const kept: PartitionLog = { startOffset: log.startOffset + drop, records: [...log.records.slice(drop), record] };
  const partitions = t.partitions.map((p, i) => (i === partition ? kept : p));
  const nextPartition = c.partition === undefined && c.key === undefined ? (t.nextPartition + 1) % t.partitions.length : t.nextPartition;
  let s: PubSubState = { ...state, topics: withOwn(state.topics, c.topic, { ...t, partitions, nextPartition }) };
  if (c.producerId !== undefined) s = recordSequence(s, c.producerId, { sequence: c.sequence!, topic: c.topic, partition, offset });
  return { state: s, result: { type: 'published', topic: c.topic, partition, offset, duplicate: false, at } };
}

function touchProducer(state: PubSubState, producerId: string): PubSubState {
  const p = getOwn(state.producers, producerId)!;
  return p.lastSeen === state.clock ? state : { ...state, producers: withOwn(state.producers, producerId, { ...p, lastSeen: state.clock }) };
}

function recordSequence(state: PubSubState, producerId: string, pos: RecordPosition & { readonly sequence: number }): PubSubState {
  const recent = [...(getOwn(state.producers, producerId)?.recent ?? []), pos].slice(-PUBSUB_PRODUCER_WINDOW);
  return { ...state, producers: withOwn(state.producers, producerId, { lastSequence: pos.sequence, lastSeen: state.clock, recent }) };
}

// ---- reading -----------------------------------------------------------------------------------

function fetch(state: PubSubState, c: Cmd<'fetch'>): Applied<PubSubState, PubSubResult> {
  const at = state.clock;
  const log = partitionOf(state, c.topic, c.partition);
  if (typeof log === 'string') return refused(state, 'fetch', log);
  let from = c.offset;
  if (from === undefined && c.group !== undefined) {
    const committed = groupOffsets(state, c.group).find((o) => o.topic === c.topic && o.partition === c.partition);
    from = committed?.offset;
  }
  from ??= log.startOffset;
  const end = logEndOffset(log);
  if (from < log.startOffset || from > end) return { state, result: { type: 'offsetOutOfRange', topic: c.topic, partition: c.partition, offset: from, logStartOffset: log.startOffset, logEndOffset: end, at } };
  const max = Math.min(c.maxCount ?? state.options.maxFetchCount, state.options.maxFetchCount);
  const records = log.records.slice(from - log.startOffset, from - log.startOffset + max);
  return { state, result: { type: 'fetched', topic: c.topic, partition: c.partition, records, nextOffset: from + records.length, logStartOffset: log.startOffset, logEndOffset: end, at } };
}

// ---- ephemeral subscribers (at most once) ------------------------------------------------------

function subscribe(state: PubSubState, c: Cmd<'subscribe'>): Applied<PubSubState, PubSubResult> {
  const t = getOwn(state.topics, c.topic);
  if (t === undefined) return refused(state, 'subscribe', `unknown topic ${JSON.stringify(c.topic)}`);
  const existing = getOwn(state.subscribers, c.subscriber);
  if (existing === undefined && Object.keys(state.subscribers).length >= state.options.maxSubscribers) return refused(state, 'subscribe', `${state.options.maxSubscribers} subscribers (maxSubscribers)`);
  if (existing !== undefined && existing.topic !== c.topic) return refused(state, 'subscribe', `subscriber ${JSON.stringify(c.subscriber)} is subscribed to ${JSON.stringify(existing.topic)}`);
  // An ephemeral subscriber sees what is published from now on.
  const sub: EphemeralSubscriber = existing === undefined ? { topic: c.topic, positions: t.partitions.map(logEndOffset), lastSeen: state.clock, nextPartition: 0 } : { ...existing, lastSeen: state.clock };
  return { state: { ...state, subscribers: withOwn(state.subscribers, c.subscriber, sub) }, result: { type: 'subscribed', subscriber: c.subscriber, topic: c.topic, at: state.clock } };
}

/**
 * Hands out the next records and moves the cursors past them in the same command: a poll whose
 * answer is lost loses those records for this subscriber (at most once). Records removed by
 * retention before a poll reached them are skipped and counted.
 */
function poll(state: PubSubState, c: Cmd<'poll'>): Applied<PubSubState, PubSubResult> {
  const sub = getOwn(state.subscribers, c.subscriber);
  if (sub === undefined) return refused(state, 'poll', `unknown subscriber ${JSON.stringify(c.subscriber)} (expired after sessionTimeoutMs, or never subscribed)`);
  const t = getOwn(state.topics, sub.topic)!;
  let budget = Math.min(c.maxCount ?? state.options.maxFetchCount, state.options.maxFetchCount);
  const positions = [...sub.positions];
  const records: (PubSubRecord & { readonly partition: number })[] = [];
  let skipped = 0;
  const n = t.partitions.length;
  for (let k = 0; k < n && budget > 0; k++) {
    const i = (sub.nextPartition + k) % n;
    const log = t.partitions[i]!;
    if (positions[i]! < log.startOffset) {
      skipped += log.startOffset - positions[i]!;
      positions[i] = log.startOffset;
    }
    const taken = log.records.slice(positions[i]! - log.startOffset, positions[i]! - log.startOffset + budget);
    for (const r of taken) records.push({ ...r, partition: i });
    positions[i] = positions[i]! + taken.length;
    budget -= taken.length;
  }
  const next: EphemeralSubscriber = { ...sub, positions, lastSeen: state.clock, nextPartition: (sub.nextPartition + 1) % n };
  return { state: { ...state, subscribers: withOwn(state.subscribers, c.subscriber, next) }, result: { type: 'polled', subscriber: c.subscriber, records, skipped, at: state.clock } };
}

function unsubscribe(state: PubSubState, c: Cmd<'unsubscribe'>): Applied<PubSubState, PubSubResult> {
  if (getOwn(state.subscribers, c.subscriber) === undefined) return refused(state, 'unsubscribe', `unknown subscriber ${JSON.stringify(c.subscriber)}`);
  return { state: { ...state, subscribers: withoutOwn(state.subscribers, c.subscriber) }, result: { type: 'unsubscribed', subscriber: c.subscriber, at: state.clock } };
}

// ---- apply -------------------------------------------------------------------------------------

/**
 * Applies one command. Total: a malformed command (the log is data from the network) leaves the
 * state as it was, apart from the clock, and yields a `refused` result. Deterministic: replicas
 * that apply the same commands reach the same state.
 */
function apply(state: PubSubState, command: unknown): Applied<PubSubState, PubSubResult> {
  const now = (command as { now?: unknown } | null)?.now;
  if (typeof now !== 'number' || !Number.isFinite(now)) return refused(state, 'command', 'now must be a finite number of milliseconds');
  const s = advance(state, now);
  const checked = parse(commandCheck, command);
  if (!checked.ok) return refused(s, typeof (command as { type?: unknown }).type === 'string' ? (command as { type: string }).type.slice(0, 64) : 'command', checked.problem);
  const c = { ...checked.value, now, value: (command as { value?: unknown }).value } as PubSubCommand;
  switch (c.type) {
    case 'createTopic':
      return createTopic(s, c);
    case 'publish':
      return publish(s, c);
    case 'fetch':
      return fetch(s, c);
    case 'join':
      return joinGroup(s, c);
    case 'heartbeat':
      return heartbeat(s, c);
    case 'leave':
      return leaveGroup(s, c);
    case 'commit':
      return commitOffset(s, c);
    case 'offsets':
      return { state: s, result: { type: 'offsets', group: c.group, generation: getOwn(s.groups, c.group)?.generation ?? 0, offsets: groupOffsets(s, c.group), at: s.clock } };
    case 'deleteGroup':
      return deleteGroup(s, c);
    case 'subscribe':
      return subscribe(s, c);
    case 'poll':
      return poll(s, c);
    case 'unsubscribe':
      return unsubscribe(s, c);
  }
}

const recordShape = v.object({ offset: v.int({ min: 0, max: MAX_COUNTER }), key: v.nullable(v.string({ maxLength: MAX_ID_LENGTH })), timestamp: v.number({ min: 0 }) });
const snapshotShape = v.object({
  clock: v.number({ min: 0 }),
  topics: v.record(v.object({ partitions: v.array(v.object({ startOffset: v.int({ min: 0, max: MAX_COUNTER }), records: v.array(recordShape) })), retentionCount: v.int({ min: 1 }), retentionMs: v.number({ min: 1 }), nextPartition: v.int({ min: 0 }) })),
  producers: v.record(v.object({ lastSequence: v.int({ min: 0 }), lastSeen: v.number(), recent: v.array(v.object({ sequence: v.int({ min: 0 }), topic: name(), partition: v.int({ min: 0 }), offset: v.int({ min: 0 }) })) })),
  groups: v.record(v.object({ generation: v.int({ min: 0 }), members: v.record(v.object({ topics: v.array(name()), lastSeen: v.number() })), assignment: v.record(v.array(v.object({ topic: name(), partition: v.int({ min: 0 }) }))), offsets: v.record(v.record(v.int({ min: 0 }))) })),
  subscribers: v.record(v.object({ topic: name(), positions: v.array(v.int({ min: 0 })), lastSeen: v.number(), nextPartition: v.int({ min: 0 }) })),
});

const restoreFromSnapshot = restoreSnapshot<PubSubConfig, PubSubState>(snapshotShape, pubSubOptions);

/**
 * Kafka's log and group model as a replicated application: topics with partitions and ordering
 * keys, the idempotent producer, retention by count and age, consumer groups with generations
 * and committed offsets, and explicitly at-most-once ephemeral subscribers. Run it over Raft with
 * {@link replicatedPubSub}, or in-process by calling `apply` yourself. Rules from Apache Kafka's
 * documented semantics: the default partitioner (murmur2 of the key), KIP-98's producer sequence
 * numbers, the consumer group protocol's generations (a commit from an older generation is
 * refused), `auto.offset.reset=earliest` for a group without a committed offset.
 *
 * @example
 * ```ts
 * import { pubSub } from 'distkit/messaging';
 * let s = pubSub.init({});
 * s = pubSub.apply(s, { type: 'createTopic', topic: 'orders', partitions: 3, now: 0 }).state;
 * const first = pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: 12, producerId: 'p1', sequence: 0, now: 1 });
 * s = first.state;
 * // The producer retries (its answer was lost): the same offset, nothing stored twice.
 * pubSub.apply(s, { type: 'publish', topic: 'orders', key: 'user-7', value: 12, producerId: 'p1', sequence: 0, now: 2 }).result;
 * //=> { type: 'published', topic: 'orders', partition: 2, offset: 0, duplicate: true, at: 2 }
 * // A gap in the sequence is refused.
 * pubSub.apply(s, { type: 'publish', topic: 'orders', value: 13, producerId: 'p1', sequence: 5, now: 3 }).result.type; //=> 'refused'
 * ```
 */
export const pubSub: ReplicatedApp<PubSubConfig, PubSubState, PubSubResult> = {
  name: 'pubSub',
  init,
  apply,
  restore(data, config) {
    // A snapshot must hold together, not only have the right shape: a subscriber of a missing
    // topic or a hole in a partition's offsets would break later commands.
    const restored = restoreFromSnapshot(data, config);
    return restored !== undefined && pubSubStateProblem(restored) === undefined ? restored : undefined;
  },
};

/**
 * The replicated pub/sub log: {@link pubSub} run over Raft by {@link replicatedStateMachine}.
 * Submit commands (without `now`: the leader stamps them) to the leader. A `published` result is
 * on a majority's disk: durable and linearizable, like every other command's result.
 *
 * @example
 * ```ts
 * import { replicatedPubSub } from 'distkit/messaging';
 * let s = replicatedPubSub.init({ raft: { id: 'a', voters: ['a'], seed: 1 } });
 * s = replicatedPubSub.step(s, { type: 'campaign', now: 0 }).state;
 * s = replicatedPubSub.step(s, { type: 'submit', id: 't', command: { type: 'createTopic', topic: 'orders', partitions: 2 }, now: 1 }).state;
 * Object.keys(s.app.topics); //=> ['orders']
 * ```
 */
export const replicatedPubSub = replicatedStateMachine(pubSub);
