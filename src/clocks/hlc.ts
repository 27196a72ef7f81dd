import { ClockError, describeValue, isPlainObject } from '../core/index.js';
import { counterProblem, fail, ok, type ParseResult } from './parse.js';

/**
 * A hybrid logical clock timestamp (Kulkarni, Demirbas, Madappa, Avva, Leone 2014, "Logical
 * Physical Clocks", §3): `physicalMs` is l, the largest physical time (ms) heard of, and `logical`
 * is c, which orders events sharing that l. Kept as a pair of safe integers, so it stays exact where
 * a packed 64-bit number (l·2^16 + c) would pass 2^53; {@link encodeHlc} gives a compact string that
 * sorts lexicographically in timestamp order.
 *
 * @example
 * ```ts
 * import { hlcReceive, hlcSend, type HlcTimestamp } from 'distkit/clocks';
 * // Two events in the same millisecond: the logical part orders them.
 * let t: HlcTimestamp = { physicalMs: 0, logical: 0 };
 * t = hlcSend(t, 1_700_000_000_000);
 * t = hlcSend(t, 1_700_000_000_000);
 * t; //=> { physicalMs: 1700000000000, logical: 1 }
 * // A message from a node whose clock is 5 ms ahead moves this clock past it.
 * const r = hlcReceive(t, { physicalMs: 1_700_000_000_005, logical: 3 }, 1_700_000_000_001, { maxOffsetMs: 500 });
 * r.ok ? r.clock : r.reason; //=> { physicalMs: 1700000000005, logical: 4 }
 * ```
 */
export interface HlcTimestamp {
  /** l: the maximum physical time (ms since the epoch) this clock has heard of. */
  readonly physicalMs: number;
  /** c: a counter ordering events that share the same l (reset when l advances). */
  readonly logical: number;
}

/**
 * The largest `physicalMs` an HLC timestamp may carry: 2^48 − 1 ms (about the year 10889).
 *
 * @example
 * ```ts
 * import { MAX_HLC_PHYSICAL_MS, parseHlcTimestamp } from 'distkit/clocks';
 * parseHlcTimestamp({ physicalMs: MAX_HLC_PHYSICAL_MS + 1, logical: 0 }).ok; //=> false
 * ```
 */
export const MAX_HLC_PHYSICAL_MS = 2 ** 48 - 1;
/**
 * The largest `logical` an HLC timestamp may carry: 2^32 − 1.
 *
 * @example
 * ```ts
 * import { MAX_HLC_LOGICAL, hlcSend } from 'distkit/clocks';
 * hlcSend({ physicalMs: 5, logical: MAX_HLC_LOGICAL }, 5); //=> { physicalMs: 6, logical: 0 }
 * ```
 */
export const MAX_HLC_LOGICAL = 2 ** 32 - 1;

/**
 * Options of {@link hlcReceive}.
 *
 * @example
 * ```ts
 * import { hlcReceive, type HlcOptions } from 'distkit/clocks';
 * const opts: HlcOptions = { maxOffsetMs: 500 };
 * // A remote timestamp further ahead than maxOffsetMs is refused, so one bad clock cannot drag everyone forward.
 * hlcReceive({ physicalMs: 1000, logical: 0 }, { physicalMs: 1900, logical: 0 }, 1000, opts); //=> { ok: false, reason: 'remote physicalMs is 900 ms ahead of the local clock (max offset 500 ms)' }
 * ```
 */
export interface HlcOptions {
  /**
   * ε: the largest amount a remote l may run ahead of the local physical clock. A message from
   * further in the future is refused (a faulty or hostile clock would otherwise drag l ahead of
   * physical time for good, §3.3 / the max-offset check of CockroachDB).
   */
  readonly maxOffsetMs: number;
}

/**
 * What {@link hlcReceive} returns: the advanced clock, or why the remote timestamp was refused
 * (the local clock is then unchanged).
 *
 * @example
 * ```ts
 * import { hlcReceive, type HlcReceive } from 'distkit/clocks';
 * // A peer's timestamp is untrusted data: anything but { physicalMs, logical } is refused by name.
 * const r: HlcReceive = hlcReceive({ physicalMs: 1000, logical: 0 }, { physicalMs: 'soon' }, 1000, { maxOffsetMs: 500 });
 * r.ok; //=> false
 * ```
 */
export type HlcReceive = { readonly ok: true; readonly clock: HlcTimestamp } | { readonly ok: false; readonly reason: string };

