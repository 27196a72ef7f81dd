import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { kafkaMurmur2, partitionForKey } from 'distkit/messaging';

describe("Kafka's default partitioner", () => {
  it("murmur2 gives Kafka's own test vectors (UtilsTest.testMurmur2)", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, want] of vectors) expect(kafkaMurmur2(key), key).toBe(want);
  });

  it('hashes the UTF-8 bytes of any string, as TextEncoder encodes them (lone surrogates as U+FFFD)', () => {
    // A second, byte-oriented murmur2 (Kafka's Utils.murmur2 over a byte[]), fed by TextEncoder.
    const reference = (bytes: Uint8Array): number => {
      const m = 0x5bd1e995;
      let h = (0x9747b28c ^ bytes.length) | 0;
      let i = 0;
      for (; i + 4 <= bytes.length; i += 4) {
        let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
        k = Math.imul(k, m);
        k ^= k >>> 24;
        h = Math.imul(h, m) ^ Math.imul(k, m);
      }
      const rest = bytes.length - i;
      if (rest === 3) h ^= bytes[i + 2]! << 16;
      if (rest >= 2) h ^= bytes[i + 1]! << 8;
      if (rest >= 1) h = Math.imul(h ^ bytes[i]!, m);
      h = Math.imul(h ^ (h >>> 13), m);
      return (h ^ (h >>> 15)) | 0;
    };
    const encoder = new TextEncoder();
    for (const key of ['é', '😀', '\ud800', 'a\udc00b', '日本語のキー']) expect(kafkaMurmur2(key), key).toBe(reference(encoder.encode(key)));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (key) => kafkaMurmur2(key) === reference(encoder.encode(key))));
  });

  it('same key, same partition, always within range', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const p = partitionForKey(key, n);
        return Number.isInteger(p) && p >= 0 && p < n && p === partitionForKey(key, n);
      }),
    );
  });

  it('spreads keys: 6000 keys over 6 partitions land within 15% of even', () => {
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i++) counts[partitionForKey(`user-${i}`, 6)]!++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});
