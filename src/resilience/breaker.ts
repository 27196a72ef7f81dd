import { ConfigError, checkObject, Emitter, systemClock, type Clock, type Unsubscribe, positiveInt, nonNegativeMs, intIn } from '../core/index.js';
import {
  circuitBreakerCore as core,
  type BreakerInput,
  type BreakerSettings,
  type BreakerState,
  type BreakerStrategy,
  type CircuitState,
  type OpenBackoff,
} from './breaker-core.js';
import { BrokenCircuitError, IsolatedCircuitError } from './errors.js';
import { type ClockOption } from './options.js';
import { neverAborted, type AbortSignalLike, type PolicyContext } from './signals.js';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { liveWindow, type LiveWindow } from './breaker-window.js';
import type { Policy } from './wrap.js';

/**
 * Options of {@link CircuitBreaker}. Either `strategy`, or the notes' short form
 * `failureThreshold` (consecutive failures); `timeoutMs` is the notes' name for `openMs`.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'distkit/resilience';
 * let t = 0; // a hand-driven clock
 * const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 1000, clock: { now: () => t, wallNow: () => t } });
 * const fail = () => Promise.reject(new Error('down'));
 * const ok = () => 'up';
 * await breaker.call(fail).catch(() => undefined);
 * breaker.state; //=> 'closed'
 * await breaker.call(fail).catch(() => undefined);
 * breaker.state; //=> 'open'
 * ```
 */
export interface CircuitBreakerOptions extends ClockOption {
  /** When to trip; default consecutive failures (`failureThreshold`, default 5). */
  readonly strategy?: BreakerStrategy;
  /** Consecutive failures that open the circuit (the notes' API). */
  readonly failureThreshold?: number;
  /** How long the circuit stays open, ms (the notes' name; same as `openMs`). */
  readonly timeoutMs?: number;
  /** How long the circuit stays open, ms (default 30 000). */
  readonly openMs?: number;
  /** Open duration growing with failed probe rounds, reset on close. */
  readonly openBackoff?: OpenBackoff;
  /** Calls admitted while half-open (default 1). */
  readonly halfOpenProbes?: number;
  /** Reopen once failed probes / probes exceeds this ratio (default 0). */
  readonly halfOpenFailureRatio?: number;
  /** Calls at least this slow count as slow (for a window's `slowCallRatio`). */
  readonly slowCallDurationMs?: number;
  /** Which thrown errors count as failures (default: all). Others pass through, counted as successes. */
  readonly isFailure?: (error: unknown) => boolean;
  /** Which returned values count as failures (default: none). The value is still returned. */
  readonly isResultFailure?: (result: unknown) => boolean;
  /** Sample the latency of one call in this many (power of two, default 64): a clock read costs about as much as a bare async call. Every call is timed when a slow-call threshold or call listeners need it. */
  readonly latencySampleEvery?: number;
}

/**
 * The settings a saved breaker carries in its JSON (thresholds, open duration, probes): restoring
 * takes them from the saved state, so {@link CircuitBreaker.fromJSON} refuses them in its options.
 */
const SAVED_SETTINGS = ['strategy', 'failureThreshold', 'timeoutMs', 'openMs', 'openBackoff', 'halfOpenProbes', 'halfOpenFailureRatio', 'slowCallDurationMs'] as const satisfies readonly Exclude<keyof CircuitBreakerOptions, keyof CircuitBreakerRestoreOptions>[];

/**
 * The options of {@link CircuitBreaker.fromJSON}: what the JSON cannot carry (the clock, the
 * failure filters, the latency sampling); the thresholds come from the saved state.
 *
 * @example
 * ```ts
 * import { CircuitBreaker, type CircuitBreakerRestoreOptions } from 'distkit/resilience';
 * const saved = new CircuitBreaker({ failureThreshold: 3 }).toJSON();
 * const options: CircuitBreakerRestoreOptions = { isFailure: (e) => !(e instanceof TypeError) };
 * CircuitBreaker.fromJSON(saved, options).state; //=> 'closed'
 * ```
 */
