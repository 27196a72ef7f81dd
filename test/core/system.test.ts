// The real clock, timers and entropy the imperative wrappers default to.
import { describe, expect, it } from 'vitest';
import { randomSeed, systemClock, systemTimers } from '../../src/core/index.js';

describe('systemClock', () => {
  it('now() is monotonic and wallNow() is Unix-epoch milliseconds', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(systemClock.wallNow!() - Date.now())).toBeLessThan(1000);
  });
});

describe('systemTimers', () => {
  it('fires a timer after its delay', async () => {
    const started = systemClock.now();
    const fired = await new Promise<number>((resolve) => systemTimers.setTimer(20, () => resolve(systemClock.now())));
    expect(fired - started).toBeGreaterThanOrEqual(15);
  });

  it('a cancelled timer never fires; a negative delay fires at once', async () => {
    let cancelledFired = false;
    const cancel = systemTimers.setTimer(5, () => {
      cancelledFired = true;
    });
    cancel();
    await new Promise<void>((resolve) => systemTimers.setTimer(-10, resolve));
    await new Promise((r) => setTimeout(r, 20));
    expect(cancelledFired).toBe(false);
  });
});

describe('randomSeed', () => {
  it('returns 32-bit unsigned integers that differ between calls', () => {
    const seeds = Array.from({ length: 20 }, randomSeed);
    for (const s of seeds) {
      expect(Number.isInteger(s)).toBe(true);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(2 ** 32);
    }
    expect(new Set(seeds).size).toBeGreaterThan(1);
  });
});
