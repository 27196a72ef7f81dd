import { utf8Bytes } from '../core/index.js';

/**
 * Eight 256-entry tables for CRC-32C (Castagnoli), reflected polynomial 0x82F63B78 (RFC 3720
 * §B.4): table 0 is the byte-at-a-time table; table k advances a byte k more positions, so eight
 * bytes fold in one step (slicing-by-8, Kounavis & Berry 2008).
 */
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
})();

/**
 * CRC-32C (Castagnoli, as in iSCSI RFC 3720 and ext4) of bytes or of a string's UTF-8 encoding.
 * Pass the previous result as `crc` to continue over more data.
 *
 * @example
 * ```ts
 * import { crc32c } from 'distkit/resilience';
 * crc32c('123456789'); //=> 0xe3069283
 * ```
 */
export function crc32c(data: Uint8Array | string, crc = 0): number {
  if (typeof data === 'string') {
    const bytes = utf8Bytes(data);
    return crc32cRange(bytes, 0, bytes.length, crc);
  }
  return crc32cRange(data, 0, data.length, crc);
}

/**
 * CRC-32C of `bytes[start, end)`, eight bytes at a time; pass the previous result as `crc` to
 * continue. The write-ahead log checksums frames in place with it.
 *
 * @example
 * ```ts
 * import { crc32cRange } from 'distkit/resilience';
 * crc32cRange(new TextEncoder().encode('xx123456789'), 2); //=> 0xe3069283
 * ```
 */
export function crc32cRange(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  const t = TABLES;
  let c = ~crc;
  let i = start;
  // Slicing-by-8 over whole words, then byte at a time for the rest.
  const bulkEnd = end - ((end - i) & 7);
  for (; i < bulkEnd; i += 8) {
    const lo = (c ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))) >>> 0;
    const hi = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24);
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + (hi & 0xff)]! ^
      t[512 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^
      t[(hi >>> 24) & 0xff]!;
  }
  for (; i < end; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
