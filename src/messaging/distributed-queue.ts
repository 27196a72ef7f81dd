/**
 * `DistributedQueue`: the notes' `queue.enqueue(...)` / `queue.dequeue(...)` as a small class over
 * a {@link replicatedQueue} cluster on an in-memory network.
 *
 * @packageDocumentation
 */
import type { CancelTimer, Clock, MemoryNetwork, NodeId, RunningNode, Timers } from '../core/index.js';
import { DistkitError, backgroundTimers, checkIds, createMemoryNetwork, createNode, nonNegativeMs, positiveMs, systemClock, systemTimers } from '../core/index.js';
import type { RaftConfig, ReplicatedInput, ReplicatedOutput, ReplicatedState } from '../consensus/index.js';
import { replicatedQueue } from './queue.js';
import type { QueueConfig, QueueResult, QueueState } from './queue.js';

/**
 * Options of a {@link DistributedQueue}.
 *
 * @example
 * ```ts
 * import type { DistributedQueueOptions } from 'distkit/messaging';
 * const o: DistributedQueueOptions = { queue: { visibilityTimeoutMs: 10_000, maxReceiveCount: 3 } };
 * ```
 */
export interface DistributedQueueOptions {
  /** Replica ids. Default `['q0', 'q1', 'q2']`. */
  readonly replicas?: readonly NodeId[];
  /** The queue's options (leases, dead letters, deduplication window, bounds). */
  readonly queue?: QueueConfig;
  /** Raft options shared by the replicas (ids, voters and seeds are filled in). */
  readonly raft?: Partial<Omit<RaftConfig, 'id' | 'voters'>>;
  /** The consumer name leases are taken under. Default `'consumer'`. */
  readonly consumer?: string;
  /** Give up on a request after this long, ms (rejects with {@link QueueRequestError}). Default 10000. */
  readonly requestTimeoutMs?: number;
  /** How often a waiting {@link DistributedQueue.dequeue} looks again, ms. Default 50. */
  readonly pollMs?: number;
  /** Time source of the replicas. Default {@link systemClock}. */
  readonly clock?: Pick<Clock, 'now'>;
  /** Timers a pending call waits on. Default {@link systemTimers}: a pending call keeps a process alive. */
  readonly timers?: Timers;
  /** Timers of the replicas' protocol deadlines. Default {@link backgroundTimers} (unref'd). */
  readonly backgroundTimers?: Timers;
}

/**
 * Thrown when a {@link DistributedQueue} call fails: refused by the queue (full, a body too
 * large, ...), dropped by the leader, or timed out.
 *
 * @example
 * ```ts
 * import { QueueRequestError } from 'distkit/messaging';
 * new QueueRequestError('enqueue: the queue is full').message; //=> 'enqueue: the queue is full'
 * ```
 */
export class QueueRequestError extends DistkitError {}

/**
 * A message leased by {@link DistributedQueue.dequeue}: settle it with `ack()` (done) or `nack()`
 * (give it back, to be received again, or dead-lettered after `maxReceiveCount` receives). Both
 * resolve `false` if the lease already ended (the message went back to the queue).
 *
 * @example
 * ```ts
 * import type { DequeuedItem } from 'distkit/messaging';
 * declare const item: DequeuedItem;
 * item.value; // the enqueued value
 * ```
 */
export interface DequeuedItem {
  /** The queue's id of the message (`m<seq>`). */
  readonly id: string;
  /** The enqueued value. */
  readonly value: unknown;
  /** The lease's fencing token: pass it to anything the work writes. */
  readonly token: number;
  /** How many times the message has been received, this time included. */
  readonly receiveCount: number;
  /** Done: remove the message. */
  ack(): Promise<boolean>;
  /** Not done: make it receivable again after `delayMs` (default 0). */
  nack(delayMs?: number): Promise<boolean>;
}

interface Pending {
  readonly id: string;
  readonly command: unknown;
  readonly resolve: (r: QueueResult) => void;
  readonly reject: (e: unknown) => void;
  readonly cancel: CancelTimer;
}

