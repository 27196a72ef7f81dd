import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { checkId, checkMembers, compareNodeIds } from 'distkit/core';

describe('compareNodeIds', () => {
  it('orders shorter ids first, then by code units (n9 < n10)', () => {
    expect(compareNodeIds('n9', 'n10')).toBe(-1);
    expect(compareNodeIds('b', 'a')).toBe(1);
    expect(compareNodeIds('x', 'x')).toBe(0);
  });
  it('is a total order: antisymmetric and transitive (fast-check)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (a, b, c) => {
        expect(Math.sign(compareNodeIds(a, b)) + Math.sign(compareNodeIds(b, a))).toBe(0);
        if (compareNodeIds(a, b) <= 0 && compareNodeIds(b, c) <= 0) expect(compareNodeIds(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe('numeric node ids', () => {
  it('are refused with the string to pass instead, in every membership check', () => {
    expect(() => checkId('id', 3)).toThrow("id: node ids are strings, got the number 3: pass '3' (String(id)) instead");
    expect(() => checkMembers('1', ['1', 2])).toThrow(/nodes\[1\]: node ids are strings, got the number 2/);
  });
});
