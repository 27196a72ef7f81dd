import {
  ConfigError,
  InvalidCommandError,
  reject,
  transition,
  v,
  type DurableMachine,
  type Machine,
  type MessageInput,
  type NodeId,
  type PersistOutput,
  type RejectedOutput,
  type SendOutput,
  type TickInput,
  type Transition,
} from '../core/index.js';
import { positiveInt, send, type EnterOutput, type MutexInput } from './common.js';

// ---- messages ---------------------------------------------------------------------------------

/**
 * Client → lock service: `acquire` (with the client's request number and wanted TTL), `renew` and
 * `release` (naming the fencing token of the lease).
 *
 * @example
 * ```ts
 * import type { LeaseClientMessage } from 'distkit/mutex';
 * const m: LeaseClientMessage = { type: 'acquire', req: 1, ttlMs: 10_000 };
 * ```
 */
export type LeaseClientMessage =
  | { readonly type: 'acquire'; readonly req: number; readonly ttlMs: number }
  | { readonly type: 'renew'; readonly req: number; readonly token: number }
  | { readonly type: 'release'; readonly token: number };

/**
 * Lock service → client: `granted` (a lease of `ttlMs` with fencing `token`), `queued` (wait for an
 * `offer`), `offer` (the lock is free and reserved for you: acquire now), `renewed`, `lost` (the
 * lease named by `token` is no longer yours).
 *
 * @example
 * ```ts
 * import type { LeaseServiceMessage } from 'distkit/mutex';
 * const m: LeaseServiceMessage = { type: 'granted', req: 1, token: 7, ttlMs: 10_000 };
 * ```
 */
export type LeaseServiceMessage =
  | { readonly type: 'granted'; readonly req: number; readonly token: number; readonly ttlMs: number }
  | { readonly type: 'queued'; readonly req: number }
  | { readonly type: 'offer' }
  | { readonly type: 'renewed'; readonly req: number; readonly token: number; readonly ttlMs: number }
  | { readonly type: 'lost'; readonly token: number };

const clientMessageCheck = v.tagged({
  acquire: v.object({ type: v.literal('acquire'), req: v.int({ min: 1 }), ttlMs: v.int({ min: 1 }) }),
  renew: v.object({ type: v.literal('renew'), req: v.int({ min: 1 }), token: v.int({ min: 1 }) }),
  release: v.object({ type: v.literal('release'), token: v.int({ min: 1 }) }),
});

const serviceMessageCheck = v.tagged({
  granted: v.object({ type: v.literal('granted'), req: v.int({ min: 1 }), token: v.int({ min: 1 }), ttlMs: v.int({ min: 1 }) }),
  queued: v.object({ type: v.literal('queued'), req: v.int({ min: 1 }) }),
  offer: v.object({ type: v.literal('offer') }),
  renewed: v.object({ type: v.literal('renewed'), req: v.int({ min: 1 }), token: v.int({ min: 1 }), ttlMs: v.int({ min: 1 }) }),
  lost: v.object({ type: v.literal('lost'), token: v.int({ min: 1 }) }),
});

// ---- fencing ----------------------------------------------------------------------------------

/**
 * The verdict of {@link checkFencingToken}: accept the write and remember `highest`, or refuse it.
 *
 * @example
 * ```ts
 * import type { FencingVerdict } from 'distkit/mutex';
 * const ok: FencingVerdict = { ok: true, highest: 34 };
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
 * import type { LeaseLockServiceConfig } from 'distkit/mutex';
 * const c: LeaseLockServiceConfig = { id: 'lock', maxTtlMs: 30_000 };
 * ```
 */
export interface LeaseLockServiceConfig {
  /** The service's node id. */
  readonly id: NodeId;
  /** Longest lease granted; longer requests are cut to it. Default 30000. */
  readonly maxTtlMs?: number;
  /** How long the lock stays reserved for the client it was offered to. Default 1000. */
  readonly offerTimeoutMs?: number;
  /** Bound of the wait queue; further acquirers get `queued` but are not remembered. Default 1024. */
  readonly maxWaiters?: number;
}

