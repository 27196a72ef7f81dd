import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { conforms, describeValue, plainDataProblem, v } from 'distkit/core';

const vote = v.object({
  type: v.literal('vote'),
  term: v.int({ min: 0 }),
  granted: v.boolean(),
  hint: v.optional(v.string({ maxLength: 8 })),
  entries: v.optional(v.array(v.object({ term: v.int({ min: 0 }) }), { maxLength: 3 })),
});

describe('validation combinators', () => {
  it('accepts conforming values', () => {
    expect(vote({ type: 'vote', term: 2, granted: true })).toBeUndefined();
    expect(vote({ type: 'vote', term: 2, granted: false, hint: 'b', entries: [{ term: 1 }] })).toBeUndefined();
  });

  it('names the offending path and value', () => {
    expect(vote({ type: 'vote', term: -1, granted: true })).toBe('term: expected an integer >= 0, got -1');
    expect(vote({ type: 'vote', term: 2.5, granted: true })).toBe('term: expected an integer >= 0, got 2.5');
    expect(vote({ type: 'vote', term: 2 ** 53, granted: true })).toMatch(/^term: /);
    expect(vote({ type: 'vote', granted: true })).toBe('term: missing');
    expect(vote({ type: 'vote', term: 1, granted: true, entries: [{ term: 1 }, { term: 'x' }] })).toBe(
      'entries[1].term: expected an integer >= 0, got "x"',
    );
    expect(vote({ type: 'vote', term: 1, granted: true, entries: [{}, {}, {}, {}] })).toMatch(/entries: expected 0..3 items/);
    expect(vote(null)).toBe('expected an object, got null');
    expect(vote([1])).toBe('expected an object, got an array');
  });

  it('tagged unions dispatch on type', () => {
    const msg = v.tagged({ ping: v.object({ type: v.literal('ping'), seq: v.int() }), pong: v.object({ type: v.literal('pong') }) });
    expect(msg({ type: 'ping', seq: 1 })).toBeUndefined();
    expect(msg({ type: 'pong' })).toBeUndefined();
    expect(msg({ type: 'toString' })).toMatch(/^type: expected one of ping, pong/);
    expect(msg({ type: '__proto__' })).toMatch(/^type: expected one of/);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), (x) => {
        const r = vote(x);
        expect(r === undefined || typeof r === 'string').toBe(true);
        expect(typeof describeValue(x)).toBe('string');
        const p = plainDataProblem(x);
        expect(p === undefined || typeof p === 'string').toBe(true);
      }),
    );
  });

  it('conforms narrows', () => {
    const data: unknown = { n: 3 };
    const c = v.object({ n: v.int() });
    expect(conforms(c, data) ? data.n : -1).toBe(3);
  });

  it('plainDataProblem finds non-JSON parts', () => {
    expect(plainDataProblem({ a: [1, 'x', null, { b: true }] })).toBeUndefined();
    expect(plainDataProblem({ a: new Map() })).toBe('a: not a plain object or array (Map)');
    expect(plainDataProblem({ a: [1, NaN] })).toBe('a[1]: non-finite number NaN');
    expect(plainDataProblem({ a: undefined })).toBe('a: undefined is not JSON data');
    expect(plainDataProblem(1n)).toBe('value: bigint is not JSON data');
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(plainDataProblem(cyc)).toBe('self: cycle');
    // eslint-disable-next-line no-sparse-arrays
    expect(plainDataProblem([1, , 3])).toBe('[1]: hole in array');
  });
});
