import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { circuitBreakerCore as core, type BreakerState, type BreakerStrategy, type BreakerWindow } from 'distkit/resilience';
import { liveWindow } from '../../src/resilience/breaker-window.js';

const sorted = (w: BreakerWindow): BreakerWindow => (w.kind === 'time' ? { kind: 'time', buckets: w.buckets.slice().sort((a, b) => a.start - b.start) } : w);

const strategyArb: fc.Arbitrary<BreakerStrategy> = fc.oneof(
  fc.record({ size: fc.integer({ min: 1, max: 12 }), ratio: fc.double({ min: 0, max: 1, noNaN: true }), min: fc.integer({ min: 1, max: 12 }), slow: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }) }).map(
    ({ size, ratio, min, slow }): BreakerStrategy => ({ kind: 'count', size, failureRatio: ratio, minimumCalls: Math.min(min, size), ...(slow === undefined ? {} : { slowCallRatio: slow }) }),
  ),
  fc.record({ duration: fc.integer({ min: 1, max: 200 }), buckets: fc.integer({ min: 1, max: 8 }), ratio: fc.double({ min: 0, max: 1, noNaN: true }), min: fc.integer({ min: 1, max: 12 }), slow: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }) }).map(
    ({ duration, buckets, ratio, min, slow }): BreakerStrategy => ({ kind: 'time', durationMs: duration, buckets, failureRatio: ratio, minimumThroughput: min, ...(slow === undefined ? {} : { slowCallRatio: slow }) }),
  ),
);

describe('the live (in-place) breaker window', () => {
  it('trips exactly when the pure core does and holds the same window as the core', () => {
    fc.assert(
      fc.property(strategyArb, fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.boolean(), fc.integer({ min: 0, max: 20 })), { maxLength: 80 }), (strategy, calls) => {
        let s: BreakerState = core.init({ strategy, slowCallDurationMs: 10 });
        const live = liveWindow(strategy)!;
        let now = 0;
        for (const [dt, failed, durationMs] of calls) {
          now += dt;
          const slow = durationMs >= 10;
          const before = live.toWindow();
          const recorded = live.tryRecord(now, failed, slow);
          s = core.step(s, { type: failed ? 'failure' : 'success', now, durationMs, probe: false }).state;
          expect(recorded).toBe(s.circuit === 'closed');
          if (!recorded) {
            // A refused outcome leaves the window to the core (a time window may have dropped expired buckets, as the core would).
            if (strategy.kind === 'count') expect(live.toWindow()).toEqual(before);
            return;
          }
          expect(sorted(live.toWindow())).toEqual(sorted(s.window));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('load then toWindow gives back the window (the last `size` outcomes of a longer one)', () => {
    const live = liveWindow({ kind: 'count', size: 3, failureRatio: 0.5, minimumCalls: 1 })!;
    live.load({ kind: 'count', outcomes: [1, 0, 2, 3] });
    expect(live.toWindow()).toEqual({ kind: 'count', outcomes: [0, 2, 3] });
    const time = liveWindow({ kind: 'time', durationMs: 100, buckets: 4, failureRatio: 0.5, minimumThroughput: 1 })!;
    const w: BreakerWindow = { kind: 'time', buckets: [{ start: 25, calls: 2, failures: 1, slow: 0 }, { start: 50, calls: 1, failures: 0, slow: 1 }] };
    time.load(w);
    expect(time.toWindow()).toEqual(w);
    expect(liveWindow({ kind: 'consecutive', threshold: 2 })).toBeUndefined();
  });
});
