// LatencyRecorder: a bounded ring of the latest durations and its percentiles (nearest-rank).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatencyRecorder } from '../../src/resilience/latency.js';

describe('LatencyRecorder', () => {
  it('an empty recorder summarizes to zeros', () => {
    expect(new LatencyRecorder(8).summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });

  it('nearest-rank percentiles of 1..100', () => {
    const r = new LatencyRecorder(100);
    for (let i = 100; i >= 1; i--) r.record(i);
    expect(r.summary()).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it('keeps only the last `capacity` durations', () => {
    const r = new LatencyRecorder(4);
    for (const ms of [1000, 1000, 1, 2, 3, 4]) r.record(ms);
    const s = r.summary();
    expect(s.count).toBe(4);
    expect(s.max).toBe(4);
    expect(s.mean).toBe(2.5);
  });

  it('property: p50 <= p90 <= p99 <= max, all taken from the sample', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }), (xs) => {
        const r = new LatencyRecorder(512);
        for (const x of xs) r.record(x);
        const s = r.summary();
        expect(s.p50).toBeLessThanOrEqual(s.p90);
        expect(s.p90).toBeLessThanOrEqual(s.p99);
        expect(s.p99).toBeLessThanOrEqual(s.max);
        expect(s.max).toBe(Math.max(...xs));
        for (const p of [s.p50, s.p90, s.p99]) expect(xs).toContain(p);
      }),
    );
  });
});
