import type { NodeId } from '../core/index.js';
import { ClockError, describeValue, isPlainObject } from '../core/index.js';
import { parseChecked, type ParseResult } from './parse.js';

/**
 * The four timestamps of one NTP client/server exchange (RFC 5905 §8), in milliseconds: T1 and T4
 * read on the client's clock, T2 and T3 on the server's.
 *
 * @example
 * ```ts
 * import { ntpSample, type NtpTimestamps } from 'distkit/clocks';
 * // Request sent at 0 (client clock), received at 60 and answered at 61 (server clock), back at 21.
 * const ts: NtpTimestamps = { t1: 0, t2: 60, t3: 61, t4: 21 };
 * [ntpSample(ts).offsetMs, ntpSample(ts).delayMs]; //=> [50, 20]
 * ```
 */
export interface NtpTimestamps {
  /** T1, origin: the client's clock when it sent the request. */
  readonly t1: number;
  /** T2, receive: the server's clock when the request arrived. */
  readonly t2: number;
  /** T3, transmit: the server's clock when it sent the reply. */
  readonly t3: number;
  /** T4, destination: the client's clock when the reply arrived. */
  readonly t4: number;
}

/**
 * One offset/delay measurement (RFC 5905 §8), in milliseconds.
 *
 * @example
 * ```ts
 * import { ntpSample, type NtpSample } from 'distkit/clocks';
 * const s: NtpSample = ntpSample({ t1: 0, t2: 60, t3: 61, t4: 21 });
 * s; //=> { offsetMs: 50, delayMs: 20, dispersionMs: 0.000315, timeMs: 21 }
 * ```
 */
export interface NtpSample {
  /** θ: how far the server's clock is ahead of the client's. Add it to the client clock. */
  readonly offsetMs: number;
  /** δ: the round-trip delay, excluding the server's processing time (never below the precision). */
  readonly delayMs: number;
  /** ε: the dispersion, the maximum error due to clock precision and frequency tolerance. */
  readonly dispersionMs: number;
  /** When the sample was taken: T4, on the client's clock. */
  readonly timeMs: number;
}

/**
 * Options of {@link ntpSample}.
 *
 * @example
 * ```ts
 * import { ntpSample } from 'distkit/clocks';
 * // Coarser clocks add their precision to the sample's dispersion (RFC 5905 §8).
 * ntpSample({ t1: 0, t2: 60, t3: 61, t4: 21 }, { precisionMs: 1, serverPrecisionMs: 1 }).dispersionMs; //=> 2.000315
 * ```
 */
export interface NtpSampleOptions {
  /** ρ: the client clock's precision (ms, default 0). */
  readonly precisionMs?: number;
  /** ρ_r: the server clock's precision (ms, default 0). */
  readonly serverPrecisionMs?: number;
  /** Φ: the frequency tolerance (default {@link NTP_PHI}, 15 PPM). */
  readonly phi?: number;
}

/**
 * Φ: the frequency tolerance NTP assumes of any clock, 15 PPM (RFC 5905 §7.2, PHI).
 *
 * @example
 * ```ts
 * import { NTP_PHI } from 'distkit/clocks';
 * const agedDispersionMs = 0.5 + NTP_PHI * 64_000; // a sample's ε after 64 s
 * ```
 */
export const NTP_PHI = 15e-6;
/**
 * The number of stages of the clock filter's shift register (RFC 5905 §10, NSTAGE).
 *
 * @example
 * ```ts
 * import { NTP_FILTER_STAGES } from 'distkit/clocks';
 * NTP_FILTER_STAGES; //=> 8
 * ```
 */
export const NTP_FILTER_STAGES = 8;

/**
 * Seconds from the NTP prime epoch (0 h 1 January 1900 UTC) to the Unix epoch (1 January 1970):
 * 2 208 988 800 (RFC 5905 §6, Figure 4).
 *
 * @example
 * ```ts
 * import { NTP_UNIX_EPOCH_OFFSET_S } from 'distkit/clocks';
 * const ntpSeconds = Math.floor(Date.UTC(2024, 0, 1) / 1000) + NTP_UNIX_EPOCH_OFFSET_S;
 * ```
 */
export const NTP_UNIX_EPOCH_OFFSET_S = 2_208_988_800;

