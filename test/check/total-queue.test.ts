import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkTotalQueue, type Operation, type TotalQueueInput, type TotalQueueOutput } from 'distkit/check';

type Op = Operation<TotalQueueInput<number>, TotalQueueOutput<number>>;
let next = 0;
const enq = (value: number, acked = true): Op => ({ id: next++, client: 'p', input: { f: 'enqueue', value }, call: next, ...(acked ? { output: true, ret: next + 1 } : {}) });
const deq = (value: number | null): Op => ({ id: next++, client: 'c', input: { f: 'dequeue' }, call: next, output: value, ret: next + 1 });
const drain = (values: number[]): Op => ({ id: next++, client: 'd', input: { f: 'drain' }, call: next, output: values, ret: next + 1 });

describe("checkTotalQueue (Jepsen's total-queue)", () => {
  it('passes: everything acknowledged came out once', () => {
    const r = checkTotalQueue([enq(1), enq(2), deq(2), deq(null), drain([1])]);
    expect(r).toMatchObject({ valid: true, attemptCount: 2, acknowledgedCount: 2, okCount: 2, lostCount: 0, duplicatedCount: 0 });
  });

  it('passes with duplicates (at-least-once) and counts them', () => {
    const r = checkTotalQueue([enq(1), deq(1), deq(1)]);
    expect(r.valid).toBe(true);
    expect(r.duplicated).toEqual([1]);
  });

  it('passes when an enqueue of unknown outcome never came out, and calls one that did recovered', () => {
    const r = checkTotalQueue([enq(1, false), enq(2, false), deq(2)]);
    expect(r).toMatchObject({ valid: true, recovered: [2], lostCount: 0 });
  });

  it('fails on a lost acknowledged enqueue', () => {
    const r = checkTotalQueue([enq(1), enq(2), drain([1])]);
    expect(r).toMatchObject({ valid: false, lost: [2], lostCount: 1 });
  });

  it('fails on an unexpected value', () => {
    const r = checkTotalQueue([enq(1), drain([1, 7])]);
    expect(r).toMatchObject({ valid: false, unexpected: [7] });
  });

  it('counts multiset copies: two enqueues of one value, one dequeue, is one lost', () => {
    const r = checkTotalQueue([enq(5), enq(5), deq(5)]);
    expect(r).toMatchObject({ valid: false, lost: [5] });
  });

  it('compares values structurally', () => {
    const h: Operation<TotalQueueInput<{ a: number; b: number }>, TotalQueueOutput<{ a: number; b: number }>>[] = [
      { id: 0, client: 'p', input: { f: 'enqueue', value: { a: 1, b: 2 } }, call: 0, output: true, ret: 1 },
      { id: 1, client: 'c', input: { f: 'dequeue' }, call: 2, output: { b: 2, a: 1 }, ret: 3 },
    ];
    expect(checkTotalQueue(h).valid).toBe(true);
  });

  it('property: a drain of a permutation of the acknowledged values is valid; dropping one is not', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer(), { minLength: 1, maxLength: 30 }), fc.nat(), (values, k) => {
        const ops = values.map((x) => enq(x));
        const shuffled = [...values].sort((a, b) => ((a * 7919) % 13) - ((b * 7919) % 13));
        expect(checkTotalQueue([...ops, drain(shuffled)]).valid).toBe(true);
        const dropped = shuffled.filter((_, i) => i !== k % shuffled.length);
        const r = checkTotalQueue([...ops, drain(dropped)]);
        expect(r.valid).toBe(false);
        expect(r.lostCount).toBe(1);
      }),
    );
  });
});
