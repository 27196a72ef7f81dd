import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockError } from 'distkit/core';
import {
  clockFilterAdd,
  cristian,
  marzullo,
  NTP_CLOCK_FILTER_EMPTY,
  NTP_FILTER_STAGES,
  NTP_PHI,
  NTP_UNIX_EPOCH_OFFSET_S,
  ntpErrorBoundMs,
  ntpTimestampToUnixMs,
  parseNtpTimestamp,
  unixMsToNtpTimestamp,
  ntpInterval,
  ntpSample,
  selectTruechimers,
  type ClockFilter,
  type NtpSample,
  type SourceInterval,
} from 'distkit/clocks';

const sample = (offsetMs: number, delayMs: number, timeMs: number, dispersionMs = 0): NtpSample => ({ offsetMs, delayMs, dispersionMs, timeMs });

describe('NTP on-wire calculations (RFC 5905 §8)', () => {
  it('symmetric paths: θ is the true offset and δ the round trip minus server time', () => {
    // server 50 ms ahead; 10 ms each way; server holds the request 1 ms
    expect(ntpSample({ t1: 0, t2: 60, t3: 61, t4: 21 })).toEqual({ offsetMs: 50, delayMs: 20, dispersionMs: 21 * NTP_PHI, timeMs: 21 });
  });

  it('a server behind the client gives a negative offset', () => {
    // server 100 ms behind; 5 ms each way
    const s = ntpSample({ t1: 1000, t2: 905, t3: 906, t4: 1011 });
    expect(s.offsetMs).toBe(-100);
    expect(s.delayMs).toBe(10);
  });

  it('asymmetric paths: the error is half the asymmetry, within the bound δ/2', () => {
    // true offset 0; 2 ms out, 18 ms back
    const s = ntpSample({ t1: 0, t2: 2, t3: 2, t4: 20 });
    expect(s.offsetMs).toBe(-8);
    expect(s.delayMs).toBe(20);
    expect(Math.abs(s.offsetMs - 0)).toBeLessThanOrEqual(ntpErrorBoundMs(s));
  });

  it('real NTP-era timestamps (ms since 1900) keep sub-millisecond results', () => {
    const base = 3_909_000_000_000; // 2023 in ms since 1900
    const s = ntpSample({ t1: base, t2: base + 12.25, t3: base + 12.5, t4: base + 1.75 });
    expect(s.offsetMs).toBeCloseTo(11.5, 6);
    expect(s.delayMs).toBeCloseTo(1.5, 6);
  });

  it('dispersion is ρ_r + ρ + Φ·(T4 − T1); δ never below the precision', () => {
    const s = ntpSample({ t1: 0, t2: 5, t3: 5, t4: 0.5 }, { precisionMs: 1, serverPrecisionMs: 2 });
    expect(s.delayMs).toBe(1);
    expect(s.dispersionMs).toBeCloseTo(3 + 0.5 * NTP_PHI, 12);
  });

  it('the true offset always lies within θ ± λ, whatever the path split', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        (offset, out, back, hold) => {
          const t1 = 10_000;
          const t2 = t1 + out + offset;
          const t3 = t2 + hold;
          const t4 = t3 - offset + back;
          const s = ntpSample({ t1, t2, t3, t4 });
          expect(Math.abs(s.offsetMs - offset)).toBeLessThanOrEqual(ntpErrorBoundMs(s) + 1e-6);
          expect(s.delayMs).toBeCloseTo(out + back, 6);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses non-finite timestamps', () => {
    expect(() => ntpSample({ t1: NaN, t2: 0, t3: 0, t4: 0 })).toThrow(ClockError);
  });
});

