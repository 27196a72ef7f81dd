// Raft's internal assertions throw ContractViolation on states no input can produce; peer input
// that is merely wrong is rejected as data (the hostile-input suite checks that side).
import { describe, expect, it } from 'vitest';
import { ContractViolation } from 'distkit/core';
import { raft } from 'distkit/consensus';
import { raftAssert, raftBug } from '../../../src/consensus/raft/assert.js';

describe('raftAssert', () => {
  it('passes when the condition holds and throws ContractViolation naming raft otherwise', () => {
    expect(() => raftAssert(true, 'fine')).not.toThrow();
    expect(() => raftAssert(false, 'commit 9 beyond the last index 3')).toThrow(ContractViolation);
    expect(() => raftAssert(false, 'x')).toThrow('machine raft broke its contract: x');
    expect(() => raftBug('y')).toThrow('machine raft broke its contract: y');
  });
  it('a state whose commit index is beyond its log is refused on the next step', () => {
    const s = raft.step(raft.init({ id: 'a', voters: ['a', 'b', 'c'], seed: 1 }), { type: 'tick', now: 0 }).state;
    const broken = { ...s, commit: 5 };
    expect(() => raft.step(broken, { type: 'campaign', now: 1 })).toThrow(/commit 5 beyond the last index 0/);
  });
});
