// UTF-8 encoding: the bytes every string hash, checksum and partitioner works on must be exactly
// what TextEncoder gives (WHATWG Encoding §9.1), lone surrogates included.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeUtf8Into, utf8Bytes } from '../../src/core/index.js';

const encoder = new TextEncoder();
// Any sequence of UTF-16 code units: pairs, lone high and low surrogates, ASCII, BMP.
const codeUnits = fc.array(fc.oneof(fc.integer({ min: 0, max: 0x7f }), fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 64 }).map((units) => String.fromCharCode(...units));

describe('utf8Bytes', () => {
  it('equals TextEncoder on any string of code units', () => {
    fc.assert(
      fc.property(codeUnits, (s) => {
        expect([...utf8Bytes(s)]).toEqual([...encoder.encode(s)]);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes each length class and the surrogate cases', () => {
    expect([...utf8Bytes('')]).toEqual([]);
    expect([...utf8Bytes('a')]).toEqual([0x61]);
    expect([...utf8Bytes('é')]).toEqual([0xc3, 0xa9]);
    expect([...utf8Bytes('€')]).toEqual([0xe2, 0x82, 0xac]);
    expect([...utf8Bytes('😀')]).toEqual([0xf0, 0x9f, 0x98, 0x80]);
    expect([...utf8Bytes('\ud800')]).toEqual([0xef, 0xbf, 0xbd]);
    expect([...utf8Bytes('\udc00\ud800')]).toEqual([0xef, 0xbf, 0xbd, 0xef, 0xbf, 0xbd]);
    expect([...utf8Bytes('\ud800x')]).toEqual([0xef, 0xbf, 0xbd, 0x78]);
  });

  it('returns exactly the encoded bytes, not the scratch room behind them', () => {
    expect(utf8Bytes('aé').length).toBe(3);
    expect(utf8Bytes('aé').buffer.byteLength).toBe(3);
  });
});

describe('encodeUtf8Into', () => {
  it('writes what TextEncoder gives and returns its length', () => {
    fc.assert(
      fc.property(codeUnits, (s) => {
        const target = new Uint8Array(s.length * 3 + 2).fill(7);
        const n = encodeUtf8Into(s, target);
        const want = encoder.encode(s);
        expect(n).toBe(want.length);
        expect([...target.subarray(0, n)]).toEqual([...want]);
        expect(target.subarray(n).every((b) => b === 7)).toBe(true);
      }),
    );
  });

  it('refuses a target without room for three bytes per code unit', () => {
    expect(() => encodeUtf8Into('ab', new Uint8Array(5))).toThrow(RangeError);
    expect(encodeUtf8Into('ab', new Uint8Array(6))).toBe(2);
  });
});
