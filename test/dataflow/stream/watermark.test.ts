import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedOutOfOrderness, combineWatermarks, currentWatermark, MIN_WATERMARK, observeTimestamp, type InputWatermark } from '../../../src/dataflow/index.js';

describe("bounded out-of-orderness (Flink's BoundedOutOfOrdernessWatermarks)", () => {
  it('is maxTimestamp − delay − 1, MIN_WATERMARK before any element, and never goes backwards', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -10_000, max: 10_000 }), { maxLength: 30 }), fc.integer({ min: 0, max: 100 }), (stamps, delay) => {
        let g = boundedOutOfOrderness(delay);
        let last = currentWatermark(g);
        expect(last).toBe(MIN_WATERMARK);
        for (const t of stamps) {
          g = observeTimestamp(g, t);
          const w = currentWatermark(g);
          expect(w).toBeGreaterThanOrEqual(last);
          last = w;
        }
        if (stamps.length > 0) expect(last).toBe(Math.max(...stamps) - delay - 1);
      }),
    );
  });

  it('an element at exactly max − delay is not behind the watermark', () => {
    const g = observeTimestamp(boundedOutOfOrderness(5), 100);
    expect(currentWatermark(g)).toBe(94);
    expect(95 > currentWatermark(g)).toBe(true);
  });
});

describe("several inputs (Flink's StatusWatermarkValve)", () => {
  const input = fc.record({ watermark: fc.integer({ min: -1000, max: 1000 }), idle: fc.boolean() });
  it('is the minimum over the active inputs, or the maximum when all are idle, never below the previous', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c', '__proto__'), input), fc.integer({ min: -1000, max: 1000 }), (raw, previous) => {
        const inputs: Record<string, InputWatermark> = {};
        for (const [k, v] of Object.entries(raw)) Object.defineProperty(inputs, k, { value: v, enumerable: true });
        const w = combineWatermarks(inputs, previous);
        const all = Object.values(inputs);
        const active = all.filter((i) => !i.idle).map((i) => i.watermark);
        const expected = active.length > 0 ? Math.min(...active) : all.length > 0 ? Math.max(...all.map((i) => i.watermark)) : previous;
        expect(w).toBe(Math.max(previous, expected));
      }),
    );
  });
});
