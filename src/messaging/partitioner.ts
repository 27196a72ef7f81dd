/**
 * Kafka's default key partitioner: murmur2 over the key's UTF-8 bytes, made positive, modulo the
 * partition count. The same key always lands on the same partition, and on the same one a Java,
 * librdkafka (`murmur2_random`) or franz-go producer would choose.
 *
 * @packageDocumentation
 */
import { utf8Bytes } from '../core/index.js';

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
  const data = utf8Bytes(key);
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
