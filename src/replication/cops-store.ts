/**
 * `CausalStore`: COPS replicas as a small synchronous class over an in-memory network that runs
 * in virtual time, with client sessions that keep their causal context.
 *
 * @packageDocumentation
 */
import { checkMembers, DistkitError, nonNegativeMs, positiveMs } from '../core/index.js';
import { copsAfterGet, copsAfterPut } from './cops-context.js';
import { copsReplica } from './cops.js';
import type { CopsContext, CopsInput, CopsOutput, CopsState, CopsVersion } from './cops-types.js';

/**
 * Options of {@link CausalStore}.
 *
 * @example
 * ```ts
 * import type { CausalStoreOptions } from 'distkit/replication';
 * const o: CausalStoreOptions = { replicas: ['east', 'west'], latencyMs: 80 };
 * ```
 */
export interface CausalStoreOptions {
  /** One replica per datacenter. Default `['r0', 'r1', 'r2']`. */
  readonly replicas?: readonly string[];
  /** One-way latency between replicas, ms of virtual time. Default 50. */
  readonly latencyMs?: number;
  /** How often a replica resends unacknowledged writes, ms. Default 50. */
  readonly replicateIntervalMs?: number;
}

/**
 * Thrown when a {@link CausalStore} request fails (its replica refused it).
 *
 * @example
 * ```ts
 * import { CausalStoreError } from 'distkit/replication';
 * new CausalStoreError('put', 'outbox full').message; //=> 'put failed: outbox full'
 * ```
 */
export class CausalStoreError extends DistkitError {
  constructor(op: string, reason: string) {
    super(`${op} failed: ${reason}`);
  }
}

/**
 * A client's `get` or `put` as {@link CausalStore.request} takes it: the machine input without
 * `now` (the store stamps its virtual time).
 *
 * @example
 * ```ts
 * import type { CausalStoreRequest } from 'distkit/replication';
 * const r: CausalStoreRequest = { type: 'get', id: 1, key: 'x' };
 * ```
 */
export type CausalStoreRequest = CopsInput extends infer I ? (I extends { readonly type: 'get' | 'put' } ? Omit<I, 'now'> : never) : never;

interface InFlight {
  readonly at: number;
  readonly from: string;
  readonly to: string;
  readonly message: unknown;
}

/**
 * A client of a {@link CausalStore}, at one replica (its datacenter), with the COPS client
 * library's context (§4.1-4.2): a `get` adds the version it read, a `put` depends on the context
 * and collapses it to itself.
 *
 * @example
 * ```ts
 * import { CausalStore } from 'distkit/replication';
 * const alice = new CausalStore({ replicas: ['east', 'west'] }).session('east');
 * alice.put('x', 1);
 * alice.get('x'); //=> 1
 * ```
 */
export class CausalSession {
  #context: CopsContext = [];
  readonly #store: CausalStore;
  /** The replica this client talks to. */
  readonly replica: string;

  constructor(store: CausalStore, replica: string) {
    this.#store = store;
    this.replica = replica;
  }

  /** The nearest dependencies of this client's next write. */
  get context(): CopsContext {
    return this.#context;
  }

  /** Reads `key` at this client's replica: its value, `null` when never written there. */
  get(key: string): unknown {
    const out = this.#store.request(this.replica, { type: 'get', id: 0, key, deps: this.#context });
    if (out.type !== 'get-ok') throw new CausalStoreError('get', out.type === 'get-failed' ? out.reason : out.type);
    this.#context = copsAfterGet(this.#context, key, out.version);
    return out.value;
  }

  /** Writes `key` at this client's replica, depending on everything this client has seen; returns the version. */
  put(key: string, value: unknown): CopsVersion {
    const out = this.#store.request(this.replica, { type: 'put', id: 0, key, value, deps: this.#context });
    if (out.type !== 'put-ok') throw new CausalStoreError('put', out.type === 'put-failed' ? out.reason : out.type);
    this.#context = copsAfterPut(this.#context, key, out.version);
    return out.version;
  }
}

/**
 * A geo-replicated causal+ key-value store (COPS, Lloyd et al., SOSP 2011): one
 * {@link copsReplica} per datacenter over an in-memory network in virtual time. Clients
 * (`session(replica)`) read and write at their own replica at once, also during a partition;
 * writes reach the other replicas after `latencyMs` and become visible there only after their
 * dependencies. `advance(ms)` lets time pass, `partition` / `heal` cut and restore links, and
 * `settle()` runs until every write is everywhere.
 *
 * @example
 * ```ts
 * import { CausalStore } from 'distkit/replication';
 * const store = new CausalStore({ replicas: ['east', 'west'], latencyMs: 100 });
 * const alice = store.session('east');
 * const bob = store.session('west');
 * store.partition([['east'], ['west']]);
 * alice.put('status', 'on holiday'); // accepted during the partition
 * bob.get('status'); //=> null
 * store.heal();
 * store.settle();
 * bob.get('status'); //=> 'on holiday'
 * ```
 */
