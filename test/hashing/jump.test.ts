import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from 'distkit/core';
import { JumpHash, jumpHash, jumpHashString } from 'distkit/hashing';

describe('Jump consistent hash (Lamping & Veach 2014)', () => {
  it('matches the published vectors', () => {
    expect(jumpHash(1, 1)).toBe(0);
    expect(jumpHash(42, 57)).toBe(43);
    expect(jumpHash(0xdead10cc, 666)).toBe(361);
    expect(jumpHash(256, 1024)).toBe(520);
  });
  it('matches a BigInt transcription of Figure 1 on random 53-bit keys', () => {
    const ref = (key: bigint, n: number): number => {
      let b = -1n;
      let j = 0n;
      while (j < BigInt(n)) {
        b = j;
        key = (key * 2862933555777941757n + 1n) & 0xffffffffffffffffn;
        j = BigInt(Math.floor(Number(b + 1n) * (2 ** 31 / Number((key >> 33n) + 1n))));
      }
      return Number(b);
    };
    fc.assert(
      fc.property(fc.maxSafeNat(), fc.integer({ min: 1, max: 100000 }), (k, n) => jumpHash(k, n) === ref(BigInt(k), n)),
      { numRuns: 2000 },
    );
  });
  it('growing n → n+1 moves about 1/(n+1) of keys, all to bucket n', () => {
    for (const n of [1, 9, 99]) {
      let moved = 0;
      const total = 40000;
      for (let k = 0; k < total; k++) {
        const a = jumpHashString(`key:${k}`, n);
        const b = jumpHashString(`key:${k}`, n + 1);
        if (a !== b) {
          expect(b).toBe(n);
          moved++;
        }
      }
      expect(Math.abs(moved / total - 1 / (n + 1)) / (1 / (n + 1))).toBeLessThan(0.15);
    }
  });
  it('JumpHash value: lookup, resize, JSON', () => {
    const j = JumpHash.create(10);
    expect(j.lookup(42)).toBe(jumpHash(42, 10));
    expect(JumpHash.fromJSON(JSON.parse(JSON.stringify(j.resize(11)))).buckets).toBe(11);
    expect(() => JumpHash.fromJSON({ kind: 'jump', buckets: 0 })).toThrow(/buckets/);
    expect(() => JumpHash.create(1.5)).toThrow(ConfigError);
  });
});