/**
 * What must survive a crash of the service: the last fencing token issued, so tokens keep
 * increasing after recovery.
 *
 * @example
 * ```ts
 * import type { LeaseLockDurable } from 'distkit/mutex';
 * const d: LeaseLockDurable = { lastToken: 41 };
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
  /** Last tick time; -1 before the first tick. */
  readonly now: number;
  /** After a recovery, no lease is granted before this time (an old lease may still run); -1 = pending first tick. */
  readonly quietUntil: number;
  /** Recovered from a crash and waiting for the first tick to start the quiet period. */
  readonly recovering: boolean;
  /** The largest fencing token issued. */
  readonly lastToken: number;
  /** The current lease. */
  readonly holder: { readonly client: NodeId; readonly token: number; readonly ttlMs: number; readonly expiresAt: number } | null;
  /** The client the free lock is reserved for, until when. */
  readonly reserved: { readonly client: NodeId; readonly until: number } | null;
  /** Waiting clients, FIFO. */
  readonly waiters: readonly NodeId[];
}

/**
 * An event of the lock service: a lease ended without release (its holder may be paused or dead;
 * any write it still attempts carries a stale token).
 *
 * @example
 * ```ts
 * import type { LeaseExpiredOutput } from 'distkit/mutex';
 * const e: LeaseExpiredOutput = { type: 'lease-expired', client: 'c1', token: 7 };
 * ```
 */
export interface LeaseExpiredOutput {
  /** Discriminant. */
  readonly type: 'lease-expired';
  /** The holder whose lease ran out. */
  readonly client: NodeId;
  /** Its fencing token. */
  readonly token: number;
}

/**
 * Inputs of {@link leaseLockService}: client messages and ticks.
 *
 * @example
 * ```ts
 * import type { LeaseLockServiceInput } from 'distkit/mutex';
 * const i: LeaseLockServiceInput = { type: 'tick', now: 1000 };
 * ```
 */
export type LeaseLockServiceInput = MessageInput<unknown> | TickInput;