type Replica = RunningNode<ReplicatedState<QueueConfig, QueueState>, ReplicatedInput, ReplicatedOutput<QueueResult>>;

/**
 * The notes' `DistributedQueue` without Redis: a replicated queue (Raft, three replicas in memory)
 * with leases. `enqueue(value, { idempotencyKey })` stores a value once per key within the
 * deduplication window; `dequeue(waitMs)` leases the oldest receivable message, waiting up to
 * `waitMs` for one (the notes' blocking `BLPOP` with a timeout), and returns `undefined` when
 * none came. A leased message is not lost when its consumer dies: its lease ends
 * (`visibilityTimeoutMs`) and it is received again, so work is at-least-once and `ack()` /
 * `nack()` settle it (Amazon SQS's visibility timeout; replication by state machine, Schneider
 * 1990). Pending calls wait on `systemTimers`; the replicas' deadlines are unref'd.
 *
 * @example
 * ```ts
 * import { DistributedQueue } from 'distkit/messaging';
 * const queue = new DistributedQueue();
 * await queue.enqueue('process_video_123'); //=> 'm1'
 * await queue.enqueue('send_email_456', { idempotencyKey: 'email-456' }); //=> 'm2'
 * await queue.enqueue('send_email_456', { idempotencyKey: 'email-456' }); //=> 'm2'
 * const task = await queue.dequeue();
 * task?.value; //=> 'process_video_123'
 * await task?.ack(); //=> true
 * (await queue.dequeue())?.value; //=> 'send_email_456'
 * await queue.dequeue(); //=> undefined
 * queue.close();
 * ```
 */
export class DistributedQueue {
  /** The replica ids. */
  readonly replicas: readonly NodeId[];
  private readonly nodes: Replica[];
  private readonly pending = new Map<string, Pending>();
  private readonly timers: Timers;
  private readonly consumer: string;
  private readonly requestTimeoutMs: number;
  private readonly pollMs: number;
  private leader = 0;
  private nextId = 0;
  private closed = false;

  constructor(options: DistributedQueueOptions = {}) {
    this.replicas = checkIds('replicas', options.replicas ?? ['q0', 'q1', 'q2']);
    this.timers = options.timers ?? systemTimers;
    this.consumer = options.consumer ?? 'consumer';
    this.requestTimeoutMs = positiveMs('requestTimeoutMs', options.requestTimeoutMs, 10_000);
    this.pollMs = positiveMs('pollMs', options.pollMs, 50);
    const network: MemoryNetwork = createMemoryNetwork();
    const clock = options.clock ?? systemClock;
    const timers = options.backgroundTimers ?? backgroundTimers;
    this.nodes = this.replicas.map((r, i) => {
      const t = network.transport(r);
      const config = { raft: { ...options.raft, id: r, voters: this.replicas, seed: i + 1 }, ...(options.queue === undefined ? {} : { app: options.queue }) };
      const node: Replica = createNode(replicatedQueue, config, { send: (to, m) => t.send(to, m), onOutput: (o) => this.onOutput(o), clock, timers });
      node.listen(t);
      return node;
    });
    void this.nodes[0]!.input({ type: 'campaign' }).catch(() => undefined);
  }

  /**
   * Appends `value` (plain JSON data) and resolves with its message id. With an
   * `idempotencyKey`, a second enqueue of the same key within the queue's deduplication window
   * stores nothing and resolves with the first message's id.
   *
   * @example
   * ```ts
   * import { DistributedQueue } from 'distkit/messaging';
   * const queue = new DistributedQueue();
   * await queue.enqueue({ video: 123 }, { idempotencyKey: 'video-123' }); //=> 'm1'
   * queue.close();
   * ```
   */
  async enqueue(value: unknown, options: { readonly idempotencyKey?: string; readonly priority?: number; readonly delayMs?: number } = {}): Promise<string> {
    const { idempotencyKey, ...rest } = options;
    const r = await this.submit({ type: 'enqueue', body: value, ...rest, ...(idempotencyKey === undefined ? {} : { key: idempotencyKey }) });
    if (r.type !== 'enqueued') throw refused('enqueue', r);
    return r.id;
  }

