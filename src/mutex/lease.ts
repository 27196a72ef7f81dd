import type { Timer, DurableMachine, Machine, MessageInput, NodeId, PersistOutput, RejectedOutput, SendOutput, TickInput, Transition, InputHandlers } from '../core/index.js';
import { ConfigError, InvalidCommandError, MAX_COUNTER, checkId, MAX_ID_LENGTH, STOPPED_TIMER, assertNever, earliest, parse, positiveInt, reject, send, startTimer, stopTimer, timerDue, transition, v, stepByType } from '../core/index.js';
import { leaseDurable, recoverLease, type EnterOutput, type MutexInput } from './common.js';

// ---- messages ---------------------------------------------------------------------------------

/**
 * Client → lock service: `acquire` (with the client's request number and wanted TTL), `renew` and
 * `release` (naming the fencing token of the lease), `withdraw` (give up an acquire still waiting:
 * leave the queue, or hand back the lock offered to it).
 *
 * @example
 * ```ts
 * import { leaseClient } from 'distkit/mutex';
 * const c = leaseClient.init({ id: 'c1', service: 'lock', ttlMs: 10_000 });
 * leaseClient.step(c, { type: 'request', now: 0 }).outputs; //=> [{ type: 'send', to: 'lock', message: { type: 'acquire', req: 1, ttlMs: 10000 } }]
 * ```
 */
export type LeaseClientMessage = (
  | { readonly type: 'acquire'; readonly req: number; readonly ttlMs: number }
  | { readonly type: 'renew'; readonly req: number; readonly token: number }
  | { readonly type: 'release'; readonly token: number }
  | { readonly type: 'withdraw'; readonly req: number }
) & LeaseResourceField;

/**
 * Lock service → client: `granted` (a lease of `ttlMs` with fencing `token`), `queued` (wait for an
 * `offer`), `offer` (the lock is free and reserved for you: acquire now), `renewed`, `lost` (the
 * lease named by `token` is no longer yours).
 *
 * @example
 * ```ts
 * import { leaseLockService } from 'distkit/mutex';
 * let s = leaseLockService.init({ id: 'lock' });
 * s = leaseLockService.step(s, { type: 'message', from: 'c1', message: { type: 'acquire', req: 1, ttlMs: 5000 }, now: 0 }).state;
 * // c2 asks while c1 holds the lease: it is queued.
 * leaseLockService.step(s, { type: 'message', from: 'c2', message: { type: 'acquire', req: 1, ttlMs: 5000 }, now: 1 }).outputs; //=> [{ type: 'send', to: 'c2', message: { type: 'queued', req: 1 } }]
 * ```
 */
export type LeaseServiceMessage = (
  | { readonly type: 'granted'; readonly req: number; readonly token: number; readonly ttlMs: number }
  | { readonly type: 'queued'; readonly req: number }
  | { readonly type: 'offer' }
  | { readonly type: 'renewed'; readonly req: number; readonly token: number; readonly ttlMs: number }
  | { readonly type: 'lost'; readonly token: number }
) & LeaseResourceField;

/**
 * The lock a lease message is about, for a {@link leaseLockServer} that holds many named locks
 * (the notes' `acquire("payment:user_123")`). Absent: the single lock of a
 * {@link leaseLockService}, or the server's {@link LEASE_DEFAULT_RESOURCE}.
 *
 * @example
 * ```ts
 * import { leaseClient } from 'distkit/mutex';
 * const c = leaseClient.init({ id: 'c1', service: 'lock', ttlMs: 10_000, resource: 'payment:user_123' });
 * leaseClient.step(c, { type: 'request', now: 0 }).outputs; //=> [{ type: 'send', to: 'lock', message: { type: 'acquire', req: 1, ttlMs: 10000, resource: 'payment:user_123' } }]
 * ```
 */
export interface LeaseResourceField {
  /** The lock's name (1..MAX_ID_LENGTH characters). */
  readonly resource?: string;
}

const counter = () => v.int({ min: 1, max: MAX_COUNTER });

const resource = () => v.optional(v.string({ minLength: 1, maxLength: MAX_ID_LENGTH }));

