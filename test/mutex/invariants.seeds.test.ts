import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { runMutex } from '../support/event-sim.js';
import { setups } from './setups.js';

// Mutual exclusion is checked after every step of every run (the harness throws at the first
// `enter` that makes two nodes hold the critical section at once); no starvation means every
// requested entry happened before the run went quiet.
describe('mutual exclusion and no starvation, random delays (1-10 ms, reordering), many seeds', () => {
  for (const s of setups) {
    it(`${s.name}: never two nodes in the critical section; every request granted (seeds 1–100, each at N = 3 and 5)`, () => {
      for (let seed = 1; seed <= 100; seed++) {
        for (const n of [3, 5]) {
          const { clients, setup } = s.make(n);
          const r = runMutex({ seed, clients, entriesPerClient: 3, setup, checked: seed <= 10 });
          expect(r.maxConcurrent).toBe(1);
          expect(r.entries, `seed ${seed} n ${n}`).toBe(r.wanted);
        }
      }
    });
  }

  for (const s of setups) {
    it(`${s.name}: mutual exclusion holds for arbitrary seeds, sizes and load (fast-check)`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: 50 }), (seed, n, think) => {
          const { clients, setup } = s.make(n);
          const r = runMutex({ seed, clients, entriesPerClient: 2, setup, thinkMaxMs: think, checked: false });
          return r.maxConcurrent <= 1 && r.entries === r.wanted;
        }),
        { numRuns: 40 },
      );
    });
  }
});
