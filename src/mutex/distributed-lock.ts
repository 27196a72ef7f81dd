/**
 * `DistributedLock`: the notes' `lock.acquire("payment:user_123")` as a small class over a
 * {@link leaseLockServer} and one {@link leaseClient} per resource, on an in-memory network.
 *
 * @packageDocumentation
 */
import type { Clock, MemoryNetwork, NodeId, RunningNode, Timers, Transport, CancelTimer } from '../core/index.js';
import { InvalidCommandError, backgroundTimers, checkId, createMemoryNetwork, createNode, nonNegativeMs, systemClock, systemTimers } from '../core/index.js';
import { LEASE_DEFAULT_RESOURCE, leaseLockServer, type LeaseLockServerConfig, type LeaseLockServerState } from './lease-server.js';
import { leaseClient, type LeaseClientOutput, type LeaseClientState, type LeaseExpiredOutput, type LeaseLockServiceInput, type LeaseLockServiceOutput } from './lease.js';
import type { MutexInput } from './common.js';

/**
 * Options of a {@link LockService}: the server's lock options, and the clock and timers it runs on.
 *
 * @example
 * ```ts
 * import type { LockServiceOptions } from 'distkit/mutex';
 * const o: LockServiceOptions = { maxTtlMs: 30_000, offerTimeoutMs: 500 };
 * ```
 */
export interface LockServiceOptions extends Omit<LeaseLockServerConfig, 'id'> {
  /** The server's node id. Default `'locks'`. */
  readonly id?: NodeId;
  /** Time source of every node on the service's network. Default {@link systemClock}. */
  readonly clock?: Pick<Clock, 'now'>;
  /** Timers of the nodes' protocol deadlines (lease expiry, renewal). Default {@link backgroundTimers}. */
  readonly backgroundTimers?: Timers;
  /** Called when a lease ran out without being released (its holder may be paused or gone). */
  readonly onExpired?: (event: LeaseExpiredOutput) => void;
}

/**
 * A running lease lock server on its own in-memory network, which {@link DistributedLock} clients
 * join: the notes' `lock_service`. Its deadlines run on unref'd timers, so an idle service never
 * keeps a process alive.
 *
 * @example
 * ```ts
 * import { DistributedLock, LockService } from 'distkit/mutex';
 * const service = new LockService();
 * const a = new DistributedLock({ service, id: 'worker-a' });
 * const b = new DistributedLock({ service, id: 'worker-b' });
 * await a.acquire('payment:user_123'); //=> 1
 * await b.acquire('payment:user_123', 0); //=> false
 * ```
 */
export class LockService {
  /** The network clients join (partition it to test a holder cut off from the service). */
  readonly network: MemoryNetwork;
  /** The server's node id. */
  readonly id: NodeId;
  /** The time source its clients' machines share with it. */
  readonly clock: Pick<Clock, 'now'>;
  /** The timers of the protocol deadlines, for it and its clients. */
  readonly backgroundTimers: Timers;
  private readonly node: RunningNode<LeaseLockServerState, LeaseLockServiceInput, LeaseLockServiceOutput>;
  private readonly transport: Transport;

  constructor(options: LockServiceOptions = {}) {
    const { id = 'locks', clock = systemClock, backgroundTimers: timers = backgroundTimers, onExpired, ...config } = options;
    this.id = checkId('id', id);
    this.clock = clock;
    this.backgroundTimers = timers;
    this.network = createMemoryNetwork();
    const transport = this.network.transport(this.id);
    this.transport = transport;
    this.node = createNode(leaseLockServer, { ...config, id: this.id }, {
      send: (to, m) => transport.send(to, m),
      onOutput: (o) => {
        if (o.type === 'lease-expired') onExpired?.(o);
      },
      clock,
      timers,
    });
    this.node.listen(transport);
  }

  /**
   * The largest fencing token the server has issued, over every resource.
   *
   * @example
   * ```ts
   * import { LockService } from 'distkit/mutex';
   * new LockService().lastToken; //=> 0
   * ```
   */
  get lastToken(): number {
    return this.node.state.lastToken;
  }

  /**
   * Stops the server and closes its endpoint.
   *
   * @example
   * ```ts
   * import { LockService } from 'distkit/mutex';
   * const service = new LockService();
   * service.close();
   * ```
   */
  close(): void {
    this.node.stop();
    void this.transport.close();
  }
}

/**
 * Options of a {@link DistributedLock}.
 *
 * @example
 * ```ts
 * import type { DistributedLockOptions } from 'distkit/mutex';
 * const o: DistributedLockOptions = { id: 'worker-a', ttlMs: 30_000, onLost: (e) => console.log(e.resource, e.reason) };
 * ```
 */
