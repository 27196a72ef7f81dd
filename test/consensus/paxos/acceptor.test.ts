import { describe, expect, it } from 'vitest';
import { answerBallot, notOwner } from '../../../src/consensus/paxos/acceptor.js';
import { classicBallots, type PaxosBallot } from '../../../src/consensus/paxos/common.js';

const b = (round: number, node: string): PaxosBallot => ({ round, node });

describe('acceptor rules (Paxos Made Simple §2.2, P1b/P2b)', () => {
  it('answers a ballot above the promise and promises it', () => {
    const refused: unknown[] = [];
    const promised = b(1, 'a');
    expect(answerBallot(classicBallots, promised, 'b', b(2, 'b'), (n) => refused.push(n))).toEqual(b(2, 'b'));
    expect(answerBallot(classicBallots, null, 'a', b(1, 'a'), (n) => refused.push(n))).toEqual(b(1, 'a'));
    expect(refused).toEqual([]);
  });

  it('answers a duplicate of the promised ballot again, keeping the very same promise', () => {
    const promised = b(3, 'a');
    expect(answerBallot(classicBallots, promised, 'a', b(3, 'a'), () => expect.fail('no nack'))).toBe(promised);
  });

  it('refuses a ballot below the promise with a nack naming the promise', () => {
    const refused: unknown[] = [];
    expect(answerBallot(classicBallots, b(5, 'c'), 'a', b(4, 'a'), (n) => refused.push(n))).toBeNull();
    expect(refused).toEqual([{ type: 'nack', ballot: b(4, 'a'), promised: b(5, 'c') }]);
  });

  it('rejects a ballot its sender does not own, without a nack', () => {
    expect(answerBallot(classicBallots, null, 'b', b(1, 'a'), () => expect.fail('no nack'))).toBe('ballot.node: a is not the sender b');
    expect(notOwner(b(1, 'a'), 'a')).toBeUndefined();
  });
});
