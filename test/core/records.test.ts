import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_COUNTER, canIncrement, getOwn, hasOwn, isCounter, setOwn, withOwn, withoutOwn } from 'distkit/core';

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

describe('safe records', () => {
  it.each(PROTO_NAMES)('never reads an inherited member for %s', (key) => {
    const r: Record<string, number> = { a: 1 };
    expect(hasOwn(r, key)).toBe(false);
    expect(getOwn(r, key)).toBeUndefined();
    expect(withoutOwn(r, key)).toBe(r);
  });

  it.each(PROTO_NAMES)('stores %s as an own key, keeps the prototype, and round-trips through JSON', (key) => {
    const r = withOwn<number>({ a: 1 }, key, 7);
    expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
    expect(getOwn(r, key)).toBe(7);
    expect(Object.keys(r).sort()).toEqual(['a', key].sort());
    const back = JSON.parse(JSON.stringify(r)) as Record<string, number>;
    expect(getOwn(back, key)).toBe(7);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    const gone = withoutOwn(r, key);
    expect(hasOwn(gone, key)).toBe(false);
    expect(getOwn(r, key)).toBe(7); // the input is untouched
    const built: Record<string, number> = {};
    setOwn(built, key, 3);
    expect(getOwn(built, key)).toBe(3);
    expect(Object.getPrototypeOf(built)).toBe(Object.prototype);
  });

  it('behaves like a map for any keys (model-based)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.oneof(fc.constantFrom(...PROTO_NAMES), fc.string({ maxLength: 4 })), fc.integer())), (ops) => {
        let r: Readonly<Record<string, number>> = {};
        const model = new Map<string, number>();
        for (const [set, k, v] of ops) {
          if (set) {
            r = withOwn(r, k, v);
            model.set(k, v);
          } else {
            r = withoutOwn(r, k);
            model.delete(k);
          }
        }
        expect(Object.keys(r).sort()).toEqual([...model.keys()].sort());
        for (const [k, v] of model) expect(getOwn(r, k)).toBe(v);
        expect(Object.getPrototypeOf(r)).toBe(Object.prototype);
      }),
      { numRuns: 300 },
    );
  });
});

describe('counters', () => {
  it('accepts up to 2^53 − 2 so one increment stays exact', () => {
    expect(isCounter(MAX_COUNTER)).toBe(true);
    expect(isCounter(MAX_COUNTER + 1)).toBe(false);
    expect(isCounter(2 ** 53)).toBe(false);
    expect(isCounter(-1)).toBe(false);
    expect(isCounter(1.5)).toBe(false);
    expect(isCounter(NaN)).toBe(false);
    expect(MAX_COUNTER + 1 + 1).not.toBe(MAX_COUNTER + 1); // still exact
    expect(canIncrement(MAX_COUNTER)).toBe(true);
    expect(canIncrement(Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});
