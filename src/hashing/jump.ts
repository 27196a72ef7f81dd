import { ConfigError, v } from '../core/index.js';
import { murmur3 } from './hash.js';
import { parseOrThrow } from './json.js';

// The 64-bit LCG multiplier of the paper, 2862933555777941757, split into 32-bit halves.
const C_HI = 0x27bb2ee6;
const C_LO = 0x87b0b0fd;
const TWO_31 = 2147483648;

/**
 * Jump consistent hash of a 64-bit key given as two unsigned 32-bit halves. Matches the paper's
 * C++ code bit for bit without BigInt: the 64-bit LCG step is emulated in 32-bit halves and the
 * jump uses the same double arithmetic. Source: Lamping & Veach, "A Fast, Minimal Memory,
 * Consistent Hash Algorithm" (2014), Figure 1.
 *
 * @example
 * ```ts
 * import { jumpHash64 } from 'distkit/hashing';
 * jumpHash64(0, 0xdead10cc, 666); //=> 361
 * ```
 */
export function jumpHash64(keyHi: number, keyLo: number, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 0x7fffffff) {
    throw new RangeError(`buckets: expected an integer in [1, 2^31), got ${buckets}`);
  }
  let hi = keyHi >>> 0;
  let lo = keyLo >>> 0;
  let b = -1;
  let j = 0;
  while (j < buckets) {
    b = j;
    // key = key * 2862933555777941757 + 1 (mod 2^64)
    const a0 = lo & 0xffff;
    const a1 = lo >>> 16;
    const b0 = C_LO & 0xffff;
    const b1 = C_LO >>> 16;
    const p00 = a0 * b0;
    const p01 = a0 * b1;
    const p10 = a1 * b0;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const carry = a1 * b1 + Math.floor(p01 / 65536) + Math.floor(p10 / 65536) + Math.floor(mid / 65536);
    const newLo = Math.imul(lo, C_LO) >>> 0;
    const newHi = (carry + Math.imul(hi, C_LO) + Math.imul(lo, C_HI)) >>> 0;
    lo = (newLo + 1) >>> 0;
    hi = lo === 0 ? (newHi + 1) >>> 0 : newHi;
    // j = (b + 1) * (double(1 << 31) / double((key >> 33) + 1))
    j = Math.floor((b + 1) * (TWO_31 / ((hi >>> 1) + 1)));
  }
  return b;
}

/**
 * Jump consistent hash of a non-negative safe-integer key (Lamping & Veach 2014): the bucket in
 * `[0, buckets)`. Growing from n to n+1 buckets moves exactly the keys that land in bucket n.
 *
 * @example
 * ```ts
 * import { jumpHash } from 'distkit/hashing';
 * jumpHash(42, 57);   //=> 43
 * jumpHash(256, 1024); //=> 520
 * ```
 */
export function jumpHash(key: number, buckets: number): number {
  if (!Number.isSafeInteger(key) || key < 0) throw new RangeError(`key: expected a safe integer >= 0, got ${key}`);
  return jumpHash64(Math.floor(key / 0x100000000), key >>> 0, buckets);
}

/**
 * Jump consistent hash of a string key: the key's 64 bits come from two MurmurHash3 runs (seeds 0
 * and 1) over its UTF-8 bytes.
 *
 * @example
 * ```ts
 * import { jumpHashString } from 'distkit/hashing';
 * [jumpHashString('user:42', 10), jumpHashString('user:42', 11)]; //=> [0, 0]
 * ```
 */
export function jumpHashString(key: string, buckets: number): number {
  return jumpHash64(murmur3(key, 1), murmur3(key, 0), buckets);
}

/**
 * The serialized form of a {@link JumpHash}.
 *
 * @example
 * ```ts
 * import { JumpHash, type JumpHashJSON } from 'distkit/hashing';
 * const j: JumpHashJSON = JumpHash.create(8).toJSON();
 * [j, JumpHash.fromJSON(j).lookup('user:42')]; //=> [{ kind: 'jump', buckets: 8 }, 0]
 * ```
 */
export interface JumpHashJSON {
  /** Always `'jump'`. */
  readonly kind: 'jump';
  /** The number of buckets. */
  readonly buckets: number;
}

const jumpJson = v.object({ kind: v.literal('jump'), buckets: v.int({ min: 1, max: 0x7fffffff }) });

/**
 * An immutable jump-hash placement over numbered buckets `0..buckets-1` (Lamping & Veach 2014).
 * Jump hash can only add or remove the last bucket; use it for numbered shards, not named nodes.
 *
 * @example
 * ```ts
 * import { JumpHash } from 'distkit/hashing';
 * const j = JumpHash.create(10);
 * const keys = Array.from({ length: 1100 }, (_, i) => `user:${i}`);
 * // Growing from 10 to 11 buckets moves about 1/11 of the keys, all to the new bucket 10.
 * const moved = keys.filter((k) => j.resize(11).lookup(k) !== j.lookup(k));
 * [moved.every((k) => j.resize(11).lookup(k) === 10), Math.round((moved.length / keys.length) * 100)]; //=> [true, 10]
 * ```
 */
export class JumpHash {
  /** The number of buckets. */
  readonly buckets: number;

  private constructor(buckets: number) {
    this.buckets = buckets;
    Object.freeze(this);
  }

  /** A placement over `buckets` buckets. Throws {@link ConfigError} unless 1 <= buckets < 2^31. */
  static create(buckets: number): JumpHash {
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 0x7fffffff) {
      throw new ConfigError('buckets', `expected an integer in [1, 2^31), got ${String(buckets)}`);
    }
    return new JumpHash(buckets);
  }

  /** The bucket of a string key (or of a non-negative safe-integer key). */
  lookup(key: string | number): number {
    return typeof key === 'number' ? jumpHash(key, this.buckets) : jumpHashString(key, this.buckets);
  }

  /** A new placement with `buckets` buckets; this one is unchanged. */
  resize(buckets: number): JumpHash {
    return JumpHash.create(buckets);
  }

  /** Plain data for JSON. */
  toJSON(): JumpHashJSON {
    return { kind: 'jump', buckets: this.buckets };
  }

  /** Rebuilds from untrusted data; throws {@link ConfigError} naming the bad field. */
  static fromJSON(data: unknown): JumpHash {
    const d = parseOrThrow(jumpJson, data);
    return new JumpHash(d.buckets);
  }
}
