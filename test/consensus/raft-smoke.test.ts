import { describe, expect, it } from 'vitest';
import { Cluster } from './raft/cluster.js';
import { runSeed } from './raft/seeds.js';

describe('smoke', () => {
  it('elects and commits', () => {
    const c = new Cluster({ ids: ['a', 'b', 'c'], seed: 1 });
    c.runUntilCondition(() => c.leader() !== undefined, 2000);
    const l = c.leader()!;
    c.input(l.id, { type: 'propose', data: 5 });
    c.runUntil(c.now + 100);
    expect(c.maxCommitted).toBe(2);
  });
  it('seeds', () => {
    const rs = [];
    for (let s = 1; s <= 200; s++) rs.push(runSeed(s));
    expect(rs.filter((r) => r.recoveryMs < 0).map((r) => r.seed)).toEqual([]);
  });
});