/**
 * The zero timestamp: a clock that has seen no event.
 *
 * @example
 * ```ts
 * import { HLC_ZERO, hlcSend } from 'distkit/clocks';
 * hlcSend(HLC_ZERO, 1000); //=> { physicalMs: 1000, logical: 0 }
 * ```
 */
export const HLC_ZERO: HlcTimestamp = Object.freeze({ physicalMs: 0, logical: 0 });

function physical(pt: number, what: string): number {
  if (!Number.isSafeInteger(pt) || pt < 0 || pt > MAX_HLC_PHYSICAL_MS) {
    throw new ClockError(`${what}: physicalMs must be an integer in [0, 2^48 - 1] (floor the host clock), got ${describeValue(pt)}`);
  }
  return pt;
}

/**
 * A send or local event at physical time `physicalMs` (Kulkarni et al. 2014, Fig. 5, "Send or
 * local event": l′ := l; l := max(l′, pt); if l = l′ then c := c + 1 else c := 0). The result is
 * the event's timestamp and the new clock; attach it to an outgoing message.
 *
 * Should c reach {@link MAX_HLC_LOGICAL} (some 4 billion events within one millisecond), l moves
 * one millisecond ahead instead, which keeps timestamps strictly increasing.
 *
 * @example
 * ```ts
 * import { hlcSend, HLC_ZERO } from 'distkit/clocks';
 * const t1 = hlcSend(HLC_ZERO, 1000); //=> { physicalMs: 1000, logical: 0 }
 * const t2 = hlcSend(t1, 1000);       //=> { physicalMs: 1000, logical: 1 }
 * const t3 = hlcSend(t2, 999);        //=> { physicalMs: 1000, logical: 2 } (physical clock stepped back)
 * ```
 */
export function hlcSend(clock: HlcTimestamp, physicalMs: number): HlcTimestamp {
  const pt = physical(physicalMs, 'hlcSend');
  const l0 = clock.physicalMs;
  if (pt > l0) return { physicalMs: pt, logical: 0 };
  return bump(l0, clock.logical + 1);
}

function bump(l: number, c: number): HlcTimestamp {
  if (c <= MAX_HLC_LOGICAL) return { physicalMs: l, logical: c };
  if (l >= MAX_HLC_PHYSICAL_MS) throw new ClockError('hybrid logical clock exhausted (physicalMs and logical at their maximum)');
  return { physicalMs: l + 1, logical: 0 };
}

/**
 * A receive event at physical time `physicalMs` of a message stamped `remote` (Kulkarni et al.
 * 2014, Fig. 5, "Receive event of message m": l′ := l; l := max(l′, l_m, pt); c := max(c, c_m) + 1
 * if l = l′ = l_m, c + 1 if l = l′, c_m + 1 if l = l_m, else 0).
 *
 * `remote` is untrusted: it is validated ({@link parseHlcTimestamp}) and refused, with a reason and
 * the clock unchanged, if malformed or if its l is more than `maxOffsetMs` ahead of `physicalMs`.
 *
 * @example
 * ```ts
 * import { hlcReceive } from 'distkit/clocks';
 * const local = { physicalMs: 1000, logical: 3 };
 * hlcReceive(local, { physicalMs: 1010, logical: 5 }, 1002, { maxOffsetMs: 100 });
 * //=> { ok: true, clock: { physicalMs: 1010, logical: 6 } }
 * hlcReceive(local, { physicalMs: 9000, logical: 0 }, 1002, { maxOffsetMs: 100 }).ok; //=> false
 * ```
 */
export function hlcReceive(clock: HlcTimestamp, remote: unknown, physicalMs: number, options: HlcOptions): HlcReceive {
  const pt = physical(physicalMs, 'hlcReceive');
  const { maxOffsetMs } = options;
  if (!(typeof maxOffsetMs === 'number' && maxOffsetMs >= 0 && !Number.isNaN(maxOffsetMs))) {
    throw new ClockError(`hlcReceive: maxOffsetMs must be a number >= 0, got ${describeValue(maxOffsetMs)}`);
  }
  const m = parseHlcTimestamp(remote);
  if (!m.ok) return { ok: false, reason: m.reason };
  const lm = m.value.physicalMs;
  const cm = m.value.logical;
  if (lm - pt > maxOffsetMs) {
    return { ok: false, reason: `remote physicalMs is ${lm - pt} ms ahead of the local clock (max offset ${maxOffsetMs} ms)` };
  }
  const l0 = clock.physicalMs;
  const c0 = clock.logical;
  const l = Math.max(l0, lm, pt);
  let c: number;
  if (l === l0 && l === lm) c = Math.max(c0, cm) + 1;
  else if (l === l0) c = c0 + 1;
  else if (l === lm) c = cm + 1;
  else c = 0;
  return { ok: true, clock: bump(l, c) };
}

