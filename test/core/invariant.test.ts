// The one Invariant type: `check` returns what is wrong, or undefined when the invariant holds;
// checkInvariants reports the first violation by name.
import { describe, expect, it } from 'vitest';
import { checkInvariants, staticView, type Invariant } from '../../src/core/index.js';

type S = { readonly leader: boolean; readonly term: number };

const oneLeaderPerTerm: Invariant<S> = {
  name: 'one leader per term',
  check: (states) => {
    const byTerm = new Map<number, string[]>();
    for (const [id, s] of Object.entries(states)) if (s.leader) byTerm.set(s.term, [...(byTerm.get(s.term) ?? []), id]);
    for (const [term, ids] of byTerm) if (ids.length > 1) return `term ${term} has leaders ${ids.join(', ')}`;
    return undefined;
  },
};
const upCount: Invariant<S> = {
  name: 'at least two nodes up',
  check: (_states, view) => (view.nodes.filter((n) => view.isUp(n)).length >= 2 ? undefined : `only ${view.nodes.filter((n) => view.isUp(n)).join(', ')} up`),
};

describe('checkInvariants', () => {
  it('returns undefined when every invariant holds', () => {
    expect(checkInvariants([oneLeaderPerTerm, upCount], { a: { leader: true, term: 1 }, b: { leader: false, term: 1 } })).toBeUndefined();
  });

  it('reports the first violated invariant with its name and description', () => {
    const v = checkInvariants([upCount, oneLeaderPerTerm], { a: { leader: true, term: 2 }, b: { leader: true, term: 2 } });
    expect(v).toEqual({ invariant: 'one leader per term', description: 'term 2 has leaders a, b' });
  });

  it('checks in order: an earlier violation wins', () => {
    const v = checkInvariants([upCount, oneLeaderPerTerm], { a: { leader: true, term: 2 } });
    expect(v?.invariant).toBe('at least two nodes up');
  });

  it('passes the given view through (a node down is not in states)', () => {
    const view = { time: 5, nodes: ['a', 'b', 'c'], isUp: (n: string) => n !== 'c' };
    expect(checkInvariants([upCount], { a: { leader: false, term: 0 }, b: { leader: false, term: 0 } }, view)).toBeUndefined();
    const down = { time: 5, nodes: ['a', 'b', 'c'], isUp: (n: string) => n === 'a' };
    expect(checkInvariants([upCount], { a: { leader: false, term: 0 } }, down)).toEqual({ invariant: 'at least two nodes up', description: 'only a up' });
  });
});

describe('staticView', () => {
  it('lists the nodes of the states, all up, at the given time', () => {
    const v = staticView({ a: 1, b: 2 }, 42);
    expect(v.time).toBe(42);
    expect(v.nodes).toEqual(['a', 'b']);
    expect(v.isUp('a')).toBe(true);
    expect(v.isUp('z')).toBe(false);
  });

  it('reads own properties only: a node named after an Object.prototype property is not up unless present', () => {
    const v = staticView({ a: 1 });
    expect(v.isUp('toString')).toBe(false);
    expect(v.isUp('__proto__')).toBe(false);
    expect(staticView(JSON.parse('{"__proto__": 1}')).isUp('__proto__')).toBe(true);
  });
});
