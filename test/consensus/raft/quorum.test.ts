// Quorum arithmetic (etcd-io/raft's quorum.MajorityConfig): the majority cases of etcd's
// quorum/testdata/majority_commit.txt, the vote outcomes, and §5.4.2's current-term rule.
import { describe, expect, it } from 'vitest';
import { getOwn } from 'distkit/core';
import { committedIndex, voteResult } from '../../../src/consensus/raft/quorum.js';
import { Net, durableWithTerms } from './harness.js';

/** `idx` as in etcd's scripts: a number per voter, `_` for a voter whose index is not known (0). */
function committed(voters: string[], idx: (number | '_')[]): number {
  const of: Record<string, number> = {};
  voters.forEach((id, i) => (of[id] = idx[i] === '_' ? 0 : (idx[i] as number)));
  return committedIndex(voters, of, (m, id) => getOwn(m, id) ?? 0);
}

describe('committedIndex (etcd majority_commit.txt)', () => {
  it('the empty configuration commits everything', () => {
    expect(committedIndex([], null, () => 0)).toBe(Infinity);
  });
  it.each([
    [['1'], ['_'], 0],
    [['1'], [12], 12],
    [['1', '2'], ['_', '_'], 0],
    [['1', '2'], [12, '_'], 0],
    [['1', '2'], [12, 5], 5],
    [['1', '2', '3'], ['_', '_', '_'], 0],
    [['1', '2', '3'], [12, '_', '_'], 0],
    [['1', '2', '3'], [12, 5, '_'], 5],
    [['1', '2', '3'], [12, 5, 6], 6],
    [['1', '2', '3'], [12, 5, 4], 5],
    [['1', '2', '3'], [5, 5, '_'], 5],
    [['1', '2', '3'], [5, 5, 12], 5],
    [['1', '2', '3'], [100, 101, 103], 101],
    [['1', '2', '3', '4', '5'], [101, 104, 103, 103, '_'], 103],
    [['1', '2', '3', '4', '5'], [101, 102, 103, 103, '_'], 102],
  ] as [string[], (number | '_')[], number][])('cfg=%j idx=%j -> %i', (voters, idx, want) => {
    expect(committed(voters, idx)).toBe(want);
  });
  it('agrees with sorting for every size: the majority(n)-th largest index', () => {
    for (let n = 1; n <= 9; n++) {
      const voters = Array.from({ length: n }, (_, i) => `n${i}`);
      for (let trial = 0; trial < 50; trial++) {
        const idx = voters.map((_, i) => (trial * 7 + i * 13) % 11);
        const sorted = [...idx].sort((a, b) => b - a);
        expect(committed(voters, idx)).toBe(sorted[Math.floor(n / 2)]);
      }
    }
  });
});

describe('voteResult (§5.2)', () => {
  it.each([
    // voters, votes, result
    [['1'], {}, 'pending'],
    [['1'], { 1: true }, 'won'],
    [['1'], { 1: false }, 'lost'],
    [['1', '2'], { 1: true }, 'pending'],
    [['1', '2'], { 1: true, 2: true }, 'won'],
    [['1', '2'], { 1: true, 2: false }, 'pending'],
    [['1', '2'], { 1: false, 2: false }, 'lost'],
    [['1', '2', '3'], { 1: true, 2: false }, 'pending'],
    [['1', '2', '3'], { 1: true, 2: true }, 'won'],
    [['1', '2', '3'], { 1: false, 3: false }, 'lost'],
    [['1', '2', '3', '4'], { 1: true, 2: true }, 'pending'],
    [['1', '2', '3', '4'], { 1: true, 2: true, 3: true }, 'won'],
    // Lost only once a majority refused (etcd already calls this one lost: 2 missing answers
    // could no longer make 3 grants).
    [['1', '2', '3', '4'], { 1: true, 2: false, 3: false }, 'pending'],
    [['1', '2', '3', '4'], { 2: false, 3: false, 4: false }, 'lost'],
    // Answers from non-voters do not count.
    [['1', '2', '3'], { 1: true, 9: true, 8: true }, 'pending'],
    [[], {}, 'won'],
  ] as [string[], Record<string, boolean>, string][])('voters=%j votes=%j -> %s', (voters, votes, want) => {
    expect(voteResult(voters, votes)).toBe(want);
  });
  it('reads votes as own properties only (a voter may be named __proto__)', () => {
    const votes = JSON.parse('{"__proto__": true, "constructor": true}') as Record<string, boolean>;
    expect(voteResult(['__proto__', 'constructor', 'toString'], votes)).toBe('won');
    expect(voteResult(['toString', 'valueOf', 'x'], {})).toBe('pending');
  });
});

describe('§5.4.2 (Figure 8): a leader commits only entries of its current term by counting replicas', () => {
  it('an entry of an earlier term on a majority waits for an entry of the current term, then commits with it', () => {
    const ids = ['a', 'b', 'c'];
    const net = new Net(ids, { maxEntriesPerAppend: 1 });
    net.load('a', durableWithTerms(ids, 1, [1, 1]));
    net.load('b', durableWithTerms(ids, 1, [1]));
    net.step('a', { type: 'campaign' });
    net.deliverWhere((e) => e.message.type === 'vote' || e.message.type === 'voteResponse');
    expect(net.states.a!.role).toBe('leader');
    expect(net.terms('a')).toEqual([1, 1, 2]);
    net.crash('c');
    // Replicate to b one append at a time until b holds entry 2, of term 1: a majority (a, b).
    while (net.states.a!.progress.b!.match < 2) net.deliver(net.queue.shift()!);
    expect(net.terms('b')).toEqual([1, 1]);
    expect(net.states.a!.commit).toBe(0);
    // Entry 3 (the leader's noop of term 2) reaches b: it commits, and entry 2 with it.
    net.stabilize();
    expect(net.states.a!.commit).toBe(3);
    expect(net.applied.a!.map((e) => e.index)).toEqual([1, 2, 3]);
  });
});
