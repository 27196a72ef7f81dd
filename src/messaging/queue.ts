/**
 * The replicated queue's application state machine: a deterministic `apply(state, command)` that
 * every Raft replica runs over the same committed log. Messages are leased (visibility timeout),
 * each lease carries a fencing token, redeliveries are counted and a message goes to the
 * dead-letter queue after `maxReceiveCount` receives; enqueues carry idempotency keys, priorities,
 * delays and message groups. Plain JSON data throughout; time arrives on every command.
 *
 * @packageDocumentation
 */
import { replicatedStateMachine, type Applied, type ReplicatedApp } from '../consensus/index.js';
import { dataLimitsOption, restoreSnapshot } from './options.js';
import { ConfigError, checkObject, MAX_COUNTER, MAX_ID_LENGTH, getOwn, parse, positiveInt, setOwn, positiveMs, v, withOwn, withoutOwn, type DataLimits } from '../core/index.js';

// ---- configuration ----------------------------------------------------------------------------

/**
 * Configuration of a {@link distributedQueue}. Every replica must be given the same one.
 *
 * @example
 * ```ts
 * import { distributedQueue, type QueueConfig } from 'distkit/messaging';
 * const config: QueueConfig = { visibilityTimeoutMs: 30_000, maxReceiveCount: 5, maxMessages: 1 };
 * let q = distributedQueue.init(config);
 * q = distributedQueue.apply(q, { type: 'enqueue', body: 'a', now: 0 }).state;
 * // Full at maxMessages: the producer is told, nothing is dropped silently (back-pressure).
 * distributedQueue.apply(q, { type: 'enqueue', body: 'b', now: 1 }).result; //=> { type: 'refused', command: 'enqueue', reason: 'queue full: 1 messages stored (maxMessages)', at: 1 }
 * ```
 */
export interface QueueConfig {
  /** Lease length when a receive names none (SQS's default visibility timeout). Default 30 000. */
  readonly visibilityTimeoutMs?: number;
  /** Longest lease a receive or renew may ask for. Default 43 200 000 (12 h, SQS's bound). */
  readonly maxVisibilityTimeoutMs?: number;
  /** A message received this many times whose lease then expires (or is nacked) goes to the dead-letter queue. Default 5. */
  readonly maxReceiveCount?: number;
  /** Most messages stored, dead letters included; an enqueue beyond it is refused (back-pressure). Default 10 000. */
  readonly maxMessages?: number;
  /** Most messages leased at once; a receive beyond it gets no message and a reason. Default 1 000. */
  readonly maxInFlight?: number;
  /** Most messages of one group leased at once (1: strict per-group FIFO). Default 1. */
  readonly maxGroupInFlight?: number;
  /** How long an idempotency key is remembered after its first enqueue, on the replicated clock. Default 300 000 (5 min, SQS's deduplication interval). */
  readonly dedupWindowMs?: number;
  /** Most idempotency keys remembered at once; an enqueue with a new key beyond it is refused. Default 10 000. */
  readonly maxDedupKeys?: number;
  /** Longest delay an enqueue or nack may ask for. Default 900 000 (15 min, SQS's bound). */
  readonly maxDelayMs?: number;
  /** Bounds on a message body (nesting depth, JSON size). Default 64 levels, 256 KiB. */
  readonly bodyLimits?: Partial<DataLimits>;
}

/**
 * The options of a {@link QueueConfig} with defaults filled in, kept in the state.
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * distributedQueue.init({}).options.maxReceiveCount; //=> 5
 * ```
 */
export interface QueueOptions {
  readonly visibilityTimeoutMs: number;
  readonly maxVisibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  readonly maxMessages: number;
  readonly maxInFlight: number;
  readonly maxGroupInFlight: number;
  readonly dedupWindowMs: number;
  readonly maxDedupKeys: number;
  readonly maxDelayMs: number;
  readonly bodyLimits: DataLimits;
}

/**
 * The highest priority a message may carry; higher numbers are received first. Priorities order
 * messages outside groups and the heads of groups; within a group order is by enqueue.
 *
 * @example
 * ```ts
 * import { QUEUE_MAX_PRIORITY } from 'distkit/messaging';
 * QUEUE_MAX_PRIORITY; //=> 100
 * ```
 */
