import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { deepFreeze, seedPrng } from 'distkit/core';
import { backoffInit, backoffNext, retryCore, type Backoff, type Jitter } from 'distkit/resilience';

describe('backoff: properties', () => {
  const backoffArb: fc.Arbitrary<Backoff> = fc.oneof(
    fc.record({ kind: fc.constant('constant' as const), delayMs: fc.integer({ min: 0, max: 10_000 }) }),
    fc.record({ kind: fc.constant('linear' as const), initialMs: fc.integer({ min: 0, max: 1000 }), stepMs: fc.integer({ min: 0, max: 1000 }), maxDelayMs: fc.integer({ min: 0, max: 100_000 }) }),
    fc.integer({ min: 0, max: 1000 }).chain((initialMs) =>
      fc.record({
        kind: fc.constant('exponential' as const),
        initialMs: fc.constant(initialMs),
        factor: fc.double({ min: 1, max: 10, noNaN: true }),
        jitter: fc.constantFrom<Jitter>('none', 'full', 'equal', 'decorrelated'),
        maxDelayMs: fc.integer({ min: initialMs, max: initialMs + 100_000 }),
      }),
    ),
  );

  it('jitter is never NaN and stays within [0, maxDelayMs] over thousands of draws', () => {
    fc.assert(
      fc.property(backoffArb, fc.integer(), (b, seed) => {
        let s = deepFreeze(backoffInit(b, seed));
        const cap = b.kind === 'constant' ? b.delayMs : (b.maxDelayMs ?? Infinity);
        // One assertion per run, not per draw: 150k expect() calls made the test slow under load.
        const bad: number[] = [];
        for (let i = 0; i < 2000; i++) {
          const n = backoffNext(s);
          if (!(n.delayMs >= 0 && n.delayMs <= cap)) bad.push(n.delayMs); // NaN fails both
          s = n.state;
        }
        expect(bad).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('full jitter stays within [0, base], equal within [base/2, base], decorrelated within [initial, 3·prev]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer(), (initialMs, seed) => {
        const cap = initialMs * 64;
        for (const jitter of ['full', 'equal', 'decorrelated'] as const) {
          let s = backoffInit({ kind: 'exponential', initialMs, factor: 2, jitter, maxDelayMs: cap }, seed);
          for (let k = 0; k < 12; k++) {
            const prev = s.previousMs;
            const n = backoffNext(s);
            const base = Math.min(cap, initialMs * 2 ** k);
            if (jitter === 'full') expect(n.delayMs).toBeLessThanOrEqual(base);
            if (jitter === 'equal') expect(n.delayMs).toBeGreaterThanOrEqual(base / 2);
            if (jitter === 'decorrelated') {
              expect(n.delayMs).toBeGreaterThanOrEqual(initialMs);
              expect(n.delayMs).toBeLessThanOrEqual(Math.max(initialMs, Math.min(cap, prev * 3)));
            }
            s = n.state;
          }
        }
      }),
    );
  });

  it('regression: initialMs 0 with a factor whose powers overflow (10^400 = Infinity) stays 0, never NaN or Number.MAX_VALUE', () => {
    for (const jitter of ['none', 'full', 'equal', 'decorrelated'] as const) {
      let s = backoffInit({ kind: 'exponential', initialMs: 0, factor: 10, jitter, maxDelayMs: 5 }, 1);
      for (let i = 0; i < 400; i++) {
        const n = backoffNext(s);
        s = n.state;
        if (i >= 300) expect(n.delayMs, `${jitter} draw ${i}`).toBe(0);
      }
    }
  });

  it('the same seed gives the same delays (deterministic jitter)', () => {
    const b: Backoff = { kind: 'exponential', initialMs: 100, jitter: 'full', maxDelayMs: 10_000 };
    const run = (): number[] => {
      let s = backoffInit(b, seedPrng(9));
      return Array.from({ length: 8 }, () => {
        const n = backoffNext(s);
        s = n.state;
        return n.delayMs;
      });
    };
    expect(run()).toEqual(run());
  });

  it('retry core: never more than maxAttempts attempts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), (max) => {
        let s = retryCore.init({ maxAttempts: max, backoff: { kind: 'constant', delayMs: 0 }, seed: 1 });
        let attempts = 0;
        for (let now = 0; ; now++) {
          s = retryCore.step(deepFreeze(s), { type: 'attempt', now }).state;
          attempts++;
          const d = retryCore.step(deepFreeze(s), { type: 'failure', now });
          s = d.state;
          if (d.outputs[0]!.type !== 'retry') break;
        }
        expect(retryCore.step(s, { type: 'call', now: 0 }).state.attempts).toBe(0);
        expect(attempts).toBe(max);
      }),
    );
  });
});
