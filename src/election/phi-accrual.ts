import { ConfigError } from '../core/index.js';

/**
 * Options of a phi accrual failure detector. Defaults are Akka's cluster failure detector
 * (`akka.cluster.failure-detector` in akka-cluster's reference.conf): threshold 8, 1000 samples,
 * 100 ms minimum standard deviation, 3 s acceptable pause, 1 s expected heartbeat interval.
 *
 * @example
 * ```ts
 * import type { PhiAccrualOptions } from 'distkit/election';
 * const o: PhiAccrualOptions = { threshold: 10, acceptableHeartbeatPauseMs: 5000 };
 * ```
 */
export interface PhiAccrualOptions {
  /** φ at or above which the peer counts as unavailable. Default 8. */
  readonly threshold?: number;
  /** Inter-arrival samples kept (sliding window). Default 1000. */
  readonly maxSampleSize?: number;
  /** Floor of the standard deviation used in φ, ms. Default 100. */
  readonly minStdDeviationMs?: number;
  /** Added to the mean: pauses this long are not yet suspicious, ms. Default 3000. */
  readonly acceptableHeartbeatPauseMs?: number;
  /** Expected heartbeat interval, used to seed the history at the first heartbeat, ms. Default 1000. */
  readonly firstHeartbeatEstimateMs?: number;
}

/**
 * Akka's defaults for {@link PhiAccrualOptions}.
 *
 * @example
 * ```ts
 * import { PHI_ACCRUAL_DEFAULTS } from 'distkit/election';
 * PHI_ACCRUAL_DEFAULTS.threshold; //=> 8
 * ```
 */
export const PHI_ACCRUAL_DEFAULTS = {
  /** φ threshold. */
  threshold: 8,
  /** Window size. */
  maxSampleSize: 1000,
  /** Minimum standard deviation, ms. */
  minStdDeviationMs: 100,
  /** Acceptable heartbeat pause, ms. */
  acceptableHeartbeatPauseMs: 3000,
  /** First heartbeat estimate (Akka's `heartbeat-interval`), ms. */
  firstHeartbeatEstimateMs: 1000,
} as const;

/**
 * The detector's state: options, the inter-arrival window with running sums, and the last
 * heartbeat time. Plain data; every function returns a new state.
 *
 * @example
 * ```ts
 * import { createPhiAccrual } from 'distkit/election';
 * createPhiAccrual().lastHeartbeatMs; //=> null
 * ```
 */
export interface PhiAccrualState {
  /** φ threshold. */
  readonly threshold: number;
  /** Window size. */
  readonly maxSampleSize: number;
  /** Minimum standard deviation, ms. */
  readonly minStdDeviationMs: number;
  /** Acceptable pause, ms. */
  readonly acceptableHeartbeatPauseMs: number;
  /** First heartbeat estimate, ms. */
  readonly firstHeartbeatEstimateMs: number;
  /** Inter-arrival times in the window, oldest first, ms. */
  readonly intervals: readonly number[];
  /** Sum of `intervals`. */
  readonly sum: number;
  /** Sum of squares of `intervals`. */
  readonly sumOfSquares: number;
  /** Time of the last heartbeat, or null before the first. */
  readonly lastHeartbeatMs: number | null;
}

/**
 * A fresh detector (Hayashibara, Défago, Yared & Katayama, "The φ Accrual Failure Detector",
 * SRDS 2004), configured like Akka's. Throws {@link ConfigError} on bad options.
 *
 * @example
 * ```ts
 * import { createPhiAccrual, phiHeartbeat, phi } from 'distkit/election';
 * let d = createPhiAccrual();
 * for (let t = 0; t <= 10_000; t += 1000) d = phiHeartbeat(d, t);
 * phi(d, 11_000) < 1; //=> true
 * ```
 */
export function createPhiAccrual(options: PhiAccrualOptions = {}): PhiAccrualState {
  const o = { ...PHI_ACCRUAL_DEFAULTS, ...options };
  const pos = (field: keyof typeof o, allowZero = false) => {
    const x = o[field];
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0 || (!allowZero && x === 0)) {
      throw new ConfigError(field, `must be a ${allowZero ? 'non-negative' : 'positive'} finite number, got ${String(x)}`);
    }
  };
  pos('threshold');
  pos('minStdDeviationMs');
  pos('acceptableHeartbeatPauseMs', true);
  pos('firstHeartbeatEstimateMs');
  if (!Number.isSafeInteger(o.maxSampleSize) || o.maxSampleSize < 1) throw new ConfigError('maxSampleSize', 'must be a positive integer');
  return { ...o, intervals: [], sum: 0, sumOfSquares: 0, lastHeartbeatMs: null };
}

