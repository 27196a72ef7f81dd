/**
 * A replicated key-value server: the `raft` machine run with `createNode`, peers over the TCP
 * transport, the MVCC store of `kv-store.ts` as the state machine, and a subset of etcd v3's JSON
 * gateway as the client API (see `kv-http.ts`), so etcd's clients and tools work against it.
 *
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createNode, type RunningNode } from '../core/index.js';
import { raft, type RaftConfig, type RaftInput, type RaftOutput, type RaftSnapshot, type RaftState } from '../consensus/index.js';
import { createTcpTransport, type TcpAddress, type TcpTransport } from './tcp-transport.js';
import type { RaftStorage } from './raft-storage.js';
import { openRaftStorage } from './raft-wal-storage.js';
import type { TcpAuth } from './tcp-auth.js';
import { applyKv, createKvStore, kvSnapshot, restoreKvStore, type KvFailure, type KvRange, type KvRequest, type KvResult, type KvStore } from './kv-store.js';
import { parseKvRequest, type KvEndpoint, type KvHeader } from './kv-json.js';
import { listenKvHttp, type KvHttpHandle } from './kv-http.js';

/**
 * Options of {@link startKvServer}, named after etcd's flags.
 *
 * @example
 * ```ts
 * import type { KvServerOptions } from 'distkit/node';
 * const options: KvServerOptions = {
 *   name: 'n1',
 *   dataDir: './data/n1',
 *   listenClientUrls: 'http://127.0.0.1:2379',
 *   listenPeerUrls: 'tcp://127.0.0.1:2380',
 *   initialCluster: 'n1=tcp://127.0.0.1:2380,n2=tcp://127.0.0.1:2381,n3=tcp://127.0.0.1:2382',
 * };
 * ```
 */
export interface KvServerOptions {
  /** This member's name: its Raft node id (etcd's `--name`). */
  readonly name: string;
  /** Where its Raft storage lives (etcd's `--data-dir`). */
  readonly dataDir: string;
  /** `http://host:port` for clients (port 0 picks a free one; see {@link KvServer.clientUrl}). */
  readonly listenClientUrls: string;
  /** `tcp://host:port` for peers. */
  readonly listenPeerUrls: string;
  /** Every member as `name=tcp://host:port`, comma-separated (etcd's `--initial-cluster`). */
  readonly initialCluster: string;
  /** `'new'` bootstraps the group from `initialCluster`; `'existing'` joins a running one after `member add`. Default `'new'`. */
  readonly initialClusterState?: 'new' | 'existing';
  /** Opens the Raft storage in the data directory. Default: the write-ahead log ({@link openRaftStorage}) in `dataDir/wal`, 64 MiB segments, records up to 63 MiB (a snapshot record carries the whole store). */
  readonly openStorage?: (dataDir: string) => Promise<RaftStorage>;
  /**
   * How members prove who they are to each other ({@link TcpAuth}: an HMAC over a shared cluster
   * secret, or mutual TLS). Default `{ mode: 'none' }`, which the transport accepts only when every
   * member listens on a loopback address.
   */
  readonly peerAuth?: TcpAuth;
  /** Snapshot the store and compact the log every this many applied entries. Default 1000. */
  readonly snapshotEvery?: number;
  /** Raft's election timeout T in ms. Default 1000. */
  readonly electionTimeoutMs?: number;
  /** Raft's heartbeat interval in ms. Default T / 10. */
  readonly heartbeatIntervalMs?: number;
  /**
   * The leader sends new entries to the followers while it writes them to its own log, and counts
   * itself toward the commit quorum once its write is durable (Raft thesis §10.2.1; `parallelAppend`
   * in distkit/consensus): the leader's and the followers' writes overlap. That pays when members
   * have their own disks; three members sharing one disk measured no faster (their syncs contend).
   * Default false.
   */
  readonly parallelAppend?: boolean;
  /** How long a request may wait for a leader and its commit, in ms. Default 5000. */
  readonly requestTimeoutMs?: number;
  /** Largest accepted request body in bytes (etcd's `--max-request-bytes`). Default 1.5 MiB. */
  readonly maxRequestBytes?: number;
  /** Reports transport and host problems. */
  readonly onError?: (problem: string) => void;
}

