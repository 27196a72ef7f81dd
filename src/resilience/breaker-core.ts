import { checkObject, InvalidCommandError, MAX_COUNTER, STOPPED_TIMER, assertNever, earliest, startTimer, timerDue, positiveInt, positiveMs, nonNegativeMs, numberIn, intIn } from '../core/index.js';
import type { MessageInput, RejectedOutput, Timer, Transition } from '../core/index.js';
import { ConfigError } from '../core/index.js';
import { growth } from './options.js';
import { FAILED, SLOW, bucketKept } from './breaker-window.js';
import { localStep, type LocalInput } from './local.js';

/**
 * When a circuit breaker trips (opens). Rules after Nygard, "Release It!" (2nd ed., §5.2) and the
 * sliding-window breakers of Resilience4j:
 * - `consecutive`: `threshold` failures in a row.
 * - `count`: over the last `size` calls, at least `minimumCalls` recorded and a failure ratio
 *   `>= failureRatio` (or a slow-call ratio `>= slowCallRatio`, when set).
 * - `time`: over the last `durationMs` (split into `buckets` buckets), at least `minimumThroughput`
 *   calls and a failure (or slow-call) ratio at or above the threshold. Buckets older than the
 *   window are dropped, so an idle gap forgets everything before it.
 *
 * @example
 * ```ts
 * import { circuitBreakerCore as core } from 'distkit/resilience';
 * // Trip when at least half of the last 20 calls failed, once 10 calls were seen.
 * let s = core.init({ strategy: { kind: 'count', size: 20, failureRatio: 0.5, minimumCalls: 10 } });
 * for (let i = 0; i < 10; i++) s = core.step(s, { type: i % 2 ? 'failure' : 'success', now: i, durationMs: 1, probe: false }).state;
 * s.circuit; //=> 'open'
 * ```
 */
export type BreakerStrategy =
  | { readonly kind: 'consecutive'; readonly threshold: number }
  | {
      readonly kind: 'count';
      readonly size: number;
      readonly failureRatio: number;
      readonly minimumCalls: number;
      readonly slowCallRatio?: number;
    }
  | {
      readonly kind: 'time';
      readonly durationMs: number;
      readonly buckets: number;
      readonly failureRatio: number;
      readonly minimumThroughput: number;
      readonly slowCallRatio?: number;
    };

/**
 * How long a breaker stays open before it lets probes through: a growing backoff
 * `min(maxMs, initialMs * factor^k)` where `k` counts failed probe rounds since the last close.
 *
 * @example
 * ```ts
 * import { circuitBreakerCore as core } from 'distkit/resilience';
 * let s = core.init({ strategy: { kind: 'consecutive', threshold: 1 }, openBackoff: { initialMs: 1000, maxMs: 60_000, factor: 2 } });
 * s = core.step(s, { type: 'failure', now: 0, durationMs: 1, probe: false }).state;
 * core.nextDeadline(s); //=> 1000
 * ```
 */
export interface OpenBackoff {
  /** Open duration after the first trip, ms. */
  readonly initialMs: number;
  /** Upper bound on the open duration, ms. */
  readonly maxMs: number;
  /** Growth factor per failed probe round (>= 1). */
  readonly factor: number;
}

/**
 * Plain-data settings of the breaker core (what {@link circuitBreakerCore}'s `init` takes).
 *
 * @example
 * ```ts
 * import { circuitBreakerCore } from 'distkit/resilience';
 * const s = circuitBreakerCore.init({ strategy: { kind: 'consecutive', threshold: 3 }, openMs: 5000 });
 * ```
 */
export interface BreakerSettings {
  /** When to trip. */
  readonly strategy: BreakerStrategy;
  /** Fixed open duration in ms (default 30 000); ignored when `openBackoff` is set. */
  readonly openMs?: number;
  /** Open duration that grows with each failed probe round. */
  readonly openBackoff?: OpenBackoff;
  /** Calls admitted while half-open (default 1). */
  readonly halfOpenProbes?: number;
  /** Reopen once failed probes / probes exceeds this ratio (default 0: any failed probe reopens). */
  readonly halfOpenFailureRatio?: number;
  /** A call taking at least this long counts as slow (for `slowCallRatio`). */
  readonly slowCallDurationMs?: number;
}

