import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32cRange as crc32c } from 'distkit/resilience';

/** Bit-at-a-time CRC-32C, straight from the definition, to check the sliced tables against. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('matches the test vectors of RFC 3720 §B.4', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });

  it('equals the bitwise definition on any bytes, at any alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(20), (bytes, cut) => {
        const start = Math.min(cut, bytes.length);
        expect(crc32c(bytes, start)).toBe(reference(bytes.subarray(start)));
      }),
    );
  });

  it('continues a running checksum across any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(), (bytes, k) => {
        const split = bytes.length === 0 ? 0 : k % (bytes.length + 1);
        expect(crc32c(bytes, split, bytes.length, crc32c(bytes, 0, split))).toBe(crc32c(bytes));
      }),
    );
  });
});
