// The checkers' hashes: deterministic, spread, and consistent with sameValue (equal values hash
// equally, so memo tables keyed by hash never split one value).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hash53, hashString, hashValue, sameValue } from '../../src/check/hash.js';

describe('hashString (FNV-1a 32)', () => {
  it('matches the published FNV-1a test vectors', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
    expect(hashString('foobar')).toBe(0xbf9cf968);
  });
});

describe('hash53', () => {
  it('is a 53-bit non-negative integer that depends on the seed', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 1000 }), (s, seed) => {
        const h = hash53(s, seed);
        expect(Number.isSafeInteger(h)).toBe(true);
        expect(h).toBeGreaterThanOrEqual(0);
        expect(hash53(s, seed)).toBe(h);
      }),
    );
    expect(hash53('x', 1)).not.toBe(hash53('x', 2));
  });

  it('has no collisions over a few thousand distinct short strings', () => {
    const hashes = new Set<number>();
    for (let i = 0; i < 5000; i++) hashes.add(hash53(`key-${i}`));
    expect(hashes.size).toBe(5000);
  });
});

describe('hashValue and sameValue', () => {
  it('equal values (key order aside) hash equally and are the same value', () => {
    expect(sameValue({ a: 1, b: [2] }, { b: [2], a: 1 })).toBe(true);
    expect(hashValue({ a: 1, b: [2] })).toBe(hashValue({ b: [2], a: 1 }));
  });

  it('different values are not the same value', () => {
    expect(sameValue({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameValue(1, '1')).toBe(false);
    expect(sameValue(null, {})).toBe(false);
  });

  it('property: sameValue(a, b) implies hashValue(a) === hashValue(b)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (a) => {
        const b = JSON.parse(JSON.stringify(a)) as unknown;
        expect(sameValue(a, b)).toBe(true);
        expect(hashValue(a)).toBe(hashValue(b));
      }),
    );
  });

  it('returns unsigned 32-bit integers for every kind of value', () => {
    for (const v of [0, -1, 2 ** 40, 1.5, 'x', true, false, null, undefined, [1], { a: 1 }]) {
      const h = hashValue(v);
      expect(h >>> 0).toBe(h);
    }
    expect(hashValue(true)).not.toBe(hashValue(false));
  });
});