/**
 * Outputs of {@link leaseLockService}.
 *
 * @example
 * ```ts
 * import type { LeaseLockServiceOutput } from 'distkit/mutex';
 * const o: LeaseLockServiceOutput = { type: 'persist', record: { lastToken: 3 } };
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
 * let s = leaseLockService.init({ id: 'lock' });
 * s = leaseLockService.step(s, { type: 'tick', now: 0 }).state;
 * const t = leaseLockService.step(s, { type: 'message', from: 'c1', message: { type: 'acquire', req: 1, ttlMs: 5000 } });
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
      maxWaiters: positiveInt('maxWaiters', config.maxWaiters, 1024),
      now: -1,
      quietUntil: 0,
      recovering: false,
      lastToken: 0,
      holder: null,
      reserved: null,
      waiters: [],
    };
  },
  durable: (s) => ({ lastToken: s.lastToken }),
  recover(config, durable) {
    const lastToken = durable.lastToken;
    if (!Number.isSafeInteger(lastToken) || lastToken < 0) throw new ConfigError('durable.lastToken', 'must be a non-negative integer');
    return { ...leaseLockService.init(config), lastToken, recovering: true, quietUntil: -1 };
  },
  step(state, input): ST {
    if (input.type === 'tick') return serviceTick(state, input.now);
    const { from, message } = input;
    if (from === state.id) return reject(state, from, 'message from the service itself');
    const problem = clientMessageCheck(message, 'message');
    if (problem !== undefined) return reject(state, from, problem);
    if (state.now < 0) return reject(state, from, 'the service has not received its first tick');
    const m = message as LeaseClientMessage;
    switch (m.type) {
      case 'acquire':
        return serviceAcquire(state, from, m.req, Math.min(m.ttlMs, state.maxTtlMs));
      case 'renew': {
        const h = state.holder;
        if (h === null || h.client !== from || h.token !== m.token) return transition(state, [send(from, { type: 'lost', token: m.token })]);
        const ttlMs = h.ttlMs;
        return transition({ ...state, holder: { ...h, expiresAt: state.now + ttlMs } }, [
          send(from, { type: 'renewed', req: m.req, token: h.token, ttlMs }),
        ]);
      }
      case 'release': {
        const h = state.holder;
        if (h === null || h.client !== from || h.token !== m.token) return reject(state, from, `release of token ${m.token}, which ${from} does not hold`);
        return offerNext({ ...state, holder: null });
      }
    }
  },
  nextDeadline(s) {
    if (s.recovering) return undefined;
    const ds = [s.holder?.expiresAt, s.reserved?.until, s.now < s.quietUntil ? s.quietUntil : undefined].filter(
      (x): x is number => x !== undefined,
    );
    return ds.length === 0 ? undefined : Math.min(...ds);
  },
};

function serviceTick(state: LeaseLockServiceState, at: number): ST {
  const now = Math.max(state.now, at);
  let s: LeaseLockServiceState = { ...state, now };
  if (s.recovering) s = { ...s, recovering: false, quietUntil: now + s.maxTtlMs };
  const outputs: LeaseLockServiceOutput[] = [];
  if (s.holder !== null && now >= s.holder.expiresAt) {
    outputs.push({ type: 'lease-expired', client: s.holder.client, token: s.holder.token });
    s = { ...s, holder: null };
  }
  if (s.reserved !== null && now >= s.reserved.until) s = { ...s, reserved: null };
  if (s.holder === null && s.reserved === null && now >= s.quietUntil) {
    const t = offerNext(s);
    return transition(t.state, [...outputs, ...t.outputs]);
  }
  return transition(s, outputs);
}

function serviceAcquire(state: LeaseLockServiceState, from: NodeId, req: number, ttlMs: number): ST {
  const free =
    state.holder === null && state.now >= state.quietUntil && !state.recovering && (state.reserved === null || state.reserved.client === from);
  if (free) {
    const token = state.lastToken + 1;
    return transition(
      { ...state, lastToken: token, holder: { client: from, token, ttlMs, expiresAt: state.now + ttlMs }, reserved: null, waiters: state.waiters.filter((w) => w !== from) },
      [
        { type: 'persist', record: { lastToken: token } },
        send(from, { type: 'granted', req, token, ttlMs }),
      ],
    );
  }
  const known = state.waiters.includes(from) || state.holder?.client === from;
  const waiters = known || state.waiters.length >= state.maxWaiters ? state.waiters : [...state.waiters, from];
  return transition({ ...state, waiters }, [send(from, { type: 'queued', req })]);
}

function offerNext(state: LeaseLockServiceState): ST {
  if (state.now < state.quietUntil) return transition(state);
  const [head, ...rest] = state.waiters;
  if (head === undefined) return transition(state);
  return transition({ ...state, waiters: rest, reserved: { client: head, until: state.now + state.offerTimeoutMs } }, [
    send(head, { type: 'offer' }),
  ]);
}

// ---- the client -------------------------------------------------------------------------------

/**
 * Configuration of a {@link leaseClient}.
 *
 * @example
 * ```ts
 * import type { LeaseClientConfig } from 'distkit/mutex';
 * const c: LeaseClientConfig = { id: 'c1', service: 'lock', ttlMs: 10_000, marginMs: 100 };
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
  /** Last tick time. */
  readonly now: number;
  /** `idle`, `acquiring` (acquire sent), `queued` (waiting for an offer), `held`. */
  readonly phase: 'idle' | 'acquiring' | 'queued' | 'held';
  /** Request counter. */
  readonly req: number;
  /** When the outstanding acquire or renew was sent: the lease is timed from there. */
  readonly sentAt: number;
  /** A renew is outstanding. */
  readonly renewing: boolean;
  /** Fencing token of the held lease, or -1. */
  readonly token: number;
  /** When the client stops trusting its lease (own clock), or -1. */
  readonly validUntil: number;
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
 *
 * @example
 * ```ts
 * import { leaseClient } from 'distkit/mutex';
 * const c = leaseClient.init({ id: 'c1', service: 'lock', ttlMs: 5000 });
 * leaseClient.step(c, { type: 'request' }).outputs;
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
      now: 0,
      phase: 'idle',
      req: 0,
      sentAt: 0,
      renewing: false,
      token: -1,
      validUntil: -1,
    };
  },
  step(state, input): CT {
    switch (input.type) {
      case 'tick':
        return clientTick({ ...state, now: Math.max(state.now, input.now) });
      case 'request':
        if (state.phase !== 'idle') throw new InvalidCommandError('request', `already ${state.phase}`);
        return acquire(state);
      case 'release': {
        if (state.phase !== 'held') throw new InvalidCommandError('release', 'this client holds no lease');
        return transition({ ...state, phase: 'idle', token: -1, validUntil: -1, renewing: false }, [
          send(state.service, { type: 'release', token: state.token }),
        ]);
      }
      case 'message': {
        const { from, message } = input;
        if (from !== state.service) return reject(state, from, `only the service ${JSON.stringify(state.service)} may send here`);
        const problem = serviceMessageCheck(message, 'message');
        if (problem !== undefined) return reject(state, from, problem);
        return clientMessage(state, message as LeaseServiceMessage);
      }
    }
  },
  nextDeadline(s) {
    if (s.phase === 'acquiring' || s.phase === 'queued') return s.sentAt + s.retryMs;
    if (s.phase !== 'held') return undefined;
    if (s.autoRenew && !s.renewing) return Math.min(s.validUntil, s.sentAt + Math.floor(s.ttlMs / 2));
    return s.validUntil;
  },
};

function acquire(state: LeaseClientState): CT {
  const req = state.req + 1;
  return transition({ ...state, phase: 'acquiring', req, sentAt: state.now }, [
    send(state.service, { type: 'acquire', req, ttlMs: state.ttlMs }),
  ]);
}

function clientTick(state: LeaseClientState): CT {
  // An unanswered acquire is resent; a queued client polls, in case its offer was lost.
  if ((state.phase === 'acquiring' || state.phase === 'queued') && state.now >= state.sentAt + state.retryMs) return acquire(state);
  if (state.phase !== 'held') return transition(state);
  if (state.now >= state.validUntil) {
    return transition({ ...state, phase: 'idle', token: -1, validUntil: -1, renewing: false }, [
      { type: 'lease-lost', fencingToken: state.token, reason: 'expired' },
    ]);
  }
  if (state.autoRenew && !state.renewing && state.now >= state.sentAt + Math.floor(state.ttlMs / 2)) {
    const req = state.req + 1;
    return transition({ ...state, req, renewing: true, sentAt: state.now }, [send(state.service, { type: 'renew', req, token: state.token })]);
  }
  return transition(state);
}

function clientMessage(state: LeaseClientState, m: LeaseServiceMessage): CT {
  switch (m.type) {
    case 'granted': {
      if (state.phase !== 'acquiring' || m.req !== state.req) {
        // A grant we no longer wait for (retried, or gave up): hand it back so nobody waits a TTL.
        if (state.phase === 'held' && m.token === state.token) return transition(state);
        return transition(state, [send(state.service, { type: 'release', token: m.token })]);
      }
      const ttl = Math.min(m.ttlMs, state.ttlMs);
      const validUntil = state.sentAt + ttl - state.marginMs;
      if (validUntil <= state.now) {
        return transition({ ...state, phase: 'idle' }, [send(state.service, { type: 'release', token: m.token })]);
      }
      return transition({ ...state, phase: 'held', token: m.token, validUntil, renewing: false }, [{ type: 'enter', fencingToken: m.token }]);
    }
    case 'queued':
      if (state.phase !== 'acquiring' || m.req !== state.req) return reject(state, state.service, `queued for request ${m.req}, not outstanding`);
      return transition({ ...state, phase: 'queued' });
    case 'offer':
      if (state.phase === 'queued' || state.phase === 'acquiring') return acquire(state);
      return reject(state, state.service, `offer while ${state.phase}`);
    case 'renewed': {
      if (state.phase !== 'held' || !state.renewing || m.req !== state.req || m.token !== state.token) {
        return reject(state, state.service, 'renewed for a renewal not outstanding');
      }
      const validUntil = state.sentAt + Math.min(m.ttlMs, state.ttlMs) - state.marginMs;
      return transition({ ...state, renewing: false, validUntil: Math.max(state.validUntil, validUntil) });
    }
    case 'lost':
      if (state.phase !== 'held' || m.token !== state.token) return reject(state, state.service, `lost for token ${m.token}, not held`);
      return transition({ ...state, phase: 'idle', token: -1, validUntil: -1, renewing: false }, [
        { type: 'lease-lost', fencingToken: m.token, reason: 'revoked' },
      ]);
  }
}