export type CircuitBreakerRestoreOptions = Omit<CircuitBreakerOptions, 'strategy' | 'failureThreshold' | 'timeoutMs' | 'openMs' | 'openBackoff' | 'halfOpenProbes' | 'halfOpenFailureRatio' | 'slowCallDurationMs'>;

/**
 * The serialized form of a {@link CircuitBreaker}: the core state with times on the wall clock,
 * plus the counters. `CircuitBreaker.fromJSON` restores it, remembering when an open circuit opened.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'distkit/resilience';
 * let t = 0; // a hand-driven clock
 * const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 1000, clock: { now: () => t, wallNow: () => t } });
 * const fail = () => Promise.reject(new Error('down'));
 * const ok = () => 'up';
 * import type { CircuitBreakerJSON } from 'distkit/resilience';
 * await breaker.call(fail).catch(() => undefined);
 * await breaker.call(fail).catch(() => undefined);
 * // An open circuit survives a restart through its JSON.
 * const json: CircuitBreakerJSON = JSON.parse(JSON.stringify(breaker.toJSON()));
 * CircuitBreaker.fromJSON(json, { clock: { now: () => t, wallNow: () => t } }).state; //=> 'open'
 * ```
 */
export interface CircuitBreakerJSON {
  /** Format tag. */
  readonly format: 'distkit.circuit-breaker.v2';
  /** Core state, absolute times in wall-clock (Unix epoch) ms. */
  readonly state: BreakerState;
  /** Counters at the time of saving. */
  readonly counters: BreakerCounters;
}

/**
 * Counters of a {@link CircuitBreaker}.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'distkit/resilience';
 * new CircuitBreaker({}).stats().counters.calls; //=> 0
 * ```
 */
export interface BreakerCounters {
  /** Calls admitted. */
  calls: number;
  /** Admitted calls that succeeded. */
  successes: number;
  /** Admitted calls that failed (per the filters). */
  failures: number;
  /** Calls refused by the open, half-open or isolated circuit. */
  rejections: number;
}

/**
 * A snapshot of a breaker's counters and sampled latency percentiles.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'distkit/resilience';
 * let t = 0; // a hand-driven clock
 * const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 1000, clock: { now: () => t, wallNow: () => t } });
 * const fail = () => Promise.reject(new Error('down'));
 * const ok = () => 'up';
 * await breaker.call(ok);
 * await breaker.call(fail).catch(() => undefined);
 * const { circuit, counters } = breaker.stats();
 * [circuit, counters]; //=> ['closed', { calls: 2, successes: 1, failures: 1, rejections: 0 }]
 * ```
 */
export interface BreakerStats {
  /** The circuit state. */
  readonly circuit: CircuitState;
  /** Call counters. */
  readonly counters: Readonly<BreakerCounters>;
  /** Latency percentiles over the recent sampled calls (ms). */
  readonly latency: LatencySummary;
}

/**
 * A completed call as seen by {@link CircuitBreaker.onSuccess} / {@link CircuitBreaker.onFailure}.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'distkit/resilience';
 * let t = 0; // a hand-driven clock
 * const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 1000, clock: { now: () => t, wallNow: () => t } });
 * const fail = () => Promise.reject(new Error('down'));
 * const ok = () => 'up';
 * import type { CallEvent } from 'distkit/resilience';
 * const failures: CallEvent[] = [];
 * breaker.onFailure((e) => failures.push(e));
 * await breaker.call(fail).catch(() => undefined);
 * [failures.length, failures[0]?.probe, (failures[0]?.error as Error).message]; //=> [1, false, 'down']
 * ```
 */
export interface CallEvent {
  /** How long the call took, ms. */
  readonly durationMs: number;
  /** Whether it was a half-open probe. */
  readonly probe: boolean;
  /** The error, for failures. */
  readonly error?: unknown;
}

