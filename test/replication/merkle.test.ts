import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { merkleBucket, merkleBuild, merkleDiff } from '../../src/replication/index.js';

const replica = fc.dictionary(fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `k${i}`)), fc.constantFrom('1', '2', '3'), { maxKeys: 40 });

describe('Merkle anti-entropy (Dynamo §4.7)', () => {
  it('the exchange finds exactly the buckets whose keys or digests differ', () => {
    fc.assert(
      fc.property(replica, replica, fc.integer({ min: 0, max: 6 }), (a, b, depth) => {
        const expected = new Set<number>();
        for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[k] !== b[k]) expected.add(merkleBucket(k, depth));
        expect(merkleDiff(merkleBuild(a, depth), merkleBuild(b, depth)).buckets).toEqual([...expected].sort((x, y) => x - y));
      }),
      { numRuns: 300 },
    );
  });

  it('agreeing replicas exchange one hash; one differing key costs 2·depth + 1', () => {
    const keys = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`key${i}`, 'v']));
    expect(merkleDiff(merkleBuild(keys, 10), merkleBuild(keys, 10)).hashesExchanged).toBe(1);
    const changed = merkleDiff(merkleBuild(keys, 10), merkleBuild({ ...keys, key7: 'w' }, 10));
    expect(changed).toEqual({ buckets: [merkleBucket('key7', 10)], hashesExchanged: 2 * 10 + 1 });
  });

  it('refuses a depth outside 0..16 and trees of different depths', () => {
    expect(() => merkleBuild({}, 17)).toThrow(RangeError);
    expect(() => merkleDiff(merkleBuild({}, 1), merkleBuild({}, 2))).toThrow(RangeError);
  });
});