/**
 * Orders HLC timestamps: by l, then by c. If e happened before f then hlc(e) < hlc(f) (Kulkarni et
 * al. 2014, Theorem 1). Returns -1, 0 or 1.
 *
 * @example
 * ```ts
 * import { compareHlc } from 'distkit/clocks';
 * compareHlc({ physicalMs: 5, logical: 9 }, { physicalMs: 6, logical: 0 }); //=> -1
 * ```
 */
export function compareHlc(a: HlcTimestamp, b: HlcTimestamp): -1 | 0 | 1 {
  if (a.physicalMs !== b.physicalMs) return a.physicalMs < b.physicalMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return 0;
}

/**
 * Validates an HLC timestamp received from a peer: a plain object whose `physicalMs` is an integer
 * in [0, 2^48 − 1] and whose `logical` is an integer in [0, 2^32 − 1]. Refuses anything else.
 *
 * @example
 * ```ts
 * import { parseHlcTimestamp } from 'distkit/clocks';
 * parseHlcTimestamp({ physicalMs: 10, logical: 0 }).ok;   //=> true
 * parseHlcTimestamp({ physicalMs: 10, logical: 0.5 }).ok; //=> false
 * ```
 */
export function parseHlcTimestamp(value: unknown): ParseResult<HlcTimestamp> {
  if (!isPlainObject(value)) return fail(`HLC timestamp: expected an object, got ${describeValue(value)}`);
  const l = value['physicalMs'];
  const c = value['logical'];
  const lp = counterProblem(l, 'physicalMs');
  if (lp !== undefined) return fail(lp);
  if ((l as number) > MAX_HLC_PHYSICAL_MS) return fail(`physicalMs: expected at most 2^48 - 1, got ${describeValue(l)}`);
  const cp = counterProblem(c, 'logical');
  if (cp !== undefined) return fail(cp);
  if ((c as number) > MAX_HLC_LOGICAL) return fail(`logical: expected at most 2^32 - 1, got ${describeValue(c)}`);
  return ok({ physicalMs: l as number, logical: c as number });
}

const PHYSICAL_DIGITS = 12; // 48 bits in hex
const LOGICAL_DIGITS = 8; // 32 bits in hex

/**
 * The compact string form of a timestamp: 20 lowercase hex digits, l (12 digits, 48 bits) then c
 * (8 digits, 32 bits). Fixed width, so string order is timestamp order, and exact for every value
 * (the 80-bit quantity it spells is far past 2^53). Round-trips through {@link decodeHlc}.
 *
 * @example
 * ```ts
 * import { encodeHlc } from 'distkit/clocks';
 * encodeHlc({ physicalMs: 1_700_000_000_000, logical: 3 }); //=> '018bcfe5680000000003'
 * ```
 */
export function encodeHlc(ts: HlcTimestamp): string {
  return ts.physicalMs.toString(16).padStart(PHYSICAL_DIGITS, '0') + ts.logical.toString(16).padStart(LOGICAL_DIGITS, '0');
}

/**
 * Parses the string form of {@link encodeHlc} (untrusted input: refuses anything but 20 hex digits).
 *
 * @example
 * ```ts
 * import { decodeHlc } from 'distkit/clocks';
 * decodeHlc('018bcfe5680000000003'); //=> { ok: true, value: { physicalMs: 1700000000000, logical: 3 } }
 * decodeHlc('not-a-timestamp').ok;   //=> false
 * ```
 */
export function decodeHlc(text: unknown): ParseResult<HlcTimestamp> {
  if (typeof text !== 'string' || !/^[0-9a-f]{20}$/.test(text)) {
    return fail(`HLC string: expected 20 lowercase hex digits, got ${describeValue(text)}`);
  }
  return ok({
    physicalMs: parseInt(text.slice(0, PHYSICAL_DIGITS), 16),
    logical: parseInt(text.slice(PHYSICAL_DIGITS), 16),
  });
}