/**
 * A state change as seen by {@link CircuitBreaker.onStateChange}.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'distkit/resilience';
 * let t = 0; // a hand-driven clock
 * const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 1000, clock: { now: () => t, wallNow: () => t } });
 * const fail = () => Promise.reject(new Error('down'));
 * const ok = () => 'up';
 * import type { StateChangeEvent } from 'distkit/resilience';
 * const changes: StateChangeEvent[] = [];
 * breaker.onStateChange((e) => changes.push(e));
 * await breaker.call(fail).catch(() => undefined);
 * t = 5;
 * await breaker.call(fail).catch(() => undefined);
 * changes; //=> [{ from: 'closed', to: 'open', now: 5 }]
 * ```
 */
export interface StateChangeEvent {
  /** Previous state. */
  readonly from: CircuitState;
  /** New state. */
  readonly to: CircuitState;
  /** Monotonic time of the change, ms. */
  readonly now: number;
}

/**
 * Releases an isolation taken with {@link CircuitBreaker.isolate}; calling it twice is harmless.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'distkit/resilience';
 * let t = 0; // a hand-driven clock
 * const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 1000, clock: { now: () => t, wallNow: () => t } });
 * const fail = () => Promise.reject(new Error('down'));
 * const ok = () => 'up';
 * // Open the circuit by hand (maintenance, a known outage) until the handle is disposed.
 * const handle = breaker.isolate();
 * breaker.state; //=> 'isolated'
 * handle.dispose();
 * breaker.state; //=> 'closed'
 * ```
 */
export interface IsolationHandle {
  /** Releases this isolation. */
  dispose(): void;
}

/**
 * A circuit breaker: an async wrapper around {@link circuitBreakerCore}. Calls pass through while
 * closed; failures per the strategy open the circuit; after the open duration, `halfOpenProbes`
 * probe calls decide whether to close or reopen. Refused calls reject with
 * {@link BrokenCircuitError} (with `retryAfterMs`) without invoking the function. Pattern from
 * Nygard, "Release It!" (§5.2).
 *
 * The happy path is lean: while closed, `call` returns the function's own promise and only attaches
 * a bookkeeping reaction; latency is sampled (one call in `latencySampleEvery`) unless a slow-call
 * threshold or call listeners need every duration.
 *
 * @example
 * ```ts
 * import { CircuitBreaker } from 'distkit/resilience';
 * let t = 0; // a hand-driven clock
 * const breaker = new CircuitBreaker({ failureThreshold: 2, timeoutMs: 1000, clock: { now: () => t, wallNow: () => t } });
 * const fail = () => Promise.reject(new Error('down'));
 * const ok = () => 'up';
 * import { BrokenCircuitError } from 'distkit/resilience';
 * await breaker.call(fail).catch(() => undefined);
 * await breaker.call(fail).catch(() => undefined);
 * // Two failures in a row: the circuit opens and calls fail fast, saying when to retry.
 * const e = await breaker.call(ok).catch((err: unknown) => err);
 * [e instanceof BrokenCircuitError, (e as BrokenCircuitError).retryAfterMs]; //=> [true, 1000]
 * t = 1000; // after timeoutMs one probe call is let through; it succeeds and closes the circuit
 * [await breaker.call(ok), breaker.state]; //=> ['up', 'closed']
 * ```
 */
export class CircuitBreaker implements Policy {
  private core: BreakerState;
  private readonly clock: Clock;
  private readonly isFailure: ((error: unknown) => boolean) | undefined;
  private readonly isResultFailure: ((result: unknown) => boolean) | undefined;
  private readonly counters: BreakerCounters = { calls: 0, successes: 0, failures: 0, rejections: 0 };
  private readonly latency = new LatencyRecorder(512);
  private readonly sampleMask: number;
  private sampleCount = 0;
  private restoredIsolations = 0;
  private timeEvery: boolean;
  private readonly stateEvents = new Emitter<StateChangeEvent>();
  private readonly successEvents = new Emitter<CallEvent>();
  private readonly failureEvents = new Emitter<CallEvent>();
  private readonly rejectEvents = new Emitter<BrokenCircuitError>();
  /** The closed-state window of a windowed strategy, kept in place; `core.window` lags it while `dirty`. */
  private readonly live: LiveWindow | undefined;
  private dirty = false;
  private readonly onFastSuccess: (value: unknown) => void;
  private readonly onFastFailure: (error: unknown) => void;