export interface DistributedLockOptions {
  /** The service to use; default a new {@link LockService} of this client alone (with the clock and timers below). */
  readonly service?: LockService;
  /** This client's node id. Default `'client-1'`, `'client-2'`, ... per service. */
  readonly id?: NodeId;
  /** Lease length asked for; renewed at half of it while held. Default 30000 (the notes' `ttl=30`). */
  readonly ttlMs?: number;
  /** Resend an unanswered acquire after this long. Default 1000. */
  readonly retryMs?: number;
  /**
   * Timers a pending {@link DistributedLock.acquire} waits on (its timeout). Default
   * {@link systemTimers}: a pending acquire keeps a Node process alive until it settles.
   */
  readonly timers?: Timers;
  /** Called when a held lease ends without {@link DistributedLock.release}: its token is stale from now on. */
  readonly onLost?: (event: LockLostEvent) => void;
}

/**
 * A held lock that ended without a release: `expired` (no renewal reached the service in time,
 * on this client's clock) or `revoked` (the service said the lease is gone).
 *
 * @example
 * ```ts
 * import type { LockLostEvent } from 'distkit/mutex';
 * const e: LockLostEvent = { resource: 'payment:user_123', fencingToken: 7, reason: 'expired' };
 * ```
 */
export interface LockLostEvent {
  /** The lock's name. */
  readonly resource: string;
  /** The token of the lease that ended (writes carrying it are now refused). */
  readonly fencingToken: number;
  /** Why it ended. */
  readonly reason: 'expired' | 'revoked';
}

/** One resource's client machine, its held token, and the acquire waiting on it. */
interface Entry {
  readonly node: RunningNode<LeaseClientState, MutexInput, LeaseClientOutput>;
  token: number | undefined;
  pending: { resolve(token: number | false): void; cancel: CancelTimer } | undefined;
}

const clientCounts = new WeakMap<LockService, number>();

/**
 * The notes' `DistributedLock` without Redis: `acquire(resource, timeoutMs)` resolves with a
 * fencing token once the lease is held (FIFO among contenders), or `false` when the timeout
 * passes first, in which case the waiting request is withdrawn from the service, so the lock is
 * never granted to a caller who gave up. Held leases renew at half their TTL; one that ends
 * without a release is reported to `onLost` and its token goes stale: the protected resource
 * refuses it with {@link checkFencingToken}, since the next holder's token is larger (Gray &
 * Cheriton, SOSP 1989, leases; Kleppmann 2016, fencing tokens).
 *
 * @example
 * ```ts
 * import { DistributedLock } from 'distkit/mutex';
 * const lock = new DistributedLock();
 * const token = await lock.acquire('payment:user_123');
 * token; //=> 1
 * lock.token('payment:user_123'); //=> 1
 * await lock.release('payment:user_123'); //=> true
 * await lock.acquire('payment:user_123'); //=> 2
 * lock.close();
 * ```
 */
export class DistributedLock {
  /** This client's node id. */
  readonly id: NodeId;
  /** The service this client talks to. */
  readonly service: LockService;
  private readonly ownService: boolean;
  private readonly ttlMs: number | undefined;
  private readonly retryMs: number | undefined;
  private readonly timers: Timers;
  private readonly onLost: ((event: LockLostEvent) => void) | undefined;
  private readonly transport: Transport;
  private readonly entries = new Map<string, Entry>();

  constructor(options: DistributedLockOptions = {}) {
    this.ownService = options.service === undefined;
    this.service = options.service ?? new LockService();
    const n = (clientCounts.get(this.service) ?? 0) + 1;
    clientCounts.set(this.service, n);
    this.id = checkId('id', options.id ?? `client-${n}`);
    this.ttlMs = options.ttlMs;
    this.retryMs = options.retryMs;
    this.timers = options.timers ?? systemTimers;
    this.onLost = options.onLost;
    this.transport = this.service.network.transport(this.id);
    this.transport.onMessage((from, message) => {
      const named = message !== null && typeof message === 'object' ? (message as { resource?: unknown }).resource : undefined;
      const entry = this.entries.get(typeof named === 'string' ? named : LEASE_DEFAULT_RESOURCE);
      if (entry !== undefined) void entry.node.deliver(from, message).catch(() => undefined);
    });
  }

