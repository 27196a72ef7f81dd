/**
 * A {@link Transport} over Redis Streams: one stream per receiving node, read through a consumer
 * group, acknowledged after delivery.
 *
 * @packageDocumentation
 */
import { ConfigError, MAX_ID_LENGTH, nonNegativeInt, positiveInt, type NodeId, type Transport } from '../core/index.js';
import { entryFields, parseEntry, replyEntries } from './entries.js';

/**
 * The part of a Redis client the transport uses: `call` for raw commands, `duplicate` for the
 * connection that blocks on reads, `disconnect` to end it. An `ioredis` client (`new Redis(...)`)
 * has this shape; wrap any other client in these three functions.
 *
 * @example
 * ```ts
 * import type { RedisClientLike } from 'distkit/redis';
 * declare const client: RedisClientLike; // e.g. new Redis(6379) from 'ioredis'
 * await client.call('PING', []); // 'PONG'
 * ```
 */
export interface RedisClientLike {
  /** Sends one command with its arguments; resolves with the reply, rejects with a server error. */
  call(command: string, args: (string | number)[]): Promise<unknown>;
  /** A new connection to the same server with the same options. */
  duplicate(): RedisClientLike;
  /** Closes the connection now; commands still waiting on it are rejected. */
  disconnect(): void;
  /** Listens for connection errors (an EventEmitter's `on`): the reading connection's go to `onError`. */
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * A stream entry refused by the receiving transport, as reported to
 * {@link RedisStreamsTransportOptions.onReject}. The entry is acknowledged so that it is not
 * delivered again.
 *
 * @example
 * ```ts
 * import type { RedisRejection } from 'distkit/redis';
 * const r: RedisRejection = { type: 'rejected', stream: 'distkit:b', entryId: '1700000000000-0', from: 'a', reason: 'field "data" is not JSON' };
 * ```
 */
export interface RedisRejection {
  readonly type: 'rejected';
  /** The stream the entry was read from. */
  readonly stream: string;
  /** The entry's id. */
  readonly entryId: string;
  /** The sender the entry claims, when it names a valid one. */
  readonly from?: NodeId;
  /** Why it was refused. */
  readonly reason: string;
}

/**
 * Options of {@link createRedisStreamsTransport}.
 *
 * @example
 * ```ts
 * import type { RedisStreamsTransportOptions, RedisClientLike } from 'distkit/redis';
 * declare const client: RedisClientLike;
 * const options: RedisStreamsTransportOptions = { id: 'a', client, keyPrefix: 'orders:', maxStreamLength: 50_000 };
 * ```
 */
export interface RedisStreamsTransportOptions {
  /** This node's id: it reads the stream `keyPrefix + id` and signs its entries `from: id`. */
  id: NodeId;
  /** The connection that sends (`XADD`) and acknowledges (`XACK`); the transport reads on `client.duplicate()`. Closing the transport leaves `client` open. */
  client: RedisClientLike;
  /** Prefix of every node's stream key (default `'distkit:'`). */
  keyPrefix?: string;
  /** The consumer group that reads this node's stream (default `'distkit'`). */
  group?: string;
  /** This reader's name in the group (default the node id): a restart under the same name re-reads its unacknowledged entries. */
  consumer?: string;
  /** Every `XADD` trims the destination stream to about this many entries, `MAXLEN ~` (default 100,000). */
  maxStreamLength?: number;
  /**
   * On start, after its own pending entries, take over (`XAUTOCLAIM`) entries that other consumers
   * of the group left unacknowledged for at least this many ms — e.g. the node ran before under
   * another `consumer` name. Default: off.
   */
  claimIdleMs?: number;
  /** Entries read per `XREADGROUP` (default 256). */
  readCount?: number;
  /** How long one blocking read waits in ms (default 5,000); `close()` ends a waiting read at once. */
  blockMs?: number;
  /** Largest message in bytes of JSON (default 16 MiB): larger sends are dropped, larger entries rejected. */
  maxMessageBytes?: number;
  /** Sends waiting for Redis's answer (default 10,000); beyond it new sends are dropped and reported. */
  maxPendingSends?: number;
  /** First wait in ms after a failed read (default 50), doubling up to `retryMaxDelayMs`. */
  retryDelayMs?: number;
  /** Upper bound of the read retry backoff in ms (default 5,000). */
  retryMaxDelayMs?: number;
  /** `close()` waits at most this long in ms for sends and acknowledgements in flight (default 5,000). */
  closeTimeoutMs?: number;
  /** Reports entries refused (malformed, oversized, trimmed). Never throws into the transport. */
  onReject?: (rejection: RedisRejection) => void;
  /** Reports every other problem: failed commands, dropped sends, throwing handlers. Never throws into the transport. */
  onError?: (problem: string) => void;
}

/**
 * Counters of a {@link RedisStreamsTransport}.
 *
 * @example
 * ```ts
 * import type { RedisStreamsTransportStats } from 'distkit/redis';
 * declare const s: RedisStreamsTransportStats;
 * s.received - s.redelivered; // messages seen for the first time by this reader
 * ```
 */
export interface RedisStreamsTransportStats {
  /** Entries Redis confirmed it added (`XADD` answered). */
  readonly sent: number;
  /** Sends dropped: not JSON, too large, too many pending, or refused by Redis. */
  readonly dropped: number;
  /** Messages handed to the handlers. */
  readonly received: number;
  /** Of those, entries re-read from the group's pending list (delivered before, never acknowledged). */
  readonly redelivered: number;
  /** Entries Redis confirmed acknowledged. */
  readonly acked: number;
  /** Entries refused ({@link RedisRejection}). */
  readonly rejected: number;
  /** Failed reads and acknowledgements. */
  readonly errors: number;
}

/**
 * A {@link Transport} over Redis Streams, with its stream key, a readiness promise and counters.
 *
 * @example
 * ```ts
 * import type { RedisStreamsTransport } from 'distkit/redis';
 * declare const t: RedisStreamsTransport;
 * await t.ready();
 * t.stats().received;
 * ```
 */
export interface RedisStreamsTransport<M = unknown> extends Transport<M> {
  /** The stream this node reads. */
  readonly stream: string;
  /** Resolves once the consumer group exists and reading has begun (or the transport closed). */
  ready(): Promise<void>;
  /** A snapshot of the counters. */
  stats(): RedisStreamsTransportStats;
}

/**
 * The stream key of node `id`: `keyPrefix + id`.
 *
 * @example
 * ```ts
 * import { streamKey } from 'distkit/redis';
 * streamKey('b'); //=> 'distkit:b'
 * streamKey('b', 'orders:'); //=> 'orders:b'
 * ```
 */
export function streamKey(id: NodeId, keyPrefix = DEFAULT_PREFIX): string {
  return keyPrefix + id;
}

const DEFAULT_PREFIX = 'distkit:';

/** The state of one transport. */
interface Rs<M> {
  readonly id: NodeId;
  readonly client: RedisClientLike;
  readonly reader: RedisClientLike;
  readonly prefix: string;
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly maxLength: number;
  readonly readCount: number;
  readonly blockMs: number;
  readonly maxMessageBytes: number;
  readonly maxPendingSends: number;
  readonly retryDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly closeTimeoutMs: number;
  readonly claimIdleMs: number | undefined;
  readonly report: (problem: string) => void;
  readonly onReject: (r: RedisRejection) => void;
  readonly handlers: Set<(from: NodeId, message: M) => void>;
  readonly inflight: Set<Promise<unknown>>;
  pendingSends: number;
  closed: boolean;
  /** Ends a retry wait early (on close). */
  wake: (() => void) | undefined;
  counts: { sent: number; dropped: number; received: number; redelivered: number; acked: number; rejected: number; errors: number };
}

function quiet<A>(f: ((a: A) => void) | undefined): (a: A) => void {
  return (a) => {
    try {
      f?.(a);
    } catch {
      // A throwing reporter must not break the transport.
    }
  };
}

function name(field: string, value: string | undefined, fallback: string, max: number): string {
  const v = value ?? fallback;
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new ConfigError(field, `expected a non-empty string of at most ${max} characters`);
  return v;
}

function newRs<M>(o: RedisStreamsTransportOptions): Rs<M> {
  const id = name('id', o.id, '', MAX_ID_LENGTH);
  if (o.client === null || typeof o.client !== 'object' || typeof o.client.call !== 'function' || typeof o.client.duplicate !== 'function') {
    throw new ConfigError('client', 'expected a Redis client with call(command, args) and duplicate(), e.g. new Redis() from ioredis');
  }
  const prefix = o.keyPrefix ?? DEFAULT_PREFIX;
  if (typeof prefix !== 'string' || prefix.length > 256) throw new ConfigError('keyPrefix', 'expected a string of at most 256 characters');
  const report = quiet(o.onError);
  const t: Omit<Rs<M>, 'reader'> = {
    id,
    client: o.client,
    prefix,
    stream: streamKey(id, prefix),
    group: name('group', o.group, 'distkit', 256),
    consumer: name('consumer', o.consumer, id, 256),
    maxLength: positiveInt('maxStreamLength', o.maxStreamLength, 100_000),
    readCount: positiveInt('readCount', o.readCount, 256),
    blockMs: positiveInt('blockMs', o.blockMs, 5_000),
    maxMessageBytes: positiveInt('maxMessageBytes', o.maxMessageBytes, 16 * 1024 * 1024),
    maxPendingSends: positiveInt('maxPendingSends', o.maxPendingSends, 10_000),
    retryDelayMs: positiveInt('retryDelayMs', o.retryDelayMs, 50),
    retryMaxDelayMs: positiveInt('retryMaxDelayMs', o.retryMaxDelayMs, 5_000),
    closeTimeoutMs: positiveInt('closeTimeoutMs', o.closeTimeoutMs, 5_000),
    claimIdleMs: o.claimIdleMs === undefined ? undefined : nonNegativeInt('claimIdleMs', o.claimIdleMs),
    report,
    onReject: quiet(o.onReject),
    handlers: new Set(),
    inflight: new Set(),
    pendingSends: 0,
    closed: false,
    wake: undefined,
    counts: { sent: 0, dropped: 0, received: 0, redelivered: 0, acked: 0, rejected: 0, errors: 0 },
  };
  // Only once every option is valid: a connection opened before a ConfigError would leak.
  const reader = o.client.duplicate();
  // An EventEmitter without an 'error' listener throws (ioredis prints instead): the transport owns this connection.
  reader.on?.('error', (e) => report(`reading connection: ${errorText(e)}`));
  return { ...t, reader };
}

/**
 * A transport over Redis Streams that carries any distkit machine's messages between processes
 * and machines. Each node reads one stream, `keyPrefix + id`; a send to node `b` is an `XADD` to
 * b's stream with the fields `from` and `data` (the message as JSON), trimmed to about
 * `maxStreamLength` entries (`MAXLEN ~`). The node reads its stream through a consumer group
 * (`XREADGROUP ... BLOCK`, created at the stream's first entry so nothing sent before the
 * receiver started is skipped) on a connection of its own, and acknowledges each batch
 * (`XACK`) once every handler has returned: delivery is at least once. Entries a reader received
 * but never acknowledged (it crashed, or closed mid-batch) stay in the group's pending entries
 * list; on start the reader re-reads its own list from id 0 before reading new entries, so a
 * restarted node under the same `consumer` name gets them again (Redis Streams' consumer group
 * semantics, redis.io/docs/data-types/streams); with `claimIdleMs` it then takes over, with
 * `XAUTOCLAIM`, what other consumer names of its group left pending that long.
 *
 * An entry that is not a distkit message (a field missing, a sender that is no valid id, data
 * that is not JSON or larger than `maxMessageBytes`, content trimmed while pending) is reported
 * through `onReject` and acknowledged; it never reaches a handler and never stops the reader.
 * Failed reads are reported and retried with exponential backoff; a group lost with the data
 * (a Redis restarted without persistence) is created again. Sends never block or throw: a message
 * that cannot be sent is dropped and reported, as distkit's protocols tolerate loss. `close()`
 * ends a waiting read at once (it disconnects the reading connection) and waits, up to
 * `closeTimeoutMs`, for sends and acknowledgements in flight.
 *
 * The `from` field is what the writer claims: anyone who may `XADD` to the streams can speak for
 * any node. Restrict who may write with Redis ACLs and TLS.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { createRedisStreamsTransport } from 'distkit/redis';
 * const client = new Redis(6379);
 * const a = createRedisStreamsTransport({ id: 'a', client });
 * const b = createRedisStreamsTransport({ id: 'b', client });
 * b.onMessage((from, message) => console.log(from, message)); // 'a' { hello: 1 }
 * a.send('b', { hello: 1 });
 * ```
 */
export function createRedisStreamsTransport<M = unknown>(options: RedisStreamsTransportOptions): RedisStreamsTransport<M> {
  const t = newRs<M>(options);
  let started: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const loop = readLoop(t, () => started());
  let closing: Promise<void> | undefined;
  return {
    id: t.id,
    stream: t.stream,
    ready: () => ready,
    stats: () => ({ ...t.counts }),
    send: (to, message) => sendTo(t, to, message),
    onMessage(handler) {
      t.handlers.add(handler);
      return () => t.handlers.delete(handler);
    },
    close() {
      closing ??= closeRs(t, loop).finally(() => started());
      return closing;
    },
  };
}

/** Keeps a command's promise until it settles, so `close()` can wait for it. */
function track<M>(t: Rs<M>, p: Promise<unknown>): void {
  t.inflight.add(p);
  void p.finally(() => t.inflight.delete(p)).catch(() => undefined);
}

function sendTo<M>(t: Rs<M>, to: NodeId, message: M): void {
  if (t.closed) return;
  const drop = (why: string) => {
    t.counts.dropped++;
    t.report(`send to ${String(to)}: ${why}; dropped`);
  };
  if (typeof to !== 'string' || to.length === 0 || to.length > MAX_ID_LENGTH) return drop('not a node id');
  let json: string | undefined;
  try {
    json = JSON.stringify(message);
  } catch (e) {
    return drop(`message is not JSON-serializable (${String(e)})`);
  }
  if (json === undefined) return drop('message is not JSON-serializable');
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > t.maxMessageBytes) return drop(`message of ${bytes} bytes exceeds maxMessageBytes (${t.maxMessageBytes})`);
  if (t.pendingSends >= t.maxPendingSends) return drop(`${t.maxPendingSends} sends are waiting for Redis (maxPendingSends)`);
  t.pendingSends++;
  const args = [streamKey(to, t.prefix), 'MAXLEN', '~', t.maxLength, '*', ...entryFields(t.id, json)];
  track(
    t,
    t.client.call('XADD', args).then(
      () => {
        t.pendingSends--;
        t.counts.sent++;
      },
      (e: unknown) => {
        t.pendingSends--;
        drop(`XADD failed (${errorText(e)})`);
      },
    ),
  );
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Creates the consumer group at the stream's first entry (and the stream); an existing group is kept. */
async function ensureGroup<M>(t: Rs<M>): Promise<void> {
  try {
    await t.client.call('XGROUP', ['CREATE', t.stream, t.group, '0', 'MKSTREAM']);
  } catch (e) {
    if (!errorText(e).startsWith('BUSYGROUP')) throw e;
  }
}

/** Waits `ms`, or less if the transport closes meanwhile. */
function pause<M>(t: Rs<M>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      t.wake = undefined;
      resolve();
    }, ms);
    t.wake = () => {
      clearTimeout(timer);
      t.wake = undefined;
      resolve();
    };
  });
}