const ERA_S = 2 ** 32;

/**
 * An NTP timestamp as it travels in a packet (RFC 5905 §6, Figure 3, NTP Timestamp Format): 32 bits
 * of seconds since the start of the era and 32 bits of fraction of a second (units of 2^-32 s).
 * The era itself (136 years) is not on the wire; {@link ntpTimestampToUnixMs} resolves it.
 *
 * @example
 * ```ts
 * import { ntpTimestampToUnixMs, type NtpWireTimestamp } from 'distkit/clocks';
 * const t: NtpWireTimestamp = { seconds: 3_913_056_000, fraction: 0x80000000 };
 * new Date(ntpTimestampToUnixMs(t)).toISOString(); //=> '2024-01-01T00:00:00.500Z'
 * ```
 */
export interface NtpWireTimestamp {
  /** Seconds since the era began (an integer in [0, 2^32 − 1]). */
  readonly seconds: number;
  /** Fraction of a second in units of 2^-32 s (an integer in [0, 2^32 − 1]). */
  readonly fraction: number;
}

/**
 * How {@link ntpTimestampToUnixMs} picks the era of a wire timestamp. Without options it uses the
 * SNTP rule (RFC 4330 §3): seconds with the top bit set are in era 0 (1968–2036), the others in
 * era 1 (2036–2104).
 *
 * @example
 * ```ts
 * import { ntpTimestampToUnixMs } from 'distkit/clocks';
 * // Seconds 0 is 1900 in era 0, or 2036-02-07 in era 1: the pivot picks the era nearest to it.
 * new Date(ntpTimestampToUnixMs({ seconds: 0, fraction: 0 }, { pivotUnixMs: Date.UTC(2040, 0, 1) })).toISOString(); //=> '2036-02-07T06:28:16.000Z'
 * ```
 */
export interface NtpEraOptions {
  /** The era, when known (0 from 1900 to 2036, 1 from 2036 to 2172, negative before 1900). */
  readonly era?: number;
  /**
   * A time known to be within 68 years of the timestamp (usually the local clock, in Unix ms): the
   * era that puts the timestamp closest to it is taken (RFC 5905 §6).
   */
  readonly pivotUnixMs?: number;
}

/**
 * Why `value` is not a valid {@link NtpWireTimestamp} (for example one read from a peer's packet
 * or message), or `undefined` if it is.
 *
 * @example
 * ```ts
 * import { ntpTimestampProblem } from 'distkit/clocks';
 * ntpTimestampProblem({ seconds: -1, fraction: 0 }); //=> 'seconds: expected an integer in [0, 4294967295], got -1'
 * ```
 */
export function ntpTimestampProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return `NTP timestamp: expected an object, got ${describeValue(value)}`;
  for (const k of ['seconds', 'fraction'] as const) {
    const x = value[k];
    if (!(typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < ERA_S)) {
      return `${k}: expected an integer in [0, 4294967295], got ${describeValue(x)}`;
    }
  }
  return undefined;
}

/**
 * Validates an NTP wire timestamp received from a peer (see {@link ntpTimestampProblem}): a fresh
 * copy, or a reason.
 *
 * @example
 * ```ts
 * import { parseNtpTimestamp } from 'distkit/clocks';
 * parseNtpTimestamp({ seconds: 5, fraction: 0 }).ok;   //=> true
 * parseNtpTimestamp({ seconds: 5, fraction: 0.5 }).ok; //=> false
 * ```
 */
export function parseNtpTimestamp(value: unknown): ParseResult<NtpWireTimestamp> {
  return parseChecked(value, ntpTimestampProblem, (v: NtpWireTimestamp) => ({ seconds: v.seconds, fraction: v.fraction }));
}

/**
 * Converts an NTP wire timestamp to Unix milliseconds (RFC 5905 §6), resolving its era from
 * `options` (see {@link NtpEraOptions}); the result feeds {@link ntpSample}. Exact to well under a
 * microsecond. Throws {@link ClockError} on a malformed timestamp or option.
 *
 * @example
 * ```ts
 * import { ntpTimestampToUnixMs } from 'distkit/clocks';
 * ntpTimestampToUnixMs({ seconds: 2_208_988_800, fraction: 0x40000000 }); //=> 250 (1970-01-01T00:00:00.250Z)
 * ntpTimestampToUnixMs({ seconds: 63_104, fraction: 0 });                 // 8 February 2036, era 1
 * ```
 */
