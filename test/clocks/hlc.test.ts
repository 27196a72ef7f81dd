import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockError } from 'distkit/core';
import {
  compareHlc,
  decodeHlc,
  encodeHlc,
  HLC_ZERO,
  hlcReceive,
  hlcSend,
  MAX_HLC_LOGICAL,
  MAX_HLC_PHYSICAL_MS,
  parseHlcTimestamp,
  type HlcTimestamp,
} from 'distkit/clocks';
import { executionArb, happenedBefore } from './execution.js';

const ts = (physicalMs: number, logical: number): HlcTimestamp => ({ physicalMs, logical });

describe('hybrid logical clocks (Kulkarni et al. 2014)', () => {
  describe('Fig. 5: send or local event', () => {
    it('takes the physical time when it is ahead, resetting c', () => {
      expect(hlcSend(ts(10, 4), 12)).toEqual(ts(12, 0));
    });
    it('increments c when the physical clock has not moved past l', () => {
      expect(hlcSend(ts(10, 4), 10)).toEqual(ts(10, 5));
      expect(hlcSend(ts(10, 4), 7)).toEqual(ts(10, 5));
    });
    it('moves l one millisecond on when c would pass its maximum', () => {
      expect(hlcSend(ts(10, MAX_HLC_LOGICAL), 10)).toEqual(ts(11, 0));
    });
  });

  describe('Fig. 5: receive event', () => {
    const opts = { maxOffsetMs: 1000 };
    it('l = l′ = l_m: c = max(c, c_m) + 1', () => {
      expect(hlcReceive(ts(10, 3), ts(10, 7), 5, opts)).toEqual({ ok: true, clock: ts(10, 8) });
      expect(hlcReceive(ts(10, 9), ts(10, 7), 5, opts)).toEqual({ ok: true, clock: ts(10, 10) });
    });
    it('l = l′ only: c + 1', () => {
      expect(hlcReceive(ts(10, 3), ts(8, 7), 5, opts)).toEqual({ ok: true, clock: ts(10, 4) });
    });
    it('l = l_m only: c_m + 1', () => {
      expect(hlcReceive(ts(10, 3), ts(12, 7), 11, opts)).toEqual({ ok: true, clock: ts(12, 8) });
    });
    it('physical time ahead of both: c = 0', () => {
      expect(hlcReceive(ts(10, 3), ts(12, 7), 20, opts)).toEqual({ ok: true, clock: ts(20, 0) });
    });
  });

  it('§3.3: a remote l further than maxOffsetMs ahead is refused with a reason, not thrown', () => {
    const r = hlcReceive(ts(1000, 0), ts(1600, 0), 1000, { maxOffsetMs: 500 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/600 ms ahead/);
    expect(hlcReceive(ts(1000, 0), ts(1500, 0), 1000, { maxOffsetMs: 500 }).ok).toBe(true);
  });

  it('hostile remote timestamps are refused, never merged', () => {
    for (const bad of [
      null,
      'x',
      ts(-1, 0),
      ts(NaN, 0),
      ts(1.5, 0),
      ts(2 ** 53, 0),
      ts(MAX_HLC_PHYSICAL_MS + 1, 0),
      ts(5, -1),
      ts(5, MAX_HLC_LOGICAL + 1),
      { physicalMs: '5', logical: 0 },
      { physicalMs: 5 },
      [5, 0],
    ]) {
      const r = hlcReceive(ts(10, 0), bad, 10, { maxOffsetMs: 100 });
      expect(r.ok, JSON.stringify(bad)).toBe(false);
      expect(parseHlcTimestamp(bad).ok).toBe(false);
    }
  });

  it('local misuse throws ClockError', () => {
    expect(() => hlcSend(HLC_ZERO, NaN)).toThrow(ClockError);
    expect(() => hlcSend(HLC_ZERO, 1.5)).toThrow(ClockError);
    expect(() => hlcReceive(HLC_ZERO, HLC_ZERO, 0, { maxOffsetMs: -1 })).toThrow(ClockError);
  });

  describe('encoding', () => {
    it('is fixed-width hex that round-trips, exact where a packed 64-bit number is not', () => {
      const t = ts(1_700_000_000_000, 3);
      expect(encodeHlc(t)).toBe('018bcfe5680000000003');
      expect(decodeHlc(encodeHlc(t))).toEqual({ ok: true, value: t });
      // l·2^16 + c is past 2^53 here: a packed number would lose c
      const big = ts(MAX_HLC_PHYSICAL_MS, MAX_HLC_LOGICAL);
      expect(big.physicalMs * 2 ** 16 + 1).toBe(big.physicalMs * 2 ** 16);
      expect(decodeHlc(encodeHlc(big))).toEqual({ ok: true, value: big });
      expect(decodeHlc('018BCFE5680000000003').ok).toBe(false);
      expect(decodeHlc(12).ok).toBe(false);
    });
    it('sorts lexicographically in timestamp order', () => {
      const arb = fc.record({ physicalMs: fc.integer({ min: 0, max: MAX_HLC_PHYSICAL_MS }), logical: fc.integer({ min: 0, max: MAX_HLC_LOGICAL }) });
      fc.assert(
        fc.property(arb, arb, (a, b) => {
          const sa = encodeHlc(a);
          const sb = encodeHlc(b);
          expect(Math.sign(sa < sb ? -1 : sa > sb ? 1 : 0)).toBe(compareHlc(a, b));
          expect(decodeHlc(sa)).toEqual({ ok: true, value: a });
        }),
        { numRuns: 1000 },
      );
    });
  });

  it('Theorem 1 and bounded drift: HLC respects causality and stays within ε of physical time', () => {
    fc.assert(
      fc.property(
        executionArb(5, 40),
        fc.integer({ min: 0, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 5, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 40, maxLength: 40 }),
        (x, eps, skews, gaps) => {
          // Physical clock of process p: true time + skew_p, skews within [0, ε] of each other.
          const skew = skews.map((s) => (eps === 0 ? 0 : s % (eps + 1)));
          let now = 1_000_000;
          const clocks: HlcTimestamp[] = Array.from({ length: x.processes }, () => HLC_ZERO);
          const at: HlcTimestamp[] = [];
          x.events.forEach((e, i) => {
            now += gaps[i % gaps.length]!;
            const pt = now + skew[e.proc]!;
            let next: HlcTimestamp;
            if (e.kind === 'receive') {
              const r = hlcReceive(clocks[e.proc]!, at[e.send]!, pt, { maxOffsetMs: eps });
              expect(r.ok).toBe(true); // within ε: never refused
              next = r.ok ? r.clock : clocks[e.proc]!;
            } else next = hlcSend(clocks[e.proc]!, pt);
            expect(next.physicalMs).toBeGreaterThanOrEqual(pt);
            expect(next.physicalMs - pt).toBeLessThanOrEqual(eps);
            clocks[e.proc] = next;
            at.push(next);
          });
          for (let f = 0; f < at.length; f++) for (const e of x.before[f]!) {
            expect(happenedBefore(x, e, f)).toBe(true);
            expect(compareHlc(at[e]!, at[f]!)).toBe(-1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
