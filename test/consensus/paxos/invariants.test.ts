// The Paxos invariants: agreement (PMS §2.1), P2b (a chosen value binds later ballots) and validity,
// for Basic, Fast and Multi-Paxos. A violating state is reported with a message naming the nodes.
import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../../../src/core/index.js';
import { basicPaxos, basicPaxosInvariants, fastPaxos, fastPaxosInvariants, multiPaxos, multiPaxosInvariants, type BasicPaxosState, type FastPaxosState, type MultiPaxosState } from '../../../src/consensus/index.js';
import { logFrom } from '../../../src/consensus/paxos/log.js';

const ids = ['a', 'b', 'c'];
const basic = (id: string, learned: unknown, accepted?: { round: number; node: string; value: unknown }): BasicPaxosState => {
  const s = basicPaxos.init({ id, acceptors: ids });
  return {
    ...s,
    learner: learned === undefined ? s.learner : { ...s.learner!, decided: { value: learned } },
    acceptor: accepted === undefined ? s.acceptor : { ...s.acceptor!, accepted: { ballot: { round: accepted.round, node: accepted.node }, value: accepted.value } },
  };
};

describe('basicPaxosInvariants', () => {
  it('pass when everyone learned and accepted the same proposed value', () => {
    const states = { a: basic('a', 'x', { round: 1, node: 'a', value: 'x' }), b: basic('b', 'x', { round: 1, node: 'a', value: 'x' }), c: basic('c', undefined) };
    expect(checkInvariants(basicPaxosInvariants({ proposed: ['x'] }), states)).toBeUndefined();
  });

  it('agreement: two nodes learning different values are reported by name', () => {
    const states = { a: basic('a', 'x'), b: basic('b', 'y') };
    const v = checkInvariants(basicPaxosInvariants({ proposed: ['x', 'y'] }), states);
    expect(v?.invariant).toMatch(/^basic paxos agreement: no two nodes learn different values/);
    expect(v?.description).toBe('a learned "x" but b learned "y"');
  });

  it('P2b: once a majority accepted x, a vote for y in a later ballot is reported', () => {
    const states = {
      a: basic('a', undefined, { round: 1, node: 'a', value: 'x' }),
      b: basic('b', undefined, { round: 1, node: 'a', value: 'x' }),
      c: basic('c', undefined, { round: 2, node: 'c', value: 'y' }),
    };
    const v = checkInvariants(basicPaxosInvariants({ proposed: ['x', 'y'] }), states);
    expect(v?.description).toBe('"x" was chosen, yet c voted "y" in a later ballot');
  });

  it('a minority vote does not choose a value (a later different vote is legal)', () => {
    const states = { a: basic('a', undefined, { round: 1, node: 'a', value: 'x' }), c: basic('c', undefined, { round: 2, node: 'c', value: 'y' }) };
    expect(checkInvariants(basicPaxosInvariants({ proposed: ['x', 'y'] }), { ...states, b: basic('b', undefined) })).toBeUndefined();
  });

  it('validity: a learned or accepted value nobody proposed is reported', () => {
    expect(checkInvariants(basicPaxosInvariants({ proposed: ['x'] }), { a: basic('a', 'z') })?.description).toBe('a learned "z", which nobody proposed');
    expect(checkInvariants(basicPaxosInvariants({ proposed: ['x'] }), { a: basic('a', undefined, { round: 1, node: 'a', value: 'q' }) })?.description).toBe('a accepted "q", which nobody proposed');
  });
});

describe('fastPaxosInvariants', () => {
  it('report two nodes learning different values', () => {
    const four = ['a', 'b', 'c', 'd'];
    const f = (id: string, value: unknown): FastPaxosState => {
      const s = fastPaxos.init({ id, acceptors: four });
      return { ...s, learner: { ...s.learner!, decided: { value } } };
    };
    expect(checkInvariants(fastPaxosInvariants({ proposed: ['x', 'y'] }), { a: f('a', 'x'), b: f('b', 'x') })).toBeUndefined();
    expect(checkInvariants(fastPaxosInvariants({ proposed: ['x', 'y'] }), { a: f('a', 'x'), b: f('b', 'y') })?.description).toBe('a learned "x" but b learned "y"');
  });
});

describe('multiPaxosInvariants', () => {
  const m = (id: string, values: unknown[]): MultiPaxosState => ({ ...multiPaxos.init({ id, acceptors: ids }), log: logFrom(values.map((value) => ({ kind: 'command' as const, value }))) });

  it('agreement per slot: replicas with the same prefix pass; a different decision for a slot is reported', () => {
    expect(checkInvariants(multiPaxosInvariants({ proposed: ['x', 'y'] }), { a: m('a', ['x', 'y']), b: m('b', ['x']) })).toBeUndefined();
    const v = checkInvariants(multiPaxosInvariants({ proposed: ['x', 'y'] }), { a: m('a', ['x', 'y']), b: m('b', ['x', 'x']) });
    expect(v?.description).toBe('slot 2: a decided {"kind":"command","value":"y"} but b decided {"kind":"command","value":"x"}');
  });

  it('remembers decisions across checks: a replica that later decides otherwise is caught', () => {
    const invs = multiPaxosInvariants({ proposed: ['x', 'y'] });
    expect(checkInvariants(invs, { a: m('a', ['x']) })).toBeUndefined();
    expect(checkInvariants(invs, { b: m('b', ['y']) })?.description).toMatch(/^slot 1: a decided .* but b decided /);
  });

  it('validity: a decided command nobody proposed is reported', () => {
    expect(checkInvariants(multiPaxosInvariants({ proposed: ['x'] }), { a: m('a', ['x', 'evil']) })?.description).toBe('slot 2: a decided "evil", which nobody proposed');
  });
});