/**
 * The circuit states. `isolated` is a manual, reference-counted open ({@link CircuitBreaker.isolate}).
 *
 * @example
 * ```ts
 * import { circuitBreakerCore as core } from 'distkit/resilience';
 * let s = core.init({ strategy: { kind: 'consecutive', threshold: 2 }, openMs: 1000 });
 * s = core.step(s, { type: 'failure', now: 0, durationMs: 5, probe: false }).state;
 * const tripped = core.step(s, { type: 'failure', now: 1, durationMs: 5, probe: false });
 * s = tripped.state;
 * // After openMs the next call is let through as a probe: half-open.
 * core.step(s, { type: 'acquire', now: 1001 }).outputs; //=> [{ type: 'state', from: 'open', to: 'half-open', now: 1001 }, { type: 'permitted', probe: true, round: 1 }]
 * ```
 */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/**
 * One bucket of a time-based window: calls, failures and slow calls that started in
 * `[start, start + bucketMs)`.
 *
 * @example
 * ```ts
 * import { circuitBreakerCore as core } from 'distkit/resilience';
 * let s = core.init({ strategy: { kind: 'time', durationMs: 10_000, buckets: 10, failureRatio: 0.5, minimumThroughput: 4 } });
 * s = core.step(s, { type: 'failure', now: 1000, durationMs: 3, probe: false }).state;
 * s.window; //=> { kind: 'time', buckets: [{ start: 1000, calls: 1, failures: 1, slow: 0 }] }
 * ```
 */
export interface TimeBucket {
  /** Bucket start time, ms. */
  readonly start: number;
  /** Calls recorded. */
  readonly calls: number;
  /** Failed calls recorded. */
  readonly failures: number;
  /** Slow calls recorded. */
  readonly slow: number;
}

/**
 * The failure-tracking part of a breaker state, per strategy. For `count`, `outcomes` holds the
 * last calls oldest first, as bit flags (1 = failed, 2 = slow).
 *
 * @example
 * ```ts
 * import { circuitBreakerCore as core } from 'distkit/resilience';
 * let s = core.init({ strategy: { kind: 'consecutive', threshold: 3 } });
 * s = core.step(s, { type: 'failure', now: 0, durationMs: 1, probe: false }).state;
 * s = core.step(s, { type: 'failure', now: 1, durationMs: 1, probe: false }).state;
 * s.window; //=> { kind: 'consecutive', failures: 2 }
 * ```
 */
export type BreakerWindow =
  | { readonly kind: 'consecutive'; readonly failures: number }
  | { readonly kind: 'count'; readonly outcomes: readonly number[] }
  | { readonly kind: 'time'; readonly buckets: readonly TimeBucket[] };

/**
 * The whole state of a circuit breaker: plain JSON data.
 *
 * @example
 * ```ts
 * import { circuitBreakerCore } from 'distkit/resilience';
 * const s = circuitBreakerCore.init({ strategy: { kind: 'consecutive', threshold: 2 } });
 * s.circuit; //=> 'closed'
 * ```
 */
export interface BreakerState {
  /** Validated settings. */
  readonly settings: BreakerSettings;
  /** The circuit state. */
  readonly circuit: CircuitState;
  /** When the circuit last opened (ms), present while open or half-open. */
  readonly openedAt?: number;
  /** When an open circuit admits probes: running while open, stopped otherwise. */
  readonly openTimer: Timer;
  /** Failed probe rounds since the last close (drives the backoff). */
  readonly failedProbeRounds: number;
  /** Outstanding manual isolations. */
  readonly isolations: number;
  /** Half-open rounds so far (wraps to 0 at MAX_COUNTER): tags each probe, so a late result from an earlier round is ignored. */
  readonly probeRound: number;
  /** Probes admitted in the current half-open round. */
  readonly probesStarted: number;
  /** Probes that succeeded in the current round. */
  readonly probeSuccesses: number;
  /** Probes that failed in the current round. */
  readonly probeFailures: number;
  /** Failure tracking for the closed state. */
  readonly window: BreakerWindow;
}