  constructor(options: CircuitBreakerOptions = {}) {
    checkObject('options', options);
    this.core = core.init(settingsFrom(options));
    this.clock = options.clock ?? systemClock;
    this.isFailure = options.isFailure;
    this.isResultFailure = options.isResultFailure;
    const every = options.latencySampleEvery ?? 64;
    intIn('latencySampleEvery', every, 1, 1 << 20);
    if ((every & (every - 1)) !== 0) throw new ConfigError('latencySampleEvery', `must be a power of two, got ${every}`);
    this.sampleMask = every - 1;
    this.timeEvery = this.core.settings.slowCallDurationMs !== undefined || every === 1;
    this.live = liveWindow(this.core.settings.strategy);
    this.onFastSuccess = (value) => {
      // The common outcome, inlined: a success on a closed breaker that does not trip it changes
      // nothing but the counter and, for a windowed strategy, the live window, in place.
      if (this.isResultFailure === undefined && this.core.circuit === 'closed') {
        const live = this.live;
        const w = this.core.window;
        if (live === undefined ? w.kind === 'consecutive' && w.failures === 0 : live.tryRecord(live.timed ? this.clock.now() : 0, false, false)) {
          if (live !== undefined) this.dirty = true;
          this.counters.successes++;
          if (this.successEvents.size > 0) this.successEvents.emit({ durationMs: 0, probe: false });
          return;
        }
      }
      this.settle(value, false, -1, false);
    };
    this.onFastFailure = (error) => this.settle(error, true, -1, false);
  }

  /**
   * Restores a breaker saved with {@link CircuitBreaker.toJSON}. Functions (filters, clock) come
   * from `options`; thresholds come from the saved state, and a threshold in `options` is refused
   * with a `ConfigError` naming it rather than silently ignored. Absolute times move from the wall
   * clock to this breaker's monotonic clock, so an open circuit stays open until its saved deadline.
   */
  static fromJSON(json: CircuitBreakerJSON, options: CircuitBreakerRestoreOptions = {}): CircuitBreaker {
    if (json === null || typeof json !== 'object' || json.format !== 'distkit.circuit-breaker.v2') {
      throw new ConfigError('json.format', "must be 'distkit.circuit-breaker.v2' (the output of toJSON())");
    }
    const saved = SAVED_SETTINGS.find((k) => options !== null && typeof options === 'object' && Object.hasOwn(options, k) && (options as Record<string, unknown>)[k] !== undefined);
    if (saved !== undefined) throw new ConfigError(`options.${saved}`, 'comes from the saved state: restore without it, or build a new breaker');
    const settings = core.validate(json.state.settings);
    const circuits: readonly string[] = ['closed', 'open', 'half-open', 'isolated'];
    if (!circuits.includes(json.state.circuit)) throw new ConfigError('json.state.circuit', `unknown circuit state ${JSON.stringify(json.state.circuit)}`);
    const isolations = json.state.isolations;
    if (!Number.isInteger(isolations) || isolations < 0 || (json.state.circuit === 'isolated') !== isolations > 0) {
      throw new ConfigError('json.state.isolations', `must be a positive integer exactly when the circuit is isolated, got ${String(isolations)}`);
    }
    const timer = json.state.openTimer as unknown as { at?: unknown; attempt?: unknown } | null;
    if (timer === null || typeof timer !== 'object' || !(timer.at === null || (typeof timer.at === 'number' && Number.isFinite(timer.at))) || (timer.at !== null) !== (json.state.circuit === 'open')) {
      throw new ConfigError('json.state.openTimer', 'must be a timer ({ at, attempt }) running exactly when the circuit is open');
    }
    if (!Number.isInteger(json.state.probeRound) || json.state.probeRound < 0) {
      throw new ConfigError('json.state.probeRound', `must be a non-negative integer, got ${String(json.state.probeRound)}`);
    }
    const b = new CircuitBreaker({ ...options, strategy: settings.strategy, ...pick(settings) });
    const delta = b.clock.now() - b.clock.wallNow();
    b.core = core.shiftTimes({ ...json.state, settings: b.core.settings }, delta);
    // Probes in flight when the state was saved will never report: let a fresh round start.
    if (b.core.circuit === 'half-open') b.core = { ...b.core, probesStarted: 0, probeSuccesses: 0, probeFailures: 0 };
    b.live?.load(b.core.window);
    Object.assign(b.counters, json.counters);
    b.restoredIsolations = b.core.circuit === 'isolated' ? b.core.isolations : 0;
    return b;
  }

