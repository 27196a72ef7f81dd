/**
 * One replica of a replicated application (the queue, the event store, any `replicatedStateMachine`)
 * run for real: `createNode` with peers over the TCP transport (or any transport the caller gives,
 * e.g. Redis Streams from distkit/redis) and Raft's state in the write-ahead log, plus `submit`,
 * which resolves with the command's answer.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ConfigError, createNode, type Clock, type DurableMachine, type NodeId, type RunningNode, type Transport } from '../core/index.js';
import type { RaftConfig, RaftDurable, ReplicatedConfig, ReplicatedInput, ReplicatedOutput, ReplicatedState } from '../consensus/index.js';
import { openRaftStorage, type RaftWalStorageOptions } from './raft-wal-storage.js';
import type { RaftStorage } from './raft-storage.js';
import type { TcpAuth } from './tcp-auth.js';
import { createTcpTransport, type TcpAddress, type TcpTransport } from './tcp-transport.js';

/**
 * Options of {@link startReplica}.
 *
 * @example
 * ```ts
 * import type { ReplicaOptions } from 'distkit/node';
 * import type { QueueConfig } from 'distkit/messaging';
 * const o: ReplicaOptions<QueueConfig> = {
 *   id: 'q1',
 *   dataDir: './data/q1',
 *   listen: { host: '127.0.0.1', port: 7001 },
 *   peers: { q2: { host: '127.0.0.1', port: 7002 }, q3: { host: '127.0.0.1', port: 7003 } },
 *   auth: { mode: 'hmac', secret: 'a cluster secret of 16+ bytes' },
 *   app: { visibilityTimeoutMs: 30_000 },
 * };
 * Object.keys(o.peers).length; //=> 2
 * ```
 */
export type ReplicaOptions<AppConfig> = ReplicaBaseOptions<AppConfig> & (ReplicaTcpLinks | ReplicaTransportLinks);

/**
 * A replica's peers over distkit's TCP transport: where it listens, where the others listen, and
 * how they authenticate one another.
 *
 * @example
 * ```ts
 * import type { ReplicaTcpLinks } from 'distkit/node';
 * const links: ReplicaTcpLinks = { listen: { host: '127.0.0.1', port: 7001 }, peers: { q2: { host: '127.0.0.1', port: 7002 } }, auth: { mode: 'none' } };
 * Object.keys(links.peers); //=> ['q2']
 * ```
 */
export interface ReplicaTcpLinks {
  /** Where the peers reach this replica. */
  readonly listen: TcpAddress;
  /** The other voters and their addresses: the group is `id` plus these. */
  readonly peers: Readonly<Record<NodeId, TcpAddress>>;
  /** Peer authentication ({@link TcpAuth}): an HMAC secret, TLS, or `{ mode: 'none' }` on loopback. */
  readonly auth: TcpAuth;
  readonly transport?: never;
}

/**
 * A replica's peers over a transport the caller built (Redis Streams, an in-memory network, your
 * own): its endpoint, whose `id` must be the replica's, and the other voters' ids. The replica owns
 * the transport from then on and closes it on {@link Replica.close}.
 *
 * @example
 * ```ts
 * import { createMemoryNetwork } from 'distkit/core';
 * import type { ReplicaTransportLinks } from 'distkit/node';
 * const net = createMemoryNetwork();
 * const links: ReplicaTransportLinks = { transport: net.transport('q1'), peers: ['q2', 'q3'] };
 * links.transport.id; //=> 'q1'
 * ```
 */
export interface ReplicaTransportLinks {
  /** This replica's endpoint. */
  readonly transport: Transport;
  /** The other voters' ids: the group is `id` plus these. */
  readonly peers: readonly NodeId[];
  readonly listen?: never;
  readonly auth?: never;
}

