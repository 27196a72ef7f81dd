import { describe, expect, it } from 'vitest';
import { levelViolations, type ConsistencyReport } from '../../src/check/index.js';
import { ConsistencyLevel } from '../../src/replication/index.js';
import { runStore } from './store-workload.js';

const SEEDS = Array.from({ length: 8 }, (_, i) => i + 1);
const GUARANTEES: (keyof ConsistencyReport)[] = ['validValues', 'linearizable', 'readYourWrites', 'monotonicReads', 'monotonicWrites', 'writesFollowReads', 'consistentPrefix', 'causal', 'boundedStaleness', 'eventual'];

/** Runs every seed at one level; fails on any guarantee the level promises; returns violations of the others. */
function sweep(level: ConsistencyLevel): { anomalies: Record<string, number>; completed: number; finals: number } {
  const anomalies: Record<string, number> = {};
  let completed = 0;
  let finals = 0;
  for (const seed of SEEDS) {
    const run = runStore(seed, level);
    expect(run.result.violation, `seed ${seed}`).toBeUndefined();
    const broken = levelViolations(run.report, level);
    expect(broken, `seed ${seed} at ${level}: ${broken.map((g) => JSON.stringify(run.report[g].counterexample)).join('; ')}`).toEqual([]);
    completed += run.history.filter((op) => op.ret !== undefined).length;
    finals += run.finalReads;
    for (const g of GUARANTEES) if (!run.report[g].ok) anomalies[g] = (anomalies[g] ?? 0) + run.report[g].violations;
  }
  return { anomalies, completed, finals };
}

describe('distributedStore in the simulator: 3 replicas lagging 0-120 ms, crashes, partitions, 2% loss and duplication, reordering', () => {
  it('strong: every history is linearizable', () => {
    const r = sweep(ConsistencyLevel.STRONG);
    expect(r.completed).toBeGreaterThan(SEEDS.length * 60);
    expect(r.anomalies).toEqual({});
  }, 240_000);

  it('bounded staleness (K = 2 versions, T = 300 ms): never further behind, yet not linearizable nor session-consistent on some seed', () => {
    const r = sweep(ConsistencyLevel.BOUNDED_STALENESS);
    expect(r.completed).toBeGreaterThan(SEEDS.length * 60);
    expect((r.anomalies.linearizable ?? 0) + (r.anomalies.readYourWrites ?? 0) + (r.anomalies.monotonicReads ?? 0)).toBeGreaterThan(0);
  }, 240_000);

  it('session: the four session guarantees and consistent prefix hold, while other clients see stale values (not linearizable)', () => {
    const r = sweep(ConsistencyLevel.SESSION);
    expect(r.anomalies.linearizable ?? 0).toBeGreaterThan(0);
    expect(r.anomalies.readYourWrites).toBeUndefined();
  }, 240_000);

  it('causal: no read misses a write in its causal past, across sessions', () => {
    const r = sweep(ConsistencyLevel.CAUSAL);
    expect(r.anomalies.causal).toBeUndefined();
    expect(r.anomalies.linearizable ?? 0).toBeGreaterThan(0);
  }, 240_000);

  it('consistent prefix: every snapshot read is a prefix of the log, yet sessions read their writes back out of order', () => {
    const r = sweep(ConsistencyLevel.CONSISTENT_PREFIX);
    expect(r.anomalies.readYourWrites ?? 0).toBeGreaterThan(0);
    expect(r.anomalies.monotonicReads ?? 0).toBeGreaterThan(0);
    expect(r.anomalies.causal ?? 0).toBeGreaterThan(0);
  }, 240_000);

  it('eventual: replicas converge after healing; before that, reads break session, causal and staleness bounds', () => {
    const r = sweep(ConsistencyLevel.EVENTUAL);
    expect(r.finals).toBe(SEEDS.length * 3);
    expect(r.anomalies.readYourWrites ?? 0).toBeGreaterThan(0);
    expect(r.anomalies.boundedStaleness ?? 0).toBeGreaterThan(0);
  }, 240_000);
});

describe('distributedStore: regression seeds', () => {
  it('seed 2 at strong: a restarted node reused its request numbers, so an acknowledged write was dropped as a re-proposal (fixed by the durable incarnation)', () => {
    const run = runStore(2, ConsistencyLevel.STRONG);
    expect(run.report.validValues).toMatchObject({ ok: true });
    expect(run.report.linearizable.ok).toBe(true);
    // The seed does restart a node and keep writing through it.
    expect(run.result.faults.some((f) => f.fault.type === 'restart')).toBe(true);
  }, 60_000);

  // Seed 10 found this too; since followers send the requests they held for want of a leader as
  // soon as they learn one, its run has no write of unknown outcome left, so seed 13 (three such
  // writes) stands in for it.
  it('seeds 4, 13 and 14 at causal: a timed-out write that never took effect is no causal dependency of the session\'s next write', () => {
    for (const seed of [4, 13, 14]) {
      const run = runStore(seed, ConsistencyLevel.CAUSAL);
      expect(levelViolations(run.report, ConsistencyLevel.CAUSAL), `seed ${seed}`).toEqual([]);
      expect(run.history.some((op) => op.input.f === 'write' && op.ret === undefined), `seed ${seed} has a write with an unknown outcome`).toBe(true);
    }
  }, 60_000);
});
