import { describe, expect, it } from 'vitest';
import { canonicalJson } from 'distkit/core';

describe('canonicalJson', () => {
  it('sorts keys, drops undefined properties, writes non-finite numbers as null', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] })).toBe('{"a":[2,{"c":4,"d":3}],"b":1}');
    expect(canonicalJson({ a: undefined, b: [undefined, NaN] })).toBe('{"b":[null,null]}');
    expect(canonicalJson('x')).toBe('"x"');
  });
});
