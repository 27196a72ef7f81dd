import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { murmur3, xxh32, fmix32 } from 'distkit/hashing';

const enc = new TextEncoder();

describe('MurmurHash3 x86_32 (SMHasher published vectors)', () => {
  it.each([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['abc', 0, 0xb3dd93fa],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    // non-ASCII: eight U+03C0 (two UTF-8 bytes each)
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
  ])('murmur3(%j, %i)', (input, seed, want) => {
    expect(murmur3(input, seed)).toBe(want);
    expect(murmur3(enc.encode(input), seed)).toBe(want);
  });
});

describe('xxHash32 (xxHash published vectors)', () => {
  it.each([
    ['', 0, 0x02cc5d05],
    ['abc', 0, 0x32d153ff],
    ['a', 0, 0x550d7456],
    ['Nobody inspects the spammish repetition', 0, 0xe2293b2f],
  ])('xxh32(%j, %i)', (input, seed, want) => {
    expect(xxh32(input, seed)).toBe(want);
    expect(xxh32(enc.encode(input), seed)).toBe(want);
  });
});

describe('xxHash32 over non-ASCII bytes (xxHash cli/xsum_sanity_check.c, XSUM_XXH32_testdata)', () => {
  // The reference sanity buffer: byte i is the top byte of PRIME32 · PRIME64^i (mod 2^64), so
  // most bytes are >= 0x80, which no ASCII string can produce.
  const PRIME32 = 2654435761;
  const sanity = new Uint8Array(222);
  let gen = BigInt(PRIME32);
  for (let i = 0; i < sanity.length; i++) {
    sanity[i] = Number(gen >> 56n);
    gen = (gen * 11400714785074694797n) & 0xffffffffffffffffn;
  }
  it.each([
    [0, 0, 0x02cc5d05],
    [0, PRIME32, 0x36b78ae7],
    [1, 0, 0xcf65b03e],
    [1, PRIME32, 0xb4545aa4],
    [14, 0, 0x1208e7e2],
    [14, PRIME32, 0x6af1d1fe],
    [222, 0, 0x5bd11dbd],
    [222, PRIME32, 0x58803c5f],
  ])('xxh32(sanity[0..%i), %i)', (len, seed, want) => {
    expect(sanity.subarray(0, 14).some((b) => b >= 0x80)).toBe(true);
    expect(xxh32(sanity.subarray(0, len), seed)).toBe(want);
  });
});

describe('string fast path', () => {
  it('equals hashing the TextEncoder bytes for any string, incl. astral and lone surrogates', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
        const bytes = enc.encode(s);
        return murmur3(s, seed) === murmur3(bytes, seed) && xxh32(s, seed) === xxh32(bytes, seed);
      }),
      { numRuns: 500 },
    );
  });
  it('handles strings longer than the scratch buffer', () => {
    const s = 'é🎉x'.repeat(5000);
    expect(murmur3(s)).toBe(murmur3(enc.encode(s)));
    expect(xxh32(s, 3)).toBe(xxh32(enc.encode(s), 3));
  });
  it('results are unsigned 32-bit integers; fmix32 is a bijection on samples', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 10000; i++) {
      const h = murmur3(`k${i}`);
      expect(h >>> 0).toBe(h);
      seen.add(fmix32(i));
    }
    expect(seen.size).toBe(10000);
  });
});