/** Where the read loop is: creating the group, scanning its own pending list, claiming others', or reading new entries. */
type Phase = { readonly kind: 'group' } | { readonly kind: 'pending'; readonly after: string } | { readonly kind: 'claim'; readonly start: string } | { readonly kind: 'new' };

/**
 * One step of the read loop; returns the next phase. The pending scan reads this consumer's
 * entries from id 0, one page past the last; with `claimIdleMs`, `XAUTOCLAIM` then takes over
 * entries other consumers of the group left pending that long; then blocking reads of new ones.
 */
async function readStep<M>(t: Rs<M>, phase: Phase, started: () => void): Promise<Phase | undefined> {
  switch (phase.kind) {
    case 'group':
      await ensureGroup(t);
      started();
      return { kind: 'pending', after: '0' };
    case 'pending': {
      const reply = await t.reader.call('XREADGROUP', ['GROUP', t.group, t.consumer, 'COUNT', t.readCount, 'STREAMS', t.stream, phase.after]);
      if (t.closed) return undefined; // undelivered and unacknowledged: read again after a restart
      const last = deliverBatch(t, replyEntries(reply), true);
      if (last !== undefined) return { kind: 'pending', after: last };
      return t.claimIdleMs === undefined ? { kind: 'new' } : { kind: 'claim', start: '0-0' };
    }
    case 'claim': {
      const reply = await t.reader.call('XAUTOCLAIM', [t.stream, t.group, t.consumer, t.claimIdleMs!, phase.start, 'COUNT', t.readCount]);
      if (t.closed) return undefined;
      const [next, entries] = Array.isArray(reply) ? (reply as unknown[]) : [];
      deliverBatch(t, Array.isArray(entries) ? entries : undefined, true);
      return typeof next === 'string' && next !== '0-0' ? { kind: 'claim', start: next } : { kind: 'new' };
    }
    case 'new': {
      const reply = await t.reader.call('XREADGROUP', ['GROUP', t.group, t.consumer, 'COUNT', t.readCount, 'BLOCK', t.blockMs, 'STREAMS', t.stream, '>']);
      if (t.closed) return undefined;
      deliverBatch(t, replyEntries(reply), false);
      return phase;
    }
  }
}

