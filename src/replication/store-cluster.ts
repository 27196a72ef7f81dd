/**
 * `DistributedStore`: the consistency-level store as a small synchronous class over an in-memory
 * cluster that runs in virtual time.
 *
 * @packageDocumentation
 */
import { ConfigError, DistkitError, checkMembers, nonNegativeMs, positiveMs } from '../core/index.js';
import type { RaftConfig } from '../consensus/index.js';
import { distributedStore, storeNextDeadline } from './store.js';
import { ConsistencyLevel, type SessionToken, type StalenessBound, type StoreInput, type StoreOutput, type StoreState } from './store-types.js';

/**
 * Options of {@link DistributedStore}.
 *
 * @example
 * ```ts
 * import type { DistributedStoreOptions } from 'distkit/replication';
 * const o: DistributedStoreOptions = { replicas: ['a', 'b', 'c'], applyDelayMs: { c: 500 } };
 * ```
 */
export interface DistributedStoreOptions {
  /** Replica ids (default `['r0', 'r1', 'r2']`; `numReplicas` names them instead). */
  readonly replicas?: readonly string[];
  /** How many replicas, named `r0`, `r1`, ... when `replicas` is absent. Default 3. */
  readonly numReplicas?: number;
  /** Per replica, how far behind the commit it applies (ms of virtual time). Default 0. */
  readonly applyDelayMs?: Readonly<Record<string, number>>;
  /** One-way message latency, ms. Default 1. */
  readonly latencyMs?: number;
  /** Request timeout, ms. Default 1000. */
  readonly requestTimeoutMs?: number;
  /** Default bound of bounded-staleness reads. */
  readonly staleness?: StalenessBound;
  /** Raft options shared by all replicas (ids and voters are filled in). */
  readonly raft?: Partial<Omit<RaftConfig, 'id' | 'voters'>>;
}

/**
 * Thrown when a {@link DistributedStore} request fails (timed out, or the store is full).
 *
 * @example
 * ```ts
 * import { StoreRequestError } from 'distkit/replication';
 * new StoreRequestError('read', 'timed out').message; //=> 'read failed: timed out'
 * ```
 */
export class StoreRequestError extends DistkitError {
  constructor(op: string, reason: string) {
    super(`${op} failed: ${reason}`);
  }
}

/**
 * Per-request options of {@link DistributedStore}: which replica receives it, and the bound of a
 * bounded-staleness read.
 *
 * @example
 * ```ts
 * import type { DistributedStoreRequestOptions } from 'distkit/replication';
 * const o: DistributedStoreRequestOptions = { replica: 'c', bound: { ms: 200 } };
 * ```
 */
export interface DistributedStoreRequestOptions {
  /** The replica that receives the request (default the first). */
  readonly replica?: string;
  /** For bounded-staleness reads. */
  readonly bound?: StalenessBound;
}

/**
 * A replicated key-value store with a consistency level per request — the
 * `store.write(key, value, ConsistencyLevel.STRONG)` / `store.read(key, level)` API — over an
 * in-memory cluster of {@link distributedStore} nodes that runs synchronously in virtual time:
 * each call delivers messages and fires timers until its answer arrives. Replicas may lag
 * (`applyDelayMs`), so a weak read at a lagging replica shows an old value while a strong read
 * there waits for it to catch up. The store keeps one session: its token goes with every
 * request and comes back updated (Terry et al. 1994), so `SESSION` reads see this store's writes.
 *
 * @example
 * ```ts
 * import { DistributedStore, ConsistencyLevel } from 'distkit/replication';
 * const store = new DistributedStore({ replicas: ['a', 'b', 'c'], applyDelayMs: { c: 500 } });
 * store.write('x', 'v1', ConsistencyLevel.STRONG);              //=> 2
 * store.read('x', ConsistencyLevel.EVENTUAL, { replica: 'c' }); //=> null
 * store.read('x', ConsistencyLevel.SESSION, { replica: 'c' });  //=> 'v1'
 * store.read('x', ConsistencyLevel.STRONG, { replica: 'c' });   //=> 'v1'
 * ```
 */
export class DistributedStore {
  /** The session token of this store's requests. */
  token: SessionToken = { index: 0 };
  /** Virtual time, ms. */
  now = 0;
  private readonly ids: readonly string[];
  private readonly states = new Map<string, StoreState>();
  private readonly latencyMs: number;
  private inflight: { at: number; to: string; input: StoreInput }[] = [];
  private answers = new Map<number, StoreOutput>();
  private nextId = 1;