export function ntpTimestampToUnixMs(ts: NtpWireTimestamp, options: NtpEraOptions = {}): number {
  const p = ntpTimestampProblem(ts);
  if (p !== undefined) throw new ClockError(`ntpTimestampToUnixMs: ${p}`);
  const secondsMs = (ts.seconds - NTP_UNIX_EPOCH_OFFSET_S) * 1000;
  const fractionMs = (ts.fraction * 1000) / ERA_S;
  let era: number;
  if (options.era !== undefined) {
    if (!Number.isSafeInteger(options.era)) throw new ClockError(`ntpTimestampToUnixMs: era must be an integer, got ${describeValue(options.era)}`);
    era = options.era;
  } else if (options.pivotUnixMs !== undefined) {
    const pivot = finite(options.pivotUnixMs, 'pivotUnixMs', 'ntpTimestampToUnixMs');
    // RFC 5905 §6: the era whose reading lies within half an era (68 years) of the pivot.
    era = Math.round((pivot - secondsMs - fractionMs) / (ERA_S * 1000));
  } else {
    // RFC 4330 §3: top bit set = 1968–2036 (era 0), clear = 2036–2104 (era 1).
    era = ts.seconds >= 2 ** 31 ? 0 : 1;
  }
  return era * ERA_S * 1000 + secondsMs + fractionMs;
}

/**
 * Converts Unix milliseconds to an NTP wire timestamp (RFC 5905 §6), with the era it belongs to.
 * The fraction is rounded to the nearest 2^-32 s. Throws {@link ClockError} on a non-finite time.
 *
 * @example
 * ```ts
 * import { unixMsToNtpTimestamp } from 'distkit/clocks';
 * unixMsToNtpTimestamp(Date.UTC(1970, 0, 1)); //=> { era: 0, seconds: 2208988800, fraction: 0 }
 * unixMsToNtpTimestamp(500);                  //=> { era: 0, seconds: 2208988800, fraction: 2147483648 }
 * ```
 */
export function unixMsToNtpTimestamp(unixMs: number): NtpWireTimestamp & { readonly era: number } {
  finite(unixMs, 'unixMs', 'unixMsToNtpTimestamp');
  let whole = Math.floor(unixMs / 1000);
  let fraction = Math.round(((unixMs - whole * 1000) / 1000) * ERA_S);
  if (fraction >= ERA_S) {
    whole++;
    fraction = 0;
  }
  const sinceEpoch = whole + NTP_UNIX_EPOCH_OFFSET_S;
  const era = Math.floor(sinceEpoch / ERA_S);
  return { era, seconds: sinceEpoch - era * ERA_S, fraction };
}

function finite(x: unknown, name: string, what: string): number {
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new ClockError(`${what}: ${name} must be a finite number, got ${describeValue(x)}`);
  return x;
}

/**
 * Offset, delay and dispersion from the four timestamps of an exchange (RFC 5905 §8):
 * θ = ((T2 − T1) + (T3 − T4)) / 2, δ = (T4 − T1) − (T3 − T2), ε = ρ_r + ρ + Φ·(T4 − T1).
 * δ is clamped below at the client precision, as the RFC's reference code does (A.5.1.1).
 * Throws {@link ClockError} on a non-finite timestamp.
 *
 * @example
 * ```ts
 * import { ntpSample } from 'distkit/clocks';
 * // server 50 ms ahead, 10 ms each way, 1 ms of server processing
 * ntpSample({ t1: 0, t2: 60, t3: 61, t4: 21 }); //=> { offsetMs: 50, delayMs: 20, dispersionMs: 0.000315, timeMs: 21 }
 * ```
 */