export const QUEUE_MAX_PRIORITY = 100;

// ---- state ------------------------------------------------------------------------------------

/**
 * A lease on a message: who holds it, its fencing token and when it ends (replicated clock).
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * let q = distributedQueue.init({ visibilityTimeoutMs: 30_000, maxReceiveCount: 2 });
 * q = distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'order-17', now: 0 }).state;
 * q = distributedQueue.apply(q, { type: 'receive', consumer: 'w1', now: 1000 }).state;
 * // The lease: who holds the message, its fencing token, and when the lease ends.
 * Object.values(q.messages)[0]?.lease; //=> { consumer: 'w1', token: 1, expiresAt: 31000 }
 * ```
 */
export interface QueueLease {
  readonly consumer: string;
  /** The fencing token: unique per lease, increasing over the queue's life. */
  readonly token: number;
  readonly expiresAt: number;
}

/**
 * One stored message.
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * let q = distributedQueue.init({ visibilityTimeoutMs: 30_000, maxReceiveCount: 2 });
 * q = distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'order-17', now: 0 }).state;
 * Object.values(q.messages); //=> [{ id: 'm1', seq: 1, body: 'job', priority: 0, group: null, key: 'order-17', enqueuedAt: 0, visibleAt: 0, receiveCount: 0, lease: null }]
 * ```
 */
export interface QueueMessage {
  /** `m<seq>`, assigned by the queue. */
  readonly id: string;
  /** Enqueue order. */
  readonly seq: number;
  readonly body: unknown;
  readonly priority: number;
  /** The message group (ordering and concurrency unit), or null. */
  readonly group: string | null;
  /** The idempotency key it was enqueued with, or null. */
  readonly key: string | null;
  readonly enqueuedAt: number;
  /** Not receivable before this time (a delay, or a nack's backoff). */
  readonly visibleAt: number;
  /** Receives so far (redeliveries are `receiveCount - 1`). */
  readonly receiveCount: number;
  /** The current lease, or null when the message is waiting. */
  readonly lease: QueueLease | null;
}

/**
 * A message moved to the dead-letter queue, and why.
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * let q = distributedQueue.init({ visibilityTimeoutMs: 30_000, maxReceiveCount: 2 });
 * q = distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'order-17', now: 0 }).state;
 * // Received twice and never acked: after maxReceiveCount (2) it goes to the dead-letter queue.
 * q = distributedQueue.apply(q, { type: 'receive', consumer: 'w1', now: 0 }).state;
 * q = distributedQueue.apply(q, { type: 'receive', consumer: 'w2', now: 30_000 }).state;
 * q = distributedQueue.apply(q, { type: 'receive', consumer: 'w3', now: 60_000 }).state;
 * q.deadLetters.map((d) => [d.message.body, d.reason, d.at]); //=> [['job', 'maxReceiveCount', 60000]]
 * ```
 */
export interface DeadLetter {
  readonly message: QueueMessage;
  readonly reason: 'maxReceiveCount';
  readonly at: number;
}

/**
 * An idempotency key remembered until `until`.
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * let q = distributedQueue.init({ visibilityTimeoutMs: 30_000, maxReceiveCount: 2 });
 * q = distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'order-17', now: 0 }).state;
 * // The idempotency key is remembered for the dedup window: a retry is answered, not stored again.
 * [q.dedup, distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'order-17', now: 10 }).result]; //=> [[{ key: 'order-17', id: 'm1', until: 300000 }], { type: 'enqueued', id: 'm1', duplicate: true, at: 10 }]
 * ```
 */
export interface DedupEntry {
  readonly key: string;
  readonly id: string;
  readonly until: number;
}

/**
 * The whole queue: plain JSON, the same on every replica that applied the same commands.
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * distributedQueue.init({}).clock; //=> 0
 * ```
 */
