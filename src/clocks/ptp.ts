import { ClockError, describeValue, isPlainObject } from '../core/index.js';
import { parseChecked, type ParseResult } from './parse.js';

/**
 * A PTP timestamp (IEEE 1588-2008 §5.3.3, Timestamp): whole seconds (48-bit secondsField) and
 * nanoseconds (32-bit nanosecondsField, < 10^9). Kept as two integers because nanoseconds since the
 * epoch (~1.7·10^18) are far past 2^53: differences are computed exactly from the parts.
 *
 * @example
 * ```ts
 * import { ptpDiffNs, type PtpTimestamp } from 'distkit/clocks';
 * const a: PtpTimestamp = { seconds: 1_700_000_000, nanoseconds: 250_000_000 };
 * const b: PtpTimestamp = { seconds: 1_700_000_001, nanoseconds: 0 };
 * // Differences in integer nanoseconds, exact across the second boundary.
 * ptpDiffNs(b, a); //=> 750000000
 * ```
 */
export interface PtpTimestamp {
  /** Seconds (an integer in [0, 2^48 − 1]). */
  readonly seconds: number;
  /** Nanoseconds within the second (an integer in [0, 999 999 999]). */
  readonly nanoseconds: number;
}

/**
 * The timestamps of one PTP delay request-response exchange (IEEE 1588-2008 §11.3), as a slave
 * collects them from Sync, Follow_Up, Delay_Req and Delay_Resp.
 *
 * @example
 * ```ts
 * import { ptpOffset, type PtpExchange } from 'distkit/clocks';
 * const x: PtpExchange = {
 *   t1: { seconds: 100, nanoseconds: 0 },       // Follow_Up.preciseOriginTimestamp
 *   t2: { seconds: 100, nanoseconds: 1_500 },   // Sync received (slave clock)
 *   t3: { seconds: 100, nanoseconds: 50_000 },  // Delay_Req sent (slave clock)
 *   t4: { seconds: 100, nanoseconds: 49_500 },  // Delay_Resp.receiveTimestamp
 * };
 * // IEEE 1588 §11.3: offset = ((t2 − t1) − (t4 − t3)) / 2, delay = ((t2 − t1) + (t4 − t3)) / 2.
 * ptpOffset(x); //=> { offsetFromMasterNs: 1000, meanPathDelayNs: 500 }
 * ```
 */
export interface PtpExchange {
  /** t1: when the master sent Sync (Sync.originTimestamp one-step, Follow_Up.preciseOriginTimestamp two-step). */
  readonly t1: PtpTimestamp;
  /** t2: when the slave received Sync, on the slave's clock. */
  readonly t2: PtpTimestamp;
  /** t3: when the slave sent Delay_Req, on the slave's clock. */
  readonly t3: PtpTimestamp;
  /** t4: when the master received Delay_Req (Delay_Resp.receiveTimestamp). */
  readonly t4: PtpTimestamp;
  /** Sum of the correctionField of Sync and (two-step) Follow_Up, in ns (default 0). */
  readonly syncCorrectionNs?: number;
  /** The correctionField of Delay_Resp, in ns (default 0). */
  readonly delayRespCorrectionNs?: number;
}

/**
 * What {@link ptpOffset} returns, in nanoseconds.
 *
 * @example
 * ```ts
 * import { ptpOffset, type PtpOffset } from 'distkit/clocks';
 * // A symmetric 500 ns path and a slave clock 1 µs ahead of the master.
 * const r: PtpOffset = ptpOffset({
 *   t1: { seconds: 5, nanoseconds: 0 },
 *   t2: { seconds: 5, nanoseconds: 1_500 },
 *   t3: { seconds: 5, nanoseconds: 10_000 },
 *   t4: { seconds: 5, nanoseconds: 9_500 },
 * });
 * r; //=> { offsetFromMasterNs: 1000, meanPathDelayNs: 500 }
 * ```
 */
export interface PtpOffset {
  /** offsetFromMaster: slave clock minus master clock. Subtract it from the slave clock. */
  readonly offsetFromMasterNs: number;
  /** meanPathDelay: the one-way delay, assuming a symmetric path. */
  readonly meanPathDelayNs: number;
}

