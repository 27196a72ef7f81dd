/**
 * A lease lock server holding many named locks: one {@link leaseLockService} per resource,
 * created on first use and dropped when idle, with one fencing-token counter for all of them.
 *
 * @packageDocumentation
 */
import type { DurableMachine, NodeId, Transition } from '../core/index.js';
import { checkObject, MAX_ID_LENGTH, getOwn, hasOwn, positiveInt, reject, startTimer, stepByType, transition, withOwn, withoutOwn } from '../core/index.js';
import {
  leaseLockService,
  type LeaseLockDurable,
  type LeaseLockServiceConfig,
  type LeaseLockServiceInput,
  type LeaseLockServiceOutput,
  type LeaseLockServiceState,
} from './lease.js';
import { leaseDurable, recoverLease } from './common.js';

/**
 * The lock a message without a `resource` field is about, so a plain {@link leaseClient} works
 * against a server too.
 *
 * @example
 * ```ts
 * import { LEASE_DEFAULT_RESOURCE } from 'distkit/mutex';
 * LEASE_DEFAULT_RESOURCE; //=> 'default'
 * ```
 */
export const LEASE_DEFAULT_RESOURCE = 'default';

/**
 * Default bound of the lock table (a table any client can grow by naming new resources).
 *
 * @example
 * ```ts
 * import { LEASE_MAX_RESOURCES } from 'distkit/mutex';
 * LEASE_MAX_RESOURCES; //=> 4096
 * ```
 */
export const LEASE_MAX_RESOURCES = 4096;

/**
 * Configuration of a {@link leaseLockServer}: the single-lock options, applied to every lock, and
 * the bound of the lock table.
 *
 * @example
 * ```ts
 * import type { LeaseLockServerConfig } from 'distkit/mutex';
 * const c: LeaseLockServerConfig = { id: 'locks', maxTtlMs: 30_000, maxResources: 1000 };
 * ```
 */
export interface LeaseLockServerConfig extends LeaseLockServiceConfig {
  /**
   * Most locks in use at once (held, offered, waited for or quiet); an acquire of a new resource
   * beyond it is rejected with a reason naming the limit. Default {@link LEASE_MAX_RESOURCES}.
   */
  readonly maxResources?: number;
}

/**
 * State of a {@link leaseLockServer} (plain data).
 *
 * @example
 * ```ts
 * import { leaseLockServer } from 'distkit/mutex';
 * const s = leaseLockServer.init({ id: 'locks' });
 * Object.keys(s.locks); //=> []
 * ```
 */
export interface LeaseLockServerState {
  /** The server's id. */
  readonly id: NodeId;
  /** The options every lock is created with. */
  readonly config: LeaseLockServiceConfig;
  /** Lock-table bound. */
  readonly maxResources: number;
  /** The largest fencing token issued, over every lock (so tokens of a dropped lock never repeat). */
  readonly lastToken: number;
  /** Recovered from a crash and not yet told the time: the quiet period has not started. */
  readonly recovering: boolean;
  /** After a recovery, no lock is granted before this time (an old lease may still run); else null. */
  readonly quietUntil: number | null;
  /** The locks in use, by resource name. */
  readonly locks: Readonly<Record<string, LeaseLockServiceState>>;
}

type T = Transition<LeaseLockServerState, LeaseLockServiceOutput>;

/**
 * A lease lock server (Gray & Cheriton, SOSP 1989) for many named locks, the notes'
 * `DistributedLock.acquire(resource_name)`: each resource behaves exactly as a
 * {@link leaseLockService} (leases, a FIFO wait queue, offers, fencing tokens, the quiet period
 * after a crash), and every token comes from one counter, so the tokens of one resource only grow
 * even after its idle state was dropped. Clients name the resource with {@link LeaseClientConfig.resource};
 * a message without one is about {@link LEASE_DEFAULT_RESOURCE}. The table is bounded
 * (`maxResources`); an idle lock costs nothing.
 *
 * @example
 * ```ts
 * import { leaseLockServer } from 'distkit/mutex';
 * const s0 = leaseLockServer.init({ id: 'locks' });
 * const t = leaseLockServer.step(s0, { type: 'message', from: 'c1', now: 0, message: { type: 'acquire', req: 1, ttlMs: 5000, resource: 'payment:user_123' } });
 * t.outputs.at(-1); //=> { type: 'send', to: 'c1', message: { type: 'granted', req: 1, token: 1, ttlMs: 5000, resource: 'payment:user_123' } }
 * ```
 */