/**
 * Inputs of the breaker core. `acquire` asks for a permit; `success`/`failure` report the outcome
 * of a permitted call (`probe` and `round` as returned by the permit: a probe result tagged with an
 * earlier round is ignored); `isolate`/`release` hold the circuit open by hand
 * (reference-counted); `tick` lets an open circuit become half-open. Every input carries the
 * caller's current time `now` (ms, monotonic clock). A `message` from a network is refused: the
 * breaker is in-process and takes no peer messages.
 *
 * @example
 * ```ts
 * import { circuitBreakerCore as core } from 'distkit/resilience';
 * let s = core.init({ strategy: { kind: 'consecutive', threshold: 2 }, openMs: 1000 });
 * s = core.step(s, { type: 'failure', now: 0, durationMs: 5, probe: false }).state;
 * const tripped = core.step(s, { type: 'failure', now: 1, durationMs: 5, probe: false });
 * s = tripped.state;
 * tripped.outputs; //=> [{ type: 'state', from: 'closed', to: 'open', now: 1 }]
 * ```
 */
export type BreakerInput = BreakerCommand | MessageInput<unknown>;

/**
 * The breaker core's local commands: permits, outcomes and isolation.
 *
 * @example
 * ```ts
 * import { circuitBreakerCore as core } from 'distkit/resilience';
 * const s = core.init({ strategy: { kind: 'consecutive', threshold: 3 } });
 * core.step(s, { type: 'acquire', now: 0 }).outputs; //=> [{ type: 'permitted', probe: false }]
 * ```
 */
export type BreakerCommand =
  | LocalInput<'acquire' | 'isolate' | 'release' | 'tick'>
  | { readonly type: 'success' | 'failure'; readonly now: number; readonly durationMs: number; readonly probe: boolean; readonly round?: number };

/**
 * Outputs of the breaker core: a permit (`permitted`, with whether it is a half-open probe and, for
 * a probe, its round), a refusal with a retry-after hint, or a state change.
 *
 * @example
 * ```ts
 * import { circuitBreakerCore as core } from 'distkit/resilience';
 * let s = core.init({ strategy: { kind: 'consecutive', threshold: 2 }, openMs: 1000 });
 * s = core.step(s, { type: 'failure', now: 0, durationMs: 5, probe: false }).state;
 * const tripped = core.step(s, { type: 'failure', now: 1, durationMs: 5, probe: false });
 * s = tripped.state;
 * core.step(s, { type: 'acquire', now: 500 }).outputs; //=> [{ type: 'refused', circuit: 'open', retryAfterMs: 501 }]
 * ```
 */
export type BreakerOutput =
  | { readonly type: 'permitted'; readonly probe: boolean; readonly round?: number }
  | { readonly type: 'refused'; readonly circuit: 'open' | 'half-open' | 'isolated'; readonly retryAfterMs: number }
  | { readonly type: 'state'; readonly from: CircuitState; readonly to: CircuitState; readonly now: number }
  | RejectedOutput;