  /**
   * Acquires the lock on `resource`: resolves with its fencing token once held, or `false` if
   * `timeoutMs` passes first (the wait is then withdrawn). Throws `InvalidCommandError` if this
   * client already holds or is acquiring `resource`.
   *
   * @param timeoutMs - how long to wait, ms (default 10000, the notes' `timeout=10`); 0 tries once.
   * @example
   * ```ts
   * import { DistributedLock, LockService } from 'distkit/mutex';
   * const service = new LockService();
   * const a = new DistributedLock({ service });
   * const b = new DistributedLock({ service });
   * await a.acquire('report'); //=> 1
   * const waiting = b.acquire('report', 5_000);
   * await a.release('report');
   * await waiting; //=> 2
   * ```
   */
  acquire(resource: string, timeoutMs = 10_000): Promise<number | false> {
    checkId('resource', resource);
    const wait = nonNegativeMs('timeoutMs', timeoutMs);
    const entry = this.entry(resource);
    if (entry.pending !== undefined || entry.node.state.phase !== 'idle') {
      throw new InvalidCommandError('acquire', `${JSON.stringify(resource)} is already held or being acquired by ${this.id}`);
    }
    return new Promise((resolve) => {
      const cancel = this.timers.setTimer(wait, () => {
        if (entry.pending?.cancel !== cancel) return;
        entry.pending = undefined;
        void entry.node.input({ type: 'release' }).catch(() => undefined);
        resolve(false);
      });
      entry.pending = { resolve, cancel };
      void entry.node.input({ type: 'request' }).catch(() => undefined);
    });
  }

  /**
   * Releases `resource`: resolves with `true` if this client held it, `false` if not (never
   * acquired, or the lease was already lost).
   *
   * @example
   * ```ts
   * import { DistributedLock } from 'distkit/mutex';
   * const lock = new DistributedLock();
   * await lock.release('nothing'); //=> false
   * ```
   */
  async release(resource: string): Promise<boolean> {
    const entry = this.entries.get(checkId('resource', resource));
    if (entry === undefined || entry.token === undefined) return false;
    entry.token = undefined;
    await entry.node.input({ type: 'release' });
    return true;
  }

  /**
   * The fencing token of the lease this client holds on `resource`, or `undefined` (not held, or
   * lost). Send it with every write to the protected resource.
   *
   * @example
   * ```ts
   * import { DistributedLock } from 'distkit/mutex';
   * new DistributedLock().token('report'); //=> undefined
   * ```
   */
  token(resource: string): number | undefined {
    return this.entries.get(resource)?.token;
  }

  /**
   * Stops this client's machines (held leases are not released: they expire on the service) and,
   * if the client created its own service, that service too. Pending acquires resolve `false`.
   *
   * @example
   * ```ts
   * import { DistributedLock } from 'distkit/mutex';
   * new DistributedLock().close();
   * ```
   */
  close(): void {
    for (const entry of this.entries.values()) {
      const p = entry.pending;
      entry.pending = undefined;
      p?.cancel();
      p?.resolve(false);
      entry.node.stop();
    }
    this.entries.clear();
    void this.transport.close();
    if (this.ownService) this.service.close();
  }

  private entry(resource: string): Entry {
    const known = this.entries.get(resource);
    if (known !== undefined) return known;
    const config = {
      id: this.id,
      service: this.service.id,
      ...(this.ttlMs === undefined ? {} : { ttlMs: this.ttlMs }),
      ...(this.retryMs === undefined ? {} : { retryMs: this.retryMs }),
      ...(resource === LEASE_DEFAULT_RESOURCE ? {} : { resource }),
    };
    const transport = this.transport;
    const entry: Entry = {
      node: createNode(leaseClient, config, {
        send: (to, m) => transport.send(to, m),
        onOutput: (o) => this.onOutput(resource, entry, o),
        clock: this.service.clock,
        timers: this.service.backgroundTimers,
      }),
      token: undefined,
      pending: undefined,
    };
    this.entries.set(resource, entry);
    return entry;
  }

  private onOutput(resource: string, entry: Entry, o: LeaseClientOutput): void {
    if (o.type === 'enter' && o.fencingToken !== undefined) {
      const p = entry.pending;
      if (p === undefined) {
        // Granted after the caller gave up (the timeout raced the grant): hand it back.
        void entry.node.input({ type: 'release' }).catch(() => undefined);
        return;
      }
      entry.pending = undefined;
      p.cancel();
      entry.token = o.fencingToken;
      p.resolve(o.fencingToken);
    } else if (o.type === 'lease-lost') {
      entry.token = undefined;
      this.onLost?.({ resource, fencingToken: o.fencingToken, reason: o.reason });
    }
  }
}