export interface QueueState {
  readonly options: QueueOptions;
  /** The replicated clock: the largest `now` of any command applied (never goes back). */
  readonly clock: number;
  /** The last message sequence number issued. */
  readonly lastSeq: number;
  /** The last fencing token issued. */
  readonly lastToken: number;
  /** Waiting and leased messages by id, in enqueue order. */
  readonly messages: Readonly<Record<string, QueueMessage>>;
  /** Remembered idempotency keys, oldest first (their `until` never decreases). */
  readonly dedup: readonly DedupEntry[];
  /** The dead-letter queue, oldest first. */
  readonly deadLetters: readonly DeadLetter[];
}

// ---- commands and results --------------------------------------------------------------------

/**
 * A command of the queue. `now` is the proposer's clock (for a replicated queue, the leader's at
 * proposal time); the queue's clock is the largest `now` seen, so leases never run backwards.
 *
 * - `enqueue`: store `body`. A `key` seen within `dedupWindowMs` returns the first message's id
 *   instead (`duplicate: true`). `delayMs` hides it for a while; `group` orders it after the
 *   group's earlier messages.
 * - `receive`: lease the next message for `visibilityTimeoutMs`, with a fresh fencing token.
 * - `renew`, `ack`, `nack`: act on a lease, named by message id and token. Refused once the lease
 *   has expired or the message was leased again: a consumer whose lease ran out cannot ack.
 * - `redrive`: move every dead letter back to the queue with a fresh receive count.
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * let q = distributedQueue.init({ visibilityTimeoutMs: 30_000, maxReceiveCount: 2 });
 * q = distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'order-17', now: 0 }).state;
 * import type { QueueCommand } from 'distkit/messaging';
 * const commands: QueueCommand[] = [
 *   { type: 'receive', consumer: 'w1', now: 1 },
 *   { type: 'nack', id: 'm1', token: 1, delayMs: 100, now: 2 },
 *   { type: 'receive', consumer: 'w2', now: 50 },
 *   { type: 'receive', consumer: 'w2', now: 200 },
 * ];
 * // A nack with a delay makes the message invisible until then.
 * commands.map((c) => { const t = distributedQueue.apply(q, c); q = t.state; return t.result.type; }); //=> ['received', 'nacked', 'empty', 'received']
 * ```
 */
export type QueueCommand =
  | { readonly type: 'enqueue'; readonly now: number; readonly body: unknown; readonly key?: string; readonly priority?: number; readonly group?: string; readonly delayMs?: number }
  | { readonly type: 'receive'; readonly now: number; readonly consumer: string; readonly visibilityTimeoutMs?: number }
  | { readonly type: 'renew'; readonly now: number; readonly id: string; readonly token: number; readonly visibilityTimeoutMs?: number }
  | { readonly type: 'ack'; readonly now: number; readonly id: string; readonly token: number; readonly next?: QueueAckNext }
  | { readonly type: 'nack'; readonly now: number; readonly id: string; readonly token: number; readonly delayMs?: number }
  | { readonly type: 'redrive'; readonly now: number };

/**
 * What an `ack` that also asks for the next message wants (a consumer's loop then takes one round
 * trip per message instead of two, as BullMQ's worker fetches its next job when it completes one):
 * the consumer that takes the lease (default: the one whose lease was acked) and its visibility
 * timeout. The ack is applied first; the receive only if the ack succeeded.
 *
 * @example
 * ```ts
 * import { distributedQueue, type QueueAckNext } from 'distkit/messaging';
 * let q = distributedQueue.init({ visibilityTimeoutMs: 30_000 });
 * for (const body of ['a', 'b']) q = distributedQueue.apply(q, { type: 'enqueue', body, now: 0 }).state;
 * q = distributedQueue.apply(q, { type: 'receive', consumer: 'w1', now: 1 }).state;
 * const next: QueueAckNext = {};
 * distributedQueue.apply(q, { type: 'ack', id: 'm1', token: 1, next, now: 2 }).result;
 * //=> { type: 'acked', id: 'm1', token: 1, at: 2, next: { id: 'm2', body: 'b', token: 2, receiveCount: 1, group: null, expiresAt: 30002 } }
 * ```
 */
export interface QueueAckNext {
  readonly consumer?: string;
  readonly visibilityTimeoutMs?: number;
}