/**
 * φ for a peer silent for `timeDiffMs`, when inter-arrival times are normal with `meanMs` and
 * `stdDeviationMs`: −log10(1 − F(timeDiff)), F approximated by the logistic function
 * 1 / (1 + e^(−y(1.5976 + 0.070566y²))), y = (timeDiff − mean) / stdDev (Bowling et al., "A
 * logistic approximation to the cumulative normal distribution", 2009; as in Akka). The two
 * branches keep precision on either side of the mean.
 *
 * @example
 * ```ts
 * import { phiFormula } from 'distkit/election';
 * phiFormula(1000, 1000, 100).toFixed(4); //=> '0.3010' (−log10 0.5)
 * ```
 */
export function phiFormula(timeDiffMs: number, meanMs: number, stdDeviationMs: number): number {
  const y = (timeDiffMs - meanMs) / stdDeviationMs;
  const e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
  if (timeDiffMs > meanMs) return -Math.log10(e / (1 + e));
  return -Math.log10(1 - 1 / (1 + e));
}

function append(state: PhiAccrualState, interval: number): PhiAccrualState {
  let intervals = state.intervals;
  let sum = state.sum;
  let sumOfSquares = state.sumOfSquares;
  if (intervals.length >= state.maxSampleSize) {
    const drop = intervals.length - state.maxSampleSize + 1;
    for (let i = 0; i < drop; i++) {
      const x = intervals[i]!;
      sum -= x;
      sumOfSquares -= x * x;
    }
    intervals = intervals.slice(drop);
  }
  return { ...state, intervals: [...intervals, interval], sum: sum + interval, sumOfSquares: sumOfSquares + interval * interval };
}

/**
 * Records a heartbeat at `nowMs`. The first one seeds the window with two intervals around the
 * expected one (mean ± mean/4, Akka's bootstrap); later ones add their inter-arrival time, except
 * the first heartbeat after the peer was deemed unavailable (a long pause would skew the window).
 *
 * @example
 * ```ts
 * import { createPhiAccrual, phiHeartbeat } from 'distkit/election';
 * const d = phiHeartbeat(phiHeartbeat(createPhiAccrual(), 0), 900);
 * d.intervals; //=> [750, 1250, 900]
 * ```
 */
export function phiHeartbeat(state: PhiAccrualState, nowMs: number): PhiAccrualState {
  if (state.lastHeartbeatMs === null) {
    const mean = state.firstHeartbeatEstimateMs;
    const sd = mean / 4;
    const seeded = append(append({ ...state, intervals: [], sum: 0, sumOfSquares: 0 }, mean - sd), mean + sd);
    return { ...seeded, lastHeartbeatMs: nowMs };
  }
  const interval = Math.max(0, nowMs - state.lastHeartbeatMs);
  const next = phiIsAvailable(state, nowMs) ? append(state, interval) : state;
  return { ...next, lastHeartbeatMs: nowMs };
}

/**
 * The mean and standard deviation (floored at `minStdDeviationMs`) of the window.
 *
 * @example
 * ```ts
 * import { createPhiAccrual, phiHeartbeat, phiStats } from 'distkit/election';
 * phiStats(phiHeartbeat(createPhiAccrual(), 0)); //=> { meanMs: 1000, stdDeviationMs: 250 }
 * ```
 */
export function phiStats(state: PhiAccrualState): { readonly meanMs: number; readonly stdDeviationMs: number } {
  const n = state.intervals.length;
  if (n === 0) return { meanMs: state.firstHeartbeatEstimateMs, stdDeviationMs: state.minStdDeviationMs };
  const mean = state.sum / n;
  const variance = Math.max(0, state.sumOfSquares / n - mean * mean);
  return { meanMs: mean, stdDeviationMs: Math.max(Math.sqrt(variance), state.minStdDeviationMs) };
}

/**
 * The suspicion level φ at `nowMs`: {@link phiFormula} with the window's statistics and the mean
 * raised by the acceptable pause. 0 before the first heartbeat (an unmonitored peer is healthy, as
 * in Akka).
 *
 * @example
 * ```ts
 * import { createPhiAccrual, phiHeartbeat, phi } from 'distkit/election';
 * const d = phiHeartbeat(createPhiAccrual({ acceptableHeartbeatPauseMs: 0 }), 0);
 * phi(d, 1000).toFixed(3); //=> '0.301'
 * ```
 */
export function phi(state: PhiAccrualState, nowMs: number): number {
  if (state.lastHeartbeatMs === null) return 0;
  const { meanMs, stdDeviationMs } = phiStats(state);
  return phiFormula(nowMs - state.lastHeartbeatMs, meanMs + state.acceptableHeartbeatPauseMs, stdDeviationMs);
}

/**
 * Whether the peer counts as available at `nowMs`: φ below the threshold.
 *
 * @example
 * ```ts
 * import { createPhiAccrual, phiHeartbeat, phiIsAvailable } from 'distkit/election';
 * const d = phiHeartbeat(createPhiAccrual(), 0);
 * [phiIsAvailable(d, 2000), phiIsAvailable(d, 60_000)]; //=> [true, false]
 * ```
 */
export function phiIsAvailable(state: PhiAccrualState, nowMs: number): boolean {
  return phi(state, nowMs) < state.threshold;
}