const clientMessageCheck = v.tagged({
  acquire: v.object({ type: v.literal('acquire'), req: counter(), ttlMs: counter(), resource: resource() }),
  renew: v.object({ type: v.literal('renew'), req: counter(), token: counter(), resource: resource() }),
  release: v.object({ type: v.literal('release'), token: counter(), resource: resource() }),
  withdraw: v.object({ type: v.literal('withdraw'), req: counter(), resource: resource() }),
});

const serviceMessageCheck = v.tagged({
  granted: v.object({ type: v.literal('granted'), req: counter(), token: counter(), ttlMs: counter(), resource: resource() }),
  queued: v.object({ type: v.literal('queued'), req: counter(), resource: resource() }),
  offer: v.object({ type: v.literal('offer'), resource: resource() }),
  renewed: v.object({ type: v.literal('renewed'), req: counter(), token: counter(), ttlMs: counter(), resource: resource() }),
  lost: v.object({ type: v.literal('lost'), token: counter(), resource: resource() }),
});

// ---- fencing ----------------------------------------------------------------------------------

/**
 * The verdict of {@link checkFencingToken}: accept the write and remember `highest`, or refuse it.
 *
 * @example
 * ```ts
 * import { checkFencingToken, type FencingVerdict } from 'distkit/mutex';
 * // A storage service keeps the highest token it has seen and refuses writes with older ones.
 * let highest = 0;
 * const write = (token: number): FencingVerdict => {
 *   const v = checkFencingToken(highest, token);
 *   highest = v.highest;
 *   return v;
 * };
 * write(34).ok; //=> true
 * write(33); //=> { ok: false, highest: 34, reason: 'stale fencing token 33 < 34' }
 * ```
 */
export type FencingVerdict = { readonly ok: true; readonly highest: number } | { readonly ok: false; readonly highest: number; readonly reason: string };

/**
 * What a protected resource (storage, an external service) runs on every write carrying a fencing
 * token: refuse a token lower than the highest it has accepted, since its holder's lease has
 * expired and a newer holder exists (Kleppmann, "How to do distributed locking", 2016; Burrows,
 * "The Chubby lock service", OSDI 2006, §2.4 sequencers). `highest` is -1 before any write.
 *
 * @example
 * ```ts
 * import { checkFencingToken } from 'distkit/mutex';
 * checkFencingToken(34, 33); //=> { ok: false, highest: 34, reason: 'stale fencing token 33 < 34' }
 * checkFencingToken(34, 35); //=> { ok: true, highest: 35 }
 * ```
 */
export function checkFencingToken(highest: number, token: unknown): FencingVerdict {
  if (typeof token !== 'number' || !Number.isSafeInteger(token) || token < 1) {
    return { ok: false, highest, reason: `fencing token must be a positive integer, got ${String(token)}` };
  }
  if (token < highest) return { ok: false, highest, reason: `stale fencing token ${token} < ${highest}` };
  return { ok: true, highest: token };
}

// ---- the lock service ------------------------------------------------------------------------

/**
 * Configuration of a {@link leaseLockService}.
 *
 * @example
 * ```ts
 * import { leaseLockService } from 'distkit/mutex';
 * const s = leaseLockService.init({ id: 'lock', maxTtlMs: 30_000 });
 * // A longer lease than maxTtlMs is cut down to it.
 * leaseLockService.step(s, { type: 'message', from: 'c1', message: { type: 'acquire', req: 1, ttlMs: 60_000 }, now: 0 }).outputs[1]; //=> { type: 'send', to: 'c1', message: { type: 'granted', req: 1, token: 1, ttlMs: 30000 } }
 * ```
 */
export interface LeaseLockServiceConfig {
  /** The service's node id. */
  readonly id: NodeId;
  /** Longest lease granted; longer requests are cut to it. Default 30000. */
  readonly maxTtlMs?: number;
  /** How long the lock stays reserved for the client it was offered to. Default 1000. */
  readonly offerTimeoutMs?: number;
  /**
   * Bound of the wait queue (a table any client can grow); an acquire that finds it full is
   * rejected with a reason naming the limit (the client retries). Default {@link LEASE_MAX_WAITERS}.
   */
  readonly maxWaiters?: number;
}

