// The election invariants: each reports a violating state with a description naming the nodes, and
// passes a good one.
import { describe, expect, it } from 'vitest';
import { checkInvariants, staticView } from '../../src/core/index.js';
import { bully, bullyInvariants, bullySettled, ringElection, ringInvariants, type BullyState, type RingElectionState } from '../../src/election/index.js';

const nodes = ['a', 'b', 'c'];
const bullyAt = (id: string, patch: Partial<BullyState>): BullyState => ({ ...bully.init({ id, nodes }), ...patch });

describe('bullyInvariants: at most one settled coordinator (Garcia-Molina §4)', () => {
  it('passes when one idle node names itself and the others follow it', () => {
    const states = { a: bullyAt('a', { leader: 'c' }), b: bullyAt('b', { leader: 'c' }), c: bullyAt('c', { leader: 'c' }) };
    expect(checkInvariants(bullyInvariants(), states)).toBeUndefined();
  });

  it('reports two idle nodes that both consider themselves the coordinator', () => {
    const states = { a: bullyAt('a', { leader: 'b' }), b: bullyAt('b', { leader: 'b' }), c: bullyAt('c', { leader: 'c' }) };
    const v = checkInvariants(bullyInvariants(), states);
    expect(v?.invariant).toMatch(/at most one settled node/);
    expect(v?.description).toContain('b');
    expect(v?.description).toContain('c');
  });

  it('a node still electing does not count as settled', () => {
    const states = { b: bullyAt('b', { leader: 'b', phase: 'electing' }), c: bullyAt('c', { leader: 'c' }) };
    expect(checkInvariants(bullyInvariants(), states)).toBeUndefined();
  });
});

describe('bullySettled: every live node follows the highest live id', () => {
  it('passes when all follow the highest live node', () => {
    const states = { a: bullyAt('a', { leader: 'b' }), b: bullyAt('b', { leader: 'b' }) };
    expect(bullySettled().check(states, staticView(states))).toBeUndefined();
  });

  it('names each node that follows someone else, or nobody', () => {
    const states = { a: bullyAt('a', { leader: null }), b: bullyAt('b', { leader: 'c' }), c: bullyAt('c', { leader: 'c' }) };
    expect(bullySettled().check(states, staticView(states))).toBe('a follows nobody, not c');
  });
});

describe('ringInvariants: nodes done electing agree on the leader (Chang & Roberts)', () => {
  const ringAt = (id: string, patch: Partial<RingElectionState>): RingElectionState => ({ ...ringElection.init({ id, nodes }), ...patch });

  it('passes on agreement and ignores nodes still participating', () => {
    const states = { a: ringAt('a', { leader: 'c' }), b: ringAt('b', { leader: 'b', participant: true }), c: ringAt('c', { leader: 'c' }) };
    expect(checkInvariants(ringInvariants(), states)).toBeUndefined();
  });

  it('reports two done nodes naming different leaders', () => {
    const states = { a: ringAt('a', { leader: 'c' }), b: ringAt('b', { leader: 'b' }) };
    const v = checkInvariants(ringInvariants(), states);
    expect(v?.invariant).toMatch(/same leader/);
    expect(v?.description).toMatch(/a.*c|b.*b/);
  });
});
