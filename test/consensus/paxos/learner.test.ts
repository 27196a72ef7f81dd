import { describe, expect, it } from 'vitest';
import { classicBallots, type PaxosBallot } from '../../../src/consensus/paxos/common.js';
import { roomForBallot } from '../../../src/consensus/paxos/learner.js';

const b = (round: number, node: string): PaxosBallot => ({ round, node });

describe('learner vote table (bounded, lowest ballot evicted)', () => {
  const table = { '1.a': { ballot: b(1, 'a') }, '3.a': { ballot: b(3, 'a') } };

  it('keeps the table while it has room', () => {
    expect(roomForBallot(classicBallots, table, b(0 + 1, 'z'), 3)).toBe(table);
  });

  it('a higher ballot evicts the lowest one when full', () => {
    expect(roomForBallot(classicBallots, table, b(2, 'a'), 2)).toEqual({ '3.a': { ballot: b(3, 'a') } });
  });

  it('a ballot below every tracked one is of no use when full', () => {
    expect(roomForBallot(classicBallots, { '3.a': { ballot: b(3, 'a') } }, b(2, 'a'), 1)).toBe('learner vote table full (maxLearnerBallots 1) with higher ballots than (2, a)');
  });
});