/**
 * The default bound on a {@link leaseLockService}'s wait queue.
 *
 * @example
 * ```ts
 * import { LEASE_MAX_WAITERS } from 'distkit/mutex';
 * LEASE_MAX_WAITERS; //=> 1024
 * ```
 */
export const LEASE_MAX_WAITERS = 1024;

/**
 * What must survive a crash of the service: the last fencing token issued, so tokens keep
 * increasing after recovery.
 *
 * @example
 * ```ts
 * import { leaseLockService } from 'distkit/mutex';
 * let s = leaseLockService.init({ id: 'lock' });
 * s = leaseLockService.step(s, { type: 'message', from: 'c1', message: { type: 'acquire', req: 1, ttlMs: 5000 }, now: 0 }).state;
 * leaseLockService.durable(s); //=> { lastToken: 1 }
 * ```
 */
export interface LeaseLockDurable {
  /** The largest fencing token ever issued. */
  readonly lastToken: number;
}

/**
 * State of a {@link leaseLockService}.
 *
 * @example
 * ```ts
 * import { leaseLockService } from 'distkit/mutex';
 * leaseLockService.init({ id: 'lock' }).holder; //=> null
 * ```
 */
export interface LeaseLockServiceState {
  /** The service id. */
  readonly id: NodeId;
  /** Lease cap. */
  readonly maxTtlMs: number;
  /** Reservation time of an offer. */
  readonly offerTimeoutMs: number;
  /** Wait-queue bound. */
  readonly maxWaiters: number;
  /**
   * Recovered from a crash: the quiet period has not started yet. It starts at the first input
   * the service accepts after recovery (the first time it learns the clock).
   */
  readonly recovering: boolean;
  /** After a recovery, no lease is granted before this timer fires (an old lease may still run). */
  readonly quiet: Timer;
  /** The largest fencing token issued. */
  readonly lastToken: number;
  /** The current lease; `expiry` counts from the input that granted or renewed it. */
  readonly holder: { readonly client: NodeId; readonly token: number; readonly ttlMs: number; readonly expiry: Timer } | null;
  /** The client the free lock is reserved for, and until when. */
  readonly reserved: { readonly client: NodeId; readonly expiry: Timer } | null;
  /** Waiting clients, FIFO. */
  readonly waiters: readonly NodeId[];
}

/**
 * An event of the lock service: a lease ended without release (its holder may be paused or dead;
 * any write it still attempts carries a stale token).
 *
 * @example
 * ```ts
 * import { leaseLockService } from 'distkit/mutex';
 * let s = leaseLockService.init({ id: 'lock' });
 * s = leaseLockService.step(s, { type: 'message', from: 'c1', message: { type: 'acquire', req: 1, ttlMs: 5000 }, now: 0 }).state;
 * // c1 never renews: at the end of its TTL the lease expires.
 * leaseLockService.step(s, { type: 'tick', now: 5000 }).outputs; //=> [{ type: 'lease-expired', client: 'c1', token: 1 }]
 * ```
 */
export interface LeaseExpiredOutput {
  /** Discriminant. */
  readonly type: 'lease-expired';
  /** The holder whose lease ran out. */
  readonly client: NodeId;
  /** Its fencing token. */
  readonly token: number;
  /** The lock, on a {@link leaseLockServer} (absent for its default lock and for a single service). */
  readonly resource?: string;
}

/**
 * Inputs of {@link leaseLockService}: client messages and ticks.
 *
 * @example
 * ```ts
 * import { leaseLockService } from 'distkit/mutex';
 * let s = leaseLockService.init({ id: 'lock' });
 * s = leaseLockService.step(s, { type: 'message', from: 'c1', message: { type: 'acquire', req: 1, ttlMs: 5000 }, now: 0 }).state;
 * s.holder; //=> { client: 'c1', token: 1, ttlMs: 5000, expiry: { at: 5000, attempt: 0 } }
 * ```
 */
export type LeaseLockServiceInput = MessageInput<unknown> | TickInput;

/**
 * Outputs of {@link leaseLockService}.
 *
 * @example
 * ```ts
 * import { leaseLockService } from 'distkit/mutex';
 * let s = leaseLockService.init({ id: 'lock' });
 * s = leaseLockService.step(s, { type: 'message', from: 'c1', message: { type: 'acquire', req: 1, ttlMs: 5000 }, now: 0 }).state;
 * leaseLockService.step(s, { type: 'message', from: 'c1', message: { type: 'release', token: 1 }, now: 10 }).state.holder; //=> null
 * ```
 */
