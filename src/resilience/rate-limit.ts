import { ConfigError, checkObject, InvalidCommandError, assertNever, systemClock, positiveInt, positiveMs, numberIn } from '../core/index.js';
import type { Clock, MessageInput, RejectedOutput, Transition } from '../core/index.js';
import { RateLimitedError } from './errors.js';
import { type ClockOption } from './options.js';
import { localStep } from './local.js';
import { invoke, neverAborted, type AbortSignalLike, type PolicyContext } from './signals.js';
import type { Policy } from './wrap.js';

/**
 * A rate: `limit` requests per `periodMs`, with bursts of up to `burst` requests (default `limit`).
 *
 * @example
 * ```ts
 * import { gcra, tokenBucket } from 'distkit/resilience';
 * // 100 per second with bursts of up to 20 at once.
 * let s = tokenBucket.init({ limit: 100, periodMs: 1000, burst: 20 });
 * let allowed = 0;
 * for (let i = 0; i < 30; i++) {
 *   const t = tokenBucket.step(s, { type: 'take', now: 0 });
 *   s = t.state;
 *   if (t.outputs[0]?.type === 'allowed') allowed++;
 * }
 * allowed; //=> 20
 * ```
 */
export interface RateSettings {
  /** Requests per period. */
  readonly limit: number;
  /** The period, ms. */
  readonly periodMs: number;
  /** Largest burst admitted at once (default `limit`). */
  readonly burst?: number;
}

/**
 * A rate-limit decision: admitted, or refused with the exact wait until the same request conforms.
 *
 * @example
 * ```ts
 * import { RateLimiter } from 'distkit/resilience';
 * let t = 0; // a hand-driven clock
 * const limiter = new RateLimiter({ limit: 1, periodMs: 1000, clock: { now: () => t, wallNow: () => t } });
 * limiter.tryAcquire().allowed; //=> true
 * limiter.tryAcquire().allowed; //=> false
 * t = 1000;
 * limiter.tryAcquire().allowed; //=> true
 * ```
 */
export interface RateDecision {
  /** Whether the request is admitted. */
  readonly allowed: boolean;
  /** 0 when admitted; otherwise ms until it would be (`Infinity` when cost exceeds the burst). */
  readonly retryAfterMs: number;
}

/**
 * GCRA state: the theoretical arrival time (ms) plus the validated rate.
 *
 * @example
 * ```ts
 * import { gcra } from 'distkit/resilience';
 * gcra.init({ limit: 10, periodMs: 1000 }).tat; //=> 0
 * ```
 */
export interface GcraState {
  /** Emission interval T = periodMs / limit, ms. */
  readonly intervalMs: number;
  /** Burst size. */
  readonly burst: number;
  /** Theoretical arrival time, ms. */
  readonly tat: number;
}

function validateRate(r: RateSettings): { limit: number; periodMs: number; burst: number } {
  checkObject('options', r);
  const limit = numberIn('limit', r.limit, 0, Infinity);
  if (limit === 0) throw new ConfigError('limit', 'must be > 0, got 0');
  const periodMs = positiveMs('periodMs', r.periodMs);
  const burst = r.burst === undefined ? Math.max(1, limit) : numberIn('burst', r.burst, 1, Infinity);
  return { limit, periodMs, burst };
}

const ALLOWED: RateDecision = { allowed: true, retryAfterMs: 0 };

/**
 * Inputs of the rate-limiter cores ({@link gcra}, {@link tokenBucket}): take `cost` requests
 * (default 1) at `now`. A `message` from a network is refused.
 *
 * @example
 * ```ts
 * import { gcra, tokenBucket } from 'distkit/resilience';
 * const s = gcra.init({ limit: 10, periodMs: 1000, burst: 5 });
 * gcra.step(s, { type: 'take', now: 250, cost: 2 }).outputs; //=> [{ type: 'allowed' }]
 * ```
 */
export type RateInput = TakeInput | MessageInput<unknown>;