/**
 * A leased message as the consumer gets it.
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * let q = distributedQueue.init({ visibilityTimeoutMs: 30_000, maxReceiveCount: 2 });
 * q = distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'order-17', now: 0 }).state;
 * distributedQueue.apply(q, { type: 'receive', consumer: 'w1', now: 1000 }).result; //=> { type: 'received', message: { id: 'm1', body: 'job', token: 1, receiveCount: 1, group: null, expiresAt: 31000 }, at: 1000 }
 * ```
 */
export interface ReceivedMessage {
  readonly id: string;
  readonly body: unknown;
  /** The fencing token: name it in renew/ack/nack and pass it to any resource the work writes. */
  readonly token: number;
  readonly receiveCount: number;
  readonly group: string | null;
  /** When the lease ends on the replicated clock. */
  readonly expiresAt: number;
}

/**
 * The result of one command; `at` is the queue's clock when it was applied.
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * let q = distributedQueue.init({ visibilityTimeoutMs: 30_000, maxReceiveCount: 2 });
 * q = distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'order-17', now: 0 }).state;
 * import type { QueueResult } from 'distkit/messaging';
 * q = distributedQueue.apply(q, { type: 'receive', consumer: 'w1', now: 0 }).state;
 * // w1 acks after its lease ended: refused, so a slow consumer cannot ack work someone else now holds.
 * const late: QueueResult = distributedQueue.apply(q, { type: 'ack', id: 'm1', token: 1, now: 31_000 }).result;
 * late; //=> { type: 'refused', command: 'ack', reason: 'lease expired', at: 31000 }
 * ```
 */
export type QueueResult =
  | { readonly type: 'enqueued'; readonly id: string; readonly duplicate: boolean; readonly at: number }
  | { readonly type: 'received'; readonly message: ReceivedMessage; readonly at: number }
  | { readonly type: 'empty'; readonly at: number; readonly reason?: string }
  | { readonly type: 'renewed'; readonly id: string; readonly token: number; readonly expiresAt: number; readonly at: number }
  | { readonly type: 'acked'; readonly id: string; readonly token: number; readonly at: number; readonly next?: ReceivedMessage | null }
  | { readonly type: 'nacked'; readonly id: string; readonly token: number; readonly deadLettered: boolean; readonly at: number }
  | { readonly type: 'redriven'; readonly count: number; readonly at: number }
  | { readonly type: 'refused'; readonly command: string; readonly reason: string; readonly at: number };

// ---- checks of commands (they come from a replicated log: untrusted data) --------------------

const name = () => v.string({ minLength: 1, maxLength: MAX_ID_LENGTH });
const ms = () => v.int({ min: 0, max: MAX_COUNTER });
const token = () => v.int({ min: 1, max: MAX_COUNTER });

const commandCheck = v.tagged({
  enqueue: v.object({
    type: v.literal('enqueue'),
    key: v.optional(name()),
    priority: v.optional(v.int({ min: 0, max: QUEUE_MAX_PRIORITY })),
    group: v.optional(name()),
    delayMs: v.optional(ms()),
  }),
  receive: v.object({ type: v.literal('receive'), consumer: name(), visibilityTimeoutMs: v.optional(v.int({ min: 1, max: MAX_COUNTER })) }),
  renew: v.object({ type: v.literal('renew'), id: name(), token: token(), visibilityTimeoutMs: v.optional(v.int({ min: 1, max: MAX_COUNTER })) }),
  ack: v.object({ type: v.literal('ack'), id: name(), token: token(), next: v.optional(v.object({ consumer: v.optional(name()), visibilityTimeoutMs: v.optional(v.int({ min: 1, max: MAX_COUNTER })) })) }),
  nack: v.object({ type: v.literal('nack'), id: name(), token: token(), delayMs: v.optional(ms()) }),
  redrive: v.object({ type: v.literal('redrive') }),
});

// ---- init -------------------------------------------------------------------------------------

