// Quorum arithmetic: the sizes every protocol's safety argument rests on.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { byzantineQuorum, byzantineTolerance, crashTolerance, fastQuorum, majority, reached } from '../../src/core/index.js';

const sizes = fc.integer({ min: 1, max: 10_000 });

describe('majority and crash tolerance (Raft §5.2, Paxos)', () => {
  it('small clusters', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(majority)).toEqual([1, 2, 2, 3, 3, 4, 4]);
    expect([1, 2, 3, 4, 5, 6, 7].map(crashTolerance)).toEqual([0, 0, 1, 1, 2, 2, 3]);
  });

  it('any two majorities intersect, and a smaller quorum would not', () => {
    fc.assert(
      fc.property(sizes, (n) => {
        expect(2 * majority(n)).toBeGreaterThan(n);
        expect(2 * (majority(n) - 1)).toBeLessThanOrEqual(n);
      }),
    );
  });

  it('the survivors of f = crashTolerance(n) crashes still form a majority, and of f + 1 do not', () => {
    fc.assert(
      fc.property(sizes, (n) => {
        const f = crashTolerance(n);
        expect(n - f).toBeGreaterThanOrEqual(majority(n));
        expect(n - (f + 1)).toBeLessThan(majority(n));
      }),
    );
  });
});

describe('Byzantine tolerance and quorums (PBFT §3: n >= 3f + 1, quorums of 2f + 1)', () => {
  it('small clusters', () => {
    expect([1, 3, 4, 6, 7, 10].map(byzantineTolerance)).toEqual([0, 0, 1, 1, 2, 3]);
    expect([0, 1, 2, 3].map(byzantineQuorum)).toEqual([1, 3, 5, 7]);
  });

  it('n >= 3f + 1, and f + 1 traitors would break it', () => {
    fc.assert(
      fc.property(sizes, (n) => {
        const f = byzantineTolerance(n);
        expect(n).toBeGreaterThanOrEqual(3 * f + 1);
        expect(n).toBeLessThan(3 * (f + 1) + 1);
      }),
    );
  });

  it('two quorums of 2f + 1 among 3f + 1 share at least one correct replica', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), (f) => {
        const n = 3 * f + 1;
        const overlap = 2 * byzantineQuorum(f) - n;
        expect(overlap).toBeGreaterThanOrEqual(f + 1);
      }),
    );
  });
});

describe('fast quorum (Fast Paxos §3.4.1: ceil(3N/4))', () => {
  it('small clusters', () => {
    expect([1, 2, 3, 4, 5, 8].map(fastQuorum)).toEqual([1, 2, 3, 3, 4, 6]);
  });

  it('any two fast quorums and one classic majority intersect', () => {
    fc.assert(
      fc.property(sizes, (n) => {
        // |Q1 ∩ Q2 ∩ C| >= 2F + M - 2N > 0
        expect(2 * fastQuorum(n) + majority(n) - 2 * n).toBeGreaterThan(0);
      }),
    );
  });
});

describe('reached', () => {
  it('is true from the quorum size on', () => {
    expect(reached(2, 3)).toBe(false);
    expect(reached(3, 3)).toBe(true);
    expect(reached(4, 3)).toBe(true);
  });
});
