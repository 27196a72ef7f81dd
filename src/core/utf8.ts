/**
 * UTF-8 encoding for pure code: the hashes, checksums and partitioners that work on a string's
 * bytes must agree with every other implementation of them, and so with `TextEncoder`, which the
 * isomorphic modules cannot assume is typed or present.
 *
 * @packageDocumentation
 */

/**
 * Writes the UTF-8 encoding of `text` into `target` from index 0 and returns the number of bytes
 * written. A surrogate pair becomes one four-byte sequence; a lone surrogate becomes U+FFFD
 * (`EF BF BD`), as `TextEncoder` does (WHATWG Encoding §9.1). `target` must have room for
 * `3 × text.length` bytes, the most a string can take; a smaller one throws `RangeError`.
 *
 * @example
 * ```ts
 * import { encodeUtf8Into } from 'distkit/core';
 * const buf = new Uint8Array(6);
 * encodeUtf8Into('é€', buf);   //=> 5
 * [...buf.subarray(0, 5)];      //=> [0xc3, 0xa9, 0xe2, 0x82, 0xac]
 * ```
 */
export function encodeUtf8Into(text: string, target: Uint8Array): number {
  const n = text.length;
  if (target.length < n * 3) throw new RangeError(`encodeUtf8Into: target has ${target.length} bytes, a string of ${n} code units needs ${n * 3}`);
  const b = target;
  let p = 0;
  for (let i = 0; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      b[p++] = c;
    } else if (c < 0x800) {
      b[p++] = 0xc0 | (c >>> 6);
      b[p++] = 0x80 | (c & 0x3f);
    } else if (c < 0xd800 || c > 0xdfff) {
      b[p++] = 0xe0 | (c >>> 12);
      b[p++] = 0x80 | ((c >>> 6) & 0x3f);
      b[p++] = 0x80 | (c & 0x3f);
    } else {
      const d = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        i++;
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        b[p++] = 0xf0 | (c >>> 18);
        b[p++] = 0x80 | ((c >>> 12) & 0x3f);
        b[p++] = 0x80 | ((c >>> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        b[p++] = 0xef;
        b[p++] = 0xbf;
        b[p++] = 0xbd;
      }
    }
  }
  return p;
}

/**
 * The UTF-8 bytes of `text`, the same as `new TextEncoder().encode(text)` (lone surrogates become
 * U+FFFD). An ASCII string costs one array of its length.
 *
 * @example
 * ```ts
 * import { utf8Bytes } from 'distkit/core';
 * [...utf8Bytes('a€')]; //=> [0x61, 0xe2, 0x82, 0xac]
 * ```
 */
export function utf8Bytes(text: string): Uint8Array {
  const n = text.length;
  const ascii = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) {
      const full = new Uint8Array(n * 3);
      return full.slice(0, encodeUtf8Into(text, full));
    }
    ascii[i] = c;
  }
  return ascii;
}
