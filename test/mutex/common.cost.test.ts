import { describe, expect, it } from 'vitest';
import { maekawa } from 'distkit/mutex';
import { ids } from '../support/event-sim.js';
import { measure, sizes } from './cost.js';

/** Mean number of remote voters per node (own vote is local and costs no message). */
function meanRemoteVoters(n: number): number {
  const nodes = ids(n);
  return nodes.reduce((a, id) => a + maekawa.init({ id, nodes }).quorum.filter((q) => q !== id).length, 0) / n;
}

describe('messages per critical-section entry, measured against the textbook table', () => {
  for (const n of sizes) {
    it(`N = ${n}: centralized 3, Ricart–Agrawala 2(N−1), Lamport 3(N−1) exactly, at light and heavy load`, () => {
      for (const [a, want] of [['centralized', 3], ['ricart-agrawala', 2 * (n - 1)], ['lamport', 3 * (n - 1)]] as const) {
        const r = measure(a, n, 2, 5);
        expect(r.light, a).toBeCloseTo(want, 9);
        expect(r.heavy, a).toBeCloseTo(want, 9);
      }
    });

    it(`N = ${n}: Maekawa with grid quorums costs 3 messages per remote voter without contention, at most 5 with`, () => {
      const k = meanRemoteVoters(n);
      const r = measure('maekawa', n, 2, 5);
      expect(r.light).toBeGreaterThanOrEqual(3 * k - 1e-9);
      expect(r.light).toBeLessThanOrEqual(4 * k);
      expect(r.heavy).toBeGreaterThan(r.light);
      expect(r.heavy).toBeLessThanOrEqual(5 * k + 1);
    });

    it(`N = ${n}: token ring costs 1 message per entry under saturation and grows without bound when idle`, () => {
      const r = measure('token-ring', n, 2, 5);
      expect(r.heavy).toBeLessThan(1.2);
      expect(r.light).toBeGreaterThan(n);
    });
  }
});