export function ntpSample(ts: NtpTimestamps, options: NtpSampleOptions = {}): NtpSample {
  const t1 = finite(ts.t1, 't1', 'ntpSample');
  const t2 = finite(ts.t2, 't2', 'ntpSample');
  const t3 = finite(ts.t3, 't3', 'ntpSample');
  const t4 = finite(ts.t4, 't4', 'ntpSample');
  const rho = options.precisionMs ?? 0;
  const rhoR = options.serverPrecisionMs ?? 0;
  const phi = options.phi ?? NTP_PHI;
  const offsetMs = (t2 - t1 + (t3 - t4)) / 2;
  const delayMs = Math.max(t4 - t1 - (t3 - t2), rho);
  const dispersionMs = rhoR + rho + phi * Math.max(t4 - t1, 0);
  return { offsetMs, delayMs, dispersionMs, timeMs: t4 };
}

/**
 * The error bound of a sample: the synchronization distance λ = δ/2 + ε (RFC 5905 §10). Whatever the
 * split of the delay between the two directions, the true offset lies in [θ − λ, θ + λ].
 *
 * @example
 * ```ts
 * import { ntpErrorBoundMs } from 'distkit/clocks';
 * ntpErrorBoundMs({ offsetMs: 50, delayMs: 20, dispersionMs: 0, timeMs: 21 }); //=> 10
 * ```
 */
export function ntpErrorBoundMs(sample: NtpSample): number {
  return sample.delayMs / 2 + sample.dispersionMs;
}

/**
 * The result of {@link cristian}.
 *
 * @example
 * ```ts
 * import { cristian, type CristianEstimate } from 'distkit/clocks';
 * const e: CristianEstimate = cristian({ requestSentMs: 0, serverTimeMs: 1000, responseReceivedMs: 20 });
 * e; //=> { timeMs: 1010, offsetMs: 990, errorMs: 10, roundTripMs: 20 }
 * ```
 */
export interface CristianEstimate {
  /** The estimated server time at the moment the response arrived: T + RTT/2. */
  readonly timeMs: number;
  /** How far the server is ahead of the local clock at that moment. */
  readonly offsetMs: number;
  /** The maximum error of the estimate: RTT/2 − the minimum one-way delay. */
  readonly errorMs: number;
  /** The measured round trip. */
  readonly roundTripMs: number;
}

/**
 * Cristian's algorithm (Cristian 1989, "Probabilistic Clock Synchronization" §3): ask a time server,
 * and estimate its time on arrival of the reply as T + RTT/2, with error ±(RTT/2 − min) where min is
 * the least one-way transmission delay (default 0).
 *
 * @example
 * ```ts
 * import { cristian } from 'distkit/clocks';
 * cristian({ requestSentMs: 100, serverTimeMs: 5000, responseReceivedMs: 120 });
 * //=> { timeMs: 5010, offsetMs: 4890, errorMs: 10, roundTripMs: 20 }
 * ```
 */
export function cristian(exchange: {
  /** The local clock when the request was sent. */
  readonly requestSentMs: number;
  /** The time the server put in its reply. */
  readonly serverTimeMs: number;
  /** The local clock when the reply arrived. */
  readonly responseReceivedMs: number;
  /** The least possible one-way delay, if known (default 0). */
  readonly minOneWayMs?: number;
}): CristianEstimate {
  const t0 = finite(exchange.requestSentMs, 'requestSentMs', 'cristian');
  const ts = finite(exchange.serverTimeMs, 'serverTimeMs', 'cristian');
  const t1 = finite(exchange.responseReceivedMs, 'responseReceivedMs', 'cristian');
  const min = exchange.minOneWayMs ?? 0;
  if (t1 < t0) throw new ClockError('cristian: responseReceivedMs is before requestSentMs');
  const roundTripMs = t1 - t0;
  const timeMs = ts + roundTripMs / 2;
  return { timeMs, offsetMs: timeMs - t1, errorMs: Math.max(roundTripMs / 2 - min, 0), roundTripMs };
}

/**
 * The clock filter of one peer (RFC 5905 §10): a shift register of the last
 * {@link NTP_FILTER_STAGES} samples, oldest first, and the time of the last sample used.
 *
 * @example
 * ```ts
 * import { clockFilterAdd, NTP_CLOCK_FILTER_EMPTY, type ClockFilter } from 'distkit/clocks';
 * let f: ClockFilter = NTP_CLOCK_FILTER_EMPTY;
 * f = clockFilterAdd(f, { offsetMs: 3, delayMs: 9, dispersionMs: 0, timeMs: 0 }).filter;
 * f = clockFilterAdd(f, { offsetMs: 1, delayMs: 4, dispersionMs: 0, timeMs: 1000 }).filter;
 * f.samples.length; //=> 2
 * ```
 */
