// The pieces the Paxos machines share: the ballot order (PMS §2.2: rounds, then node ids), value
// equality, and the config checks that name the field.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError, PAYLOAD_LIMITS } from '../../../src/core/index.js';
import { ballotKey, ballotText, canStartRound, classicBallots, comparePaxosBallots, MAX_ROUND, requireLimits, requireOrder, requireSeed, sameValue, senderText, type PaxosBallot } from '../../../src/consensus/paxos/common.js';

const ballot = fc.record({ round: fc.integer({ min: 1, max: 100 }), node: fc.constantFrom('a', 'b', 'c', 'aa') });

describe('ballot order', () => {
  it('orders by round, then by node id; null is lowest', () => {
    expect(comparePaxosBallots({ round: 1, node: 'z' }, { round: 2, node: 'a' })).toBeLessThan(0);
    expect(comparePaxosBallots({ round: 2, node: 'b' }, { round: 2, node: 'a' })).toBeGreaterThan(0);
    expect(comparePaxosBallots({ round: 2, node: 'a' }, { round: 2, node: 'a' })).toBe(0);
    expect(comparePaxosBallots(null, { round: 1, node: 'a' })).toBeLessThan(0);
    expect(comparePaxosBallots(null, null)).toBe(0);
  });

  it('property: a total order (antisymmetric, transitive), ballots equal only when round and node are', () => {
    fc.assert(
      fc.property(ballot, ballot, ballot, (a, b, c) => {
        expect(Math.sign(comparePaxosBallots(a, b)) + Math.sign(comparePaxosBallots(b, a))).toBe(0);
        expect(comparePaxosBallots(a, b) === 0).toBe(a.round === b.round && a.node === b.node);
        if (comparePaxosBallots(a, b) <= 0 && comparePaxosBallots(b, c) <= 0) expect(comparePaxosBallots(a, c)).toBeLessThanOrEqual(0);
        expect(ballotKey(a) === ballotKey(b)).toBe(comparePaxosBallots(a, b) === 0);
      }),
    );
  });

  it('texts for rejections', () => {
    const b: PaxosBallot = { round: 3, node: 'b' };
    expect(ballotText(b)).toBe('(3, b)');
    expect(ballotText(null)).toBe('none');
    expect(classicBallots.text(b)).toBe('(3, b)');
  });

  it('a new round may start only below MAX_ROUND', () => {
    expect(canStartRound(0)).toBe(true);
    expect(canStartRound(MAX_ROUND - 1)).toBe(true);
    expect(canStartRound(MAX_ROUND)).toBe(false);
  });
});

describe('sameValue', () => {
  it('compares JSON values structurally, ignoring key order', () => {
    expect(sameValue({ a: 1, b: [2] }, { b: [2], a: 1 })).toBe(true);
    expect(sameValue({ a: 1 }, { a: '1' })).toBe(false);
    expect(sameValue(null, null)).toBe(true);
  });
});

describe('config checks name the field', () => {
  const field = (make: () => unknown): string => {
    try {
      make();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).field;
    }
    return '(nothing thrown)';
  };

  it('requireSeed takes a finite number or a string, else the fallback', () => {
    expect(requireSeed('seed', undefined, 'a')).toBe('a');
    expect(requireSeed('seed', 7, 'a')).toBe(7);
    expect(field(() => requireSeed('seed', NaN, 'a'))).toBe('seed');
    expect(field(() => requireSeed('seed', {}, 'a'))).toBe('seed');
  });

  it('requireLimits resolves partial limits and returns PAYLOAD_LIMITS itself when nothing changes', () => {
    expect(requireLimits('payloadLimits', undefined)).toBe(PAYLOAD_LIMITS);
    expect(requireLimits('payloadLimits', {})).toBe(PAYLOAD_LIMITS);
    expect(requireLimits('payloadLimits', { maxDepth: 3 })).toEqual({ maxDepth: 3, maxBytes: PAYLOAD_LIMITS.maxBytes });
    expect(field(() => requireLimits('payloadLimits', { maxBytes: 0 }))).toBe('payloadLimits.maxBytes');
    expect(field(() => requireLimits('payloadLimits', 5))).toBe('payloadLimits');
  });

  it('requireOrder names the lower bound when it exceeds the upper', () => {
    expect(() => requireOrder('backoffMinMs', 5, 'backoffMaxMs', 5)).not.toThrow();
    expect(field(() => requireOrder('backoffMinMs', 6, 'backoffMaxMs', 5))).toBe('backoffMinMs');
  });

  it('senderText cuts long ids and names non-strings unknown', () => {
    expect(senderText('a')).toBe('a');
    expect(senderText('x'.repeat(10_000)).length).toBeLessThan(10_000);
    expect(senderText(42)).toBe('unknown');
  });
});
