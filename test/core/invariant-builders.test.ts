import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  agreement,
  always,
  converged,
  atMostOne,
  atMostOnePer,
  checkInvariants,
  everyNode,
  never,
  staticView,
  type Invariant,
} from 'distkit/core';

type Raftish = { role: 'leader' | 'follower' | 'candidate'; term: number; committed?: string };

/** What `inv` says about `states`, every node up. */
const verdict = <S>(inv: Invariant<S>, states: Readonly<Record<string, S>>): string | undefined => inv.check(states, staticView(states));

describe('invariant builders', () => {
  const electionSafety = atMostOnePer<Raftish>('at most one leader per term', (s) => s.role === 'leader', (s) => s.term);
  it('atMostOnePer: at most one leader per term (Raft election safety)', () => {
    expect(electionSafety.name).toBe('at most one leader per term');
    expect(verdict(electionSafety, { a: { role: 'leader', term: 1 }, b: { role: 'leader', term: 2 }, c: { role: 'follower', term: 2 } })).toBeUndefined();
    expect(verdict(electionSafety, { a: { role: 'leader', term: 2 }, b: { role: 'follower', term: 2 }, c: { role: 'leader', term: 2 } })).toBe('a and c for key 2');
  });
  it('atMostOne and never', () => {
    const one = atMostOne<Raftish>('one leader', (s) => s.role === 'leader');
    expect(verdict(one, { a: { role: 'leader', term: 1 } })).toBeUndefined();
    expect(verdict(one, { a: { role: 'leader', term: 1 }, b: { role: 'leader', term: 5 } })).toBe('a, b all hold');
    const twoCandidates = never<Raftish>('two candidates', (st) => Object.values(st).filter((s) => s.role === 'candidate').length > 1);
    expect(verdict(twoCandidates, { a: { role: 'candidate', term: 1 } })).toBeUndefined();
    expect(verdict(twoCandidates, { a: { role: 'candidate', term: 1 }, b: { role: 'candidate', term: 1 } })).toBe('two candidates: happened');
    expect(verdict(never<Raftish>('custom', () => 'details'), {})).toBe('details');
  });
  it('always and everyNode', () => {
    expect(verdict(always<Raftish>('terms small', (st) => Object.values(st).every((s) => s.term < 3)), { a: { role: 'leader', term: 3 } })).toBe('terms small: violated');
    expect(verdict(always<Raftish>('x', () => 'why'), {})).toBe('why');
    expect(verdict(always<Raftish>('x', () => true), {})).toBeUndefined();
    expect(verdict(everyNode<Raftish>('term >= 0', (s) => s.term >= 0), { a: { role: 'leader', term: 0 }, b: { role: 'leader', term: -1 } })).toBe('b: term >= 0 does not hold');
  });
  it('always and never see the view', () => {
    const late = always<Raftish>('before 100 ms', (_st, view) => view.time < 100);
    expect(late.check({}, staticView({}, 50))).toBeUndefined();
    expect(late.check({}, staticView({}, 150))).toBe('before 100 ms: violated');
  });
  it('agreement compares decisions by canonical JSON and ignores undecided nodes', () => {
    const agree = agreement<{ d?: unknown }>('agreement', (s) => s.d);
    expect(verdict(agree, { a: { d: { x: 1, y: 2 } }, b: {}, c: { d: { y: 2, x: 1 } } })).toBeUndefined();
    expect(verdict(agree, { a: { d: 1 }, b: { d: 2 } })).toBe('a decided 1 but b decided 2');
  });
  it('converged counts nodes without a value', () => {
    const same = converged<{ v?: number[] }>('converged', (s) => s.v);
    expect(verdict(same, { a: { v: [1] }, b: { v: [1] } })).toBeUndefined();
    expect(verdict(same, { a: { v: [1] }, b: {} })).toBe('a has [1] but b has null');
    expect(verdict(same, {})).toBeUndefined();
  });
  it('checkInvariants returns the first violation in order', () => {
    const invs: Invariant<Raftish>[] = [always('fine', () => true), never('bad', () => true), never('worse', () => true)];
    expect(checkInvariants(invs, {})).toEqual({ invariant: 'bad', description: 'bad: happened' });
    expect(checkInvariants([], {})).toBeUndefined();
  });
  it('property: atMostOnePer holds iff no two selected nodes share a key', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ leader: fc.boolean(), term: fc.integer({ min: 0, max: 3 }) }), { maxLength: 6 }), (nodes) => {
        const states = Object.fromEntries(nodes.map((n, i) => [`n${i}`, { role: n.leader ? ('leader' as const) : ('follower' as const), term: n.term }]));
        const terms = nodes.filter((n) => n.leader).map((n) => n.term);
        expect(verdict(electionSafety, states) === undefined).toBe(new Set(terms).size === terms.length);
      }),
    );
  });
});
