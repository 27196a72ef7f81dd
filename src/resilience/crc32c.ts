const TABLE = ((): Uint32Array => {
  // CRC-32C (Castagnoli), reflected polynomial 0x82F63B78 (RFC 3720 §B.4).
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
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
  let c = ~crc >>> 0;
  if (typeof data === 'string') {
    for (let i = 0; i < data.length; i++) {
      let cp = data.charCodeAt(i);
      if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < data.length) {
        const lo = data.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          i++;
        }
      }
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd; // lone surrogate: U+FFFD, as TextEncoder does
      if (cp < 0x80) c = TABLE[(c ^ cp) & 0xff]! ^ (c >>> 8);
      else if (cp < 0x800) {
        c = TABLE[(c ^ (0xc0 | (cp >> 6))) & 0xff]! ^ (c >>> 8);
        c = TABLE[(c ^ (0x80 | (cp & 0x3f))) & 0xff]! ^ (c >>> 8);
      } else if (cp < 0x10000) {
        c = TABLE[(c ^ (0xe0 | (cp >> 12))) & 0xff]! ^ (c >>> 8);
        c = TABLE[(c ^ (0x80 | ((cp >> 6) & 0x3f))) & 0xff]! ^ (c >>> 8);
        c = TABLE[(c ^ (0x80 | (cp & 0x3f))) & 0xff]! ^ (c >>> 8);
      } else {
        c = TABLE[(c ^ (0xf0 | (cp >> 18))) & 0xff]! ^ (c >>> 8);
        c = TABLE[(c ^ (0x80 | ((cp >> 12) & 0x3f))) & 0xff]! ^ (c >>> 8);
        c = TABLE[(c ^ (0x80 | ((cp >> 6) & 0x3f))) & 0xff]! ^ (c >>> 8);
        c = TABLE[(c ^ (0x80 | (cp & 0x3f))) & 0xff]! ^ (c >>> 8);
      }
    }
  } else {
    for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  }
  return ~c >>> 0;
}
