// Target helpers: node ids for a cluster size, and seed sweeps that count failures per invariant.
import { describe, expect, it } from 'vitest';
import { nodeIds, sweep } from '../../src/sim/index.js';
import { echoMachine, naiveLeaderMachine, oneLeaderPerTerm } from '../../src/cli/demo.js';

describe('nodeIds', () => {
  it('letters up to 26 nodes, n0.. beyond', () => {
    expect(nodeIds(3)).toEqual(['a', 'b', 'c']);
    expect(nodeIds(26).at(-1)).toBe('z');
    expect(nodeIds(27).slice(0, 2)).toEqual(['n0', 'n1']);
    expect(new Set(nodeIds(500)).size).toBe(500);
    expect(nodeIds(0)).toEqual([]);
  });
});

describe('sweep', () => {
  it('a correct machine passes every seed', () => {
    const ids = nodeIds(3);
    const s = sweep({ seeds: [1, 2, 3], scenario: (seed) => ({ seed, nodes: ids.map((id) => ({ id, machine: echoMachine, config: { id, peers: ids, rounds: 2 } })) }) });
    expect(s.seedsRun).toBe(3);
    expect(s.violations).toBe(0);
    expect(s.messages.sent).toBeGreaterThan(0);
  });

  it('a buggy machine fails seeds, grouped by invariant, and maxViolations stops early', () => {
    const ids = nodeIds(3);
    const scenario = (seed: number) => ({ seed, nodes: ids.map((id) => ({ id, machine: naiveLeaderMachine, config: { id, peers: ids, seed } })), invariants: [oneLeaderPerTerm], maxTimeMs: 5000 });
    const all = sweep({ seeds: [1, 2, 3, 4, 5, 6, 7, 8], scenario });
    expect(all.violations).toBeGreaterThan(0);
    expect(all.byInvariant[oneLeaderPerTerm.name]).toBe(all.violations);
    expect(all.failures.every((f) => f.invariant === oneLeaderPerTerm.name)).toBe(true);
    const first = sweep({ seeds: [1, 2, 3, 4, 5, 6, 7, 8], scenario, maxViolations: 1 });
    expect(first.violations).toBe(1);
    expect(first.seedsRun).toBeLessThanOrEqual(all.seedsRun);
    expect(first.failures[0]).toEqual(all.failures[0]);
  });
});
