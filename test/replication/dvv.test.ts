import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DVV_EMPTY, dvvCopy, dvvJoin, dvvLess, dvvLww, dvvProblem, dvvSize, dvvSync, dvvUpdate, dvvValues, type Dvv } from '../../src/replication/index.js';

const ids = ['a', 'b', 'c'];

/** A replica in the reference model: its clock, and per write tag the tags it superseded. */
interface Model {
  clocks: Dvv<number>[];
  seen: Set<number>[];
}

type Op = { kind: 'write'; at: number; readFrom: number } | { kind: 'sync'; from: number; to: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('write' as const), at: fc.nat(2), readFrom: fc.nat(2) }),
  fc.record({ kind: fc.constant('sync' as const), from: fc.nat(2), to: fc.nat(2) }),
);

/** Runs ops; returns each replica's clock and the tags the reference model says must be live. */
function run(ops: readonly Op[]): { clocks: Dvv<number>[]; expected: number[][] } {
  const m: Model = { clocks: ids.map(() => DVV_EMPTY), seen: ids.map(() => new Set()) };
  const past = new Map<number, Set<number>>();
  let tag = 0;
  for (const o of ops) {
    if (o.kind === 'sync') {
      m.clocks[o.to] = dvvSync(m.clocks[o.to]!, m.clocks[o.from]!);
      m.seen[o.to] = new Set([...m.seen[o.to]!, ...m.seen[o.from]!]);
    } else {
      // A client reads replica readFrom (values + context), then writes through replica `at`.
      const t = tag++;
      past.set(t, new Set(m.seen[o.readFrom]!));
      m.clocks[o.at] = dvvUpdate(m.clocks[o.at]!, dvvJoin(m.clocks[o.readFrom]!), ids[o.at]!, t);
      m.seen[o.at] = new Set([...m.seen[o.at]!, ...m.seen[o.readFrom]!, t]);
    }
  }
  const expected = m.seen.map((s) => [...s].filter((t) => ![...s].some((u) => past.get(u)!.has(t))).sort((x, y) => x - y));
  return { clocks: m.clocks, expected };
}

const sorted = (c: Dvv<number>) => dvvValues(c).slice().sort((x, y) => x - y);
const norm = (c: Dvv<number>) => ({ entries: c.entries, anonymous: c.anonymous.slice().sort((x, y) => x - y) });
const clockArb = fc.array(op, { maxLength: 25 }).map((ops) => run(ops).clocks);

describe('dotted version vector sets (Preguiça et al. 2010; Riak dvvset)', () => {
  it('a read-then-write supersedes exactly the values read; concurrent writes are both kept', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const { clocks, expected } = run(ops);
        clocks.forEach((c, i) => expect(sorted(c)).toEqual(expected[i]));
      }),
      { numRuns: 500 },
    );
  });

  it('sync is idempotent, commutative and associative', () => {
    fc.assert(
      fc.property(clockArb, fc.nat(2), fc.nat(2), fc.nat(2), (cs, i, j, k) => {
        const [a, b, c] = [cs[i]!, cs[j]!, cs[k]!];
        expect(norm(dvvSync(a, a))).toEqual(norm(a));
        expect(norm(dvvSync(a, b))).toEqual(norm(dvvSync(b, a)));
        expect(norm(dvvSync(dvvSync(a, b), c))).toEqual(norm(dvvSync(a, dvvSync(b, c))));
      }),
      { numRuns: 300 },
    );
  });

  it('two blind writes are siblings; a write with the merged context resolves them', () => {
    const x = dvvUpdate(DVV_EMPTY, {}, 'a', 'x');
    const both = dvvUpdate(x, {}, 'a', 'y');
    expect(dvvValues(both)).toEqual(['y', 'x']);
    expect(dvvJoin(both)).toEqual({ a: 2 });
    const resolved = dvvUpdate(both, dvvJoin(both), 'b', 'xy');
    expect(dvvValues(resolved)).toEqual(['xy']);
    expect(dvvLess(both, resolved)).toBe(true);
    expect(dvvValues(dvvSync(both, resolved))).toEqual(['xy']);
  });

  it('a stale replica syncing an old clock does not resurrect superseded values', () => {
    const v1 = dvvUpdate(DVV_EMPTY, {}, 'a', 1);
    const v2 = dvvUpdate(v1, dvvJoin(v1), 'a', 2);
    expect(dvvValues(dvvSync(v1, v2))).toEqual([2]);
    expect(dvvValues(dvvSync(v2, v1))).toEqual([2]);
  });

  it('lww keeps one value with the same causal history', () => {
    const both = dvvSync(dvvUpdate(DVV_EMPTY, {}, 'a', 3), dvvUpdate(DVV_EMPTY, {}, 'b', 7));
    const one = dvvLww(both, (p, q) => p > q);
    expect(dvvValues(one)).toEqual([7]);
    expect(dvvJoin(one)).toEqual(dvvJoin(both));
    expect(dvvSize(both) - dvvSize(one)).toBe(1);
  });

  describe('untrusted clocks', () => {
    const limits = { ids, maxValues: 3, value: (x: unknown) => (typeof x === 'number' ? undefined : 'not a number') };
    it.each([
      [null, 'expected { entries: [], anonymous: [] }'],
      [{ entries: [{ id: 'b', counter: 1, values: [] }, { id: 'a', counter: 1, values: [] }], anonymous: [] }, 'entries[1].id: entries out of order or repeated'],
      [{ entries: [{ id: '__proto__', counter: 1, values: [] }], anonymous: [] }, 'entries[0].id: not a member: "__proto__"'],
      [{ entries: [{ id: 'a', counter: 0, values: [] }], anonymous: [] }, 'entries[0].counter: expected an integer in [1, MAX_COUNTER]'],
      [{ entries: [{ id: 'a', counter: 1, values: [1, 2] }], anonymous: [] }, 'entries[0].values: more values than writes'],
      [{ entries: [{ id: 'a', counter: 9, values: [1, 2] }], anonymous: [3, 4] }, 'more than 3 values'],
      [{ entries: [], anonymous: ['x'] }, 'anonymous: not a number'],
    ])('refuses %j', (c, reason) => expect(dvvProblem(c, limits)).toBe(reason));
    it('accepts and copies a well-formed clock without extra fields', () => {
      const c = { entries: [{ id: 'a', counter: 2, values: [5], evil: 1 }], anonymous: [1], more: 2 };
      expect(dvvProblem(c, limits)).toBeUndefined();
      expect(dvvCopy(c, (x) => x as number)).toEqual({ entries: [{ id: 'a', counter: 2, values: [5] }], anonymous: [1] });
    });
  });
});