/**
 * One member of a KV cluster as `member list` shows it.
 *
 * @example
 * ```ts
 * import type { KvMember } from 'distkit/node';
 * const m: KvMember = { id: '1', name: 'n1', peerUrl: 'tcp://127.0.0.1:2380', learner: false };
 * ```
 */
export interface KvMember {
  /** The member id (uint64 derived from the name, decimal). */
  readonly id: string;
  /** The member's name (its Raft id). */
  readonly name: string;
  /** Where its peers reach it. */
  readonly peerUrl: string;
  /** A non-voting member. */
  readonly learner: boolean;
}

/**
 * What `/v3/maintenance/status` reports.
 *
 * @example
 * ```ts
 * import type { KvServerStatus } from 'distkit/node';
 * const s: KvServerStatus = { leader: 'n1', role: 'leader', raftTerm: 2, raftIndex: 9, raftAppliedIndex: 9, snapshotIndex: 0, revision: 5, keys: 3 };
 * ```
 */
export interface KvServerStatus {
  /** The leader this member knows of (a name), or null. */
  readonly leader: string | null;
  /** This member's Raft role. */
  readonly role: RaftState['role'];
  /** Its Raft term. */
  readonly raftTerm: number;
  /** Its commit index. */
  readonly raftIndex: number;
  /** The last index applied to the store. */
  readonly raftAppliedIndex: number;
  /** The index of its latest snapshot. */
  readonly snapshotIndex: number;
  /** The store revision. */
  readonly revision: number;
  /** Live keys. */
  readonly keys: number;
}

/**
 * A running KV server.
 *
 * @example
 * ```ts
 * import type { KvServer } from 'distkit/node';
 * declare const server: KvServer;
 * server.status().leader;
 * await server.close();
 * ```
 */
export interface KvServer {
  /** This member's name. */
  readonly name: string;
  /** Its member id (uint64, decimal). */
  readonly memberId: string;
  /** The bound client URL (`http://host:port`). */
  readonly clientUrl: string;
  /** The current Raft and store status. */
  status(): KvServerStatus;
  /** The members in the current Raft membership. */
  members(): KvMember[];
  /** Stops serving, closes the transport and the storage. */
  close(): Promise<void>;
}

/** What the HTTP layer asks of the server. */
export interface KvBackend {
  header(revision?: number): KvHeader;
  kv(endpoint: KvEndpoint, body: unknown): Promise<KvResult | KvFailure>;
  memberAdd(name: string, peerUrl: string, learner: boolean): Promise<KvMember[] | KvFailure>;
  memberRemove(name: string): Promise<KvMember[] | KvFailure>;
  members(): KvMember[];
  memberIdOf(name: string): string;
  status(): KvServerStatus;
}

/** A request the leader runs for a member: a KV write or a membership change. */
type Call =
  | { readonly call: 'kv'; readonly endpoint: KvEndpoint; readonly body: unknown }
  | { readonly call: 'memberAdd'; readonly name: string; readonly peerUrl: string; readonly learner: boolean }
  | { readonly call: 'memberRemove'; readonly name: string };
type CallResult = KvResult | KvFailure | { readonly op: 'members'; readonly members: KvMember[] } | { readonly op: 'applied' };

/** The application data of a log entry: a KV request or a member's address, tagged with the proposer's id for it. */
type EntryData = { readonly id: string; readonly kv: KvRequest } | { readonly id: string; readonly member: { readonly name: string; readonly peerUrl: string } };

/** What the snapshot data holds. */
interface SnapshotData {
  readonly kv: ReturnType<typeof kvSnapshot>;
  readonly peers: Readonly<Record<string, string>>;
}

/** Messages between the servers, beside Raft's own. */
type HostMessage =
  | { readonly type: 'kv.call'; readonly id: string; readonly call: Call }
  | { readonly type: 'kv.result'; readonly id: string; readonly result: CallResult }
  | { readonly type: 'kv.readIndex'; readonly id: string }
  | { readonly type: 'kv.readIndexReply'; readonly id: string; readonly index: number | null };

