/**
 * Kafka's default key partitioner: murmur2 over the key's UTF-8 bytes, made positive, modulo the
 * partition count. The same key always lands on the same partition, and on the same one a Java,
 * librdkafka (`murmur2_random`) or franz-go producer would choose.
 *
 * @packageDocumentation
 */

/** The UTF-8 bytes of a string (lone surrogates become U+FFFD, as in `TextEncoder`). */
function utf8(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}

/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`): MurmurHash2, 32-bit, seed
 * `0x9747b28c`, over the UTF-8 bytes of `key`, as a signed 32-bit integer. Checked against Kafka's
 * own `UtilsTest.testMurmur2` vectors.
 *
 * @example
 * ```ts
 * import { kafkaMurmur2 } from 'distkit/messaging';
 * kafkaMurmur2('21'); //=> -973932308
 * kafkaMurmur2('foobar'); //=> -790332482
 * ```
 */
export function kafkaMurmur2(key: string): number {
  const data = utf8(key);
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const blocks = length >> 2;
  for (let i = 0; i < blocks; i++) {
    const j = i * 4;
    let k = (data[j]! & 0xff) | ((data[j + 1]! & 0xff) << 8) | ((data[j + 2]! & 0xff) << 16) | ((data[j + 3]! & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const tail = blocks * 4;
  const rest = length & 3;
  if (rest === 3) h ^= (data[tail + 2]! & 0xff) << 16;
  if (rest >= 2) h ^= (data[tail + 1]! & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[tail]! & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * The partition of a keyed record among `partitions`, as Kafka's default partitioner computes it
 * (`Utils.toPositive(Utils.murmur2(keyBytes)) % numPartitions`).
 *
 * @example
 * ```ts
 * import { partitionForKey } from 'distkit/messaging';
 * partitionForKey('user-42', 6) === partitionForKey('user-42', 6); //=> true
 * partitionForKey('21', 8); //=> 4
 * ```
 */
export function partitionForKey(key: string, partitions: number): number {
  return (kafkaMurmur2(key) & 0x7fffffff) % partitions;
}