  /**
   * Leases the next receivable message, waiting up to `waitMs` (default 0: look once) for one;
   * `undefined` if none came.
   *
   * @example
   * ```ts
   * import { DistributedQueue } from 'distkit/messaging';
   * const queue = new DistributedQueue();
   * await queue.dequeue(); //=> undefined
   * queue.close();
   * ```
   */
  async dequeue(waitMs = 0): Promise<DequeuedItem | undefined> {
    const until = nonNegativeMs('waitMs', waitMs);
    let waited = 0;
    for (;;) {
      const r = await this.submit({ type: 'receive', consumer: this.consumer });
      if (r.type === 'received') return this.item(r.message.id, r.message.body, r.message.token, r.message.receiveCount);
      if (r.type !== 'empty') throw refused('dequeue', r);
      if (waited >= until) return undefined;
      const step = Math.min(this.pollMs, until - waited);
      await new Promise<void>((resolve) => this.timers.setTimer(step, resolve));
      waited += step;
    }
  }

  /**
   * Stops the replicas; pending calls reject.
   *
   * @example
   * ```ts
   * import { DistributedQueue } from 'distkit/messaging';
   * new DistributedQueue().close();
   * ```
   */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      p.cancel();
      p.reject(new QueueRequestError('the queue was closed'));
    }
    this.pending.clear();
    for (const n of this.nodes) n.stop();
  }

  private item(id: string, value: unknown, token: number, receiveCount: number): DequeuedItem {
    const settle = async (command: Record<string, unknown>): Promise<boolean> => {
      const r = await this.submit({ ...command, id, token });
      return r.type === 'acked' || r.type === 'nacked';
    };
    return {
      id,
      value,
      token,
      receiveCount,
      ack: () => settle({ type: 'ack' }),
      nack: (delayMs = 0) => settle({ type: 'nack', delayMs: nonNegativeMs('delayMs', delayMs) }),
    };
  }

  /** Submits `command` to the presumed leader; a `notLeader` answer moves it to the next one. */
  private submit(command: unknown): Promise<QueueResult> {
    if (this.closed) return Promise.reject(new QueueRequestError('the queue was closed'));
    return new Promise((resolve, reject) => {
      const id = `c${++this.nextId}`;
      const cancel = this.timers.setTimer(this.requestTimeoutMs, () => {
        this.pending.delete(id);
        reject(new QueueRequestError(`${(command as { type: string }).type} timed out after ${this.requestTimeoutMs} ms`));
      });
      this.pending.set(id, { id, command, resolve, reject, cancel });
      this.send(id, command);
    });
  }

  private send(id: string, command: unknown): void {
    void this.nodes[this.leader]!.input({ type: 'submit', id, command }).catch((e: unknown) => this.fail(id, e));
  }

  private fail(id: string, error: unknown): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    p.cancel();
    p.reject(error);
  }

  private onOutput(o: ReplicatedOutput<QueueResult>): void {
    if (o.type !== 'result' && o.type !== 'notLeader' && o.type !== 'dropped') return;
    const p = this.pending.get(o.id);
    if (p === undefined) return;
    if (o.type === 'notLeader') {
      // Not accepted: safe to submit again, to the hinted leader, or after a beat (an election runs).
      const hinted = o.leader === null ? -1 : this.replicas.indexOf(o.leader);
      if (hinted >= 0) this.leader = hinted;
      this.timers.setTimer(hinted >= 0 ? 0 : this.pollMs, () => {
        if (this.pending.has(p.id)) this.send(p.id, p.command);
      });
      return;
    }
    if (o.type === 'dropped') return this.fail(o.id, new QueueRequestError(`dropped by the leader: ${o.reason}`));
    this.pending.delete(o.id);
    p.cancel();
    p.resolve(o.result);
  }
}

function refused(what: string, r: QueueResult): QueueRequestError {
  return new QueueRequestError(`${what}: ${r.type === 'refused' ? r.reason : `unexpected ${r.type}`}`);
}