const RETRY_MS = 25;
/** Most ReadIndex requests from followers waiting at the leader at once; beyond it new ones are refused. */
const KV_MAX_REMOTE_READS = 100_000;
const TIMEOUT: KvFailure = { op: 'error', code: 14, message: 'etcdserver: request timed out' };
const NO_LEADER: KvFailure = { op: 'error', code: 14, message: 'etcdserver: leader changed' };
const TOO_MANY: KvFailure = { op: 'error', code: 8, message: 'etcdserver: too many requests' };

/**
 * Starts a KV server member: recovers its Raft state from storage (loading the snapshot into the
 * store before later entries are applied), joins its peers over TCP and serves etcd's v3 JSON
 * API over HTTP. Any member accepts any request; followers forward writes to the leader and ask it
 * for a ReadIndex for linearizable reads.
 *
 * @example
 * ```ts
 * import { startKvServer } from 'distkit/node';
 * const server = await startKvServer({
 *   name: 'n1',
 *   dataDir: './data/n1',
 *   listenClientUrls: 'http://127.0.0.1:2379',
 *   listenPeerUrls: 'tcp://127.0.0.1:2380',
 *   initialCluster: 'n1=tcp://127.0.0.1:2380',
 * });
 * // curl -X POST http://127.0.0.1:2379/v3/kv/put -d '{"key":"Zm9v","value":"YmFy"}'
 * await server.close();
 * ```
 */
export async function startKvServer(options: KvServerOptions): Promise<KvServer> {
  const opts = checkOptions(options);
  // Segments hold whole records, and a snapshot record carries the whole store.
  const storage = await (options.openStorage ?? ((dir: string) => openRaftStorage(join(dir, 'wal'), { segmentBytes: 64 << 20, maxRecordBytes: 63 << 20 })))(options.dataDir);
  try {
    return await startWithStorage(opts, storage);
  } catch (e) {
    await storage.close();
    throw e;
  }
}

type Checked = Required<Omit<KvServerOptions, 'openStorage' | 'onError' | 'peerAuth'>> & {
  readonly peerAuth: TcpAuth;
  readonly onError: (problem: string) => void;
  readonly cluster: Record<string, string>;
  readonly peerAddress: TcpAddress;
  readonly clientAddress: TcpAddress;
};

function checkOptions(o: KvServerOptions): Checked {
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(o.name)) throw new TypeError('name: expected 1-64 characters of [A-Za-z0-9._-]');
  const cluster = parseInitialCluster(o.initialCluster);
  const state = o.initialClusterState ?? 'new';
  if (state !== 'new' && state !== 'existing') throw new TypeError(`initialClusterState: expected 'new' or 'existing'`);
  if (state === 'new' && !Object.prototype.hasOwnProperty.call(cluster, o.name)) throw new TypeError(`initialCluster: must name this member (${o.name})`);
  const electionTimeoutMs = o.electionTimeoutMs ?? 1000;
  return {
    name: o.name,
    dataDir: o.dataDir,
    listenClientUrls: o.listenClientUrls,
    listenPeerUrls: o.listenPeerUrls,
    initialCluster: o.initialCluster,
    initialClusterState: state,
    snapshotEvery: o.snapshotEvery ?? 1000,
    electionTimeoutMs,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? Math.max(1, Math.floor(electionTimeoutMs / 10)),
    requestTimeoutMs: o.requestTimeoutMs ?? 5000,
    parallelAppend: o.parallelAppend ?? false,
    maxRequestBytes: o.maxRequestBytes ?? 1.5 * 1024 * 1024,
    peerAuth: o.peerAuth ?? { mode: 'none' },
    onError: o.onError ?? (() => undefined),
    cluster,
    peerAddress: parseUrl(o.listenPeerUrls, 'tcp:', 'listenPeerUrls'),
    clientAddress: parseUrl(o.listenClientUrls, 'http:', 'listenClientUrls'),
  };
}