  constructor(options: DistributedStoreOptions = {}) {
    const n = options.numReplicas ?? 3;
    const ids = options.replicas ?? Array.from({ length: n }, (_, i) => `r${i}`);
    this.ids = checkMembers(ids[0] ?? '', ids);
    this.latencyMs = positiveMs('latencyMs', options.latencyMs, 1);
    const raftBase = { seed: 1, electionTimeoutMs: 100, heartbeatIntervalMs: 10, ...options.raft };
    for (const id of this.ids) {
      const delay = options.applyDelayMs?.[id];
      this.states.set(id, distributedStore.init({
        raft: { ...raftBase, id, voters: this.ids },
        applyDelayMs: nonNegativeMs(`applyDelayMs.${id}`, delay, 0),
        ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
        ...(options.staleness === undefined ? {} : { staleness: options.staleness }),
      }));
    }
    // The first replica campaigns at once, so a fresh store has a leader before the first request.
    this.input(this.ids[0] as string, { type: 'campaign', now: 0 });
    this.runUntil(() => this.leader() !== null);
  }

  /**
   * Writes `value` under `key` through the leader's log; returns the write's log index once the
   * replica that took it has applied it.
   */
  write(key: string, value: unknown, level: ConsistencyLevel = ConsistencyLevel.STRONG, options: DistributedStoreRequestOptions = {}): number {
    const out = this.request(options.replica, (id) => ({ type: 'write', id, key, value, level, token: this.token, now: this.now }));
    if (out.type !== 'write-ok') throw new StoreRequestError('write', out.type === 'request-failed' ? out.reason : out.type);
    this.token = out.token;
    return out.index;
  }

  /** Reads `key` at `level` from a replica (default the first); `null` when never written. */
  read(key: string, level: ConsistencyLevel = ConsistencyLevel.STRONG, options: DistributedStoreRequestOptions = {}): unknown {
    const out = this.request(options.replica, (id) => ({ type: 'read', id, key, level, token: this.token, now: this.now, ...(options.bound === undefined ? {} : { bound: options.bound }) }));
    if (out.type !== 'read-ok') throw new StoreRequestError('read', out.type === 'request-failed' ? out.reason : out.type);
    this.token = out.token;
    return out.value ?? null;
  }

  /** The replica that currently leads, if any. */
  leader(): string | null {
    for (const [id, s] of this.states) if (s.raft.role === 'leader') return id;
    return null;
  }

  /** Lets `ms` of virtual time pass (replicas catch up, heartbeats flow). */
  advance(ms: number): void {
    const until = this.now + ms;
    this.runUntil(() => false, until);
    this.now = until;
  }

  private request(replica: string | undefined, make: (id: number) => StoreInput): StoreOutput {
    const to = replica ?? (this.ids[0] as string);
    if (!this.states.has(to)) throw new ConfigError('replica', `no replica named ${JSON.stringify(to)}`);
    const id = this.nextId++;
    this.input(to, make(id));
    this.runUntil(() => this.answers.has(id));
    const out = this.answers.get(id);
    this.answers.delete(id);
    if (out === undefined) throw new StoreRequestError('request', 'no answer');
    return out;
  }

  private input(to: string, input: StoreInput): void {
    const s = this.states.get(to) as StoreState;
    const t = distributedStore.step(s, input);
    this.states.set(to, t.state);
    for (const o of t.outputs) {
      if (o.type === 'send') this.inflight.push({ at: this.now + this.latencyMs, to: o.to, input: { type: 'message', from: to, message: o.message, now: 0 } });
      else if ((o.type === 'write-ok' || o.type === 'read-ok' || o.type === 'request-failed') && typeof o.id === 'number') this.answers.set(o.id, o);
    }
  }

  /** Delivers messages and fires deadlines in time order until `done` holds (or `until`, or 60 s of virtual time). */
  private runUntil(done: () => boolean, until = this.now + 60_000): void {
    while (!done()) {
      const msg = this.inflight.reduce<number>((m, e) => Math.min(m, e.at), Infinity);
      let timer = Infinity;
      let who = '';
      for (const [id, s] of this.states) {
        const d = storeNextDeadline(s);
        if (d !== undefined && d < timer) [timer, who] = [d, id];
      }
      const at = Math.max(this.now, Math.min(msg, timer));
      if (at > until) return;
      this.now = at;
      if (msg <= timer) {
        const i = this.inflight.findIndex((e) => e.at === msg);
        const [e] = this.inflight.splice(i, 1);
        if (e !== undefined && this.states.has(e.to)) this.input(e.to, { ...e.input, now: at } as StoreInput);
      } else this.input(who, { type: 'tick', now: at });
    }
  }
}