/**
 * A rate-limiter core's local command: take `cost` tokens (default 1) now.
 *
 * @example
 * ```ts
 * import { gcra, tokenBucket } from 'distkit/resilience';
 * const s = tokenBucket.init({ limit: 10, periodMs: 1000 });
 * tokenBucket.step(s, { type: 'take', now: 250 }).state.tokens; //=> 9
 * ```
 */
export type TakeInput = { readonly type: 'take'; readonly now: number; readonly cost?: number };

/**
 * Outputs of the rate-limiter cores: the request is admitted, refused with the exact wait until
 * the same request conforms, or refused for good (`over-burst`: its cost exceeds the burst).
 *
 * @example
 * ```ts
 * import { gcra, tokenBucket } from 'distkit/resilience';
 * const s = gcra.init({ limit: 10, periodMs: 1000, burst: 5 });
 * // A single take costing more than the burst can never pass.
 * gcra.step(s, { type: 'take', now: 0, cost: 6 }).outputs; //=> [{ type: 'over-burst', burst: 5 }]
 * ```
 */
export type RateOutput =
  | { readonly type: 'allowed' }
  | { readonly type: 'refused'; readonly retryAfterMs: number }
  | { readonly type: 'over-burst'; readonly burst: number }
  | RejectedOutput;

const ADMITTED: readonly RateOutput[] = [{ type: 'allowed' }];

/** One rate-limiter step around a `take(state, now, cost)` rule: the machine shape shared by both algorithms. */
function rateStep<S>(take: (state: S, now: number, cost: number) => { readonly decision: RateDecision; readonly state: S }, name: string) {
  return localStep(name, (state: S, input: TakeInput, now: number): Transition<S, RateOutput> => {
    // `take` is the only command: an unknown one is caught here rather than by a switch.
    if (input.type !== 'take') return assertNever(input as never, 'input');
    const cost = input.cost ?? 1;
    if (typeof cost !== 'number' || !(cost >= 0) || !Number.isFinite(cost)) throw new InvalidCommandError('take', `cost must be a finite number >= 0, got ${String(cost)}`);
    const t = take(state, now, cost);
    if (t.decision.allowed) return { state: t.state, outputs: ADMITTED };
    const { retryAfterMs } = t.decision;
    // Plain data has no Infinity: a request that can never conform says so by its type.
    return { state: t.state, outputs: [Number.isFinite(retryAfterMs) ? { type: 'refused', retryAfterMs } : { type: 'over-burst', burst: burstOf(state) }] };
  });
}

/** The decision an output of a rate-limiter core stands for. */
function decisionOf(outputs: readonly RateOutput[]): RateDecision {
  const o = outputs[0];
  if (o?.type === 'refused') return { allowed: false, retryAfterMs: o.retryAfterMs };
  return o?.type === 'over-burst' ? { allowed: false, retryAfterMs: Number.POSITIVE_INFINITY } : ALLOWED;
}

function burstOf(state: unknown): number {
  const s = state as Partial<GcraState & TokenBucketState>;
  return s.burst ?? s.capacity ?? 0;
}

/**
 * GCRA's rule: conforms iff `max(tat, now) + cost·T − now <= burst·T`; then `tat` advances by `cost·T`.
 * The backlog `max(tat, now) − now` is computed first: it is exactly 0 for an idle limiter, whereas
 * `(now + T) − T` need not equal `now` in floating point (with a clock in fractional milliseconds,
 * about 0.3% of first requests were refused that way). A residue below
 * `GCRA_EPSILON_MS` counts as conforming.
 */
function gcraTake(state: GcraState, now: number, cost: number): { readonly decision: RateDecision; readonly state: GcraState } {
  const T = state.intervalMs;
  if (cost > state.burst) return { decision: { allowed: false, retryAfterMs: Number.POSITIVE_INFINITY }, state };
  const start = Math.max(state.tat, now);
  const over = start - now + (cost - state.burst) * T;
  if (over > GCRA_EPSILON_MS) return { decision: { allowed: false, retryAfterMs: over }, state };
  return { decision: ALLOWED, state: { intervalMs: T, burst: state.burst, tat: start + cost * T } };
}