/**
 * Parses etcd's `--initial-cluster` list (`name=url,...`) into a record of peer URLs.
 *
 * @example
 * ```ts
 * import { parseInitialCluster } from 'distkit/node';
 * parseInitialCluster('n1=tcp://127.0.0.1:2380,n2=tcp://127.0.0.1:2381');
 * //=> { n1: 'tcp://127.0.0.1:2380', n2: 'tcp://127.0.0.1:2381' }
 * ```
 */
export function parseInitialCluster(list: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (typeof list !== 'string' || list.trim() === '') throw new TypeError('initialCluster: expected name=tcp://host:port,...');
  for (const part of list.split(',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const url = part.slice(eq + 1).trim();
    if (eq <= 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new TypeError(`initialCluster: bad member ${JSON.stringify(part)}`);
    parseUrl(url, 'tcp:', `initialCluster.${name}`);
    out[name] = url;
  }
  return { ...out };
}

function parseUrl(url: string, protocol: string, field: string): TcpAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`${field}: not a URL: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== protocol || u.port === '' || u.pathname.replace(/\/$/, '') !== '') throw new TypeError(`${field}: expected ${protocol}//host:port, got ${JSON.stringify(url)}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
}

/**
 * A member id as etcd writes it (uint64, decimal), from the member's name: FNV-1a 64.
 *
 * @example
 * ```ts
 * import { kvMemberId } from 'distkit/node';
 * kvMemberId('n1') === kvMemberId('n1'); //=> true
 * ```
 */
export function kvMemberId(name: string): string {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(name, 'utf8')) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString();
}

function bootstrap(opts: Checked, storage: RaftStorage): { config: RaftConfig; state: RaftState | undefined } {
  const config: RaftConfig = {
    id: opts.name,
    voters: opts.initialClusterState === 'new' ? Object.keys(opts.cluster) : [],
    seed: `${opts.name}/${randomBytes(8).toString('hex')}`,
    electionTimeoutMs: opts.electionTimeoutMs,
    heartbeatIntervalMs: opts.heartbeatIntervalMs,
    parallelAppend: opts.parallelAppend,
    // The snapshot carries the whole store; entries are bounded by maxRequestBytes at the door.
    payloadLimits: { maxBytes: 256 * 1024 * 1024, maxDepth: 64 },
  };
  // Raft §7: restart from the snapshot and the log after it.
  return { config, state: storage.durable === undefined ? undefined : raft.recover(config, storage.durable) };
}

async function startWithStorage(opts: Checked, storage: RaftStorage): Promise<KvServer> {
  const { config, state: recovered } = bootstrap(opts, storage);
  const initial = recovered ?? raft.init(config);
  // A fresh storage gets the bootstrap snapshot (the initial membership) as its first record.
  if (storage.durable === undefined) await storage.persist({ snapshot: initial.log.snapshot, term: initial.term, vote: initial.vote });
  const host = new KvHost(opts, storage, initial.log.snapshot);
  try {
    await host.start(config, initial);
  } catch (e) {
    // A member that cannot serve (its client port taken) must not linger as a voter holding its peer port.
    await host.abandon();
    throw e;
  }
  return host.handle();
}

/** One waiting request: resolved by its result, or by its timeout. */
interface Waiter<T> {
  readonly resolve: (value: T) => void;
}

/** Everything a running member holds: the Raft node, the store, the transport, and the waiting requests. */
class KvHost implements KvBackend {
  private store: KvStore = createKvStore();
  private readonly peers: Record<string, string>;
  private readonly transportPeers: Record<string, TcpAddress> = {};
  private transport!: TcpTransport;
  private node!: RunningNode<RaftState, RaftInput, RaftOutput>;
  private http!: KvHttpHandle;
  private applied = 0;
  private readonly boot = randomBytes(6).toString('hex');
  private seq = 0;
  private readonly calls = new Map<string, Waiter<CallResult>>();
  private readonly applyWaiters: { index: number; resolve: () => void }[] = [];
  private readonly reads = new Map<string, Waiter<number | null>[]>();
  private readonly remoteReads = new Map<string, string>();
  private readWaiting: Waiter<number | null>[] = [];
  private proposals: { data: EntryData; resolve: (r: CallResult) => void }[] = [];
  private flushing = false;
  private readScheduled = false;
  private closed = false;
  readonly clusterId: string;
  readonly memberId: string;