function validateSettings(c: BreakerSettings): BreakerSettings {
  checkObject('settings', c);
  const st = c.strategy as BreakerStrategy | undefined;
  checkObject('strategy', st, 'must be an object with a kind');
  let strategy: BreakerStrategy;
  switch (st.kind) {
    case 'consecutive':
      strategy = { kind: 'consecutive', threshold: positiveInt('strategy.threshold', st.threshold) };
      break;
    case 'count': {
      const size = intIn('strategy.size', st.size, 1, 100_000);
      strategy = {
        kind: 'count',
        size,
        failureRatio: numberIn('strategy.failureRatio', st.failureRatio, 0, 1),
        minimumCalls: intIn('strategy.minimumCalls', st.minimumCalls, 1, size),
        ...(st.slowCallRatio === undefined ? {} : { slowCallRatio: numberIn('strategy.slowCallRatio', st.slowCallRatio, 0, 1) }),
      };
      break;
    }
    case 'time':
      strategy = {
        kind: 'time',
        durationMs: positiveMs('strategy.durationMs', st.durationMs),
        buckets: intIn('strategy.buckets', st.buckets, 1, 10_000),
        failureRatio: numberIn('strategy.failureRatio', st.failureRatio, 0, 1),
        minimumThroughput: positiveInt('strategy.minimumThroughput', st.minimumThroughput),
        ...(st.slowCallRatio === undefined ? {} : { slowCallRatio: numberIn('strategy.slowCallRatio', st.slowCallRatio, 0, 1) }),
      };
      break;
    default:
      throw new ConfigError('strategy.kind', `must be 'consecutive', 'count' or 'time', got ${JSON.stringify((st as { kind?: unknown }).kind)}`);
  }
  const out: { -readonly [K in keyof BreakerSettings]: BreakerSettings[K] } = { strategy };
  if (c.openMs !== undefined) out.openMs = nonNegativeMs('openMs', c.openMs);
  if (c.openBackoff !== undefined) {
    const b = c.openBackoff;
    checkObject('openBackoff', b);
    const initialMs = nonNegativeMs('openBackoff.initialMs', b.initialMs);
    out.openBackoff = {
      initialMs,
      maxMs: numberIn('openBackoff.maxMs', b.maxMs, initialMs, Infinity),
      factor: numberIn('openBackoff.factor', b.factor, 1, Infinity),
    };
  }
  if (c.halfOpenProbes !== undefined) out.halfOpenProbes = positiveInt('halfOpenProbes', c.halfOpenProbes);
  if (c.halfOpenFailureRatio !== undefined) out.halfOpenFailureRatio = numberIn('halfOpenFailureRatio', c.halfOpenFailureRatio, 0, 1);
  if (c.slowCallDurationMs !== undefined) out.slowCallDurationMs = nonNegativeMs('slowCallDurationMs', c.slowCallDurationMs);
  return out;
}

function emptyWindow(strategy: BreakerStrategy): BreakerWindow {
  switch (strategy.kind) {
    case 'consecutive':
      return { kind: 'consecutive', failures: 0 };
    case 'count':
      return { kind: 'count', outcomes: [] };
    case 'time':
      return { kind: 'time', buckets: [] };
  }
}

/**
 * How long the circuit stays open after `failedProbeRounds` failed probe rounds.
 *
 * @example
 * ```ts
 * import { openDurationMs } from 'distkit/resilience';
 * openDurationMs({ strategy: { kind: 'consecutive', threshold: 1 }, openBackoff: { initialMs: 100, maxMs: 1000, factor: 2 } }, 3); //=> 800
 * ```
 */
export function openDurationMs(settings: BreakerSettings, failedProbeRounds: number): number {
  const b = settings.openBackoff;
  if (b !== undefined) return growth(b.initialMs, b.factor, failedProbeRounds, b.maxMs);
  return settings.openMs ?? 30_000;
}

const NO_OUTPUTS: readonly BreakerOutput[] = [];
const PERMIT: readonly BreakerOutput[] = [{ type: 'permitted', probe: false }];

function probe(state: BreakerState): BreakerOutput {
  return { type: 'permitted', probe: true, round: state.probeRound };
}

/** Failed probe rounds stop counting here: the backoff reached its cap long before. */
const MAX_FAILED_PROBE_ROUNDS = 1000;