describe('NTP timestamp format and eras (RFC 5905 §6)', () => {
  // 0 h UTC of a proleptic Gregorian date, in Unix ms (years below 100 included).
  const utc = (y: number, month: number, day: number): number => {
    const d = new Date(0);
    d.setUTCFullYear(y, month - 1, day);
    return d.getTime();
  };

  // RFC 5905 Figure 4, "Interesting Historic NTP Dates": date, NTP era, era offset (seconds).
  // Left out: 1 Jan -4712 (a Julian-calendar date) and 1 Jan 1, whose printed offset 202,939,144
  // contradicts its neighbour (1 Jan 0 + 366 days = 202,934,144).
  const figure4: [string, number, number, number, number][] = [
    ['1 Jan -1', utc(-1, 1, 1), -14, 139_775_744, 0],
    ['1 Jan 0', utc(0, 1, 1), -14, 171_311_744, 0],
    ['4 Oct 1582', utc(1582, 10, 4), -3, 2_873_647_488, 0],
    ['15 Oct 1582', utc(1582, 10, 15), -3, 2_874_597_888, 0],
    ['31 Dec 1899', utc(1899, 12, 31), -1, 4_294_880_896, 0],
    ['1 Jan 1900', utc(1900, 1, 1), 0, 0, 0],
    ['1 Jan 1970', utc(1970, 1, 1), 0, 2_208_988_800, 0],
    ['1 Jan 1972', utc(1972, 1, 1), 0, 2_272_060_800, 0],
    ['31 Dec 1999', utc(1999, 12, 31), 0, 3_155_587_200, 0],
    ['8 Feb 2036', utc(2036, 2, 8), 1, 63_104, 0],
  ];

  it.each(figure4)('Figure 4: %s', (_name, ms, era, seconds, fraction) => {
    expect(unixMsToNtpTimestamp(ms)).toEqual({ era, seconds, fraction });
    expect(ntpTimestampToUnixMs({ seconds, fraction }, { era })).toBe(ms);
    // and a pivot within 68 years finds the same era
    expect(ntpTimestampToUnixMs({ seconds, fraction }, { pivotUnixMs: ms + 60 * 365 * 86_400_000 })).toBe(ms);
    expect(ntpTimestampToUnixMs({ seconds, fraction }, { pivotUnixMs: ms - 60 * 365 * 86_400_000 })).toBe(ms);
  });

  it('the Unix epoch offset is the 1970 row', () => {
    expect(NTP_UNIX_EPOCH_OFFSET_S).toBe(2_208_988_800);
  });

  it('without an era, the SNTP rule (RFC 4330 §3): top bit set = 1968–2036, clear = 2036–2104', () => {
    expect(ntpTimestampToUnixMs({ seconds: 2 ** 31, fraction: 0 })).toBe(Date.UTC(1968, 0, 20, 3, 14, 8));
    expect(ntpTimestampToUnixMs({ seconds: 3_155_587_200, fraction: 0 })).toBe(Date.UTC(1999, 11, 31));
    expect(ntpTimestampToUnixMs({ seconds: 0, fraction: 0 })).toBe(Date.UTC(2036, 1, 7, 6, 28, 16)); // era 1 begins
    expect(ntpTimestampToUnixMs({ seconds: 2 ** 32 - 1, fraction: 0 })).toBe(Date.UTC(2036, 1, 7, 6, 28, 15));
    expect(ntpTimestampToUnixMs({ seconds: 2 ** 31 - 1, fraction: 0 })).toBe(Date.UTC(2104, 1, 26, 9, 42, 23));
  });

  it('the fraction counts 2^-32 s', () => {
    expect(ntpTimestampToUnixMs({ seconds: NTP_UNIX_EPOCH_OFFSET_S, fraction: 2 ** 31 })).toBe(500);
    expect(ntpTimestampToUnixMs({ seconds: NTP_UNIX_EPOCH_OFFSET_S, fraction: 2 ** 30 })).toBe(250);
    expect(ntpTimestampToUnixMs({ seconds: NTP_UNIX_EPOCH_OFFSET_S, fraction: 2 ** 32 - 1 })).toBeCloseTo(1000, 6);
    expect(unixMsToNtpTimestamp(1000 - 1e-9)).toEqual({ era: 0, seconds: NTP_UNIX_EPOCH_OFFSET_S + 1, fraction: 0 }); // rounds up
  });

  it('round-trips any time from 1900 to 2150 to well under a microsecond', () => {
    fc.assert(
      fc.property(fc.double({ min: utc(1900, 1, 1), max: utc(2150, 1, 1), noNaN: true }), (ms) => {
        const t = unixMsToNtpTimestamp(ms);
        expect(parseNtpTimestamp({ seconds: t.seconds, fraction: t.fraction }).ok).toBe(true);
        expect(Math.abs(ntpTimestampToUnixMs(t, { era: t.era }) - ms)).toBeLessThan(1e-3);
        expect(Math.abs(ntpTimestampToUnixMs(t, { pivotUnixMs: ms + 1e12 }) - ms)).toBeLessThan(1e-3);
      }),
      { numRuns: 500 },
    );
  });

  it('an exchange across the 2036 era rollover measures the true offset', () => {
    const rollover = utc(2036, 2, 7) + (6 * 3600 + 28 * 60 + 16) * 1000;
    // the server 3 ms ahead of the client, 10 ms each way, 1 ms of server time; the request leaves
    // in era 0 and everything after it happens in era 1
    const wire = [rollover - 12, rollover + 1, rollover + 2, rollover + 9].map((ms) => unixMsToNtpTimestamp(ms));
    expect(wire.map((w) => w.era)).toEqual([0, 1, 1, 1]);
    expect(wire[0]!.seconds).toBe(2 ** 32 - 1);
    for (const options of [{ pivotUnixMs: rollover }, {}]) {
      const [t1, t2, t3, t4] = wire.map((w) => ntpTimestampToUnixMs(w, options));
      const s = ntpSample({ t1: t1!, t2: t2!, t3: t3!, t4: t4! });
      expect(s.offsetMs).toBeCloseTo(3, 6);
      expect(s.delayMs).toBeCloseTo(20, 6);
    }
  });

  it('hostile wire timestamps are rejected with a reason, never converted', () => {
    const bad: unknown[] = [
      null,
      7,
      'x',
      [],
      {},
      { seconds: -1, fraction: 0 },
      { seconds: 2 ** 32, fraction: 0 },
      { seconds: 1.5, fraction: 0 },
      { seconds: Number.NaN, fraction: 0 },
      { seconds: Infinity, fraction: 0 },
      { seconds: '5', fraction: 0 },
      { seconds: 5 },
      { seconds: 5, fraction: -1 },
      { seconds: 5, fraction: 2 ** 32 },
    ];
    for (const v of bad) {
      const r = parseNtpTimestamp(v);
      expect(r.ok, JSON.stringify(v)).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/^(NTP timestamp|seconds|fraction): expected/);
      expect(() => ntpTimestampToUnixMs(v as never)).toThrow(ClockError);
    }
    expect(() => ntpTimestampToUnixMs({ seconds: 0, fraction: 0 }, { era: 0.5 })).toThrow(ClockError);
    expect(() => ntpTimestampToUnixMs({ seconds: 0, fraction: 0 }, { pivotUnixMs: Number.NaN })).toThrow(ClockError);
    expect(() => unixMsToNtpTimestamp(Number.NaN)).toThrow(ClockError);
  });
});

