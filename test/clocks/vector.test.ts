import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ClockError } from 'distkit/core';
import {
  compareVectorClocks,
  EMPTY_VECTOR_CLOCK,
  incrementVectorClock,
  mergeVectorClocks,
  pruneVectorClock,
  retainVectorClock,
  vectorClockDescends,
  vectorClockEntry,
  vectorClocksConcurrent,
  type VectorClock,
} from 'distkit/clocks';
import { executionArb, happenedBefore } from './execution.js';

const ids = ['a', 'b', 'c', 'd', 'e'];
const vcArb: fc.Arbitrary<VectorClock> = fc.dictionary(fc.constantFrom(...ids), fc.nat({ max: 6 }), { maxKeys: 5 });
const same = (x: VectorClock, y: VectorClock) => compareVectorClocks(x, y) === 'equal';

/** Stamps every event of an execution (Mattern 1988 §3: increment on each event, merge on receive). */
function stamp(x: ReturnType<typeof executionArb> extends fc.Arbitrary<infer E> ? E : never): VectorClock[] {
  const clocks: VectorClock[] = Array.from({ length: x.processes }, () => EMPTY_VECTOR_CLOCK);
  const at: VectorClock[] = [];
  for (const e of x.events) {
    const id = `p${e.proc}`;
    let vc = clocks[e.proc]!;
    if (e.kind === 'receive') vc = mergeVectorClocks(vc, at[e.send]!);
    vc = incrementVectorClock(vc, id);
    clocks[e.proc] = vc;
    at.push(vc);
  }
  return at;
}