/** Rounding slack of the GCRA test, ms: far below any clock's resolution. */
const GCRA_EPSILON_MS = 1e-6;

/** The token bucket's rule: refill from the elapsed time, then take `cost` tokens if there are enough. */
function bucketTake(state: TokenBucketState, now: number, cost: number): { readonly decision: RateDecision; readonly state: TokenBucketState } {
  if (cost > state.capacity) return { decision: { allowed: false, retryAfterMs: Number.POSITIVE_INFINITY }, state };
  const elapsed = Math.max(0, now - state.updatedAt);
  const tokens = Math.min(state.capacity, state.tokens + elapsed * state.refillPerMs);
  const updatedAt = Math.max(now, state.updatedAt);
  if (tokens + 1e-9 >= cost) {
    return { decision: ALLOWED, state: { capacity: state.capacity, refillPerMs: state.refillPerMs, tokens: Math.max(0, tokens - cost), updatedAt } };
  }
  return { decision: { allowed: false, retryAfterMs: (cost - tokens) / state.refillPerMs }, state: { capacity: state.capacity, refillPerMs: state.refillPerMs, tokens, updatedAt } };
}

/**
 * The Generic Cell Rate Algorithm (ITU-T I.371, virtual scheduling form): one number of state, no
 * refill timer, exact retry-after. A request of `cost` at `now` conforms iff
 * `max(tat, now) + cost·T − now <= burst·T`; then `tat` advances by `cost·T`.
 *
 * @example
 * ```ts
 * import { gcra } from 'distkit/resilience';
 * const s = gcra.init({ limit: 2, periodMs: 1000, burst: 1 });
 * const a = gcra.step(s, { type: 'take', now: 0 }); // allowed
 * gcra.step(a.state, { type: 'take', now: 100 }).outputs; //=> [{ type: 'refused', retryAfterMs: 400 }]
 * ```
 */
export const gcra = {
  /** Name for traces. */
  name: 'gcra',
  /** Validates the rate (ConfigError naming the option); an idle limiter. */
  init(settings: RateSettings): GcraState {
    const r = validateRate(settings);
    return { intervalMs: r.periodMs / r.limit, burst: r.burst, tat: 0 };
  },
  /** Applies one input (`take`); pure. */
  step: rateStep(gcraTake, 'rate limiter'),
  /** Whether the limiter is back to idle at `now` (its state can be dropped). */
  idle(state: GcraState, now: number): boolean {
    return state.tat <= now;
  },
};

/**
 * Token-bucket state: tokens available at `updatedAt`, plus the validated rate.
 *
 * @example
 * ```ts
 * import { tokenBucket } from 'distkit/resilience';
 * tokenBucket.init({ limit: 10, periodMs: 1000 }).tokens; //=> 10
 * ```
 */
export interface TokenBucketState {
  /** Capacity (burst). */
  readonly capacity: number;
  /** Tokens added per ms. */
  readonly refillPerMs: number;
  /** Tokens at `updatedAt`. */
  readonly tokens: number;
  /** When `tokens` was computed, ms. */
  readonly updatedAt: number;
}

/**
 * The token bucket (Turner 1986): `capacity` tokens refilled continuously at `limit/periodMs`;
 * the refill is computed from the elapsed time on each request, so no timer runs.
 *
 * @example
 * ```ts
 * import { tokenBucket } from 'distkit/resilience';
 * const s = tokenBucket.init({ limit: 10, periodMs: 1000 });
 * tokenBucket.step(s, { type: 'take', now: 0, cost: 3 }).state.tokens; //=> 7
 * ```
 */