describe("Cristian's algorithm (Cristian 1989)", () => {
  it('estimates T + RTT/2 with error RTT/2 − min', () => {
    expect(cristian({ requestSentMs: 100, serverTimeMs: 5000, responseReceivedMs: 120 })).toEqual({
      timeMs: 5010,
      offsetMs: 4890,
      errorMs: 10,
      roundTripMs: 20,
    });
    expect(cristian({ requestSentMs: 0, serverTimeMs: 0, responseReceivedMs: 20, minOneWayMs: 4 }).errorMs).toBe(6);
    expect(() => cristian({ requestSentMs: 10, serverTimeMs: 0, responseReceivedMs: 5 })).toThrow(ClockError);
  });
});

describe('clock filter (RFC 5905 §10)', () => {
  const feed = (samples: NtpSample[]) => {
    let f: ClockFilter = NTP_CLOCK_FILTER_EMPTY;
    let r = undefined as ReturnType<typeof clockFilterAdd> | undefined;
    for (const s of samples) {
      r = clockFilterAdd(f, s);
      f = r.filter;
    }
    return r!;
  };

  it('picks the minimum-delay sample of the last eight', () => {
    const r = feed([sample(5, 30, 0), sample(2, 10, 64), sample(7, 40, 128)]);
    expect(r.best.offsetMs).toBe(2);
    expect(r.filter.samples).toHaveLength(3);
  });

  it('keeps eight stages: a ninth sample pushes the oldest out', () => {
    const samples = [sample(99, 1, 0), ...Array.from({ length: NTP_FILTER_STAGES }, (_, i) => sample(i, 20 + i, 64 * (i + 1)))];
    const r = feed(samples);
    expect(r.filter.samples).toHaveLength(NTP_FILTER_STAGES);
    expect(r.best.offsetMs).toBe(0); // the 1 ms-delay sample fell out of the register
  });

  it('does not hand out the same best sample twice (fresh only when newer than the last used)', () => {
    let f: ClockFilter = NTP_CLOCK_FILTER_EMPTY;
    const r1 = clockFilterAdd(f, sample(1, 5, 0));
    expect(r1.fresh).toBe(true);
    f = r1.filter;
    const r2 = clockFilterAdd(f, sample(3, 50, 64)); // best is still the older sample
    expect(r2.best.offsetMs).toBe(1);
    expect(r2.fresh).toBe(false);
    const r3 = clockFilterAdd(r2.filter, sample(2, 4, 128));
    expect(r3.fresh).toBe(true);
    expect(r3.best.offsetMs).toBe(2);
  });

  it('dispersion is Σ ε_i / 2^(i+1) with aged ε_i; jitter is the RMS offset spread', () => {
    const r = feed([sample(4, 20, 0, 1), sample(1, 10, 1000, 2)]);
    // sorted by delay: (1, ε=2), (4, ε = 1 + Φ·1000)
    expect(r.dispersionMs).toBeCloseTo(2 / 2 + (1 + NTP_PHI * 1000) / 4, 12);
    expect(r.jitterMs).toBeCloseTo(3, 12);
    expect(feed([sample(4, 20, 0)]).jitterMs).toBe(0);
  });

  it('never mutates the filter', () => {
    const f = Object.freeze({ samples: Object.freeze([sample(1, 1, 0)]), lastUsedTimeMs: null });
    expect(() => clockFilterAdd(f, sample(2, 2, 1))).not.toThrow();
    expect(f.samples).toHaveLength(1);
  });
});