function open(state: BreakerState, now: number, failedProbeRounds: number): BreakerState {
  const { openedAt: _o, ...rest } = state;
  return {
    ...rest,
    circuit: 'open',
    openedAt: now,
    openTimer: startTimer(now, openDurationMs(state.settings, failedProbeRounds)),
    failedProbeRounds: Math.min(failedProbeRounds, MAX_FAILED_PROBE_ROUNDS),
    probesStarted: 0,
    probeSuccesses: 0,
    probeFailures: 0,
  };
}

function close(state: BreakerState): BreakerState {
  const { openedAt: _o, ...rest } = state;
  return {
    ...rest,
    circuit: 'closed',
    openTimer: STOPPED_TIMER,
    failedProbeRounds: 0,
    probesStarted: 0,
    probeSuccesses: 0,
    probeFailures: 0,
    window: emptyWindow(state.settings.strategy),
  };
}

function halfOpen(state: BreakerState): BreakerState {
  return {
    ...state,
    circuit: 'half-open',
    openTimer: STOPPED_TIMER,
    probeRound: state.probeRound < MAX_COUNTER ? state.probeRound + 1 : 0,
    probesStarted: 0,
    probeSuccesses: 0,
    probeFailures: 0,
  };
}

function change(from: CircuitState, to: CircuitState, now: number): BreakerOutput {
  return { type: 'state', from, to, now };
}

/** Records one outcome in the window; returns the new window and whether the breaker trips. */
function record(settings: BreakerSettings, w: BreakerWindow, now: number, failed: boolean, slow: boolean): { window: BreakerWindow; trip: boolean } {
  const st = settings.strategy;
  switch (w.kind) {
    case 'consecutive': {
      if (!failed) return { window: w.failures === 0 ? w : { kind: 'consecutive', failures: 0 }, trip: false };
      const failures = w.failures + 1;
      return { window: { kind: 'consecutive', failures }, trip: st.kind === 'consecutive' && failures >= st.threshold };
    }
    case 'count': {
      if (st.kind !== 'count') return { window: w, trip: false };
      const flag = (failed ? FAILED : 0) | (slow ? SLOW : 0);
      // One pass copies the kept outcomes and counts them (the window is immutable state).
      const prev = w.outcomes;
      const drop = prev.length < st.size ? 0 : prev.length - st.size + 1;
      const n = prev.length - drop + 1;
      const outcomes = new Array<number>(n);
      let f = failed ? 1 : 0;
      let s = slow ? 1 : 0;
      for (let i = drop; i < prev.length; i++) {
        const o = prev[i]!;
        outcomes[i - drop] = o;
        f += o & FAILED;
        s += (o & SLOW) >> 1;
      }
      outcomes[n - 1] = flag;
      const trip = n >= st.minimumCalls && (f / n >= st.failureRatio || (st.slowCallRatio !== undefined && s / n >= st.slowCallRatio));
      return { window: { kind: 'count', outcomes }, trip: trip && (f > 0 || s > 0) };
    }
    case 'time': {
      if (st.kind !== 'time') return { window: w, trip: false };
      const bucketMs = st.durationMs / st.buckets;
      const bucket = Math.floor(now / bucketMs);
      const start = bucket * bucketMs;
      // Keep the buckets that end after the window start (numbers bucket - buckets .. bucket,
      // counted in whole buckets so no rounding keeps one more): an idle gap leaves none behind.
      const buckets: TimeBucket[] = [];
      let calls = 1;
      let f = failed ? 1 : 0;
      let s = slow ? 1 : 0;
      let current: TimeBucket | undefined;
      for (const b of w.buckets) {
        if (!bucketKept(b.start, bucketMs, bucket, st.buckets)) continue;
        if (b.start === start) {
          current = b;
          continue;
        }
        buckets.push(b);
        calls += b.calls;
        f += b.failures;
        s += b.slow;
      }
      const base = current ?? { start, calls: 0, failures: 0, slow: 0 };
      if (current !== undefined) {
        calls += current.calls;
        f += current.failures;
        s += current.slow;
      }
      buckets.push({ start, calls: base.calls + 1, failures: base.failures + (failed ? 1 : 0), slow: base.slow + (slow ? 1 : 0) });
      const trip =
        calls >= st.minimumThroughput &&
        (f > 0 || s > 0) &&
        (f / calls >= st.failureRatio || (st.slowCallRatio !== undefined && s / calls >= st.slowCallRatio));
      return { window: { kind: 'time', buckets }, trip };
    }
  }
}

