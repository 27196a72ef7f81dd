import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockError } from 'distkit/core';
import { parsePtpTimestamp, ptpDiffNs, ptpOffset, type PtpTimestamp } from 'distkit/clocks';

const at = (seconds: number, nanoseconds: number): PtpTimestamp => ({ seconds, nanoseconds });
/** A timestamp `ns` nanoseconds after `base`. */
const plus = (base: PtpTimestamp, ns: number): PtpTimestamp => {
  const total = base.nanoseconds + ns;
  const s = Math.floor(total / 1e9);
  return at(base.seconds + s, total - s * 1e9);
};

describe('PTP delay request-response (IEEE 1588-2008 §11.3)', () => {
  it('offset from master and mean path delay from t1..t4', () => {
    // slave 1000 ns ahead of the master; 500 ns each way
    expect(ptpOffset({ t1: at(100, 0), t2: at(100, 1_500), t3: at(100, 50_000), t4: at(100, 49_500) })).toEqual({
      offsetFromMasterNs: 1000,
      meanPathDelayNs: 500,
    });
  });

  it('subtracts the correction fields (residence time of transparent clocks)', () => {
    // as above, but a transparent clock held Sync 200 ns and Delay_Req 300 ns
    const r = ptpOffset({
      t1: at(100, 0),
      t2: at(100, 1_700),
      t3: at(100, 50_000),
      t4: at(100, 49_800),
      syncCorrectionNs: 200,
      delayRespCorrectionNs: 300,
    });
    expect(r).toEqual({ offsetFromMasterNs: 1000, meanPathDelayNs: 500 });
  });

  it('is exact at today’s epoch across second boundaries (ns since epoch are far past 2^53)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_600_000_000, max: 2_000_000_000 }),
        fc.integer({ min: 0, max: 999_999_999 }),
        fc.integer({ min: -5_000_000, max: 5_000_000 }),
        fc.integer({ min: 0, max: 2_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        (s, ns, offset, delay, gap) => {
          const t1 = at(s, ns);
          const t2 = plus(t1, delay + offset); // slave clock = master + offset
          const t3 = plus(t2, gap);
          const t4 = plus(t3, delay - offset);
          expect(ptpOffset({ t1, t2, t3, t4 })).toEqual({ offsetFromMasterNs: offset, meanPathDelayNs: delay });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('ptpDiffNs borrows across seconds', () => {
    expect(ptpDiffNs(at(2, 0), at(1, 999_999_000))).toBe(1000);
    expect(ptpDiffNs(at(1, 999_999_000), at(2, 0))).toBe(-1000);
  });

  it('hostile timestamps are refused', () => {
    expect(parsePtpTimestamp({ seconds: 5, nanoseconds: 12 })).toEqual({ ok: true, value: at(5, 12) });
    for (const bad of [null, [], at(-1, 0), at(1, 1e9), at(1, -1), at(1.5, 0), at(2 ** 48, 0), { seconds: '1', nanoseconds: 0 }, { seconds: 1 }]) {
      expect(parsePtpTimestamp(bad).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(() => ptpOffset({ t1: at(1, 1e9), t2: at(1, 0), t3: at(1, 0), t4: at(1, 0) })).toThrow(ClockError);
  });
});