describe("Marzullo's algorithm (Marzullo 1984)", () => {
  const iv = (id: string, lowMs: number, highMs: number): SourceInterval => ({ id, lowMs, highMs });

  it('known examples', () => {
    expect(marzullo([iv('a', 8, 12), iv('b', 11, 13), iv('c', 10, 12)])).toEqual({
      lowMs: 11,
      highMs: 12,
      count: 3,
      truechimers: ['a', 'b', 'c'],
      falsetickers: [],
    });
    expect(marzullo([iv('a', 8, 12), iv('b', 11, 13), iv('c', 14, 15)])).toEqual({
      lowMs: 11,
      highMs: 12,
      count: 2,
      truechimers: ['a', 'b'],
      falsetickers: ['c'],
    });
    expect(marzullo([])).toBeUndefined();
    expect(marzullo([iv('a', 1, 2), iv('b', 2, 3)])?.count).toBe(2); // touching ends overlap
    expect(() => marzullo([iv('a', 3, 2)])).toThrow(ClockError);
  });

  it('the interval it returns lies in the most source intervals', () => {
    const arb = fc
      .array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 30 })), { minLength: 1, maxLength: 12 })
      .map((ts) => ts.map(([lo, w], i) => iv(`s${i}`, lo, lo + w)));
    fc.assert(
      fc.property(arb, (ivs) => {
        const r = marzullo(ivs)!;
        const depth = (x: number) => ivs.filter((s) => s.lowMs <= x && x <= s.highMs).length;
        // every point of the result is in `count` intervals, and no point anywhere is in more
        expect(depth((r.lowMs + r.highMs) / 2)).toBe(r.count);
        for (const s of ivs) for (const x of [s.lowMs, s.highMs]) expect(depth(x)).toBeLessThanOrEqual(r.count);
        expect(r.truechimers.length).toBe(r.count);
      }),
      { numRuns: 500 },
    );
  });

  it('NTP selection (RFC 5905 §11.2.1): a majority of correct servers outvotes falsetickers', () => {
    expect(selectTruechimers([iv('a', 8, 12), iv('b', 9, 13), iv('c', 40, 44)])).toEqual({
      lowMs: 9,
      highMs: 12,
      count: 2,
      truechimers: ['a', 'b'],
      falsetickers: ['c'],
    });
    // no majority: two servers that disagree
    expect(selectTruechimers([iv('a', 0, 1), iv('b', 10, 11)])).toBeUndefined();
    expect(selectTruechimers([])).toBeUndefined();
  });

  it('picks every correct server when fewer than half are wrong', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.array(fc.double({ min: 0.5, max: 20, noNaN: true }), { minLength: 1, maxLength: 7 }),
        fc.array(fc.double({ min: 100, max: 500, noNaN: true }), { maxLength: 6 }),
        (truth, widths, falseShifts) => {
          const bad = falseShifts.slice(0, Math.max(0, Math.ceil(widths.length / 2) - 1)).slice(0, widths.length - 1);
          const ivs = [
            ...widths.map((w, i) => iv(`t${i}`, truth - w, truth + w)),
            ...bad.map((d, i) => iv(`f${i}`, truth + 100 * (i + 1) + d, truth + 100 * (i + 1) + d + 1)),
          ];
          if (2 * bad.length >= ivs.length) return;
          const r = selectTruechimers(ivs)!;
          expect(r).toBeDefined();
          expect(r.lowMs).toBeLessThanOrEqual(truth);
          expect(r.highMs).toBeGreaterThanOrEqual(truth);
          expect(r.truechimers.slice().sort()).toEqual(widths.map((_, i) => `t${i}`).sort());
        },
      ),
      { numRuns: 300 },
    );
  });

  it('intervals from samples: θ ± λ', () => {
    expect(ntpInterval('s', sample(10, 4, 0))).toEqual({ id: 's', lowMs: 8, highMs: 12 });
  });
});