/**
 * `a − b` in nanoseconds, exact while the difference is below 2^53 ns (about 104 days).
 *
 * @example
 * ```ts
 * import { ptpDiffNs } from 'distkit/clocks';
 * ptpDiffNs({ seconds: 2, nanoseconds: 0 }, { seconds: 1, nanoseconds: 999_999_000 }); //=> 1000
 * ```
 */
export function ptpDiffNs(a: PtpTimestamp, b: PtpTimestamp): number {
  return (a.seconds - b.seconds) * 1e9 + (a.nanoseconds - b.nanoseconds);
}

function check(t: PtpTimestamp, name: string): void {
  const p = ptpTimestampProblem(t);
  if (p !== undefined) throw new ClockError(`ptpOffset: ${name}: ${p}`);
}

/**
 * Offset from master and mean path delay (IEEE 1588-2008 §11.3.2 and §11.2):
 * meanPathDelay = ((t2 − t1) + (t4 − t3) − syncCorrection − delayRespCorrection) / 2 and
 * offsetFromMaster = t2 − t1 − meanPathDelay − syncCorrection. Throws {@link ClockError} on an
 * invalid timestamp (validate peer ones with {@link parsePtpTimestamp}).
 *
 * @example
 * ```ts
 * import { ptpOffset } from 'distkit/clocks';
 * // slave 1000 ns ahead, 500 ns each way
 * ptpOffset({
 *   t1: { seconds: 100, nanoseconds: 0 },
 *   t2: { seconds: 100, nanoseconds: 1_500 },
 *   t3: { seconds: 100, nanoseconds: 50_000 },
 *   t4: { seconds: 100, nanoseconds: 49_500 },
 * }); //=> { offsetFromMasterNs: 1000, meanPathDelayNs: 500 }
 * ```
 */
export function ptpOffset(x: PtpExchange): PtpOffset {
  check(x.t1, 't1');
  check(x.t2, 't2');
  check(x.t3, 't3');
  check(x.t4, 't4');
  const cs = x.syncCorrectionNs ?? 0;
  const cd = x.delayRespCorrectionNs ?? 0;
  if (!Number.isFinite(cs) || !Number.isFinite(cd)) throw new ClockError('ptpOffset: correction fields must be finite numbers');
  const ms = ptpDiffNs(x.t2, x.t1); // master-to-slave difference
  const sm = ptpDiffNs(x.t4, x.t3); // slave-to-master difference
  const meanPathDelayNs = (ms + sm - cs - cd) / 2;
  return { offsetFromMasterNs: ms - meanPathDelayNs - cs, meanPathDelayNs };
}

/**
 * Why `value` is not a valid {@link PtpTimestamp}, or `undefined`.
 *
 * @example
 * ```ts
 * import { ptpTimestampProblem } from 'distkit/clocks';
 * ptpTimestampProblem({ seconds: 1, nanoseconds: 1e9 }); //=> 'nanoseconds: expected an integer in [0, 999999999], got 1000000000'
 * ```
 */
export function ptpTimestampProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return `PTP timestamp: expected an object, got ${describeValue(value)}`;
  const s = value['seconds'];
  const n = value['nanoseconds'];
  if (!(typeof s === 'number' && Number.isSafeInteger(s) && s >= 0 && s <= 2 ** 48 - 1)) {
    return `seconds: expected an integer in [0, 2^48 - 1], got ${describeValue(s)}`;
  }
  if (!(typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= 999_999_999)) {
    return `nanoseconds: expected an integer in [0, 999999999], got ${describeValue(n)}`;
  }
  return undefined;
}

/**
 * Validates a PTP timestamp received from a peer (see {@link ptpTimestampProblem}).
 *
 * @example
 * ```ts
 * import { parsePtpTimestamp } from 'distkit/clocks';
 * parsePtpTimestamp({ seconds: 5, nanoseconds: 12 }).ok; //=> true
 * parsePtpTimestamp({ seconds: -5, nanoseconds: 12 }).ok; //=> false
 * ```
 */
export function parsePtpTimestamp(value: unknown): ParseResult<PtpTimestamp> {
  return parseChecked(value, ptpTimestampProblem, (v: PtpTimestamp) => ({ seconds: v.seconds, nanoseconds: v.nanoseconds }));
}