/**
 * The options of {@link startReplica} other than its links ({@link ReplicaTcpLinks} or
 * {@link ReplicaTransportLinks}).
 *
 * @example
 * ```ts
 * import type { ReplicaBaseOptions } from 'distkit/node';
 * import type { QueueConfig } from 'distkit/messaging';
 * const o: ReplicaBaseOptions<QueueConfig> = { id: 'q1', dataDir: './data/q1', app: { visibilityTimeoutMs: 30_000 } };
 * o.app?.visibilityTimeoutMs; //=> 30000
 * ```
 */
export interface ReplicaBaseOptions<AppConfig> {
  /** This replica's id (a Raft voter). */
  readonly id: NodeId;
  /** Directory of the write-ahead log that holds Raft's term, vote, log and snapshot. */
  readonly dataDir: string;
  /** The application's config, the same on every replica. */
  readonly app?: AppConfig;
  /** Raft options (`id` and `voters` are filled in; `seed` defaults to random bytes). */
  readonly raft?: Partial<Omit<RaftConfig, 'id' | 'voters'>>;
  /** Snapshot the application every this many applied entries (Raft §7). Default 1000. */
  readonly snapshotEvery?: number;
  /** A {@link Replica.submit} without an answer after this long resolves `{ type: 'timeout' }`. Default 5000 ms. */
  readonly requestTimeoutMs?: number;
  /**
   * The replica's clock. The leader stamps each command with its `now` and the application's clock
   * is the largest `now` applied, so a lease or a deduplication window is measured on the clocks of
   * successive leaders, in successive processes: the default is monotonic within the process and
   * anchored at the wall clock (`performance.timeOrigin + performance.now()`), so a restarted
   * process does not start from zero and freeze the application's clock.
   */
  readonly clock?: Pick<Clock, 'now'>;
  /** Write-ahead log options (segment and record sizes). Default 64 MiB segments, records up to 63 MiB (a snapshot record carries the whole application). */
  readonly wal?: Omit<RaftWalStorageOptions, 'initial'>;
  /** Reports transport and storage problems. Never throws into the replica. */
  readonly onError?: (problem: string) => void;
}

/**
 * The answer to {@link Replica.submit}: the command's `result` (committed and applied at `index`),
 * `notLeader` (not accepted: submit to `leader`), `dropped` (the leader refused it) or `timeout`
 * (no answer in time: the command may or may not have been applied).
 *
 * @example
 * ```ts
 * import type { ReplicaAnswer } from 'distkit/node';
 * const a: ReplicaAnswer<string> = { type: 'notLeader', leader: 'q2' };
 * ```
 */
export type ReplicaAnswer<Result> =
  | { readonly type: 'result'; readonly index: number; readonly result: Result }
  | { readonly type: 'notLeader'; readonly leader: NodeId | null }
  | { readonly type: 'dropped'; readonly reason: string }
  | { readonly type: 'timeout' };

/**
 * Where a replica stands: its Raft role, term and leader, and the log indexes committed and applied.
 *
 * @example
 * ```ts
 * import type { ReplicaStatus } from 'distkit/node';
 * const s: ReplicaStatus = { id: 'q1', role: 'leader', term: 3, leader: 'q1', commitIndex: 40, appliedIndex: 40 };
 * ```
 */
export interface ReplicaStatus {
  readonly id: NodeId;
  readonly role: string;
  readonly term: number;
  readonly leader: NodeId | null;
  readonly commitIndex: number;
  readonly appliedIndex: number;
}

/**
 * A running replica from {@link startReplica}.
 *
 * @example
 * ```ts
 * import type { Replica } from 'distkit/node';
 * import type { QueueResult } from 'distkit/messaging';
 * declare const replica: Replica<unknown, QueueResult>;
 * const answer = await replica.submit({ type: 'enqueue', body: 'job', key: 'job-1' });
 * if (answer.type === 'notLeader') console.log('retry at', answer.leader);
 * ```
 */