/** Reads until closed. Errors back off exponentially; a lost group is recreated and the pending list read again. */
async function readLoop<M>(t: Rs<M>, started: () => void): Promise<void> {
  let phase: Phase | undefined = { kind: 'group' };
  let delay = t.retryDelayMs;
  while (!t.closed && phase !== undefined) {
    try {
      phase = await readStep(t, phase, started);
      delay = t.retryDelayMs;
    } catch (e) {
      if (t.closed) break;
      const text = errorText(e);
      if (text.startsWith('NOGROUP')) phase = { kind: 'group' };
      t.counts.errors++;
      t.report(`reading ${t.stream}: ${text}; retrying in ${delay} ms`);
      await pause(t, delay);
      delay = Math.min(t.retryMaxDelayMs, delay * 2);
    }
  }
}

/**
 * Hands a batch of entries to the handlers, reports refused entries, and acknowledges them all.
 * Returns the id of the last entry (where a pending-list scan continues), or `undefined` if none.
 */
function deliverBatch<M>(t: Rs<M>, raws: unknown[] | undefined, pending: boolean): string | undefined {
  if (raws === undefined) {
    t.counts.errors++;
    t.report(`reading ${t.stream}: unexpected reply shape; skipped`);
    return undefined;
  }
  const ids: string[] = [];
  for (const raw of raws) {
    const e = parseEntry(raw, t.maxMessageBytes);
    if (e.id !== '?') ids.push(e.id);
    if ('reason' in e) {
      t.counts.rejected++;
      t.onReject({ type: 'rejected', stream: t.stream, entryId: e.id, reason: e.reason, ...(e.from !== undefined ? { from: e.from } : {}) });
      continue;
    }
    t.counts.received++;
    if (pending) t.counts.redelivered++;
    for (const h of t.handlers) {
      try {
        h(e.from, e.message as M);
      } catch (err) {
        t.report(`message handler threw on entry ${e.id} from ${e.from}: ${errorText(err)}`);
      }
    }
  }
  if (ids.length > 0) acknowledge(t, ids);
  return ids[ids.length - 1];
}

/** `XACK`s a batch; a failed one leaves the entries pending, to be read again after a restart. */
function acknowledge<M>(t: Rs<M>, ids: readonly string[]): void {
  track(
    t,
    t.client.call('XACK', [t.stream, t.group, ...ids]).then(
      (n) => {
        t.counts.acked += typeof n === 'number' ? n : 0;
      },
      (e: unknown) => {
        t.counts.errors++;
        t.report(`XACK of ${ids.length} entries on ${t.stream} failed (${errorText(e)}); they stay pending`);
      },
    ),
  );
}

async function closeRs<M>(t: Rs<M>, loop: Promise<void>): Promise<void> {
  t.closed = true;
  t.handlers.clear();
  t.wake?.();
  try {
    t.reader.disconnect();
  } catch (e) {
    t.report(`closing the reading connection: ${errorText(e)}`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      if (t.inflight.size > 0) t.report(`close: ${t.inflight.size} command(s) still waiting for Redis after ${t.closeTimeoutMs} ms`);
      resolve();
    }, t.closeTimeoutMs);
  });
  await Promise.race([Promise.allSettled([loop, ...t.inflight]), timeout]);
  clearTimeout(timer);
}