function queueOptions(config: QueueConfig): QueueOptions {
  checkObject('config', config);
  const maxVisibilityTimeoutMs = positiveMs('maxVisibilityTimeoutMs', config.maxVisibilityTimeoutMs, 43_200_000);
  const visibilityTimeoutMs = positiveMs('visibilityTimeoutMs', config.visibilityTimeoutMs, Math.min(30_000, maxVisibilityTimeoutMs));
  if (visibilityTimeoutMs > maxVisibilityTimeoutMs) throw new ConfigError('visibilityTimeoutMs', `must be at most maxVisibilityTimeoutMs (${maxVisibilityTimeoutMs}), got ${visibilityTimeoutMs}`);
  return {
    visibilityTimeoutMs,
    maxVisibilityTimeoutMs,
    maxReceiveCount: positiveInt('maxReceiveCount', config.maxReceiveCount, 5),
    maxMessages: positiveInt('maxMessages', config.maxMessages, 10_000),
    maxInFlight: positiveInt('maxInFlight', config.maxInFlight, 1_000),
    maxGroupInFlight: positiveInt('maxGroupInFlight', config.maxGroupInFlight, 1),
    dedupWindowMs: positiveMs('dedupWindowMs', config.dedupWindowMs, 300_000),
    maxDedupKeys: positiveInt('maxDedupKeys', config.maxDedupKeys, 10_000),
    maxDelayMs: positiveMs('maxDelayMs', config.maxDelayMs, 900_000),
    bodyLimits: dataLimitsOption('bodyLimits', config.bodyLimits, 256 * 1024),
  };
}

function init(config: QueueConfig = {}): QueueState {
  return { options: queueOptions(config), clock: 0, lastSeq: 0, lastToken: 0, messages: {}, dedup: [], deadLetters: [] };
}

// ---- apply ------------------------------------------------------------------------------------

function refused<S>(state: S, command: string, reason: string, at: number): Applied<S, QueueResult> {
  return { state, result: { type: 'refused', command, reason, at } };
}

/**
 * Moves the clock to `now` (never back), ends the leases that ran out (dead-lettering messages
 * received `maxReceiveCount` times) and forgets idempotency keys past their window.
 */
function advance(state: QueueState, now: number): QueueState {
  const clock = Math.max(state.clock, now);
  let messages = state.messages;
  let deadLetters = state.deadLetters;
  for (const m of Object.values(state.messages)) {
    if (m.lease === null || m.lease.expiresAt > clock) continue;
    // SQS: a message whose receive count reached maxReceiveCount moves to the dead-letter queue
    // instead of becoming visible again.
    if (m.receiveCount >= state.options.maxReceiveCount) {
      messages = withoutOwn(messages, m.id);
      deadLetters = [...deadLetters, { message: { ...m, lease: null }, reason: 'maxReceiveCount', at: clock }];
    } else {
      messages = withOwn(messages, m.id, { ...m, lease: null });
    }
  }
  let drop = 0;
  while (drop < state.dedup.length && state.dedup[drop]!.until <= clock) drop++;
  const dedup = drop === 0 ? state.dedup : state.dedup.slice(drop);
  if (clock === state.clock && messages === state.messages && dedup === state.dedup) return state;
  return { ...state, clock, messages, deadLetters, dedup };
}

function stored(state: QueueState): number {
  return Object.keys(state.messages).length + state.deadLetters.length;
}

function enqueue(state: QueueState, c: Extract<QueueCommand, { type: 'enqueue' }>): Applied<QueueState, QueueResult> {
  const at = state.clock;
  const o = state.options;
  if (c.key !== undefined) {
    const seen = state.dedup.find((e) => e.key === c.key);
    if (seen !== undefined) return { state, result: { type: 'enqueued', id: seen.id, duplicate: true, at } };
    if (state.dedup.length >= o.maxDedupKeys) return refused(state, 'enqueue', `${o.maxDedupKeys} idempotency keys remembered (maxDedupKeys); retry later`, at);
  }
  if (stored(state) >= o.maxMessages) return refused(state, 'enqueue', `queue full: ${o.maxMessages} messages stored (maxMessages)`, at);
  if ((c.delayMs ?? 0) > o.maxDelayMs) return refused(state, 'enqueue', `delayMs ${String(c.delayMs)} exceeds maxDelayMs ${o.maxDelayMs}`, at);
  const body = parse(v.json(o.bodyLimits), c.body);
  if (!body.ok) return refused(state, 'enqueue', `body: ${body.problem}`, at);
  if (state.lastSeq >= MAX_COUNTER) return refused(state, 'enqueue', 'message sequence exhausted', at);
  const seq = state.lastSeq + 1;
  const id = `m${seq}`;
  const message: QueueMessage = {
    id,
    seq,
    body: body.value ?? null,
    priority: c.priority ?? 0,
    group: c.group ?? null,
    key: c.key ?? null,
    enqueuedAt: at,
    visibleAt: at + (c.delayMs ?? 0),
    receiveCount: 0,
    lease: null,
  };
  const dedup = c.key === undefined ? state.dedup : [...state.dedup, { key: c.key, id, until: at + o.dedupWindowMs }];
  return { state: { ...state, lastSeq: seq, messages: withOwn(state.messages, id, message), dedup }, result: { type: 'enqueued', id, duplicate: false, at } };
}