export interface Replica<AppState, Result> {
  readonly id: NodeId;
  /** The peer address actually bound (port 0 picks one); rejects for a replica over a caller's transport. */
  address(): Promise<TcpAddress>;
  /** Proposes an application command (without `now`) and resolves with its answer. */
  submit(command: unknown, timeoutMs?: number): Promise<ReplicaAnswer<Result>>;
  /** Starts an election at once instead of waiting for the election timeout. */
  campaign(): Promise<void>;
  /** Where this replica stands (its Raft role, term, leader, commit and applied indexes). */
  status(): ReplicaStatus;
  /** The application state this replica has applied (a snapshot; do not mutate). */
  appState(): AppState;
  /** Stops the node, closes the transport and the log; pending submits resolve `timeout`. */
  close(): Promise<void>;
}

type ReplicatedMachine<C, S, R> = DurableMachine<ReplicatedConfig<C>, ReplicatedState<C, S>, ReplicatedInput, ReplicatedOutput<R>, RaftDurable>;

/** A clock monotonic within the process and comparable across processes of one host (see {@link ReplicaOptions.clock}). */
const anchoredClock: Pick<Clock, 'now'> = { now: () => performance.timeOrigin + performance.now() };

interface Pending<R> {
  readonly resolve: (a: ReplicaAnswer<R>) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Starts one replica of a replicated application: Raft's durable state in a write-ahead log in
 * `dataDir` (group commit: a batch of inputs costs one sync), peers over the authenticated TCP
 * transport ({@link ReplicaTcpLinks}) or over a transport the caller gives
 * ({@link ReplicaTransportLinks}: Redis Streams, say), and the node recovered from the log on
 * restart (Raft §5.2, §7). A persist record is durable before the sends of its step leave, as the
 * machine contract requires (with `raft: { parallelAppend: true }` a leader's AppendEntries may
 * leave while its own write is under way, thesis §10.2.1).
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { replicatedQueue } from 'distkit/messaging';
 * import { startReplica } from 'distkit/node';
 * const replica = await startReplica(replicatedQueue, {
 *   id: 'q1',
 *   dataDir: mkdtempSync(join(tmpdir(), 'q1-')),
 *   listen: { host: '127.0.0.1', port: 0 },
 *   peers: {},
 *   auth: { mode: 'none' },
 * });
 * await replica.campaign(); // a group of one elects itself
 * const a = await replica.submit({ type: 'enqueue', body: 'job', key: 'job-1' });
 * a.type === 'result' && a.result.type; //=> 'enqueued'
 * await replica.close();
 * ```
 */
export async function startReplica<C, S, R>(
  machine: DurableMachine<ReplicatedConfig<C>, ReplicatedState<C, S>, ReplicatedInput, ReplicatedOutput<R>, RaftDurable>,
  options: ReplicaOptions<C>,
): Promise<Replica<S, R>> {
  const config: ReplicatedConfig<C> = {
    raft: { seed: `${options.id}/${randomBytes(8).toString('hex')}`, ...options.raft, id: options.id, voters: [options.id, ...peerIds(options)] },
    ...(options.app === undefined ? {} : { app: options.app }),
    ...(options.snapshotEvery === undefined ? {} : { snapshotEvery: options.snapshotEvery }),
  };
  const fresh = machine.init(config);
  const storage = await openRaftStorage(options.dataDir, { segmentBytes: 64 << 20, maxRecordBytes: 63 << 20, ...options.wal });
  try {
    // A fresh log gets the initial snapshot (the membership) as its base record.
    if (storage.durable === undefined) await storage.persist({ snapshot: fresh.raft.log.snapshot, term: fresh.raft.term, vote: fresh.raft.vote });
    const state = storage.durable === undefined ? fresh : machine.recover(config, storage.durable);
    return new ReplicaHost(machine, config, state, storage, options);
  } catch (e) {
    await storage.close();
    throw e;
  }
}

/** The other voters' ids; a caller's transport must be this replica's endpoint. */
function peerIds(options: ReplicaOptions<unknown>): NodeId[] {
  if (options.transport === undefined) return Object.keys(options.peers);
  if (options.transport.id !== options.id) throw new ConfigError('transport', `is the endpoint of ${JSON.stringify(options.transport.id)}, not of this replica ${JSON.stringify(options.id)}`);
  if (!Array.isArray(options.peers) || !options.peers.every((p) => typeof p === 'string')) throw new ConfigError('peers', 'must list the other voters\' ids when a transport is given');
  return [...options.peers];
}

class ReplicaHost<C, S, R> implements Replica<S, R> {
  readonly id: NodeId;
  private readonly transport: Transport;
  private readonly tcp: TcpTransport | undefined;
  private readonly node: RunningNode<ReplicatedState<C, S>, ReplicatedInput, ReplicatedOutput<R>>;
  private readonly pending = new Map<string, Pending<R>>();
  private readonly prefix = randomBytes(6).toString('hex');
  private readonly timeoutMs: number;
  private seq = 0;
  private closed = false;

  constructor(
    machine: ReplicatedMachine<C, S, R>,
    config: ReplicatedConfig<C>,
    state: ReplicatedState<C, S>,
    private readonly storage: RaftStorage,
    options: ReplicaOptions<C>,
  ) {
    this.id = options.id;
    this.timeoutMs = options.requestTimeoutMs ?? 5000;
    const report = options.onError ?? (() => undefined);
    this.tcp = options.transport === undefined ? createTcpTransport({ id: options.id, listen: options.listen, peers: options.peers, auth: options.auth, maxFrameBytes: 64 << 20, onError: report }) : undefined;
    this.transport = this.tcp ?? options.transport!;
    this.node = createNode(machine, config, {
      send: (to, message) => this.transport.send(to, message),
      persist: (record) => Promise.all(record.raft.map((r) => this.storage.persist(r))).then(() => undefined),
      onOutput: (o) => this.onOutput(o),
      onError: (e) => report(`replica ${options.id}: ${String(e)}`),
      clock: options.clock ?? anchoredClock,
    }, { state });
    this.node.listen(this.transport);
  }

  address(): Promise<TcpAddress> {
    if (this.tcp === undefined) return Promise.reject(new ConfigError('transport', `replica ${this.id} runs over the caller's transport: it has no TCP address`));
    return this.tcp.address();
  }

  submit(command: unknown, timeoutMs = this.timeoutMs): Promise<ReplicaAnswer<R>> {
    if (this.closed) return Promise.resolve({ type: 'timeout' });
    const id = `${this.prefix}.${++this.seq}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(id, { type: 'timeout' }), timeoutMs);
      this.pending.set(id, { resolve, timer });
      this.node.input({ type: 'submit', id, command }).catch((e: unknown) => this.settle(id, { type: 'dropped', reason: String(e) }));
    });
  }

  async campaign(): Promise<void> {
    await this.node.input({ type: 'campaign' });
  }

  status(): ReplicaStatus {
    const s = this.node.state;
    return { id: this.id, role: s.raft.role, term: s.raft.term, leader: s.raft.leader, commitIndex: s.raft.commit, appliedIndex: s.appliedIndex };
  }

  appState(): S {
    return this.node.state.app;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.node.stop();
    await this.node.idle().catch(() => undefined);
    await this.transport.close();
    await this.storage.close();
    for (const id of [...this.pending.keys()]) this.settle(id, { type: 'timeout' });
  }

  private settle(id: string, answer: ReplicaAnswer<R>): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(answer);
  }

  private onOutput(o: ReplicatedOutput<R>): void {
    switch (o.type) {
      case 'result':
        return this.settle(o.id, { type: 'result', index: o.index, result: o.result });
      case 'notLeader':
        return this.settle(o.id, { type: 'notLeader', leader: o.leader });
      case 'dropped':
        return this.settle(o.id, { type: 'dropped', reason: o.reason });
      default:
        return;
    }
  }
}