export type LeaseLockServiceOutput = SendOutput<LeaseServiceMessage> | PersistOutput<LeaseLockDurable> | RejectedOutput | LeaseExpiredOutput;

type ST = Transition<LeaseLockServiceState, LeaseLockServiceOutput>;

/**
 * A lease lock service (the notes' `DistributedLock` done right; Gray & Cheriton, "Leases", SOSP
 * 1989; Chubby §2.4): a lock is granted as a lease of bounded TTL, renewable, released explicitly
 * or by expiry on the service's injected clock. Every grant carries a fencing token strictly larger
 * than all before it, made durable (`persist`) before the grant is sent, and a recovered service
 * waits out the longest TTL before granting again. Waiters are served FIFO by an `offer`.
 *
 * @example
 * ```ts
 * import { leaseLockService } from 'distkit/mutex';
 * const s = leaseLockService.init({ id: 'lock' });
 * const t = leaseLockService.step(s, { type: 'message', from: 'c1', message: { type: 'acquire', req: 1, ttlMs: 5000 }, now: 0 });
 * t.outputs; //=> [{ type: 'persist', record: { lastToken: 1 } }, { type: 'send', to: 'c1', message: { type: 'granted', req: 1, token: 1, ttlMs: 5000 } }]
 * ```
 */
export const leaseLockService: DurableMachine<
  LeaseLockServiceConfig,
  LeaseLockServiceState,
  LeaseLockServiceInput,
  LeaseLockServiceOutput,
  LeaseLockDurable
> = {
  name: 'lease-lock-service',
  init(config) {
    if (typeof config.id !== 'string' || config.id.length === 0) throw new ConfigError('id', 'must be a non-empty string');
    return {
      id: config.id,
      maxTtlMs: positiveInt('maxTtlMs', config.maxTtlMs, 30_000),
      offerTimeoutMs: positiveInt('offerTimeoutMs', config.offerTimeoutMs, 1000),
      maxWaiters: positiveInt('maxWaiters', config.maxWaiters, LEASE_MAX_WAITERS),
      recovering: false,
      quiet: STOPPED_TIMER,
      lastToken: 0,
      holder: null,
      reserved: null,
      waiters: [],
    };
  },
  durable: leaseDurable,
  recover: (config, durable) => recoverLease(durable, () => leaseLockService.init(config)),
  step: (state, input) =>
    stepByType<LeaseLockServiceState, LeaseLockServiceInput, LeaseLockServiceOutput>(
      { tick: (s, _i, now) => serviceTick(startQuiet(s, now), now), message: (s, i, now) => serviceMessage(s, i.from, i.message, now) },
      state,
      input,
    ),
  nextDeadline: (s) => earliest(s.holder?.expiry, s.reserved?.expiry, s.quiet),
};

/** After a recovery, the first accepted input starts the quiet period of the longest TTL. */
function startQuiet(state: LeaseLockServiceState, now: number): LeaseLockServiceState {
  return state.recovering ? { ...state, recovering: false, quiet: startTimer(now, state.maxTtlMs) } : state;
}