export class CausalStore {
  readonly #states = new Map<string, CopsState>();
  readonly #latencyMs: number;
  #flight: InFlight[] = [];
  #groups: readonly (readonly string[])[] | null = null;
  #now = 0;
  /** The replica ids. */
  readonly replicas: readonly string[];

  constructor(options: CausalStoreOptions = {}) {
    const replicas = options.replicas ?? ['r0', 'r1', 'r2'];
    this.replicas = checkMembers(replicas[0], replicas, 'replicas');
    this.#latencyMs = nonNegativeMs('latencyMs', options.latencyMs, 50);
    const replicateIntervalMs = positiveMs('replicateIntervalMs', options.replicateIntervalMs, 50);
    for (const id of this.replicas) this.#states.set(id, copsReplica.init({ id, replicas: this.replicas, replicateIntervalMs }));
  }

  /** Virtual time, ms. */
  get now(): number {
    return this.#now;
  }

  /** A client at `replica`. */
  session(replica: string): CausalSession {
    if (!this.#states.has(replica)) throw new CausalStoreError('session', `no replica ${JSON.stringify(replica)}`);
    return new CausalSession(this, replica);
  }

  /** A replica's state (for inspection and invariants). */
  state(replica: string): CopsState | undefined {
    return this.#states.get(replica);
  }

  /** Cuts the network into groups: messages between groups are lost (replicas resend them after `heal`). */
  partition(groups: readonly (readonly string[])[]): void {
    this.#groups = groups.map((g) => [...g]);
  }

  /** Restores every link. */
  heal(): void {
    this.#groups = null;
  }

  /** Lets `ms` of virtual time pass: messages arrive, replicas resend what is unacknowledged. */
  advance(ms: number): void {
    const until = this.#now + nonNegativeMs('ms', ms);
    for (;;) {
      const next = this.#nextEvent();
      if (next === undefined || next > until) break;
      this.#now = Math.max(this.#now, next);
      this.#runDue();
    }
    this.#now = until;
  }

  /** Runs until no message is in flight and every replica's writes are everywhere (at most `maxMs`, default 60 s); returns whether it settled. */
  settle(maxMs = 60_000): boolean {
    const until = this.#now + maxMs;
    while (this.#now < until) {
      if (this.#flight.length === 0 && [...this.#states.values()].every((s) => s.outbox.length === 0 && s.pending.length === 0)) return true;
      const next = this.#nextEvent();
      if (next === undefined) return false;
      this.#now = Math.max(this.#now, next);
      this.#runDue();
    }
    return false;
  }

  /** Steps one client request at its replica now and returns the answer. */
  request(replica: string, input: CausalStoreRequest): CopsOutput {
    const outputs = this.#step(replica, { ...input, now: this.#now } as CopsInput);
    const answer = outputs.find((o) => o.type === 'get-ok' || o.type === 'put-ok' || o.type === 'get-failed' || o.type === 'put-failed');
    if (answer === undefined) throw new CausalStoreError(input.type, 'no answer');
    return answer;
  }

  #connected(a: string, b: string): boolean {
    return this.#groups === null || this.#groups.some((g) => g.includes(a) && g.includes(b));
  }

  #step(replica: string, input: CopsInput): readonly CopsOutput[] {
    const t = copsReplica.step(this.#states.get(replica)!, input);
    this.#states.set(replica, t.state);
    for (const o of t.outputs) {
      if (o.type === 'send' && this.#connected(replica, o.to)) this.#flight.push({ at: this.#now + this.#latencyMs, from: replica, to: o.to, message: o.message });
    }
    return t.outputs;
  }

  #nextEvent(): number | undefined {
    let next: number | undefined;
    for (const m of this.#flight) next = next === undefined ? m.at : Math.min(next, m.at);
    for (const s of this.#states.values()) {
      const d = copsReplica.nextDeadline?.(s);
      if (d !== undefined) next = next === undefined ? d : Math.min(next, d);
    }
    return next;
  }

  #runDue(): void {
    const due = this.#flight.filter((m) => m.at <= this.#now);
    this.#flight = this.#flight.filter((m) => m.at > this.#now);
    for (const m of due) this.#step(m.to, { type: 'message', from: m.from, message: m.message, now: this.#now });
    for (const [id, s] of this.#states) {
      const d = copsReplica.nextDeadline?.(s);
      if (d !== undefined && d <= this.#now) this.#step(id, { type: 'tick', now: this.#now });
    }
  }
}