  constructor(
    private readonly opts: Checked,
    private readonly storage: RaftStorage,
    snapshot: RaftSnapshot,
  ) {
    this.peers = { ...opts.cluster };
    this.clusterId = kvMemberId(Object.keys(opts.cluster).sort().map((n) => `${n}=${opts.cluster[n]}`).join(','));
    this.memberId = kvMemberId(opts.name);
    // Raft §7 on restart: the store starts from the snapshot, then later entries are applied.
    this.restore(snapshot);
  }

  async start(config: RaftConfig, state: RaftState): Promise<void> {
    this.transport = createTcpTransport({
      id: this.opts.name,
      listen: this.opts.peerAddress,
      peers: this.transportPeers,
      maxFrameBytes: 512 * 1024 * 1024,
      auth: this.opts.peerAuth,
      onError: this.opts.onError,
    });
    this.syncPeers();
    await this.transport.address();
    this.node = createNode(raft, config, {
      send: (to, message) => this.transport.send(to, message),
      persist: (record) => this.storage.persist(record),
      onOutput: (o) => this.onOutput(o),
      onError: (e) => this.opts.onError(`raft host: ${String(e)}`),
    }, { state });
    this.transport.onMessage((from, message) => this.onMessage(from, message));
    this.http = await listenKvHttp(this, this.opts.clientAddress, this.opts.maxRequestBytes, this.opts.onError);
  }

  handle(): KvServer {
    return {
      name: this.opts.name,
      memberId: this.memberId,
      clientUrl: this.http.url,
      status: () => this.status(),
      members: () => this.members(),
      close: () => this.close(),
    };
  }

  /** Undoes a start that failed part-way: stops the node and closes the transport (the caller closes the storage). */
  async abandon(): Promise<void> {
    this.closed = true;
    if (this.node) {
      this.node.stop();
      await this.node.idle().catch(() => undefined);
    }
    await Promise.resolve(this.transport?.close()).catch(() => undefined);
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.http.close();
    this.node.stop();
    await this.node.idle().catch(() => undefined);
    await this.transport.close();
    await this.storage.close();
    for (const w of this.calls.values()) w.resolve(NO_LEADER);
  }

  // --- the state machine ------------------------------------------------------------------------

  private restore(snapshot: RaftSnapshot): void {
    const data = snapshot.data as SnapshotData | null;
    this.store = data === null || data === undefined ? createKvStore() : restoreKvStore(data.kv);
    if (data?.peers) for (const [n, url] of Object.entries(data.peers)) this.peers[n] = url;
    this.applied = snapshot.index;
    if (this.transport) this.syncPeers();
  }

  private syncPeers(): void {
    for (const [n, url] of Object.entries(this.peers)) {
      if (n === this.opts.name) continue;
      try {
        this.transportPeers[n] = parseUrl(url, 'tcp:', n);
      } catch {
        this.opts.onError(`member ${n}: bad peer URL ${url}`);
      }
    }
  }

  private onOutput(o: RaftOutput): void {
    switch (o.type) {
      case 'apply':
        for (const e of o.entries) {
          if (e.kind === undefined) this.applyEntry(e.data as EntryData);
          this.applied = e.index;
        }
        this.wakeApplied();
        this.maybeCompact();
        break;
      case 'restore':
        this.restore(o.snapshot);
        this.wakeApplied();
        break;
      case 'readReady':
        this.readReady(o.id, o.index);
        break;
      case 'notLeader':
        if (o.command === 'read' && o.id !== undefined) this.readReady(o.id, null);
        break;
      default:
        break;
    }
  }

  private applyEntry(data: EntryData): void {
    if (data === null || typeof data !== 'object') return;
    let result: CallResult;
    if ('kv' in data) {
      try {
        result = applyKv(this.store, data.kv);
      } catch (e) {
        this.opts.onError(`apply: malformed KV entry skipped (${String(e)})`);
        result = { op: 'error', code: 13, message: 'etcdserver: malformed entry' };
      }
    } else if ('member' in data) {
      this.peers[data.member.name] = data.member.peerUrl;
      this.syncPeers();
      result = { op: 'applied' };
    } else return;
    const w = this.calls.get(data.id);
    if (w) {
      this.calls.delete(data.id);
      w.resolve(result);
    }
  }

