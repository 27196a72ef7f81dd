import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c } from 'distkit/resilience';

describe('CRC32C', () => {
  it('matches the standard check value and RFC 3720 §B.4 vectors', () => {
    expect(crc32c('123456789')).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c('')).toBe(0);
  });

  it('a string hashes as its UTF-8 bytes, and crc can be continued over chunks', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string(), (a, b) => {
        const bytes = new TextEncoder().encode(a);
        expect(crc32c(a)).toBe(crc32c(bytes));
        expect(crc32c(a + b)).toBe(crc32c(b, crc32c(a)));
      }),
    );
  });
});
