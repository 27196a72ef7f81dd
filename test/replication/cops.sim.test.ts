import { describe, expect, it } from 'vitest';
import { levelViolations } from '../../src/check/index.js';
import { runCops } from './cops-workload.js';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

describe('copsReplica in the simulator: 3 replicas, 6 clients, a slow a → c link, crashes, partitions, 2% loss and duplication, 10% reordering', () => {
  it('causal+: every history is causal, writes succeed during partitions, replicas converge after healing', () => {
    const totals = { acknowledged: 0, duringPartition: 0, waited: 0, reads: 0 };
    for (const seed of SEEDS) {
      const run = runCops({ seed });
      expect(run.result.violation, `seed ${seed}`).toBeUndefined();
      const broken = levelViolations(run.report, 'causal');
      expect(broken, `seed ${seed}: ${broken.map((g) => JSON.stringify(run.report[g].counterexample)).join('; ')}`).toEqual([]);
      // Convergence, the "+": after the faults stop every replica is up and shows the same store, and the final reads see each key's last write.
      expect(run.allUp, `seed ${seed}`).toBe(true);
      expect(run.divergence, `seed ${seed}`).toBeUndefined();
      expect(run.report.eventual.ok, `seed ${seed}: ${JSON.stringify(run.report.eventual.counterexample)}`).toBe(true);
      expect(run.failedPuts, `seed ${seed}`).toBe(0);
      totals.acknowledged += run.acknowledgedWrites;
      totals.duringPartition += run.partitionedPuts;
      totals.waited += run.waited;
      totals.reads += run.report.causal.checked;
    }
    expect(totals.acknowledged).toBeGreaterThan(SEEDS.length * 300);
    // Availability: writes were answered while a partition cut their replica off.
    expect(totals.duringPartition).toBeGreaterThan(SEEDS.length * 20);
    // dep_check did hold writes back: replicated writes arrived before their dependencies.
    expect(totals.waited).toBeGreaterThan(SEEDS.length * 10);
    expect(totals.reads).toBeGreaterThan(0);
  }, 300_000);

  it('without faults the history is causal too, and replicas converge', () => {
    for (const seed of SEEDS.slice(0, 5)) {
      const run = runCops({ seed, faults: false });
      expect(levelViolations(run.report, 'causal'), `seed ${seed}`).toEqual([]);
      expect(run.divergence, `seed ${seed}`).toBeUndefined();
    }
  }, 120_000);

  it('control: with dep_check removed, readers see writes without their causal past (the checker finds causal violations)', () => {
    let violations = 0;
    let seeds = 0;
    for (const seed of SEEDS.slice(0, 10)) {
      const run = runCops({ seed, withoutDepCheck: true });
      violations += run.report.causal.violations;
      if (!run.report.causal.ok) seeds++;
      // Convergence does not depend on dep_check: last-writer-wins still converges.
      expect(run.divergence, `seed ${seed}`).toBeUndefined();
    }
    expect(violations).toBeGreaterThan(10);
    expect(seeds).toBeGreaterThanOrEqual(5);
  }, 300_000);
});