describe('vector clocks (Fidge 1988, Mattern 1988 §3)', () => {
  it('increment adds one to the node entry, creating it sparse', () => {
    expect(incrementVectorClock({}, 'a')).toEqual({ a: 1 });
    expect(incrementVectorClock({ a: 1 }, 'b')).toEqual({ a: 1, b: 1 });
    expect(incrementVectorClock({ a: 1, b: 1 }, 'a')).toEqual({ a: 2, b: 1 });
  });

  it('increment refuses bad ids and overflow', () => {
    expect(() => incrementVectorClock({}, '__proto__')).toThrow(ClockError);
    expect(() => incrementVectorClock({}, '')).toThrow(ClockError);
    expect(() => incrementVectorClock({ a: Number.MAX_SAFE_INTEGER }, 'a')).toThrow(/2\^53/);
  });

  it('merge is the pointwise max and shares an input when one descends from the other', () => {
    expect(mergeVectorClocks({ a: 2, b: 1 }, { b: 3, c: 1 })).toEqual({ a: 2, b: 3, c: 1 });
    const a = { a: 2, b: 2 };
    const b = { a: 1, b: 2 };
    expect(mergeVectorClocks(a, b)).toBe(a);
    expect(mergeVectorClocks(b, a)).toBe(a);
    expect(mergeVectorClocks({ x: 1, y: 1 }, { x: 2, y: 0 })).toEqual({ x: 2, y: 1 });
  });

  it('compare distinguishes equal from concurrent', () => {
    expect(compareVectorClocks({ a: 1 }, { a: 1, b: 1 })).toBe('before');
    expect(compareVectorClocks({ a: 1, b: 1 }, { a: 1 })).toBe('after');
    expect(compareVectorClocks({ a: 2, b: 0 }, { a: 2 })).toBe('equal');
    expect(compareVectorClocks({}, {})).toBe('equal');
    expect(compareVectorClocks({ a: 2 }, { a: 1, b: 1 })).toBe('concurrent');
    expect(compareVectorClocks({ a: 1, b: 2 }, { a: 2, b: 1 })).toBe('concurrent');
    expect(vectorClocksConcurrent({ a: 1 }, { b: 1 })).toBe(true);
  });

  it('descends is ≥ pointwise', () => {
    expect(vectorClockDescends({ a: 2, b: 1 }, { a: 1 })).toBe(true);
    expect(vectorClockDescends({ a: 1 }, { a: 1 })).toBe(true);
    expect(vectorClockDescends({ a: 1 }, { b: 1 })).toBe(false);
    expect(vectorClockDescends({}, { b: 0 })).toBe(true);
  });

  it('prune drops departed nodes, retain keeps members; both share when unchanged', () => {
    const vc = { a: 2, b: 1, c: 4 };
    expect(pruneVectorClock(vc, ['c'])).toEqual({ a: 2, b: 1 });
    expect(pruneVectorClock(vc, ['z'])).toBe(vc);
    expect(retainVectorClock(vc, ['a', 'b'])).toEqual({ a: 2, b: 1 });
    expect(retainVectorClock(vc, ['a', 'b', 'c'])).toBe(vc);
    expect(vc).toEqual({ a: 2, b: 1, c: 4 });
  });

  it('entry reads absent entries as 0, and never reaches the prototype', () => {
    expect(vectorClockEntry({ a: 3 }, 'a')).toBe(3);
    expect(vectorClockEntry({ a: 3 }, 'b')).toBe(0);
    expect(vectorClockEntry({ a: 3 }, 'constructor')).toBe(0);
  });

  it('never mutates its inputs', () => {
    const a = Object.freeze({ a: 1, b: 5 });
    const b = Object.freeze({ a: 3, c: 1 });
    expect(() => [mergeVectorClocks(a, b), incrementVectorClock(a, 'a'), pruneVectorClock(a, ['a'])]).not.toThrow();
  });

  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(vcArb, vcArb, vcArb, (a, b, c) => {
        expect(same(mergeVectorClocks(a, b), mergeVectorClocks(b, a))).toBe(true);
        expect(same(mergeVectorClocks(mergeVectorClocks(a, b), c), mergeVectorClocks(a, mergeVectorClocks(b, c)))).toBe(true);
        expect(same(mergeVectorClocks(a, a), a)).toBe(true);
        // and it is the least upper bound
        const m = mergeVectorClocks(a, b);
        expect(vectorClockDescends(m, a) && vectorClockDescends(m, b)).toBe(true);
        for (const k of ids) expect(vectorClockEntry(m, k)).toBe(Math.max(vectorClockEntry(a, k), vectorClockEntry(b, k)));
      }),
      { numRuns: 500 },
    );
  });

  it('compare agrees with the pointwise definition, and is antisymmetric', () => {
    fc.assert(
      fc.property(vcArb, vcArb, (a, b) => {
        let le = true;
        let ge = true;
        for (const k of ids) {
          const x = vectorClockEntry(a, k);
          const y = vectorClockEntry(b, k);
          if (x > y) le = false;
          if (x < y) ge = false;
        }
        const expected = le && ge ? 'equal' : le ? 'before' : ge ? 'after' : 'concurrent';
        expect(compareVectorClocks(a, b)).toBe(expected);
        const flip = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;
        expect(compareVectorClocks(b, a)).toBe(flip[expected]);
        expect(vectorClockDescends(a, b)).toBe(ge);
      }),
      { numRuns: 1000 },
    );
  });

  it('compare matches the true causal order and flags exactly the concurrent pairs', () => {
    fc.assert(
      fc.property(executionArb(5, 40), (x) => {
        const vcs = stamp(x);
        for (let e = 0; e < x.events.length; e++) {
          for (let f = 0; f < x.events.length; f++) {
            if (e === f) continue;
            const order = compareVectorClocks(vcs[e]!, vcs[f]!);
            const hb = happenedBefore(x, e, f);
            const hbr = happenedBefore(x, f, e);
            expect(order).toBe(hb ? 'before' : hbr ? 'after' : 'concurrent');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('clocks with the same ids in another order compare by value (generic path)', () => {
    expect(compareVectorClocks({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe('equal');
    expect(compareVectorClocks({ a: 1, b: 2 }, { b: 3, a: 1 })).toBe('before');
    expect(mergeVectorClocks({ a: 1, b: 2 }, { b: 1, a: 3 })).toEqual({ a: 3, b: 2 });
  });
});
