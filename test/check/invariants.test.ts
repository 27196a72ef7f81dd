import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { agreement, always, converged, atMostOne, atMostOnePer, checkInvariants, everyNode, never, type Invariant } from 'distkit/check';

type Raftish = { role: 'leader' | 'follower' | 'candidate'; term: number; committed?: string };

describe('invariant helpers', () => {
  const electionSafety = atMostOnePer<Raftish>((s) => s.term, (s) => s.role === 'leader', 'at most one leader per term');
  it('atMostOnePer: at most one leader per term (Raft election safety)', () => {
    expect(electionSafety.name).toBe('at most one leader per term');
    expect(electionSafety.check({ a: { role: 'leader', term: 1 }, b: { role: 'leader', term: 2 }, c: { role: 'follower', term: 2 } })).toBeUndefined();
    expect(electionSafety.check({ a: { role: 'leader', term: 2 }, b: { role: 'follower', term: 2 }, c: { role: 'leader', term: 2 } })).toBe('a and c for key 2');
  });
  it('atMostOne and never', () => {
    const one = atMostOne<Raftish>((s) => s.role === 'leader');
    expect(one.check({ a: { role: 'leader', term: 1 } })).toBeUndefined();
    expect(one.check({ a: { role: 'leader', term: 1 }, b: { role: 'leader', term: 5 } })).toBe('a, b all hold');
    const twoCandidates = never<Raftish>('two candidates', (st) => Object.values(st).filter((s) => s.role === 'candidate').length > 1);
    expect(twoCandidates.check({ a: { role: 'candidate', term: 1 } })).toBeUndefined();
    expect(twoCandidates.check({ a: { role: 'candidate', term: 1 }, b: { role: 'candidate', term: 1 } })).toBe('two candidates: happened');
    expect(never<Raftish>('custom', () => 'details').check({})).toBe('details');
  });
  it('always and everyNode', () => {
    expect(always<Raftish>('terms small', (st) => Object.values(st).every((s) => s.term < 3)).check({ a: { role: 'leader', term: 3 } })).toBe('terms small: violated');
    expect(always<Raftish>('x', () => 'why').check({})).toBe('why');
    expect(always<Raftish>('x', () => true).check({})).toBeUndefined();
    expect(everyNode<Raftish>('term >= 0', (s) => s.term >= 0).check({ a: { role: 'leader', term: 0 }, b: { role: 'leader', term: -1 } })).toBe('b: term >= 0 does not hold');
  });
  it('agreement compares decisions by canonical JSON and ignores undecided nodes', () => {
    const agree = agreement<{ d?: unknown }>((s) => s.d);
    expect(agree.check({ a: { d: { x: 1, y: 2 } }, b: {}, c: { d: { y: 2, x: 1 } } })).toBeUndefined();
    expect(agree.check({ a: { d: 1 }, b: { d: 2 } })).toBe('a decided 1 but b decided 2');
  });
  it('converged counts nodes without a value', () => {
    const same = converged<{ v?: number[] }>((s) => s.v);
    expect(same.check({ a: { v: [1] }, b: { v: [1] } })).toBeUndefined();
    expect(same.check({ a: { v: [1] }, b: {} })).toBe('a has [1] but b has null');
    expect(same.check({})).toBeUndefined();
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
        expect(electionSafety.check(states) === undefined).toBe(new Set(terms).size === terms.length);
      }),
    );
  });
});