export interface ClockFilter {
  /** Up to eight samples, oldest first. */
  readonly samples: readonly NtpSample[];
  /** `timeMs` of the last sample handed out as fresh, or `null` before any. */
  readonly lastUsedTimeMs: number | null;
}

/**
 * An empty clock filter.
 *
 * @example
 * ```ts
 * import { clockFilterAdd, NTP_CLOCK_FILTER_EMPTY } from 'distkit/clocks';
 * clockFilterAdd(NTP_CLOCK_FILTER_EMPTY, { offsetMs: 3, delayMs: 9, dispersionMs: 0, timeMs: 0 }).fresh; //=> true
 * ```
 */
export const NTP_CLOCK_FILTER_EMPTY: ClockFilter = Object.freeze({ samples: Object.freeze([]) as readonly NtpSample[], lastUsedTimeMs: null });

/**
 * What {@link clockFilterAdd} returns.
 *
 * @example
 * ```ts
 * import { clockFilterAdd, NTP_CLOCK_FILTER_EMPTY, type ClockFilterResult } from 'distkit/clocks';
 * const r: ClockFilterResult = clockFilterAdd(NTP_CLOCK_FILTER_EMPTY, { offsetMs: 1, delayMs: 8, dispersionMs: 0, timeMs: 0 });
 * [r.fresh, r.best?.offsetMs]; //=> [true, 1]
 * ```
 */
export interface ClockFilterResult {
  /** The filter with the sample shifted in (the oldest dropped past eight). */
  readonly filter: ClockFilter;
  /** The sample of least delay among the last eight (its dispersion aged to the newest sample's time). */
  readonly best: NtpSample;
  /**
   * `true` when `best` is newer than the last sample used: only then should the clock discipline
   * use it (RFC 5905 §10: a sample older than the last one used is not used again).
   */
  readonly fresh: boolean;
  /** ε: the peer dispersion, Σ ε_i / 2^(i+1) over the samples sorted by delay. */
  readonly dispersionMs: number;
  /** ψ: the peer jitter, the RMS of the offsets' differences from the best offset. */
  readonly jitterMs: number;
}

/**
 * Shifts a sample into a clock filter and picks the best of the last eight (RFC 5905 §10, clock
 * filter algorithm): dispersions age by Φ·(t − t_i); the samples sort by increasing delay, the
 * least-delay one is the best; peer dispersion ε = Σ ε_i / 2^(i+1); jitter
 * ψ = sqrt(Σ_{j≥1} (θ_0 − θ_j)² / (n − 1)). Pure: returns a new filter.
 *
 * @example
 * ```ts
 * import { clockFilterAdd, NTP_CLOCK_FILTER_EMPTY } from 'distkit/clocks';
 * let f = NTP_CLOCK_FILTER_EMPTY;
 * f = clockFilterAdd(f, { offsetMs: 5, delayMs: 30, dispersionMs: 0, timeMs: 0 }).filter;
 * const r = clockFilterAdd(f, { offsetMs: 2, delayMs: 10, dispersionMs: 0, timeMs: 1000 });
 * r.best.offsetMs; //=> 2
 * ```
 */
export function clockFilterAdd(filter: ClockFilter, sample: NtpSample, phi: number = NTP_PHI): ClockFilterResult {
  finite(sample.offsetMs, 'offsetMs', 'clockFilterAdd');
  finite(sample.delayMs, 'delayMs', 'clockFilterAdd');
  finite(sample.dispersionMs, 'dispersionMs', 'clockFilterAdd');
  finite(sample.timeMs, 'timeMs', 'clockFilterAdd');
  const samples = [...filter.samples, sample].slice(-NTP_FILTER_STAGES);
  const now = sample.timeMs;
  const aged = samples.map((s, i) => ({ s: { ...s, dispersionMs: s.dispersionMs + phi * Math.max(now - s.timeMs, 0) }, i }));
  // Least delay first; among equal delays, the newer sample.
  aged.sort((a, b) => a.s.delayMs - b.s.delayMs || b.i - a.i);
  const best = aged[0]!.s;
  let dispersionMs = 0;
  for (let i = 0; i < aged.length; i++) dispersionMs += aged[i]!.s.dispersionMs / 2 ** (i + 1);
  let sq = 0;
  for (let j = 1; j < aged.length; j++) sq += (best.offsetMs - aged[j]!.s.offsetMs) ** 2;
  const jitterMs = aged.length > 1 ? Math.sqrt(sq / (aged.length - 1)) : 0;
  const fresh = filter.lastUsedTimeMs === null || best.timeMs > filter.lastUsedTimeMs;
  return {
    filter: { samples, lastUsedTimeMs: fresh ? best.timeMs : filter.lastUsedTimeMs },
    best,
    fresh,
    dispersionMs,
    jitterMs,
  };
}

