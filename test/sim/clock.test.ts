import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { localTime, nodeClock, roundMs, virtualTime } from '../../src/sim/clock.js';

describe('node clocks', () => {
  it('reads skewMs + t * (1 + drift)', () => {
    expect(localTime(nodeClock({ skewMs: 250, drift: 0.01 }), 1000)).toBe(1260);
    expect(localTime(nodeClock(undefined), 42)).toBe(42);
  });

  it('converts a deadline to the earliest virtual time at which the clock has reached it', () => {
    fc.assert(
      fc.property(fc.double({ min: -1000, max: 1000, noNaN: true }), fc.double({ min: -0.5, max: 0.5, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (skewMs, drift, local) => {
        const c = { skewMs, drift };
        const t = virtualTime(c, local);
        expect(localTime(c, t)).toBeGreaterThanOrEqual(local);
        expect(t - (local - skewMs) / (1 + drift)).toBeLessThan(1e-6 * Math.max(1, Math.abs(t)));
      }),
    );
  });

  it('rounds times to 1 µs', () => {
    expect(roundMs(1.23456)).toBe(1.235);
  });
});