  private wakeApplied(): void {
    for (let i = this.applyWaiters.length - 1; i >= 0; i--) {
      const w = this.applyWaiters[i]!;
      if (w.index <= this.applied) {
        this.applyWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private waitApplied(index: number): Promise<void> {
    if (index <= this.applied) return Promise.resolve();
    return new Promise((resolve) => this.applyWaiters.push({ index, resolve }));
  }

  /** Raft §7: snapshot the store every `snapshotEvery` applied entries, so the log stays bounded. */
  private maybeCompact(): void {
    if (this.applied - this.node.state.log.snapshotIndex < this.opts.snapshotEvery) return;
    const data: SnapshotData = { kv: kvSnapshot(this.store), peers: { ...this.peers } };
    this.node.input({ type: 'compact', index: this.applied, data }).catch((e: unknown) => this.opts.onError(`compact: ${String(e)}`));
  }

  // --- requests --------------------------------------------------------------------------------

  private nextId(): string {
    this.seq += 1;
    return `${this.opts.name}.${this.boot}.${this.seq}`;
  }

  private get leader(): string | null {
    return this.node.state.leader;
  }

  /** Runs a call at the leader (here, or forwarded), retrying while no leader is known, until the timeout. */
  private runCall(call: Call): Promise<CallResult> {
    const deadline = Date.now() + this.opts.requestTimeoutMs;
    return new Promise<CallResult>((resolve) => {
      const attempt = (): void => {
        if (this.closed) return resolve(NO_LEADER);
        if (Date.now() >= deadline) return resolve(TIMEOUT);
        const leader = this.leader;
        if (leader === this.opts.name) {
          void this.execute(call).then(resolve);
        } else if (leader !== null && Object.prototype.hasOwnProperty.call(this.transportPeers, leader)) {
          const id = this.nextId();
          const timer = setTimeout(() => {
            this.calls.delete(id);
            resolve(TIMEOUT);
          }, deadline - Date.now());
          timer.unref();
          this.calls.set(id, {
            resolve: (r) => {
              clearTimeout(timer);
              resolve(r);
            },
          });
          this.send(leader, { type: 'kv.call', id, call });
        } else setTimeout(attempt, RETRY_MS).unref();
      };
      attempt();
    });
  }

  /** At the leader: a KV write goes into the next batch; a membership change runs its two steps. */
  private async execute(call: Call): Promise<CallResult> {
    switch (call.call) {
      case 'kv': {
        const request = parseKvRequest(call.endpoint, call.body);
        if (request.op === 'error') return request;
        if (request.op === 'range') return this.readLinearizable(request);
        return this.propose({ id: this.nextId(), kv: request });
      }
      case 'memberAdd':
        return this.addMember(call.name, call.peerUrl, call.learner);
      case 'memberRemove':
        return this.changeMembership({ action: 'remove', node: call.name });
    }
  }

  /** Queues a proposal; proposals that arrive together go out in one `proposeBatch`. */
  private propose(data: EntryData): Promise<CallResult> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.calls.delete(data.id);
        resolve(TIMEOUT);
      }, this.opts.requestTimeoutMs);
      timer.unref();
      const done = (r: CallResult) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.calls.set(data.id, { resolve: done });
      this.proposals.push({ data, resolve: done });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.proposals.length > 0 && !this.closed) {
      const batch = this.proposals;
      this.proposals = [];
      let outputs: readonly RaftOutput[];
      try {
        outputs = await this.node.input({ type: 'proposeBatch', data: batch.map((p) => p.data) });
      } catch {
        outputs = [{ type: 'rejected', from: this.opts.name, reason: 'too large' }];
      }
      const refused = outputs.find((o) => o.type === 'notLeader' || o.type === 'rejected');
      if (refused) {
        for (const p of batch) {
          this.calls.delete(p.data.id);
          p.resolve(refused.type === 'notLeader' ? NO_LEADER : TOO_MANY);
        }
      }
    }
    this.flushing = false;
  }

  /**
   * Thesis §6.4 ReadIndex: a read point from the leader (asked by a follower over the transport,
   * one for every range waiting at once), then the range once this member has applied it.
   */
  private async readLinearizable(range: KvRange): Promise<KvResult | KvFailure> {
    const deadline = Date.now() + this.opts.requestTimeoutMs;
    while (this.leader === null && Date.now() < deadline && !this.closed) await sleep(RETRY_MS);
    const index = await new Promise<number | null>((resolve) => {
      this.readWaiting.push({ resolve });
      if (!this.readScheduled) {
        this.readScheduled = true;
        setImmediate(() => this.issueRead());
      }
    });
    if (index === null) return NO_LEADER;
    await this.waitApplied(index);
    return applyKv(this.store, range);
  }

  private issueRead(): void {
    this.readScheduled = false;
    const waiting = this.readWaiting;
    this.readWaiting = [];
    if (waiting.length === 0) return;
    const id = this.nextId();
    this.reads.set(id, waiting);
    setTimeout(() => this.readReady(id, null), this.opts.requestTimeoutMs).unref();
    const leader = this.leader;
    if (leader === this.opts.name) void this.node.input({ type: 'read', id }).catch(() => this.readReady(id, null));
    else if (leader !== null) this.send(leader, { type: 'kv.readIndex', id });
    else this.readReady(id, null);
  }

  private readReady(id: string, index: number | null): void {
    const local = this.reads.get(id);
    if (local) {
      this.reads.delete(id);
      for (const w of local) w.resolve(index);
    }
    const remote = this.remoteReads.get(id);
    if (remote !== undefined) {
      this.remoteReads.delete(id);
      this.send(remote, { type: 'kv.readIndexReply', id, index });
    }
  }

  private async addMember(name: string, peerUrl: string, learner: boolean): Promise<CallResult> {
    if (this.node.state.membership.voters.includes(name) || this.node.state.membership.learners.includes(name)) {
      return { op: 'error', code: 9, message: 'etcdserver: member name already exists' };
    }
    // The address first, replicated, so that every member can reach the new one once it counts.
    const registered = await this.propose({ id: this.nextId(), member: { name, peerUrl } });
    if (registered.op !== 'applied') return registered;
    return this.changeMembership({ action: learner ? 'addLearner' : 'addVoter', node: name });
  }

  /** Thesis §4.1: one server at a time, through Raft; answers once the change has been applied here. */
  private async changeMembership(change: { action: 'addVoter' | 'addLearner' | 'remove'; node: string }): Promise<CallResult> {
    let outputs: readonly RaftOutput[];
    try {
      outputs = await this.node.input({ type: 'changeMembership', change });
    } catch (e) {
      return { op: 'error', code: 3, message: `etcdserver: ${e instanceof Error ? e.message : String(e)}` };
    }
    const refused = outputs.find((o) => o.type === 'notLeader' || o.type === 'rejected');
    if (refused?.type === 'notLeader') return NO_LEADER;
    if (refused?.type === 'rejected') return { op: 'error', code: 9, message: `etcdserver: ${refused.reason}` };
    await Promise.race([this.waitApplied(this.node.state.membershipIndex), sleep(this.opts.requestTimeoutMs)]);
    if (this.applied < this.node.state.membershipIndex) return TIMEOUT;
    return { op: 'members', members: this.members() };
  }

  // --- peers ------------------------------------------------------------------------------------

  private send(to: string, message: HostMessage): void {
    this.transport.send(to, message);
  }

  private onMessage(from: string, message: unknown): void {
    const m = message as { type?: unknown; id?: unknown };
    if (m === null || typeof m !== 'object' || typeof m.type !== 'string' || !m.type.startsWith('kv.')) {
      void this.node.deliver(from, message);
      return;
    }
    if (typeof m.id !== 'string' || m.id.length > 256) return;
    const id = m.id;
    const h = message as HostMessage;
    switch (h.type) {
      case 'kv.call':
        void this.runRemoteCall(from, id, h.call);
        break;
      case 'kv.result': {
        const w = this.calls.get(id);
        if (w && h.result !== null && typeof h.result === 'object') {
          this.calls.delete(id);
          w.resolve(h.result);
        }
        break;
      }
      case 'kv.readIndex':
        if (this.remoteReads.size >= KV_MAX_REMOTE_READS || this.remoteReads.has(id) || this.reads.has(id)) {
          this.send(from, { type: 'kv.readIndexReply', id, index: null });
          break;
        }
        this.remoteReads.set(id, from);
        setTimeout(() => this.remoteReads.delete(id), this.opts.requestTimeoutMs).unref();
        void this.node.input({ type: 'read', id }).catch(() => this.readReady(id, null));
        break;
      case 'kv.readIndexReply':
        if (this.reads.has(id)) this.readReady(id, typeof h.index === 'number' && Number.isSafeInteger(h.index) ? h.index : null);
        break;
    }
  }

  /** A call forwarded by a follower: run it here only as the leader (never forward twice). */
  private async runRemoteCall(from: string, id: string, call: unknown): Promise<void> {
    const c = call as Call;
    let result: CallResult;
    if (this.leader !== this.opts.name) result = NO_LEADER;
    else if (c === null || typeof c !== 'object') result = { op: 'error', code: 3, message: 'malformed call' };
    else if (c.call === 'kv' && ['range', 'put', 'deleteRange', 'txn'].includes(c.endpoint)) result = await this.execute({ call: 'kv', endpoint: c.endpoint, body: c.body });
    else if (c.call === 'memberAdd' && typeof c.name === 'string' && typeof c.peerUrl === 'string') result = await this.execute(memberAddCall(c.name, c.peerUrl, c.learner === true));
    else if (c.call === 'memberRemove' && typeof c.name === 'string') result = await this.execute({ call: 'memberRemove', name: c.name });
    else result = { op: 'error', code: 3, message: 'malformed call' };
    this.send(from, { type: 'kv.result', id, result });
  }

  // --- KvBackend --------------------------------------------------------------------------------

  header(revision = this.store.revision): KvHeader {
    return { clusterId: this.clusterId, memberId: this.memberId, revision, raftTerm: this.node.state.term };
  }

  async kv(endpoint: KvEndpoint, body: unknown): Promise<KvResult | KvFailure> {
    const request = parseKvRequest(endpoint, body);
    if (request.op === 'error') return request;
    if (request.op === 'range') {
      return request.serializable ? applyKv(this.store, request) : this.readLinearizable(request);
    }
    const r = await this.runCall({ call: 'kv', endpoint, body });
    return r.op === 'members' || r.op === 'applied' ? { op: 'error', code: 13, message: 'unexpected result' } : r;
  }

  async memberAdd(name: string, peerUrl: string, learner: boolean): Promise<KvMember[] | KvFailure> {
    const r = await this.runCall(memberAddCall(name, peerUrl, learner));
    return r.op === 'members' ? r.members : r.op === 'error' ? r : { op: 'error', code: 13, message: 'unexpected result' };
  }

  async memberRemove(name: string): Promise<KvMember[] | KvFailure> {
    const r = await this.runCall({ call: 'memberRemove', name });
    return r.op === 'members' ? r.members : r.op === 'error' ? r : { op: 'error', code: 13, message: 'unexpected result' };
  }

  members(): KvMember[] {
    const { voters, learners } = this.node.state.membership;
    const row = (name: string, learner: boolean): KvMember => ({ id: kvMemberId(name), name, peerUrl: this.peers[name] ?? '', learner });
    return [...voters.map((n) => row(n, false)), ...learners.map((n) => row(n, true))];
  }

  memberIdOf(name: string): string {
    return kvMemberId(name);
  }

  status(): KvServerStatus {
    const s = this.node.state;
    return {
      leader: s.leader,
      role: s.role,
      raftTerm: s.term,
      raftIndex: s.commit,
      raftAppliedIndex: this.applied,
      snapshotIndex: s.log.snapshotIndex,
      revision: this.store.revision,
      keys: this.store.keys.length,
    };
  }
}

function memberAddCall(name: string, peerUrl: string, learner: boolean): Call {
  return { call: 'memberAdd', name, peerUrl, learner };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
}