/**
 * The next message to deliver: among waiting, visible messages, the one with the highest priority,
 * then the oldest. A group offers only its oldest waiting message (per-group FIFO), and only while
 * fewer than `maxGroupInFlight` of its messages are leased.
 */
function nextMessage(state: QueueState): QueueMessage | 'in-flight limit' | undefined {
  const leasedByGroup = new Map<string, number>();
  let leased = 0;
  for (const m of Object.values(state.messages)) {
    if (m.lease === null) continue;
    leased++;
    if (m.group !== null) leasedByGroup.set(m.group, (leasedByGroup.get(m.group) ?? 0) + 1);
  }
  if (leased >= state.options.maxInFlight) return 'in-flight limit';
  const headSeen = new Set<string>();
  let best: QueueMessage | undefined;
  for (const m of Object.values(state.messages)) {
    if (m.lease !== null) continue;
    if (m.group !== null) {
      if (headSeen.has(m.group)) continue;
      headSeen.add(m.group);
      if ((leasedByGroup.get(m.group) ?? 0) >= state.options.maxGroupInFlight) continue;
    }
    if (m.visibleAt > state.clock) continue;
    if (best === undefined || m.priority > best.priority) best = m;
  }
  return best;
}

function receive(state: QueueState, c: Extract<QueueCommand, { type: 'receive' }>): Applied<QueueState, QueueResult> {
  const at = state.clock;
  const o = state.options;
  const timeout = c.visibilityTimeoutMs ?? o.visibilityTimeoutMs;
  if (timeout > o.maxVisibilityTimeoutMs) return refused(state, 'receive', `visibilityTimeoutMs ${timeout} exceeds maxVisibilityTimeoutMs ${o.maxVisibilityTimeoutMs}`, at);
  const next = nextMessage(state);
  if (next === 'in-flight limit') return { state, result: { type: 'empty', at, reason: `${o.maxInFlight} messages in flight (maxInFlight)` } };
  if (next === undefined) return { state, result: { type: 'empty', at } };
  if (state.lastToken >= MAX_COUNTER) return refused(state, 'receive', 'fencing tokens exhausted', at);
  const lease: QueueLease = { consumer: c.consumer, token: state.lastToken + 1, expiresAt: at + timeout };
  const m: QueueMessage = { ...next, receiveCount: next.receiveCount + 1, lease };
  const message: ReceivedMessage = { id: m.id, body: m.body, token: lease.token, receiveCount: m.receiveCount, group: m.group, expiresAt: lease.expiresAt };
  return { state: { ...state, lastToken: lease.token, messages: withOwn(state.messages, m.id, m) }, result: { type: 'received', message, at } };
}

/**
 * The leased message named by a renew/ack/nack, or why the lease is not the caller's. `advance`
 * has already ended every lease with `expiresAt <= clock`, so a live lease here has not expired:
 * the fencing token alone tells a current holder from one whose lease ran out.
 */
function heldLease(state: QueueState, id: string, token: number): QueueMessage | string {
  const m = getOwn(state.messages, id);
  if (m === undefined) return token <= state.lastToken ? 'lease expired: the message was acked or dead-lettered' : 'unknown message';
  if (m.lease === null) return 'lease expired';
  if (m.lease.token !== token) return token < m.lease.token ? `stale fencing token ${token}: leased again with token ${m.lease.token}` : `unknown fencing token ${token}`;
  return m;
}

