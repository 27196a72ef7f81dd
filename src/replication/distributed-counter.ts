/**
 * `DistributedCounter`: the notes' `counter.increment()` as a small class over a {@link raftCounter}
 * cluster on an in-memory network.
 *
 * @packageDocumentation
 */
import type { CancelTimer, Clock, MemoryNetwork, NodeId, RunningNode, Timers, Transport } from '../core/index.js';
import { ConfigError, DistkitError, InvalidCommandError, backgroundTimers, checkId, checkIds, createMemoryNetwork, createNode, positiveInt, positiveMs, systemClock, systemTimers } from '../core/index.js';
import type { RaftConfig } from '../consensus/index.js';
import { RAFT_COUNTER_LIMITS, raftCounter, type RaftCounterInput, type RaftCounterOutput, type RaftCounterReply, type RaftCounterRequest, type RaftCounterState } from './raft-counter.js';

/**
 * Options of a {@link DistributedCounter}.
 *
 * @example
 * ```ts
 * import type { DistributedCounterOptions } from 'distkit/replication';
 * const o: DistributedCounterOptions = { replicas: ['a', 'b', 'c'], requestTimeoutMs: 5000 };
 * ```
 */
export interface DistributedCounterOptions {
  /** Replica ids. Default `['r0', 'r1', 'r2']`. */
  readonly replicas?: readonly NodeId[];
  /** This client's node id. Default `'counter-client'`. */
  readonly id?: NodeId;
  /** The network the replicas and the client share. Default a new in-memory network. */
  readonly network?: Pick<MemoryNetwork, 'transport'>;
  /** Raft options shared by the replicas (ids, voters and seeds are filled in). */
  readonly raft?: Partial<Omit<RaftConfig, 'id' | 'voters'>>;
  /** Resend an unanswered request (to the next replica) after this long, ms. Default 200. */
  readonly retryMs?: number;
  /** Give up on a request after this long, ms (it rejects with {@link CounterRequestError}). Default 10000. */
  readonly requestTimeoutMs?: number;
  /** Time source of the replicas. Default {@link systemClock}. */
  readonly clock?: Pick<Clock, 'now'>;
  /** Timers a pending call waits on (its resends and timeout). Default {@link systemTimers}: a pending call keeps a process alive. */
  readonly timers?: Timers;
  /** Timers of the replicas' protocol deadlines. Default {@link backgroundTimers} (unref'd). */
  readonly backgroundTimers?: Timers;
}

/**
 * Thrown when a {@link DistributedCounter} call fails: timed out, refused, or its session expired
 * (whether that increment counted is then unknown).
 *
 * @example
 * ```ts
 * import { CounterRequestError } from 'distkit/replication';
 * new CounterRequestError('increment timed out').message; //=> 'increment timed out'
 * ```
 */
export class CounterRequestError extends DistkitError {}

/** A request waiting for its reply. */
interface Pending {
  readonly request: RaftCounterRequest;
  readonly resolve: (reply: RaftCounterReply) => void;
  readonly reject: (error: unknown) => void;
  readonly started: number;
  cancel: CancelTimer;
  redirects: number;
  /** The replica the last send went to. */
  target: number;
}

/** The most increments in flight at once (below the session's answered-but-unacked bound). */
const MAX_IN_FLIGHT = Math.floor(RAFT_COUNTER_LIMITS.maxOpenPerSession / 2);

/**
 * The notes' `DistributedCounter` without Redis: an exact counter on a 3-replica Raft cluster.
 * `increment(by)` resolves with the value after it; a retried increment (resent after a lost
 * message, a timeout or a leader change) keeps its (session, sequence number) and is counted
 * once (Ongaro's thesis §6.3, client sessions), so 100 concurrent increments give exactly 100 even
 * on a network that duplicates messages. `get()` is linearizable (ReadIndex, §6.4). Pending calls
 * wait on `systemTimers` and keep a Node process alive; the replicas' deadlines do not.
 *
 * @example
 * ```ts
 * import { DistributedCounter } from 'distkit/replication';
 * const counter = new DistributedCounter();
 * await Promise.all(Array.from({ length: 100 }, () => counter.increment()));
 * await counter.get(); //=> 100
 * await counter.increment(5); //=> 105
 * counter.close();
 * ```
 */
export class DistributedCounter {
  /** The replica ids. */
  readonly replicas: readonly NodeId[];
  /** The client's node id. */
  readonly id: NodeId;
  private readonly nodes: RunningNode<RaftCounterState, RaftCounterInput, RaftCounterOutput>[];
  private readonly transports: Transport[];
  private readonly transport: Transport;
  private readonly timers: Timers;
  private readonly clock: Pick<Clock, 'now'>;
  private readonly retryMs: number;
  private readonly requestTimeoutMs: number;
  private readonly pending = new Map<string, Pending>();
  private leader = 0;
  private nextRid = 0;
  private session: Promise<string> | undefined;
  private seq = 0;
  private readonly answered = new Set<number>();
  private acked = 0;
  private inFlight = 0;
  private readonly queued: (() => void)[] = [];
  private closed = false;

