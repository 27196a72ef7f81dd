import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from 'distkit/core';
import {
  createPhiAccrual,
  phi,
  PHI_ACCRUAL_DEFAULTS,
  phiFormula,
  phiHeartbeat,
  phiIsAvailable,
  phiStats,
} from 'distkit/election';

/** Exact standard normal tail 1 − Φ(y), by the complementary error function (W. J. Cody's rational fit is overkill: a series is fine here). */
function normalTail(y: number): number {
  // erfc via continued fraction for large |x|, series otherwise (double precision is plenty).
  const x = y / Math.SQRT2;
  if (x < 0) return 1 - normalTail(-y);
  if (x < 2) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return 0.5 * (1 - (2 / Math.sqrt(Math.PI)) * sum);
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (x + f);
  return (0.5 * Math.exp(-x * x)) / Math.sqrt(Math.PI) / (x + f);
}

describe('phi accrual (Hayashibara et al. 2004; Akka defaults)', () => {
  it('defaults are Akka cluster reference.conf: threshold 8, 1000 samples, 100 ms min σ, 3 s pause, 1 s interval', () => {
    expect(PHI_ACCRUAL_DEFAULTS).toEqual({
      threshold: 8,
      maxSampleSize: 1000,
      minStdDeviationMs: 100,
      acceptableHeartbeatPauseMs: 3000,
      firstHeartbeatEstimateMs: 1000,
    });
  });

  it('φ = −log10(1 − F): at the mean φ = log10 2; the logistic F is within 0.00014 of the normal CDF on [−3.16, 3.16]', () => {
    expect(phiFormula(1000, 1000, 100)).toBeCloseTo(Math.log10(2), 12);
    for (let y = -3.16; y <= 3.16; y += 0.01) {
      const approxTail = Math.pow(10, -phiFormula(y * 100 + 1000, 1000, 100));
      expect(Math.abs(approxTail - normalTail(y))).toBeLessThan(0.00015);
    }
  });

  it('Akka test vectors: φ(0, 0, 10) ≈ 0.3, φ grows with the silence, monotonically', () => {
    expect(phiFormula(0, 0, 10)).toBeCloseTo(0.301, 3);
    expect(phiFormula(10, 0, 10)).toBeCloseTo(-Math.log10(normalTail(1)), 2);
    let prev = -Infinity;
    for (let t = 0; t < 5000; t += 50) {
      const p = phiFormula(t, 1000, 200);
      expect(p).toBeGreaterThanOrEqual(prev);
      prev = p;
    }
  });

  it('known inter-arrival sequences: φ equals the formula over the window mean and σ (with Akka bootstrap and min σ)', () => {
    const arrivals = [0, 1000, 2100, 2950, 4000, 5020, 6010, 6990];
    let d = createPhiAccrual({ acceptableHeartbeatPauseMs: 0, minStdDeviationMs: 1 });
    for (const t of arrivals) d = phiHeartbeat(d, t);
    const intervals = [750, 1250, 1000, 1100, 850, 1050, 1020, 990, 980];
    expect(d.intervals).toEqual(intervals);
    const mean = intervals.reduce((a, b) => a + b) / intervals.length;
    const sd = Math.sqrt(intervals.reduce((a, b) => a + b * b, 0) / intervals.length - mean * mean);
    expect(phiStats(d).meanMs).toBeCloseTo(mean, 9);
    expect(phiStats(d).stdDeviationMs).toBeCloseTo(sd, 9);
    for (const dt of [0, 500, 1000, 1500, 2000, 3000]) {
      expect(phi(d, 6990 + dt)).toBeCloseTo(phiFormula(dt, mean, sd), 12);
    }
    // With the acceptable pause, the mean moves right by it.
    const paused = { ...d, acceptableHeartbeatPauseMs: 3000 };
    expect(phi(paused, 6990 + 2000)).toBeCloseTo(phiFormula(2000, mean + 3000, sd), 12);
  });

  it('regular 1 s heartbeats: available while they come, unavailable (φ ≥ 8) a few seconds after they stop', () => {
    let d = createPhiAccrual();
    for (let t = 0; t <= 60_000; t += 1000) d = phiHeartbeat(d, t);
    expect(phi(d, 60_000)).toBeLessThan(0.5);
    expect(phiIsAvailable(d, 63_000)).toBe(true); // 3 s acceptable pause
    expect(phiIsAvailable(d, 66_000)).toBe(false);
  });

  it('the window keeps the last maxSampleSize intervals and its sums stay consistent (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 60 }), fc.integer({ min: 1, max: 10 }), (gaps, max) => {
        let d = createPhiAccrual({ maxSampleSize: max, threshold: 1000 });
        let t = 0;
        d = phiHeartbeat(d, t);
        for (const g of gaps) d = phiHeartbeat(d, (t += g));
        expect(d.intervals.length).toBeLessThanOrEqual(max);
        expect(d.sum).toBeCloseTo(d.intervals.reduce((a, b) => a + b, 0), 6);
        expect(d.sumOfSquares).toBeCloseTo(d.intervals.reduce((a, b) => a + b * b, 0), 3);
        expect(Number.isFinite(phi(d, t + 5000))).toBe(true);
      }),
    );
  });

  it('the heartbeat after an unavailable period is not added to the window (it would skew the statistics)', () => {
    let d = phiHeartbeat(createPhiAccrual(), 0);
    d = phiHeartbeat(d, 100_000);
    expect(d.intervals).toEqual([750, 1250]);
    expect(phi(createPhiAccrual(), 5)).toBe(0);
  });

  it('bad options throw ConfigError naming the field', () => {
    expect(() => createPhiAccrual({ threshold: 0 })).toThrow(ConfigError);
    expect(() => createPhiAccrual({ maxSampleSize: 1.5 })).toThrow(/maxSampleSize/);
  });
});
