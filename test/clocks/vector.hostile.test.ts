import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mergeVectorClocks, nodeIdProblem, parseVectorClock, type VectorClock } from 'distkit/clocks';

class Clock {
  a = 1;
}

describe('hostile vector clocks from peers are rejected with a reason, never merged', () => {
  const cases: [string, unknown, RegExp][] = [
    ['negative counter', { a: -1 }, /a: expected an integer >= 0, got -1/],
    ['NaN counter', { a: NaN }, /got NaN/],
    ['fractional counter', { a: 1.5 }, /got 1.5/],
    ['infinite counter', { a: Infinity }, /got Infinity/],
    ['counter past 2^53 - 1', { a: 2 ** 53 }, /expected an integer >= 0/],
    ['string counter', { a: '1' }, /got "1"/],
    ['null counter', { a: null }, /got null/],
    ['nested object', { a: { b: 1 } }, /got an object/],
    ['bigint counter', { a: 1n }, /got a bigint/],
    ['__proto__ key (JSON)', JSON.parse('{"__proto__": {"polluted": 1}}'), /reserved/],
    ['__proto__ key with number', JSON.parse('{"a": 1, "__proto__": 5}'), /reserved/],
    ['constructor key', { constructor: 1 }, /reserved/],
    ['hasOwnProperty key', { hasOwnProperty: 1 }, /reserved/],
    ['empty key', { '': 1 }, /non-empty/],
    ['very long key', { ['x'.repeat(300)]: 1 }, /longer than/],
    ['array', [1, 2], /plain object/],
    ['string', '{"a":1}', /plain object/],
    ['number', 42, /plain object/],
    ['null', null, /plain object/],
    ['undefined', undefined, /plain object/],
    ['class instance', new Clock(), /plain object/],
    ['Map', new Map([['a', 1]]), /plain object/],
    ['symbol key', { a: 1, [Symbol('s')]: 2 }, /symbol/],
    ['getter', Object.defineProperty({}, 'a', { get: () => 1, enumerable: true }), /plain data property/],
    ['non-enumerable', Object.defineProperty({}, 'a', { value: 1, enumerable: false }), /plain data property/],
    ['too many entries', Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`n${i}`, 1])), /at most 4096/],
  ];
  for (const [name, value, reason] of cases) {
    it(name, () => {
      const r = parseVectorClock(value);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    });
  }

  it('the prototype is never touched', () => {
    const r = parseVectorClock(JSON.parse('{"__proto__": {"polluted": 1}}'));
    expect(r.ok).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('maxEntries is configurable', () => {
    expect(parseVectorClock({ a: 1, b: 2 }, { maxEntries: 1 }).ok).toBe(false);
    expect(parseVectorClock({ a: 1 }, { maxEntries: 1 }).ok).toBe(true);
  });

  it('valid clocks pass as fresh copies, and then merge normally', () => {
    const wire = { a: 3, b: 0 };
    const r = parseVectorClock(wire);
    expect(r).toEqual({ ok: true, value: { a: 3, b: 0 } });
    if (r.ok) {
      expect(r.value).not.toBe(wire);
      expect(mergeVectorClocks({ a: 1, c: 2 }, r.value)).toEqual({ a: 3, c: 2, b: 0 });
    }
    expect(parseVectorClock(Object.assign(Object.create(null) as object, { a: 1 })).ok).toBe(true);
  });

  it('any JSON value either parses to a valid clock or is rejected with a reason — never throws', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.double(), fc.string()))), (value) => {
        const r = parseVectorClock(JSON.parse(JSON.stringify(value ?? null)));
        if (r.ok) {
          for (const [k, c] of Object.entries(r.value as VectorClock)) {
            expect(nodeIdProblem(k)).toBeUndefined();
            expect(Number.isSafeInteger(c) && c >= 0).toBe(true);
          }
        } else expect(r.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });
});
