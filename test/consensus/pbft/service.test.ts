// The hash-chain service PBFT replicas run by default: deterministic, order-sensitive, and its
// result commits to the whole history, so replicas that executed different histories disagree.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pbftHashChainService as svc, type PbftHashChainState } from '../../../src/consensus/index.js';

const run = (ops: readonly [string, unknown][]): PbftHashChainState => ops.reduce((s, [client, op]) => svc.execute(s, op, client).state, svc.init());

describe('pbftHashChainService', () => {
  it('starts empty and counts executions', () => {
    expect(svc.init()).toEqual({ executed: 0, hash: '' });
    const r = svc.execute(svc.init(), { op: 'set' }, 'c0');
    expect(r.state.executed).toBe(1);
    expect(r.result).toEqual({ index: 1, hash: r.state.hash });
    expect(r.state.hash).not.toBe('');
  });

  it('is deterministic: replicas executing the same history reach the same state', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('c0', 'c1'), fc.jsonValue()), { maxLength: 8 }), (ops) => {
        expect(run(ops)).toEqual(run(ops));
      }),
      { numRuns: 40 },
    );
  });

  it('depends on order, operation and client', () => {
    const a = run([['c0', 1], ['c0', 2]]);
    expect(run([['c0', 2], ['c0', 1]]).hash).not.toBe(a.hash);
    expect(run([['c0', 1], ['c0', 3]]).hash).not.toBe(a.hash);
    expect(run([['c0', 1], ['c1', 2]]).hash).not.toBe(a.hash);
  });

  it('never changes the state it is given', () => {
    const s = Object.freeze(svc.init());
    expect(() => svc.execute(s, 'x', 'c0')).not.toThrow();
    expect(s).toEqual({ executed: 0, hash: '' });
  });
});
