import { describe, expect, it } from 'vitest';
import { runJoinWorkload } from './kv-join-workload.js';

const SEEDS = Array.from({ length: 10 }, (_, i) => i + 1);

describe('quorumKv in the simulator: one or two nodes join a five-node ring mid-run (Dynamo §4.8–4.9)', () => {
  it('no acknowledged add lost, replicas converge, and each joiner ends up holding its ranges, under crashes, loss, duplication and partitions', () => {
    let acknowledged = 0;
    let joinerKeys = 0;
    let transferred = 0;
    let preloaded = 0;
    for (const seed of SEEDS) {
      const run = runJoinWorkload({ seed, joins: seed % 2 === 0 ? 2 : 1 });
      expect(run.result.violation, `seed ${seed}`).toBeUndefined();
      for (const [key, verdict] of Object.entries(run.verdicts)) {
        expect(verdict, `seed ${seed} ${key}: a final read succeeded`).toBeDefined();
        expect(verdict, `seed ${seed} ${key}`).toMatchObject({ valid: true, lost: [], unexpected: [] });
        acknowledged += verdict!.acknowledgedCount;
      }
      expect(run.problems, `seed ${seed}`).toEqual([]);
      expect(run.notJoined, `seed ${seed}`).toEqual([]);
      joinerKeys += run.joinerKeys;
      transferred += run.bootstrapped;
      preloaded += run.preloaded;
    }
    expect(acknowledged).toBeGreaterThan(SEEDS.length * 30);
    expect(joinerKeys).toBeGreaterThan(SEEDS.length * 10);
    expect(transferred).toBeGreaterThan(SEEDS.length * 10);
    expect(preloaded).toBeGreaterThan(SEEDS.length * 30);
  }, 120_000);
});