  /** The circuit state now (an open circuit whose duration passed reports `half-open`). */
  get state(): CircuitState {
    this.apply({ type: 'tick', now: this.clock.now() });
    return this.core.circuit;
  }

  /** The core state (plain data, monotonic-clock times). */
  get snapshot(): BreakerState {
    this.syncWindow();
    return this.core;
  }

  /**
   * Runs `fn(...args)` through the breaker. Resolves or rejects as `fn` does; rejects with
   * {@link BrokenCircuitError} without calling `fn` when the circuit refuses.
   */
  call<A extends unknown[], T>(fn: (...args: A) => T | PromiseLike<T>, ...args: A): Promise<T> {
    if (this.core.circuit !== 'closed') return this.slowPath(fn, args);
    // A closed circuit permits every call (the core's `acquire` is the identity there), so the
    // core is skipped: only the outcome is reported back to it.
    this.counters.calls++;
    if (!this.timeEvery && (++this.sampleCount & this.sampleMask) !== 0) {
      // Happy path: no clock read, no closure, the caller awaits fn's own promise.
      let r: T | PromiseLike<T>;
      try {
        r = fn(...args);
      } catch (error) {
        this.settle(error, true, -1, false);
        return Promise.reject(error);
      }
      const p = r instanceof Promise ? (r as Promise<T>) : Promise.resolve(r);
      p.then(this.onFastSuccess, this.onFastFailure);
      return p;
    }
    return this.run(fn, args, this.clock.now(), false);
  }

  /** Runs `fn` with a policy context, so the breaker composes with {@link wrap}. */
  execute<T>(fn: (context: PolicyContext) => T | PromiseLike<T>, signal?: AbortSignalLike): Promise<T> {
    return this.call(fn, { signal: signal ?? neverAborted, attempt: 1 });
  }

  private slowPath<A extends unknown[], T>(fn: (...args: A) => T | PromiseLike<T>, args: A): Promise<T> {
    const now = this.clock.now();
    const outs = this.apply({ type: 'acquire', now });
    let probe = false;
    let round: number | undefined;
    for (const o of outs) {
      if (o.type === 'refused') {
        this.counters.rejections++;
        const err = o.circuit === 'isolated' ? new IsolatedCircuitError() : new BrokenCircuitError(o.circuit, o.retryAfterMs);
        this.rejectEvents.emit(err);
        return Promise.reject(err);
      }
      if (o.type === 'permitted') {
        probe = o.probe;
        round = o.round;
      }
    }
    this.counters.calls++;
    return this.run(fn, args, now, probe, round);
  }

  /** Runs a permitted call, timed from `startedAt`. */
  private run<A extends unknown[], T>(fn: (...args: A) => T | PromiseLike<T>, args: A, startedAt: number, probe: boolean, round?: number): Promise<T> {
    let r: T | PromiseLike<T>;
    try {
      r = fn(...args);
    } catch (error) {
      this.settle(error, true, startedAt, probe, round);
      return Promise.reject(error);
    }
    const p = r instanceof Promise ? (r as Promise<T>) : Promise.resolve(r);
    p.then(
      (v) => this.settle(v, false, startedAt, probe, round),
      (e) => this.settle(e, true, startedAt, probe, round),
    );
    return p;
  }