function serviceMessage(state: LeaseLockServiceState, from: NodeId, message: unknown, now: number): ST {
  if (from === state.id) return reject(state, from, 'message from the service itself');
  if (typeof from !== 'string' || from.length === 0 || from.length > MAX_ID_LENGTH) return reject(state, from, `client id must be 1..${MAX_ID_LENGTH} characters`);
  const parsed = parse(clientMessageCheck, message, 'message');
  if (!parsed.ok) return reject(state, from, parsed.problem);
  const m: LeaseClientMessage = parsed.value;
  switch (m.type) {
    case 'acquire':
      return serviceAcquire(state, from, m.req, Math.min(m.ttlMs, state.maxTtlMs), now);
    case 'renew': {
      const s = startQuiet(state, now);
      const h = s.holder;
      if (h === null || h.client !== from || h.token !== m.token || timerDue(h.expiry, now)) {
        return transition(s, [send(from, { type: 'lost', token: m.token })]);
      }
      // Gray & Cheriton §2: a renewal extends the lease from the time the service grants it (now).
      const ttlMs = h.ttlMs;
      return transition({ ...s, holder: { ...h, expiry: startTimer(now, ttlMs) } }, [send(from, { type: 'renewed', req: m.req, token: h.token, ttlMs })]);
    }
    case 'release': {
      const h = state.holder;
      if (h === null || h.client !== from || h.token !== m.token) return reject(state, from, `release of token ${m.token}, which ${from} does not hold`);
      return offerNext({ ...startQuiet(state, now), holder: null }, now);
    }
    case 'withdraw': {
      // The client stopped waiting: it leaves the queue, and a lock reserved for it goes to the next.
      const s = { ...startQuiet(state, now), waiters: state.waiters.filter((w) => w !== from) };
      if (s.reserved?.client === from) return offerNext({ ...s, reserved: null }, now);
      return transition(s);
    }
    default:
      return assertNever(m, 'message');
  }
}

function serviceTick(state: LeaseLockServiceState, now: number): ST {
  let s = state;
  const outputs: LeaseLockServiceOutput[] = [];
  if (s.holder !== null && timerDue(s.holder.expiry, now)) {
    outputs.push({ type: 'lease-expired', client: s.holder.client, token: s.holder.token });
    s = { ...s, holder: null };
  }
  if (s.reserved !== null && timerDue(s.reserved.expiry, now)) s = { ...s, reserved: null };
  if (timerDue(s.quiet, now)) s = { ...s, quiet: stopTimer(s.quiet) };
  if (s.holder === null && s.reserved === null) {
    const t = offerNext(s, now);
    return transition(t.state, [...outputs, ...t.outputs]);
  }
  return transition(s, outputs);
}

/** Whether the lock may be granted now: no live lease, no reservation for another, not quiet. */
function isFree(state: LeaseLockServiceState, from: NodeId, now: number): boolean {
  if (state.recovering || (state.quiet.at !== null && !timerDue(state.quiet, now))) return false;
  if (state.holder !== null && !timerDue(state.holder.expiry, now)) return false;
  return state.reserved === null || state.reserved.client === from || timerDue(state.reserved.expiry, now);
}

function serviceAcquire(original: LeaseLockServiceState, from: NodeId, req: number, ttlMs: number, now: number): ST {
  const state = startQuiet(original, now);
  if (isFree(state, from, now)) {
    if (state.lastToken >= MAX_COUNTER) return reject(original, from, 'fencing tokens are exhausted (MAX_COUNTER)');
    const token = state.lastToken + 1;
    const outputs: LeaseLockServiceOutput[] = [{ type: 'persist', record: { lastToken: token } }];
    // A lease that ran out before this tick was noticed is reported now.
    if (state.holder !== null) outputs.push({ type: 'lease-expired', client: state.holder.client, token: state.holder.token });
    outputs.push(send(from, { type: 'granted', req, token, ttlMs }));
    return transition(
      {
        ...state,
        lastToken: token,
        holder: { client: from, token, ttlMs, expiry: startTimer(now, ttlMs) },
        reserved: null,
        quiet: stopTimer(state.quiet),
        waiters: state.waiters.filter((w) => w !== from),
      },
      outputs,
    );
  }
  const known = state.waiters.includes(from) || state.holder?.client === from;
  if (!known && state.waiters.length >= state.maxWaiters) {
    return reject(original, from, `the wait queue is full (maxWaiters = ${state.maxWaiters})`);
  }
  const waiters = known ? state.waiters : [...state.waiters, from];
  return transition({ ...state, waiters }, [send(from, { type: 'queued', req })]);
}

function offerNext(state: LeaseLockServiceState, now: number): ST {
  if (state.recovering || (state.quiet.at !== null && !timerDue(state.quiet, now))) return transition(state);
  const [head, ...rest] = state.waiters;
  if (head === undefined) return transition(state);
  return transition({ ...state, waiters: rest, reserved: { client: head, expiry: startTimer(now, state.offerTimeoutMs) } }, [send(head, { type: 'offer' })]);
}