/**
 * A correctness interval from one time source: the true time (or offset) lies in [lowMs, highMs]
 * if the source is correct. From an NTP sample: [θ − λ, θ + λ] (see {@link ntpInterval}).
 *
 * @example
 * ```ts
 * import { marzullo, type SourceInterval } from 'distkit/clocks';
 * const sources: SourceInterval[] = [{ id: 'ntp1', lowMs: 8, highMs: 12 }, { id: 'ntp2', lowMs: 11, highMs: 13 }, { id: 'bad', lowMs: 30, highMs: 31 }];
 * marzullo(sources); //=> { lowMs: 11, highMs: 12, count: 2, truechimers: ['ntp1', 'ntp2'], falsetickers: ['bad'] }
 * ```
 */
export interface SourceInterval {
  /** The source (server) this interval comes from. */
  readonly id: NodeId;
  /** Lower end, inclusive. */
  readonly lowMs: number;
  /** Upper end, inclusive. */
  readonly highMs: number;
}

/**
 * The correctness interval of a server's sample: [θ − λ, θ + λ] with λ its error bound.
 *
 * @example
 * ```ts
 * import { ntpInterval } from 'distkit/clocks';
 * ntpInterval('ntp1', { offsetMs: 10, delayMs: 4, dispersionMs: 0, timeMs: 0 }); //=> { id: 'ntp1', lowMs: 8, highMs: 12 }
 * ```
 */
export function ntpInterval(id: NodeId, sample: NtpSample): SourceInterval {
  const lambda = ntpErrorBoundMs(sample);
  return { id, lowMs: sample.offsetMs - lambda, highMs: sample.offsetMs + lambda };
}

/**
 * The result of {@link marzullo}: the interval consistent with the most sources.
 *
 * @example
 * ```ts
 * import { marzullo, type MarzulloResult } from 'distkit/clocks';
 * const r: MarzulloResult | undefined = marzullo([{ id: 'a', lowMs: 8, highMs: 12 }, { id: 'b', lowMs: 10, highMs: 14 }]);
 * r; //=> { lowMs: 10, highMs: 12, count: 2, truechimers: ['a', 'b'], falsetickers: [] }
 * ```
 */
export interface MarzulloResult {
  /** Lower end of the best intersection. */
  readonly lowMs: number;
  /** Upper end of the best intersection. */
  readonly highMs: number;
  /** How many sources' intervals contain it. */
  readonly count: number;
  /** The sources whose intervals contain it (the truechimers), in input order. */
  readonly truechimers: readonly NodeId[];
  /** The others (the falsetickers), in input order. */
  readonly falsetickers: readonly NodeId[];
}

function checkIntervals(intervals: readonly SourceInterval[], what: string): void {
  for (const s of intervals) {
    finite(s.lowMs, 'lowMs', what);
    finite(s.highMs, 'highMs', what);
    if (s.lowMs > s.highMs) throw new ClockError(`${what}: interval of ${JSON.stringify(s.id)} has lowMs > highMs`);
  }
}

/**
 * Marzullo's algorithm (Marzullo 1984, "Maintaining the Time in a Distributed System"): sweeps the
 * sorted interval ends and returns the smallest interval contained in the largest number of source
 * intervals (ends touching count as overlapping). Those sources are the truechimers; the rest are
 * falsetickers. `undefined` for no intervals. O(n log n).
 *
 * @example
 * ```ts
 * import { marzullo } from 'distkit/clocks';
 * marzullo([
 *   { id: 'a', lowMs: 8, highMs: 12 },
 *   { id: 'b', lowMs: 11, highMs: 13 },
 *   { id: 'c', lowMs: 10, highMs: 12 },
 * ]); //=> { lowMs: 11, highMs: 12, count: 3, truechimers: ['a', 'b', 'c'], falsetickers: [] }
 * ```
 */