function checkOutcome(input: { readonly type: string; readonly durationMs: unknown; readonly probe: unknown; readonly round?: unknown }): void {
  const { durationMs, probe, round } = input;
  if (typeof durationMs !== 'number' || !Number.isFinite(durationMs) || durationMs < 0) {
    throw new InvalidCommandError(input.type, `durationMs must be a finite number >= 0, got ${String(durationMs)}`);
  }
  if (typeof probe !== 'boolean') throw new InvalidCommandError(input.type, 'probe must be a boolean');
  if (round !== undefined && !(typeof round === 'number' && Number.isSafeInteger(round))) {
    throw new InvalidCommandError(input.type, `round must be an integer, got ${String(round)}`);
  }
}

function rule(state: BreakerState, input: BreakerCommand, now: number): Transition<BreakerState, BreakerOutput> {
  switch (input.type) {
    case 'tick': {
      if (state.circuit === 'open' && timerDue(state.openTimer, now)) {
        return { state: halfOpen(state), outputs: [change('open', 'half-open', now)] };
      }
      return { state, outputs: NO_OUTPUTS };
    }
    case 'acquire': {
      switch (state.circuit) {
        case 'closed':
          return { state, outputs: PERMIT };
        case 'isolated':
          return { state, outputs: [{ type: 'refused', circuit: 'isolated', retryAfterMs: Number.MAX_VALUE }] };
        case 'open': {
          const until = state.openTimer.at ?? now;
          if (now < until) return { state, outputs: [{ type: 'refused', circuit: 'open', retryAfterMs: until - now }] };
          const h = halfOpen(state);
          return { state: { ...h, probesStarted: 1 }, outputs: [change('open', 'half-open', now), probe(h)] };
        }
        case 'half-open': {
          const probes = state.settings.halfOpenProbes ?? 1;
          if (state.probesStarted < probes) return { state: { ...state, probesStarted: state.probesStarted + 1 }, outputs: [probe(state)] };
          return {
            state,
            outputs: [{ type: 'refused', circuit: 'half-open', retryAfterMs: openDurationMs(state.settings, state.failedProbeRounds + 1) }],
          };
        }
      }
      break;
    }
    case 'success':
    case 'failure': {
      checkOutcome(input);
      const failed = input.type === 'failure';
      const slowMs = state.settings.slowCallDurationMs;
      const slow = slowMs !== undefined && input.durationMs >= slowMs;
      if (input.probe) {
        // Results of probes from an earlier round (or after an isolation) are stale: ignore them.
        if (state.circuit !== 'half-open' || (input.round !== undefined && input.round !== state.probeRound)) return { state, outputs: NO_OUTPUTS };
        const probes = state.settings.halfOpenProbes ?? 1;
        const ratio = state.settings.halfOpenFailureRatio ?? 0;
        const probeFailures = state.probeFailures + (failed ? 1 : 0);
        const probeSuccesses = state.probeSuccesses + (failed ? 0 : 1);
        if (probeFailures / probes > ratio) {
          return { state: open(state, now, state.failedProbeRounds + 1), outputs: [change('half-open', 'open', now)] };
        }
        if (probeFailures + probeSuccesses >= probes) return { state: close(state), outputs: [change('half-open', 'closed', now)] };
        return { state: { ...state, probeFailures, probeSuccesses }, outputs: NO_OUTPUTS };
      }
      if (state.circuit !== 'closed') return { state, outputs: NO_OUTPUTS };
      const r = record(state.settings, state.window, now, failed, slow);
      if (r.trip) return { state: open({ ...state, window: emptyWindow(state.settings.strategy) }, now, 0), outputs: [change('closed', 'open', now)] };
      return { state: r.window === state.window ? state : { ...state, window: r.window }, outputs: NO_OUTPUTS };
    }
    case 'isolate': {
      if (state.circuit === 'isolated') {
        if (state.isolations >= MAX_COUNTER) throw new InvalidCommandError('isolate', `already isolated ${state.isolations} times; release some first`);
        return { state: { ...state, isolations: state.isolations + 1 }, outputs: NO_OUTPUTS };
      }
      const { openedAt: _o, ...rest } = state;
      return {
        state: { ...rest, circuit: 'isolated', openTimer: STOPPED_TIMER, isolations: 1, probesStarted: 0, probeSuccesses: 0, probeFailures: 0 },
        outputs: [change(state.circuit, 'isolated', now)],
      };
    }
    case 'release': {
      if (state.circuit !== 'isolated' || state.isolations <= 0) return { state, outputs: NO_OUTPUTS };
      if (state.isolations > 1) return { state: { ...state, isolations: state.isolations - 1 }, outputs: NO_OUTPUTS };
      return { state: { ...close(state), isolations: 0 }, outputs: [change('isolated', 'closed', now)] };
    }
    default:
      return assertNever(input, 'input');
  }
  return { state, outputs: NO_OUTPUTS };
}

