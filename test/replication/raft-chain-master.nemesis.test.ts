import { describe, expect, it } from 'vitest';
import { checkLinearizability, kvModel } from '../../src/check/index.js';
import { LEADER_FAULTS, runNemesis, type LeaderFault, type NemesisOptions } from './raft-chain-master-nemesis.js';

// CI runs a few seeds per kind of leader fault; RAFT_CHAIN_MASTER_SEEDS=n runs n per kind by hand.
const PER_FAULT = Math.max(2, Number(process.env['RAFT_CHAIN_MASTER_SEEDS'] ?? 0));

/** The CI seeds of a kind of leader fault: n of them, distinct across kinds. */
const seedsFor = (kind: LeaderFault, n: number): number[] => Array.from({ length: n }, (_, i) => 1000 + i * LEADER_FAULTS.length + LEADER_FAULTS.indexOf(kind));

function check(o: NemesisOptions) {
  const run = runNemesis(o);
  const at = `seed ${o.seed} (${o.kind ?? 'chain'}, ${run.episode?.kind ?? 'no'} episode on ${run.episode?.leader ?? '-'} at ${run.episode?.at ?? '-'})`;
  expect(run.result.violation?.message, `${at}: ${run.result.violation?.invariant}`).toBeUndefined();
  expect(checkLinearizability(kvModel<number>(), run.result.history).verdict, at).toBe('linearizable');
  expect(run.lost, `${at}: acknowledged writes missing at a new head or primary`).toBe(0);
  expect(run.conflictingEpochs, `${at}: an epoch issued with two views`).toBe(0);
  for (const op of run.result.history) {
    if (op.input.f === 'read' && typeof op.output === 'number') expect(run.fencedValues.has(op.output), `${at}: fenced write read`).toBe(false);
  }
  return run;
}

describe('raftChainMaster under a nemesis aimed at the master leader (crash right after a decision, isolation from the other masters, pauses, skewed clocks, duplicated and reordered master messages, stale readers)', () => {
  for (const kind of LEADER_FAULTS) {
    it(`${kind}: one view per epoch ever, epochs only grow, removed replicas fenced, linearizable`, () => {
      let episodes = 0;
      let ops = 0;
      for (const [i, seed] of seedsFor(kind, PER_FAULT).entries()) {
        const run = check({ seed, kind: i % 2 === 0 ? 'chain' : 'sync', leaderFault: kind });
        if (run.episode !== undefined) episodes++;
        ops += run.result.history.filter((op) => 'ret' in op).length;
      }
      // The episode struck in most runs, and the clients got work done around it.
      expect(episodes).toBeGreaterThanOrEqual(PER_FAULT / 2);
      expect(ops).toBeGreaterThan(PER_FAULT * 50);
    }, 120_000);
  }
});

describe('raftChainMaster nemesis: seeds that found bugs', () => {
  it('seed 8 (isolate-pause): a leader paused while deposed answered queued heartbeats on waking and renewed the lease of a replica the new leader had removed', () => {
    for (const kind of ['chain', 'sync'] as const) {
      const run = check({ seed: 8, kind, leaderFault: 'isolate-pause', failureTimeoutMs: 400 });
      expect(run.episode?.leader).toBe('m3');
    }
  });

  it('seeds 3 and 12: a heartbeat answered while the removal of its sender was in flight renewed a lease that outlived the epoch', () => {
    expect(check({ seed: 3, kind: 'chain', leaderFault: 'isolate-pause', failureTimeoutMs: 400 }).episode?.leader).toBe('m3');
    for (const kind of ['chain', 'sync'] as const) expect(check({ seed: 12, kind, leaderFault: 'isolate', failureTimeoutMs: 400 }).episode?.leader).toBe('m3');
  });

  it('seed 1010 (chain, isolate): the old tail committed a write alone after the joining replica reported holding the state; the master made that one the tail, removed the others, and the write was lost (reads went back in time)', () => {
    expect(check({ seed: 1010, kind: 'chain', leaderFault: 'isolate' }).episode?.leader).toBe('m1');
  });
});
