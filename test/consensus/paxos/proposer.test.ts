import { describe, expect, it } from 'vitest';
import { MAX_COUNTER, seedPrng } from 'distkit/core';
import { classicBallots, type PaxosBallot } from '../../../src/consensus/paxos/common.js';
import { highestVote, nackProblem, nextRound, promiseProblem, retryBackoff } from '../../../src/consensus/paxos/proposer.js';

const b = (round: number, node: string): PaxosBallot => ({ round, node });

describe('proposer bookkeeping', () => {
  it('the next round goes above every round used, seen or promised, and never past MAX_COUNTER', () => {
    expect(nextRound(2, 7, 3)).toBe(8);
    expect(nextRound(0)).toBe(1);
    expect(nextRound(MAX_COUNTER)).toBeNull();
  });

  it('backs off within [1, min(max, base · 2^attempt)] and advances the PRNG', () => {
    const prng = seedPrng(1);
    const r = retryBackoff(3, 100, 10, 50, prng);
    expect(r.timer.at! - 100).toBeGreaterThanOrEqual(1);
    expect(r.timer.at! - 100).toBeLessThanOrEqual(50);
    expect(r.prng).not.toEqual(prng);
  });

  it('a promise counts only for the ballot being prepared, once per acceptor, with a lower vote', () => {
    const at = { preparing: true, ballot: b(2, 'a'), promises: { b: null } };
    expect(promiseProblem(classicBallots, at, 'c', b(2, 'a'), 'accepted.ballot', b(1, 'z'))).toBeUndefined();
    expect(promiseProblem(classicBallots, at, 'b', b(2, 'a'), 'accepted.ballot', null)).toBe('promise: duplicate from b');
    expect(promiseProblem(classicBallots, at, 'c', b(1, 'a'), 'accepted.ballot', null)).toBe('promise: ballot (1, a) is not being prepared');
    expect(promiseProblem(classicBallots, at, 'c', b(2, 'a'), 'vote.ballot', b(2, 'a'))).toBe('promise: vote.ballot must be below the promised ballot');
  });

  it('a late promise for the ballot already past phase 1 is ignored (null)', () => {
    expect(promiseProblem(classicBallots, { preparing: false, ballot: b(2, 'a'), promises: {} }, 'c', b(2, 'a'), 'accepted.ballot', null)).toBeNull();
  });

  it('a nack must name a higher ballot and refuse the attempt in progress', () => {
    expect(nackProblem(classicBallots, true, b(2, 'a'), b(2, 'a'), b(3, 'c'))).toBeUndefined();
    expect(nackProblem(classicBallots, true, b(2, 'a'), b(2, 'a'), b(1, 'c'))).toBe('nack: promised must exceed the refused ballot');
    expect(nackProblem(classicBallots, false, b(2, 'a'), b(2, 'a'), b(3, 'c'))).toBe('nack: ballot (2, a) is not in progress');
  });

  it('phase 2a takes the highest-numbered reported vote, the first of equals, or none', () => {
    const x = { ballot: b(2, 'a'), value: 'x' };
    const y = { ballot: b(3, 'a'), value: 'y' };
    const y2 = { ballot: b(3, 'a'), value: 'y2' };
    expect(highestVote(classicBallots, [null, x, y, y2])).toBe(y);
    expect(highestVote(classicBallots, [null, null])).toBeNull();
  });
});