// ---- the client -------------------------------------------------------------------------------

/**
 * Configuration of a {@link leaseClient}.
 *
 * @example
 * ```ts
 * import { leaseClient } from 'distkit/mutex';
 * let c = leaseClient.init({ id: 'c1', service: 'lock', ttlMs: 10_000, marginMs: 100 });
 * c = leaseClient.step(c, { type: 'request', now: 0 }).state;
 * const granted = leaseClient.step(c, { type: 'message', from: 'lock', message: { type: 'granted', req: 1, token: 7, ttlMs: 10_000 }, now: 20 });
 * granted.outputs; //=> [{ type: 'enter', fencingToken: 7 }]
 * ```
 */
export interface LeaseClientConfig {
  /** This client's id. */
  readonly id: NodeId;
  /** The lock service's id. */
  readonly service: NodeId;
  /** Lease length asked for. Default 10000. */
  readonly ttlMs?: number;
  /**
   * The client stops trusting its lease this long before it would end on its own clock, to absorb
   * clock-rate differences with the service. Default 0.
   */
  readonly marginMs?: number;
  /** Renew while holding, once half of the lease is used. Default true. */
  readonly autoRenew?: boolean;
  /** Resend an unanswered acquire, or poll while queued, after this long. Default 1000. */
  readonly retryMs?: number;
  /**
   * The named lock to hold, on a {@link leaseLockServer} (the notes' resource name, e.g.
   * `"payment:user_123"`). Absent: the service's only lock.
   */
  readonly resource?: string;
}

/**
 * State of a {@link leaseClient}.
 *
 * @example
 * ```ts
 * import { leaseClient } from 'distkit/mutex';
 * leaseClient.init({ id: 'c1', service: 'lock' }).phase; //=> 'idle'
 * ```
 */
export interface LeaseClientState {
  /** This client. */
  readonly id: NodeId;
  /** The service. */
  readonly service: NodeId;
  /** Lease asked for. */
  readonly ttlMs: number;
  /** Safety margin. */
  readonly marginMs: number;
  /** Renew automatically. */
  readonly autoRenew: boolean;
  /** Acquire retry interval. */
  readonly retryMs: number;
  /** The named lock, when the client holds one of a server's many. */
  readonly resource?: string;
  /** `idle`, `acquiring` (acquire sent), `queued` (waiting for an offer), `held`. */
  readonly phase: 'idle' | 'acquiring' | 'queued' | 'held';
  /** Request counter. */
  readonly req: number;
  /** When the outstanding acquire or renew was sent (host ms): the lease is timed from there. */
  readonly sentAt: number;
  /** A renew is outstanding. */
  readonly renewing: boolean;
  /** Fencing token of the held lease, or -1. */
  readonly token: number;
  /** While acquiring or queued: when to resend the acquire. */
  readonly retry: Timer;
  /** While held with `autoRenew`: when to renew (half the lease). */
  readonly renewal: Timer;
  /** While held: when the client stops trusting its lease (own clock, minus the margin). */
  readonly expiry: Timer;
}

/**
 * Events of a {@link leaseClient}: the held lease ran out on the client's clock or the service
 * said it is gone. Stop using the resource (writes would carry a stale token anyway).
 *
 * @example
 * ```ts
 * import type { LeaseLostOutput } from 'distkit/mutex';
 * const e: LeaseLostOutput = { type: 'lease-lost', fencingToken: 7, reason: 'expired' };
 * ```
 */
export interface LeaseLostOutput {
  /** Discriminant. */
  readonly type: 'lease-lost';
  /** The token of the lease that ended. */
  readonly fencingToken: number;
  /** `expired` (own clock) or `revoked` (the service answered `lost`). */
  readonly reason: 'expired' | 'revoked';
}

/**
 * Outputs of {@link leaseClient}.
 *
 * @example
 * ```ts
 * import type { LeaseClientOutput } from 'distkit/mutex';
 * const o: LeaseClientOutput = { type: 'enter', fencingToken: 3 };
 * ```
 */
export type LeaseClientOutput = SendOutput<LeaseClientMessage> | RejectedOutput | EnterOutput | LeaseLostOutput;

type CT = Transition<LeaseClientState, LeaseClientOutput>;