  private settle(value: unknown, threw: boolean, startedAt: number, probe: boolean, round?: number): void {
    const failed = threw ? (this.isFailure === undefined ? true : safeFilter(this.isFailure, value)) : this.isResultFailure !== undefined && safeFilter(this.isResultFailure, value);
    if (failed) this.counters.failures++;
    else this.counters.successes++;
    let now = -1;
    let durationMs = 0;
    if (startedAt >= 0) {
      now = this.clock.now();
      durationMs = now - startedAt;
      this.latency.record(durationMs);
    }
    const s = this.core;
    if (!probe && s.circuit === 'closed') {
      const live = this.live;
      if (live === undefined) {
        // A success on a closed consecutive breaker with no failures counted changes nothing.
        if (!failed && s.window.kind === 'consecutive' && s.window.failures === 0) {
          if (this.successEvents.size > 0) this.successEvents.emit({ durationMs, probe });
          return;
        }
      } else {
        if (now < 0 && live.timed) now = this.clock.now();
        const slowMs = s.settings.slowCallDurationMs;
        const slow = slowMs !== undefined && durationMs >= slowMs;
        // An outcome that does not trip only updates the window in place; one that trips goes to
        // the core with the window as it stands, and the core opens the circuit by its own rule.
        if (live.tryRecord(now, failed, slow)) {
          this.dirty = true;
          this.emitOutcome(failed, value, durationMs, probe);
          return;
        }
      }
    }
    if (now < 0) now = this.clock.now();
    this.apply(round === undefined ? { type: failed ? 'failure' : 'success', now, durationMs, probe } : { type: failed ? 'failure' : 'success', now, durationMs, probe, round });
    this.emitOutcome(failed, value, durationMs, probe);
  }

  private emitOutcome(failed: boolean, value: unknown, durationMs: number, probe: boolean): void {
    if (failed) {
      if (this.failureEvents.size > 0) this.failureEvents.emit({ durationMs, probe, error: value });
    } else if (this.successEvents.size > 0) {
      this.successEvents.emit({ durationMs, probe });
    }
  }

  /** Brings `core.window` up to date with the live window. */
  private syncWindow(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.core = { ...this.core, window: this.live!.toWindow() };
  }

  private apply(input: BreakerInput) {
    this.syncWindow();
    const before = this.core.window;
    const t = core.step(this.core, input);
    this.core = t.state;
    if (this.live !== undefined && t.state.window !== before) this.live.load(t.state.window);
    for (const o of t.outputs) {
      if (o.type === 'state' && this.stateEvents.size > 0) this.stateEvents.emit({ from: o.from, to: o.to, now: o.now });
    }
    return t.outputs;
  }

  /**
   * Holds the circuit open by hand until every handle is disposed (reference-counted); calls are
   * refused with {@link IsolatedCircuitError}. Releasing the last isolation closes the circuit.
   */
  isolate(): IsolationHandle {
    this.apply({ type: 'isolate', now: this.clock.now() });
    return this.isolationHandle();
  }

  /**
   * Handles for the isolations a breaker restored with {@link CircuitBreaker.fromJSON} carried
   * over: their original handles stayed with the process that saved the state, so without these
   * a restored isolated breaker could never close. One handle per saved isolation, each releasing
   * one; handed out once (later calls, and breakers not restored isolated, get none).
   *
   * @example
   * ```ts
   * import { CircuitBreaker } from 'distkit/resilience';
   * const saved = new CircuitBreaker({});
   * saved.isolate();
   * const restored = CircuitBreaker.fromJSON(saved.toJSON());
   * for (const h of restored.takeRestoredIsolations()) h.dispose();
   * restored.state; //=> 'closed'
   * ```
   */
  takeRestoredIsolations(): IsolationHandle[] {
    const n = this.core.circuit === 'isolated' ? Math.min(this.restoredIsolations, this.core.isolations) : 0;
    this.restoredIsolations = 0;
    return Array.from({ length: n }, () => this.isolationHandle());
  }