function renew(state: QueueState, c: Extract<QueueCommand, { type: 'renew' }>): Applied<QueueState, QueueResult> {
  const at = state.clock;
  const timeout = c.visibilityTimeoutMs ?? state.options.visibilityTimeoutMs;
  if (timeout > state.options.maxVisibilityTimeoutMs) return refused(state, 'renew', `visibilityTimeoutMs ${timeout} exceeds maxVisibilityTimeoutMs ${state.options.maxVisibilityTimeoutMs}`, at);
  const m = heldLease(state, c.id, c.token);
  if (typeof m === 'string') return refused(state, 'renew', m, at);
  const lease: QueueLease = { ...m.lease!, expiresAt: at + timeout };
  return { state: { ...state, messages: withOwn(state.messages, m.id, { ...m, lease }) }, result: { type: 'renewed', id: m.id, token: c.token, expiresAt: lease.expiresAt, at } };
}

function ack(state: QueueState, c: Extract<QueueCommand, { type: 'ack' }>): Applied<QueueState, QueueResult> {
  const timeout = c.next?.visibilityTimeoutMs;
  if (timeout !== undefined && timeout > state.options.maxVisibilityTimeoutMs) return refused(state, 'ack', `next.visibilityTimeoutMs ${timeout} exceeds maxVisibilityTimeoutMs ${state.options.maxVisibilityTimeoutMs}`, state.clock);
  const m = heldLease(state, c.id, c.token);
  if (typeof m === 'string') return refused(state, 'ack', m, state.clock);
  const acked: QueueState = { ...state, messages: withoutOwn(state.messages, m.id) };
  const result = { type: 'acked', id: m.id, token: c.token, at: state.clock } as const;
  if (c.next === undefined) return { state: acked, result };
  const consumer = c.next.consumer ?? m.lease!.consumer;
  const r = receive(acked, { type: 'receive', now: c.now, consumer, ...(timeout === undefined ? {} : { visibilityTimeoutMs: timeout }) });
  return { state: r.state, result: { ...result, next: r.result.type === 'received' ? r.result.message : null } };
}

function nack(state: QueueState, c: Extract<QueueCommand, { type: 'nack' }>): Applied<QueueState, QueueResult> {
  const at = state.clock;
  if ((c.delayMs ?? 0) > state.options.maxDelayMs) return refused(state, 'nack', `delayMs ${String(c.delayMs)} exceeds maxDelayMs ${state.options.maxDelayMs}`, at);
  const m = heldLease(state, c.id, c.token);
  if (typeof m === 'string') return refused(state, 'nack', m, at);
  const waiting: QueueMessage = { ...m, lease: null, visibleAt: at + (c.delayMs ?? 0) };
  if (m.receiveCount >= state.options.maxReceiveCount) {
    const deadLetters = [...state.deadLetters, { message: waiting, reason: 'maxReceiveCount' as const, at }];
    return { state: { ...state, messages: withoutOwn(state.messages, m.id), deadLetters }, result: { type: 'nacked', id: m.id, token: c.token, deadLettered: true, at } };
  }
  return { state: { ...state, messages: withOwn(state.messages, m.id, waiting) }, result: { type: 'nacked', id: m.id, token: c.token, deadLettered: false, at } };
}

function redrive(state: QueueState): Applied<QueueState, QueueResult> {
  let messages = state.messages;
  for (const d of state.deadLetters) messages = withOwn(messages, d.message.id, { ...d.message, receiveCount: 0, visibleAt: state.clock });
  // Redriven messages keep their ids and sequence numbers; re-inserted keys go to the end, so
  // restore enqueue order.
  const ordered: Record<string, QueueMessage> = {};
  for (const m of Object.values(messages).sort((a, b) => a.seq - b.seq)) setOwn(ordered, m.id, m);
  return { state: { ...state, messages: ordered, deadLetters: [] }, result: { type: 'redriven', count: state.deadLetters.length, at: state.clock } };
}

/**
 * Applies one command. Total: a malformed command (the log is data from the network) leaves the
 * state as it was, apart from the clock, and yields a `refused` result. Deterministic: replicas
 * that apply the same commands reach the same state.
 */
