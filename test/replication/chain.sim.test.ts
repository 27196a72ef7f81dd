import { describe, expect, it } from 'vitest';
import { checkLinearizability, kvModel } from '../../src/check/index.js';
import { runChain, type ChainRunOptions } from './chain-workload.js';

const SEEDS = Array.from({ length: 40 }, (_, i) => i + 1);

/** Runs the seeds and checks every history is linearizable; returns totals for the report. */
function sweep(seeds: readonly number[], options: Omit<ChainRunOptions, 'seed'>) {
  const totals = { ops: 0, written: 0, reads: 0, queries: 0, reconfigurations: 0, fenced: 0 };
  for (const seed of seeds) {
    const run = runChain({ seed, ...options });
    const lin = checkLinearizability(kvModel<number>(), run.result.history);
    expect(lin.verdict, `seed ${seed}`).toBe('linearizable');
    expect(run.lost, `seed ${seed}: acknowledged writes missing at a new head`).toBe(0);
    // Fencing: a write sent to a replica that was no longer the head is never acknowledged or read.
    const seen = run.result.history.filter((op) => op.input.f === 'read' && typeof op.output === 'number').map((op) => op.output as number);
    for (const v of seen) expect(run.fencedValues.has(v), `seed ${seed}: fenced write ${v} visible`).toBe(false);
    for (const op of run.result.history) if (op.input.f === 'write' && 'ret' in op) expect(run.fencedValues.has(op.input.value as number), `seed ${seed}`).toBe(false);
    totals.ops += run.result.history.filter((op) => 'ret' in op).length;
    totals.written += run.written;
    totals.reads += run.reads;
    totals.queries += run.craqQueries;
    totals.reconfigurations += run.reconfigurations.length;
    totals.fenced += run.fencedValues.size;
  }
  return totals;
}

describe('chain replication in the simulator: a master and four replicas', () => {
  it('without faults every operation completes and the history is linearizable', () => {
    const t = sweep(SEEDS.slice(0, 5), {});
    expect(t.ops).toBeGreaterThan(5 * 200);
  }, 120_000);

  it('CRAQ reads under crashes, restarts, partitions, loss, duplication and reordering: linearizable, no acknowledged write lost, stale heads fenced', () => {
    const t = sweep(SEEDS, { faults: true, staleHeads: true });
    expect(t.ops).toBeGreaterThan(SEEDS.length * 100);
    expect(t.queries).toBeGreaterThan(0); // dirty reads did ask the tail
    expect(t.reconfigurations).toBeGreaterThan(SEEDS.length * 3);
    expect(t.fenced).toBeGreaterThan(0);
  }, 300_000);

  it('reads at the tail only (no CRAQ), with the master crashing too: linearizable', () => {
    const t = sweep(SEEDS.slice(0, 20), { faults: true, craq: false, crashMaster: true });
    expect(t.queries).toBe(0);
    expect(t.ops).toBeGreaterThan(20 * 100);
  }, 300_000);
});