  private isolationHandle(): IsolationHandle {
    let disposed = false;
    return {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.apply({ type: 'release', now: this.clock.now() });
      },
    };
  }

  /** Counters and latency percentiles. */
  stats(): BreakerStats {
    return { circuit: this.state, counters: { ...this.counters }, latency: this.latency.summary() };
  }

  /** Plain data for storage; restore with {@link CircuitBreaker.fromJSON}. */
  toJSON(): CircuitBreakerJSON {
    this.syncWindow();
    const delta = this.clock.wallNow() - this.clock.now();
    return { format: 'distkit.circuit-breaker.v2', state: core.shiftTimes(this.core, delta), counters: { ...this.counters } };
  }

  /** Listens for state changes. */
  onStateChange(listener: (event: StateChangeEvent) => void): Unsubscribe {
    return this.stateEvents.on(listener);
  }

  /** Listens for calls that succeeded (with their duration: every call is then timed). */
  onSuccess(listener: (event: CallEvent) => void): Unsubscribe {
    return this.timed(this.successEvents.on(listener));
  }

  /** Listens for calls that failed (with their duration and error). */
  onFailure(listener: (event: CallEvent) => void): Unsubscribe {
    return this.timed(this.failureEvents.on(listener));
  }

  /** Listens for refused calls. */
  onReject(listener: (error: BrokenCircuitError) => void): Unsubscribe {
    return this.rejectEvents.on(listener);
  }

  private timed(unsubscribe: Unsubscribe): Unsubscribe {
    this.refreshTiming();
    return () => {
      unsubscribe();
      this.refreshTiming();
    };
  }

  private refreshTiming(): void {
    this.timeEvery =
      this.core.settings.slowCallDurationMs !== undefined ||
      this.sampleMask === 0 ||
      this.successEvents.size > 0 ||
      this.failureEvents.size > 0;
  }
}

function safeFilter(filter: (x: unknown) => boolean, x: unknown): boolean {
  return filter(x) === true;
}

function pick(s: BreakerSettings): Omit<CircuitBreakerOptions, 'strategy'> {
  const o: { -readonly [K in keyof CircuitBreakerOptions]: CircuitBreakerOptions[K] } = {};
  if (s.openMs !== undefined) o.openMs = s.openMs;
  if (s.openBackoff !== undefined) o.openBackoff = s.openBackoff;
  if (s.halfOpenProbes !== undefined) o.halfOpenProbes = s.halfOpenProbes;
  if (s.halfOpenFailureRatio !== undefined) o.halfOpenFailureRatio = s.halfOpenFailureRatio;
  if (s.slowCallDurationMs !== undefined) o.slowCallDurationMs = s.slowCallDurationMs;
  return o;
}

function settingsFrom(o: CircuitBreakerOptions): BreakerSettings {
  if (o.strategy !== undefined && o.failureThreshold !== undefined) {
    throw new ConfigError('failureThreshold', 'give either strategy or failureThreshold, not both');
  }
  if (o.timeoutMs !== undefined && o.openMs !== undefined) throw new ConfigError('timeoutMs', 'give either timeoutMs or openMs, not both');
  const strategy: BreakerStrategy = o.strategy ?? {
    kind: 'consecutive',
    threshold: o.failureThreshold === undefined ? 5 : positiveInt('failureThreshold', o.failureThreshold),
  };
  const s: { -readonly [K in keyof BreakerSettings]: BreakerSettings[K] } = { strategy };
  const openMs = o.timeoutMs ?? o.openMs;
  if (openMs !== undefined) s.openMs = o.timeoutMs !== undefined ? nonNegativeMs('timeoutMs', openMs) : openMs;
  if (o.openBackoff !== undefined) s.openBackoff = o.openBackoff;
  if (o.halfOpenProbes !== undefined) s.halfOpenProbes = o.halfOpenProbes;
  if (o.halfOpenFailureRatio !== undefined) s.halfOpenFailureRatio = o.halfOpenFailureRatio;
  if (o.slowCallDurationMs !== undefined) s.slowCallDurationMs = o.slowCallDurationMs;
  return s;
}