export const leaseLockServer: DurableMachine<LeaseLockServerConfig, LeaseLockServerState, LeaseLockServiceInput, LeaseLockServiceOutput, LeaseLockDurable> = {
  name: 'lease-lock-server',
  init(config) {
    checkObject('config', config);
    const { maxResources, ...single } = config;
    leaseLockService.init(single); // validates the per-lock options, naming the field
    return {
      id: config.id,
      config: single,
      maxResources: positiveInt('maxResources', maxResources, LEASE_MAX_RESOURCES),
      lastToken: 0,
      recovering: false,
      quietUntil: null,
      locks: {},
    };
  },
  durable: leaseDurable,
  recover: (config, durable) => recoverLease(durable, () => leaseLockServer.init(config)),
  step: (state, input) =>
    stepByType<LeaseLockServerState, LeaseLockServiceInput, LeaseLockServiceOutput>(
      { tick: (s, i, now) => serverTick(learnTime(s, now), i, now), message: (s, i, now) => serverMessage(s, i.from, i.message, now) },
      state,
      input,
    ),
  nextDeadline(s) {
    let at: number | undefined = s.quietUntil ?? undefined;
    for (const r of Object.keys(s.locks)) {
      const d = leaseLockService.nextDeadline!(getOwn(s.locks, r)!);
      if (d !== undefined && (at === undefined || d < at)) at = d;
    }
    return at;
  },
};

/** After a recovery, the first input starts the quiet period of the longest lease. */
function learnTime(s: LeaseLockServerState, now: number): LeaseLockServerState {
  if (s.recovering) return { ...s, recovering: false, quietUntil: now + leaseLockService.init(s.config).maxTtlMs };
  if (s.quietUntil !== null && now >= s.quietUntil) return { ...s, quietUntil: null };
  return s;
}

/** The state of lock `resource`: the one in use, or a fresh one (quiet while the server is). */
function getLock(s: LeaseLockServerState, resource: string, now: number): LeaseLockServiceState {
  const lock = getOwn(s.locks, resource) ?? leaseLockService.init(s.config);
  const quiet = s.quietUntil !== null && now < s.quietUntil && lock.quiet.at === null ? startTimer(now, s.quietUntil - now) : lock.quiet;
  return { ...lock, lastToken: s.lastToken, quiet };
}

/** Whether a lock has nothing to remember: no holder, no offer, no waiters, not quiet. */
function idle(lock: LeaseLockServiceState): boolean {
  return lock.holder === null && lock.reserved === null && lock.waiters.length === 0 && lock.quiet.at === null;
}

/** Steps lock `resource` with `input` and folds the result into the server. */
function stepLock(s: LeaseLockServerState, resource: string, input: LeaseLockServiceInput, now: number): T {
  const t = leaseLockService.step(getLock(s, resource, now), input);
  const lock = t.state;
  const locks = idle(lock) ? withoutOwn(s.locks, resource) : withOwn(s.locks, resource, lock);
  const named = resource === LEASE_DEFAULT_RESOURCE ? undefined : resource;
  const outputs = t.outputs.map((o): LeaseLockServiceOutput => {
    if (o.type === 'send' && named !== undefined) return { ...o, message: { ...o.message, resource: named } };
    if (o.type === 'lease-expired' && named !== undefined) return { ...o, resource: named };
    return o;
  });
  return transition({ ...s, locks, lastToken: Math.max(s.lastToken, lock.lastToken) }, outputs);
}

function serverMessage(state: LeaseLockServerState, from: NodeId, message: unknown, now: number): T {
  const named = message !== null && typeof message === 'object' && hasOwn(message, 'resource') ? (message as { resource: unknown }).resource : undefined;
  if (named !== undefined && (typeof named !== 'string' || named.length === 0 || named.length > MAX_ID_LENGTH)) {
    return reject(state, from, `resource must be a string of 1..${MAX_ID_LENGTH} characters`);
  }
  const resource = named ?? LEASE_DEFAULT_RESOURCE;
  if (!hasOwn(state.locks, resource) && Object.keys(state.locks).length >= state.maxResources) {
    return reject(state, from, `too many locks in use (maxResources = ${state.maxResources})`);
  }
  const s = learnTime(state, now);
  const t = stepLock(s, resource, { type: 'message', from, message, now }, now);
  // A rejected message leaves the server as it was.
  return t.outputs.length === 1 && t.outputs[0]!.type === 'rejected' ? transition(state, t.outputs) : t;
}

function serverTick(state: LeaseLockServerState, input: LeaseLockServiceInput, now: number): T {
  let s = state;
  const outputs: LeaseLockServiceOutput[] = [];
  for (const resource of Object.keys(state.locks)) {
    const due = leaseLockService.nextDeadline!(getOwn(state.locks, resource)!);
    if (due === undefined || due > now) continue;
    const t = stepLock(s, resource, { ...input, type: 'tick', now }, now);
    s = t.state;
    outputs.push(...t.outputs);
  }
  return transition(s, outputs);
}