export function marzullo(intervals: readonly SourceInterval[]): MarzulloResult | undefined {
  checkIntervals(intervals, 'marzullo');
  if (intervals.length === 0) return undefined;
  // type -1 opens an interval, +1 closes it; at equal offsets, opens sort first.
  const edges: { at: number; type: -1 | 1 }[] = [];
  for (const s of intervals) edges.push({ at: s.lowMs, type: -1 }, { at: s.highMs, type: 1 });
  edges.sort((x, y) => x.at - y.at || x.type - y.type);
  let best = 0;
  let count = 0;
  let lowMs = 0;
  let highMs = 0;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i]!;
    count -= e.type;
    if (count > best) {
      best = count;
      lowMs = e.at;
      highMs = edges[i + 1]!.at; // an open always has a later close
    }
  }
  const truechimers: NodeId[] = [];
  const falsetickers: NodeId[] = [];
  for (const s of intervals) (s.lowMs <= lowMs && s.highMs >= highMs ? truechimers : falsetickers).push(s.id);
  return { lowMs, highMs, count: best, truechimers, falsetickers };
}

/**
 * NTP's selection (intersection) algorithm (RFC 5905 §11.2.1, Marzullo's algorithm as modified
 * for NTP): finds the smallest interval [l, u] containing points of at least m − f correctness
 * intervals and no more than f of the midpoints outside it, trying f = 0, 1, ... while 2f < m.
 * Sources whose interval meets [l, u] are truechimers, the rest falsetickers. Returns `undefined`
 * when no majority of sources agree (no clock can be trusted).
 *
 * @example
 * ```ts
 * import { selectTruechimers } from 'distkit/clocks';
 * selectTruechimers([
 *   { id: 'a', lowMs: 8, highMs: 12 },
 *   { id: 'b', lowMs: 9, highMs: 13 },
 *   { id: 'c', lowMs: 40, highMs: 44 },
 * ]); //=> { lowMs: 9, highMs: 12, count: 2, truechimers: ['a', 'b'], falsetickers: ['c'] }
 * ```
 */
export function selectTruechimers(intervals: readonly SourceInterval[]): MarzulloResult | undefined {
  checkIntervals(intervals, 'selectTruechimers');
  const m = intervals.length;
  if (m === 0) return undefined;
  // type -1 lowpoint, 0 midpoint, +1 highpoint (RFC 5905 A.5.5.1)
  const edges: { at: number; type: -1 | 0 | 1 }[] = [];
  for (const s of intervals) {
    edges.push({ at: s.lowMs, type: -1 }, { at: (s.lowMs + s.highMs) / 2, type: 0 }, { at: s.highMs, type: 1 });
  }
  edges.sort((x, y) => x.at - y.at || x.type - y.type);
  for (let allow = 0; 2 * allow < m; allow++) {
    let found = 0;
    let chime = 0;
    let low = Infinity;
    let high = -Infinity;
    for (let i = 0; i < edges.length; i++) {
      const e = edges[i]!;
      chime -= e.type;
      if (chime >= m - allow) {
        low = e.at;
        break;
      }
      if (e.type === 0) found++;
    }
    chime = 0;
    for (let i = edges.length - 1; i >= 0; i--) {
      const e = edges[i]!;
      chime += e.type;
      if (chime >= m - allow) {
        high = e.at;
        break;
      }
      if (e.type === 0) found++;
    }
    // More midpoints outside than allowed falsetickers: some truechimer lies outside; allow more.
    if (found > allow) continue;
    if (low <= high) {
      const truechimers: NodeId[] = [];
      const falsetickers: NodeId[] = [];
      for (const s of intervals) (s.highMs >= low && s.lowMs <= high ? truechimers : falsetickers).push(s.id);
      return { lowMs: low, highMs: high, count: truechimers.length, truechimers, falsetickers };
    }
  }
  return undefined;
}