/**
 * The client side of a lease lock: `request` acquires (waiting FIFO if needed), `enter` carries the
 * fencing token, the lease is timed from the moment the acquire/renew was sent (so the client's
 * view always ends before the service's), renewed at half-life, and `lease-lost` reports its end.
 * A grant that arrives after the lease it names would already have ended is handed back and the
 * acquire retried, never entered. `release` gives up the held lease, or withdraws an acquire in progress (the service drops it from its queue);
 * after `lease-lost` (or when idle) it is a no-op, since a host cannot avoid racing the expiry.
 *
 * @example
 * ```ts
 * import { leaseClient } from 'distkit/mutex';
 * const c = leaseClient.init({ id: 'c1', service: 'lock', ttlMs: 5000 });
 * leaseClient.step(c, { type: 'request', now: 0 }).outputs;
 * //=> [{ type: 'send', to: 'lock', message: { type: 'acquire', req: 1, ttlMs: 5000 } }]
 * ```
 */
export const leaseClient: Machine<LeaseClientConfig, LeaseClientState, MutexInput, LeaseClientOutput> = {
  name: 'lease-client',
  init(config) {
    if (typeof config.id !== 'string' || config.id.length === 0) throw new ConfigError('id', 'must be a non-empty string');
    if (typeof config.service !== 'string' || config.service.length === 0 || config.service === config.id) {
      throw new ConfigError('service', 'must be a non-empty id other than the client');
    }
    const ttlMs = positiveInt('ttlMs', config.ttlMs, 10_000);
    const marginMs = config.marginMs ?? 0;
    if (!Number.isSafeInteger(marginMs) || marginMs < 0 || marginMs >= ttlMs) throw new ConfigError('marginMs', 'must be an integer in [0, ttlMs)');
    return {
      id: config.id,
      service: config.service,
      ttlMs,
      marginMs,
      autoRenew: config.autoRenew ?? true,
      retryMs: positiveInt('retryMs', config.retryMs, 1000),
      ...(config.resource === undefined ? {} : { resource: checkId('resource', config.resource) }),
      phase: 'idle',
      req: 0,
      sentAt: 0,
      renewing: false,
      token: -1,
      retry: STOPPED_TIMER,
      renewal: STOPPED_TIMER,
      expiry: STOPPED_TIMER,
    };
  },
  step: (state, input) => stepByType(clientInputs, state, input),
  nextDeadline: (s) => earliest(s.retry, s.renewal, s.expiry),
};

const clientInputs: InputHandlers<LeaseClientState, MutexInput, LeaseClientOutput> = {
  tick: (state, _input, now) => clientTick(state, now),
  request(state, _input, now) {
    if (state.phase !== 'idle') throw new InvalidCommandError('request', `already ${state.phase}`);
    return acquire(state, now);
  },
  release(state) {
    // The lease may have ended (lease-lost) just before the host released it: nothing to do.
    if (state.phase === 'idle') return transition(state);
    // Give up the acquire: leave the service's queue (or its offer); a grant already on its way is handed back.
    if (state.phase !== 'held') return transition(idle(state), [toService(state, { type: 'withdraw', req: state.req })]);
    return transition(idle(state), [toService(state, { type: 'release', token: state.token })]);
  },
  message(state, input, now) {
    const { from } = input;
    if (from !== state.service) return reject(state, from, `only the service ${JSON.stringify(state.service)} may send here`);
    const parsed = parse(serviceMessageCheck, input.message, 'message');
    if (!parsed.ok) return reject(state, from, parsed.problem);
    if (parsed.value.resource !== state.resource) return reject(state, from, `message for lock ${JSON.stringify(parsed.value.resource ?? null)}, not ${JSON.stringify(state.resource ?? null)}`);
    return clientMessage(state, parsed.value, now);
  },
};

/** A message to the service, naming the client's lock when it has one. */
function toService(state: LeaseClientState, message: LeaseClientMessage): SendOutput<LeaseClientMessage> {
  return send(state.service, state.resource === undefined ? message : { ...message, resource: state.resource });
}

function idle(state: LeaseClientState): LeaseClientState {
  return { ...state, phase: 'idle', token: -1, renewing: false, retry: STOPPED_TIMER, renewal: STOPPED_TIMER, expiry: STOPPED_TIMER };
}

