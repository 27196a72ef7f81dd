import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  InvalidCommandError,
  STOPPED_TIMER,
  backoffTimer,
  earliest,
  inputNow,
  randomTimer,
  seedPrng,
  startTimer,
  stopTimer,
  timerDeadline,
  timerDue,
} from 'distkit/core';

describe('timer value', () => {
  it('starts, fires at its deadline and stops', () => {
    const t = startTimer(100, 50);
    expect(t).toEqual({ at: 150, attempt: 0 });
    expect(timerDue(t, 149)).toBe(false);
    expect(timerDue(t, 150)).toBe(true);
    expect(timerDeadline(t)).toBe(150);
    const s = stopTimer(t);
    expect(s.at).toBeNull();
    expect(timerDue(s, 1e12)).toBe(false);
    expect(timerDeadline(s)).toBeUndefined();
    expect(stopTimer(s)).toBe(s); // stopping a stopped timer keeps the value
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it('random timers fall in [min, max) and are reproducible from the PRNG state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 1000 }), fc.integer(), (now, min, span, seed) => {
        const a = randomTimer(now, min, min + span, seedPrng(seed));
        const b = randomTimer(now, min, min + span, seedPrng(seed));
        expect(a).toEqual(b);
        expect(a.timer.at! - now).toBeGreaterThanOrEqual(min);
        expect(a.timer.at! - now).toBeLessThan(min + span);
      }),
      { numRuns: 300 },
    );
  });

  it('backoff waits at most min(max, base·2^attempt), at least 1 ms, and counts attempts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 0, max: 80 }), fc.integer(), (base, max, attempts, seed) => {
        let t = startTimer(0, base);
        let prng = seedPrng(seed);
        for (let k = 0; k < attempts; k++) ({ timer: t, prng } = backoffTimer(t, 1000, { baseMs: base, maxMs: max }, prng));
        expect(t.attempt).toBe(attempts);
        if (attempts > 0) {
          const wait = t.at! - 1000;
          expect(wait).toBeGreaterThanOrEqual(1);
          expect(wait).toBeLessThanOrEqual(Math.max(1, Math.min(max, base * 2 ** attempts)));
          expect(Number.isFinite(t.at)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('earliest picks the first running deadline among timers and numbers', () => {
    expect(earliest(startTimer(0, 50), STOPPED_TIMER, 30, undefined, null)).toBe(30);
    expect(earliest(STOPPED_TIMER, null, undefined)).toBeUndefined();
    expect(earliest()).toBeUndefined();
    expect(earliest(startTimer(0, 0))).toBe(0);
  });
});

describe('inputNow', () => {
  it('returns a finite now, including negative clock origins', () => {
    expect(inputNow({ type: 'tick', now: 5 })).toBe(5);
    expect(inputNow({ type: 'message', now: -20 })).toBe(-20);
  });

  it.each([NaN, Infinity, -Infinity, undefined, '5', null, 2n])('throws InvalidCommandError for now = %s', (now) => {
    expect(() => inputNow({ type: 'tick', now })).toThrow(InvalidCommandError);
  });

  it('throws InvalidCommandError for an input that is not an object', () => {
    for (const bad of [null, undefined, 3, 'tick']) expect(() => inputNow(bad)).toThrow(InvalidCommandError);
  });
});