export const tokenBucket = {
  /** Name for traces. */
  name: 'token-bucket',
  /** Validates the rate (ConfigError naming the option); a full bucket. */
  init(settings: RateSettings, now = 0): TokenBucketState {
    const r = validateRate(settings);
    return { capacity: r.burst, refillPerMs: r.limit / r.periodMs, tokens: r.burst, updatedAt: now };
  },
  /** Applies one input (`take`); pure. */
  step: rateStep(bucketTake, 'token bucket'),
  /** Whether the bucket is full again at `now` (its state can be dropped). */
  idle(state: TokenBucketState, now: number): boolean {
    return state.tokens + Math.max(0, now - state.updatedAt) * state.refillPerMs >= state.capacity;
  },
};

/**
 * Which rate-limiting algorithm a {@link RateLimiter} uses.
 *
 * @example
 * ```ts
 * import { RateLimiter } from 'distkit/resilience';
 * const limiter = new RateLimiter({ limit: 2, periodMs: 1000, algorithm: 'token-bucket', clock: { now: () => 0, wallNow: () => 0 } });
 * [limiter.tryAcquire().allowed, limiter.tryAcquire().allowed, limiter.tryAcquire().allowed]; //=> [true, true, false]
 * ```
 */
export type RateAlgorithm = 'gcra' | 'token-bucket';

/**
 * Options of {@link RateLimiter} and {@link KeyedRateLimiter}.
 *
 * @example
 * ```ts
 * import { RateLimiter } from 'distkit/resilience';
 * new RateLimiter({ limit: 50, periodMs: 1000, algorithm: 'token-bucket' });
 * ```
 */
export interface RateLimiterOptions extends RateSettings, ClockOption {
  /** Default `gcra`. */
  readonly algorithm?: RateAlgorithm;
}

type AnyState = GcraState | TokenBucketState;

function algo(o: RateLimiterOptions): RateAlgorithm {
  const a = o.algorithm ?? 'gcra';
  if (a !== 'gcra' && a !== 'token-bucket') throw new ConfigError('algorithm', `must be 'gcra' or 'token-bucket', got ${JSON.stringify(a)}`);
  return a;
}

/**
 * A rate limiter (GCRA by default, or token bucket) over an injected clock.
 *
 * @example
 * ```ts
 * import { RateLimiter } from 'distkit/resilience';
 * const limiter = new RateLimiter({ limit: 100, periodMs: 1000 });
 * const d = limiter.tryAcquire();
 * if (!d.allowed) console.log(`slow down for ${d.retryAfterMs} ms`);
 * ```
 */
export class RateLimiter implements Policy {
  private state: AnyState;
  private readonly clock: Clock;
  private readonly isGcra: boolean;

  constructor(options: RateLimiterOptions) {
    checkObject('options', options);
    this.clock = options.clock ?? systemClock;
    this.isGcra = algo(options) === 'gcra';
    this.state = this.isGcra ? gcra.init(options) : tokenBucket.init(options, this.clock.now());
  }

  /** Decides on `cost` requests now; admitted requests are counted. */
  tryAcquire(cost = 1): RateDecision {
    const input: RateInput = { type: 'take', now: this.clock.now(), cost };
    const t = this.isGcra ? gcra.step(this.state as GcraState, input) : tokenBucket.step(this.state as TokenBucketState, input);
    this.state = t.state;
    return decisionOf(t.outputs);
  }