  constructor(options: DistributedCounterOptions = {}) {
    this.replicas = checkIds('replicas', options.replicas ?? ['r0', 'r1', 'r2']);
    this.id = checkId('id', options.id ?? 'counter-client');
    if (this.replicas.includes(this.id)) throw new ConfigError('id', 'must not be a replica id');
    this.retryMs = positiveMs('retryMs', options.retryMs, 200);
    this.requestTimeoutMs = positiveMs('requestTimeoutMs', options.requestTimeoutMs, 10_000);
    this.timers = options.timers ?? systemTimers;
    this.clock = options.clock ?? systemClock;
    const network = options.network ?? createMemoryNetwork();
    const timers = options.backgroundTimers ?? backgroundTimers;
    this.transports = this.replicas.map((r) => network.transport(r));
    this.nodes = this.replicas.map((r, i) => {
      const t = this.transports[i]!;
      const node = createNode(raftCounter, { raft: { ...options.raft, id: r, voters: this.replicas, seed: i + 1 } }, { send: (to, m) => t.send(to, m), clock: this.clock, timers });
      node.listen(t);
      return node;
    });
    // Elect the first replica at once instead of waiting for an election timeout.
    void this.nodes[0]!.input({ type: 'campaign' }).catch(() => undefined);
    this.transport = network.transport(this.id);
    this.transport.onMessage((_from, m) => this.onReply(m));
  }

  /**
   * Adds `by` (a positive integer, default 1) once, and resolves with the counter's value right
   * after this increment.
   *
   * @example
   * ```ts
   * import { DistributedCounter } from 'distkit/replication';
   * const counter = new DistributedCounter();
   * await counter.increment(); //=> 1
   * await counter.increment(2); //=> 3
   * counter.close();
   * ```
   */
  async increment(by = 1): Promise<number> {
    positiveInt('by', by);
    if (by > RAFT_COUNTER_LIMITS.maxIncrement) throw new InvalidCommandError('increment', `by must be at most ${RAFT_COUNTER_LIMITS.maxIncrement}`);
    const session = await this.registered();
    await this.slot();
    const seq = ++this.seq;
    try {
      const reply = await this.call({ type: 'increment', rid: this.rid(), session, seq, acked: this.acked, by });
      if (reply.type !== 'incremented') throw this.failure('increment', reply);
      this.answered.add(seq);
      while (this.answered.delete(this.acked + 1)) this.acked++;
      return reply.value;
    } finally {
      this.inFlight--;
      this.queued.shift()?.();
    }
  }

  /**
   * The counter's value, linearizable: it reflects every increment that resolved before the call.
   *
   * @example
   * ```ts
   * import { DistributedCounter } from 'distkit/replication';
   * const counter = new DistributedCounter();
   * await counter.get(); //=> 0
   * counter.close();
   * ```
   */
  async get(): Promise<number> {
    const reply = await this.call({ type: 'get', rid: this.rid() });
    if (reply.type !== 'value') throw this.failure('get', reply);
    return reply.value;
  }

  /**
   * Stops the replicas and the client; pending calls reject.
   *
   * @example
   * ```ts
   * import { DistributedCounter } from 'distkit/replication';
   * new DistributedCounter().close();
   * ```
   */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) {
      p.cancel();
      p.reject(new CounterRequestError('the counter was closed'));
    }
    this.pending.clear();
    for (const n of this.nodes) n.stop();
    for (const t of [...this.transports, this.transport]) void t.close();
  }

  private rid(): string {
    return `${this.id}:${++this.nextRid}`;
  }

  private registered(): Promise<string> {
    this.session ??= this.call({ type: 'register', rid: this.rid() }).then((reply) => {
      if (reply.type !== 'registered') throw this.failure('register', reply);
      return reply.session;
    });
    this.session.catch(() => (this.session = undefined));
    return this.session;
  }

  /** Waits for room among the increments in flight. */
  private slot(): Promise<void> {
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queued.push(() => (this.inFlight++, resolve())));
  }

  private failure(what: string, reply: RaftCounterReply): CounterRequestError {
    if (reply.type === 'expired') {
      this.session = undefined;
      return new CounterRequestError(`${what}: the session expired; whether it counted is unknown`);
    }
    return new CounterRequestError(`${what}: ${reply.type === 'refused' ? reply.reason : `unexpected ${reply.type}`}`);
  }

  /** Sends `request` to the presumed leader, resending (same rid and seq) until a final reply or the timeout. */
  private call(request: RaftCounterRequest): Promise<RaftCounterReply> {
    if (this.closed) return Promise.reject(new CounterRequestError('the counter was closed'));
    return new Promise((resolve, reject) => {
      const p: Pending = { request, resolve, reject, started: this.clock.now(), cancel: () => undefined, redirects: 0, target: 0 };
      this.pending.set(request.rid, p);
      this.send(p);
    });
  }

  private send(p: Pending): void {
    p.cancel();
    if (this.clock.now() - p.started >= this.requestTimeoutMs) {
      this.pending.delete(p.request.rid);
      p.reject(new CounterRequestError(`${p.request.type} timed out after ${this.requestTimeoutMs} ms`));
      return;
    }
    p.target = this.leader;
    this.transport.send(this.replicas[p.target]!, p.request);
    p.cancel = this.timers.setTimer(this.retryMs, () => {
      // No answer: if the replica asked is still the presumed leader, it may be down or cut off,
      // so try the next one; if another reply named a new leader meanwhile, ask that one.
      if (this.leader === p.target) this.leader = (this.leader + 1) % this.replicas.length;
      this.send(p);
    });
  }

  private onReply(message: unknown): void {
    const reply = message as RaftCounterReply;
    const p = reply !== null && typeof reply === 'object' && typeof reply.rid === 'string' ? this.pending.get(reply.rid) : undefined;
    if (p === undefined) return; // a duplicate or a stranger's
    if (reply.type === 'notLeader') {
      const hinted = reply.leader === null ? -1 : this.replicas.indexOf(reply.leader);
      if (hinted >= 0) this.leader = hinted;
      // Follow a hint at once a few times (stale hints could bounce); else the resend timer does.
      if (hinted >= 0 && p.redirects++ < 3) this.send(p);
      return;
    }
    p.cancel();
    this.pending.delete(reply.rid);
    p.resolve(reply);
  }
}