function init(settings: BreakerSettings): BreakerState {
  const s = validateSettings(settings);
  return {
    settings: s,
    circuit: 'closed',
    openTimer: STOPPED_TIMER,
    failedProbeRounds: 0,
    isolations: 0,
    probeRound: 0,
    probesStarted: 0,
    probeSuccesses: 0,
    probeFailures: 0,
    window: emptyWindow(s.strategy),
  };
}

/**
 * The pure circuit-breaker core: `init(settings)` validates and returns the closed state,
 * `step(state, input)` applies one input, `nextDeadline(state)` is when an open circuit may go
 * half-open. No timers, no clock: time arrives in every input. States are plain JSON.
 *
 * @example
 * ```ts
 * import { circuitBreakerCore as core } from 'distkit/resilience';
 * let s = core.init({ strategy: { kind: 'consecutive', threshold: 2 }, openMs: 1000 });
 * s = core.step(s, { type: 'failure', now: 0, durationMs: 5, probe: false }).state;
 * s = core.step(s, { type: 'failure', now: 1, durationMs: 5, probe: false }).state;
 * s.circuit; //=> 'open'
 * core.step(s, { type: 'acquire', now: 500 }).outputs; //=> [{ type: 'refused', circuit: 'open', retryAfterMs: 501 }]
 * ```
 */
export const circuitBreakerCore = {
  /** Name for traces. */
  name: 'circuit-breaker',
  /** Validates settings (throws ConfigError naming the option) and returns a closed state. */
  init,
  /** Applies one input; pure, never mutates `state`. */
  step: localStep('circuit breaker', rule) as (state: BreakerState, input: BreakerInput) => Transition<BreakerState, BreakerOutput>,
  /** When an open circuit wants a `tick` to go half-open, or `undefined`. */
  nextDeadline(state: BreakerState): number | undefined {
    return state.circuit === 'open' ? earliest(state.openTimer) : undefined;
  },
  /** Settings validation alone (throws ConfigError naming the option). */
  validate: validateSettings,
  /** Shifts every absolute time in the state by `deltaMs` (to move it between clocks). */
  shiftTimes(state: BreakerState, deltaMs: number): BreakerState {
    let s = state;
    if (s.openedAt !== undefined) s = { ...s, openedAt: s.openedAt + deltaMs };
    if (s.openTimer.at !== null) s = { ...s, openTimer: { ...s.openTimer, at: s.openTimer.at + deltaMs } };
    if (s.window.kind === 'time') {
      s = { ...s, window: { kind: 'time', buckets: s.window.buckets.map((b) => ({ ...b, start: b.start + deltaMs })) } };
    }
    return s;
  },
};