function nextReq(state: LeaseClientState): number {
  if (state.req >= MAX_COUNTER) throw new InvalidCommandError('request', 'request numbers are exhausted');
  return state.req + 1;
}

function acquire(state: LeaseClientState, now: number): CT {
  const req = nextReq(state);
  return transition({ ...idle(state), phase: 'acquiring', req, sentAt: now, retry: startTimer(now, state.retryMs) }, [
    toService(state, { type: 'acquire', req, ttlMs: state.ttlMs }),
  ]);
}

/** A held lease: trusted until `sentAt + ttl − margin`, renewed at half the TTL. */
function holding(state: LeaseClientState, token: number, sentAt: number, ttlMs: number): LeaseClientState {
  return {
    ...state,
    phase: 'held',
    token,
    renewing: false,
    retry: STOPPED_TIMER,
    expiry: startTimer(sentAt, ttlMs - state.marginMs),
    renewal: state.autoRenew ? startTimer(sentAt, Math.floor(state.ttlMs / 2)) : STOPPED_TIMER,
  };
}

function clientTick(state: LeaseClientState, now: number): CT {
  // An unanswered acquire is resent; a queued client polls, in case its offer was lost.
  if ((state.phase === 'acquiring' || state.phase === 'queued') && timerDue(state.retry, now)) return acquire(state, now);
  if (state.phase !== 'held') return transition(state);
  if (timerDue(state.expiry, now)) {
    return transition(idle(state), [{ type: 'lease-lost', fencingToken: state.token, reason: 'expired' }]);
  }
  if (!state.renewing && timerDue(state.renewal, now)) {
    const req = nextReq(state);
    return transition({ ...state, req, renewing: true, sentAt: now, renewal: STOPPED_TIMER }, [toService(state, { type: 'renew', req, token: state.token })]);
  }
  return transition(state);
}

function clientMessage(state: LeaseClientState, m: LeaseServiceMessage, now: number): CT {
  switch (m.type) {
    case 'granted': {
      if (state.phase !== 'acquiring' || m.req !== state.req) {
        // A grant we no longer wait for (retried, or gave up): hand it back so nobody waits a TTL.
        if (state.phase === 'held' && m.token === state.token) return transition(state);
        return transition(state, [toService(state, { type: 'release', token: m.token })]);
      }
      const ttl = Math.min(m.ttlMs, state.ttlMs);
      if (ttl <= state.marginMs || timerDue(startTimer(state.sentAt, ttl - state.marginMs), now)) {
        // The lease ran out on our clock before the grant arrived: never enter on it. Hand it back
        // and ask again (the retry counts from now).
        const again = acquire(state, now);
        return transition(again.state, [toService(state, { type: 'release', token: m.token }), ...again.outputs]);
      }
      return transition(holding(state, m.token, state.sentAt, ttl), [{ type: 'enter', fencingToken: m.token }]);
    }
    case 'queued':
      if (state.phase !== 'acquiring' || m.req !== state.req) return reject(state, state.service, `queued for request ${m.req}, not outstanding`);
      return transition({ ...state, phase: 'queued' });
    case 'offer':
      if (state.phase === 'queued' || state.phase === 'acquiring') return acquire(state, now);
      return reject(state, state.service, `offer while ${state.phase}`);
    case 'renewed': {
      if (state.phase !== 'held' || !state.renewing || m.req !== state.req || m.token !== state.token) {
        return reject(state, state.service, 'renewed for a renewal not outstanding');
      }
      const renewed = holding(state, state.token, state.sentAt, Math.min(m.ttlMs, state.ttlMs));
      // Never shorten what we already trust.
      const expiry = (renewed.expiry.at ?? 0) > (state.expiry.at ?? 0) ? renewed.expiry : state.expiry;
      return transition({ ...renewed, expiry });
    }
    case 'lost':
      if (state.phase !== 'held' || m.token !== state.token) return reject(state, state.service, `lost for token ${m.token}, not held`);
      return transition(idle(state), [{ type: 'lease-lost', fencingToken: m.token, reason: 'revoked' }]);
    default:
      return assertNever(m, 'message');
  }
}