  /** Runs `fn` if admitted, else rejects with {@link RateLimitedError} (with `retryAfterMs`). */
  execute<T>(fn: (context: PolicyContext) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T> {
    const d = this.tryAcquire();
    if (!d.allowed) return Promise.reject(new RateLimitedError(d.retryAfterMs));
    return invoke(fn, { signal: signal ?? neverAborted, attempt: 1 });
  }

  /** The core state (plain data). */
  get snapshot(): GcraState | TokenBucketState {
    return this.state;
  }
}

/**
 * Options of {@link KeyedRateLimiter}: a rate per key and a bound on the keys remembered.
 *
 * @example
 * ```ts
 * import { KeyedRateLimiter } from 'distkit/resilience';
 * const perClient = new KeyedRateLimiter({ limit: 1, periodMs: 1000, maxKeys: 10_000, clock: { now: () => 0, wallNow: () => 0 } });
 * perClient.tryAcquire('a').allowed; //=> true
 * perClient.tryAcquire('b').allowed; //=> true
 * perClient.tryAcquire('a').allowed; //=> false
 * ```
 */
export interface KeyedRateLimiterOptions extends RateLimiterOptions {
  /** Most keys tracked at once (default 10 000). Idle keys go first, then the least recently used. */
  readonly maxKeys?: number;
}

/**
 * One rate limiter per key (client id, IP, tenant) in bounded memory: at most `maxKeys` states; a
 * key back at idle is dropped first (forgetting it changes nothing), then the least recently used
 * key (which may then get a fresh allowance: the bound is the price).
 *
 * @example
 * ```ts
 * import { KeyedRateLimiter } from 'distkit/resilience';
 * const perClient = new KeyedRateLimiter({ limit: 5, periodMs: 1000, maxKeys: 50_000 });
 * perClient.tryAcquire('10.0.0.7').allowed; //=> true
 * ```
 */
export class KeyedRateLimiter {
  private readonly states = new Map<string, AnyState>();
  private readonly template: AnyState;
  private readonly clock: Clock;
  private readonly isGcra: boolean;
  /** The bound on tracked keys. */
  readonly maxKeys: number;

  constructor(options: KeyedRateLimiterOptions) {
    checkObject('options', options);
    this.clock = options.clock ?? systemClock;
    this.isGcra = algo(options) === 'gcra';
    this.template = this.isGcra ? gcra.init(options) : tokenBucket.init(options, 0);
    this.maxKeys = options.maxKeys === undefined ? 10_000 : positiveInt('maxKeys', options.maxKeys);
  }

  /** Keys tracked now. */
  get size(): number {
    return this.states.size;
  }

  /** Decides on `cost` requests for `key` now. */
  tryAcquire(key: string, cost = 1): RateDecision {
    const now = this.clock.now();
    let s = this.states.get(key);
    if (s === undefined) {
      s = this.isGcra ? this.template : { ...(this.template as TokenBucketState), updatedAt: now };
      this.makeRoom(now);
    } else {
      this.states.delete(key); // re-insert: Map order is recency order
    }
    const input: RateInput = { type: 'take', now, cost };
    const t = this.isGcra ? gcra.step(s as GcraState, input) : tokenBucket.step(s as TokenBucketState, input);
    this.states.set(key, t.state);
    return decisionOf(t.outputs);
  }

  /**
   * The policy of one key: its `execute(fn, signal)` runs `fn` if `key` is admitted, else rejects
   * with {@link RateLimitedError} naming the key. Composes with {@link wrap}.
   *
   * @example
   * ```ts
   * import { KeyedRateLimiter } from 'distkit/resilience';
   * const perClient = new KeyedRateLimiter({ limit: 5, periodMs: 1000 });
   * await perClient.forKey('10.0.0.7').execute(() => 'ok'); //=> 'ok'
   * ```
   */
  forKey(key: string): Policy {
    return {
      execute: <T>(fn: (context: PolicyContext) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T> => {
        const d = this.tryAcquire(key);
        if (!d.allowed) return Promise.reject(new RateLimitedError(d.retryAfterMs, key));
        return invoke(fn, { signal: signal ?? neverAborted, attempt: 1 });
      },
    };
  }

  private makeRoom(now: number): void {
    if (this.states.size < this.maxKeys) return;
    // Sweep a bounded prefix (oldest first) for idle keys; fall back to evicting the oldest.
    let scanned = 0;
    for (const [k, s] of this.states) {
      if (scanned++ >= 32) break;
      const idle = this.isGcra ? gcra.idle(s as GcraState, now) : tokenBucket.idle(s as TokenBucketState, now);
      if (idle) {
        this.states.delete(k);
        return;
      }
    }
    const oldest = this.states.keys().next();
    if (oldest.done !== true) this.states.delete(oldest.value);
  }
}