function apply(state: QueueState, command: unknown): Applied<QueueState, QueueResult> {
  const now = (command as { now?: unknown } | null)?.now;
  if (typeof now !== 'number' || !Number.isFinite(now)) return refused(state, 'command', 'now must be a finite number of milliseconds', state.clock);
  const checked = parse(commandCheck, command);
  const s = advance(state, now);
  if (!checked.ok) return refused(s, typeof (command as { type?: unknown }).type === 'string' ? (command as { type: string }).type : 'command', checked.problem, s.clock);
  const c = command as QueueCommand;
  switch (c.type) {
    case 'enqueue':
      return enqueue(s, c);
    case 'receive':
      return receive(s, c);
    case 'renew':
      return renew(s, c);
    case 'ack':
      return ack(s, c);
    case 'nack':
      return nack(s, c);
    case 'redrive':
      return redrive(s);
  }
}

const snapshotShape = v.object({
  clock: v.number({ min: 0 }),
  lastSeq: v.int({ min: 0, max: MAX_COUNTER }),
  lastToken: v.int({ min: 0, max: MAX_COUNTER }),
  messages: v.record(v.object({ id: name(), seq: v.int({ min: 1 }), priority: v.int({ min: 0, max: QUEUE_MAX_PRIORITY }), receiveCount: v.int({ min: 0 }), visibleAt: v.number(), lease: v.nullable(v.object({ consumer: name(), token: token(), expiresAt: v.number() })) })),
  dedup: v.array(v.object({ key: name(), id: name(), until: v.number() })),
  deadLetters: v.array(v.object({ reason: v.literal('maxReceiveCount'), at: v.number() })),
});

/**
 * The queue as a replicated application: the notes' `DistributedQueue` (and `MessageQueue`) with
 * leases, fencing tokens, idempotent enqueue, redelivery counts, a dead-letter queue, delays,
 * priorities, message groups and back-pressure. Run it over Raft with {@link replicatedQueue}, or
 * in-process by calling `apply` yourself. Rules from Amazon SQS's documented semantics
 * (visibility timeout, maxReceiveCount redrive, 5-minute deduplication interval, FIFO message
 * groups) and Kleppmann's fencing tokens ("How to do distributed locking", 2016).
 *
 * @example
 * ```ts
 * import { distributedQueue } from 'distkit/messaging';
 * let q = distributedQueue.init({ visibilityTimeoutMs: 1000 });
 * q = distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'k1', now: 0 }).state;
 * distributedQueue.apply(q, { type: 'enqueue', body: 'job', key: 'k1', now: 5 }).result;
 * //=> { type: 'enqueued', id: 'm1', duplicate: true, at: 5 }
 * const r = distributedQueue.apply(q, { type: 'receive', consumer: 'w1', now: 10 });
 * r.result.type; //=> 'received'
 * // w1 stalls past its lease; the ack carrying its token is refused:
 * distributedQueue.apply(r.state, { type: 'ack', id: 'm1', token: 1, now: 2000 }).result.type; //=> 'refused'
 * ```
 */
export const distributedQueue: ReplicatedApp<QueueConfig, QueueState, QueueResult> = {
  name: 'distributedQueue',
  init,
  apply,
  restore: restoreSnapshot<QueueConfig, QueueState>(snapshotShape, queueOptions),
};

/**
 * The replicated queue: {@link distributedQueue} run over Raft by {@link replicatedStateMachine}.
 * Submit queue commands (without `now`: the leader stamps them) to the leader; each replica
 * applies them in log order. An acknowledged enqueue (a `result` output) is on a majority's disk.
 *
 * @example
 * ```ts
 * import { replicatedQueue } from 'distkit/messaging';
 * let s = replicatedQueue.init({ raft: { id: 'a', voters: ['a'], seed: 1 }, app: { visibilityTimeoutMs: 1000 } });
 * s = replicatedQueue.step(s, { type: 'campaign', now: 0 }).state;
 * s = replicatedQueue.step(s, { type: 'submit', id: 'e1', command: { type: 'enqueue', body: 'job', key: 'job-1' }, now: 1 }).state;
 * s.app.lastSeq; //=> 1
 * ```
 */
export const replicatedQueue = replicatedStateMachine(distributedQueue);
