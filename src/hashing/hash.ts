/**
 * 32-bit non-cryptographic hash functions over the UTF-8 bytes of a key: MurmurHash3 x86_32
 * (Austin Appleby, SMHasher) and xxHash32 (Yann Collet, XXH32 specification). Pure TypeScript,
 * no `node:crypto`, identical results in every runtime.
 *
 * Strings take a fast path: they are encoded to UTF-8 on the fly into one reusable scratch buffer
 * (grown on demand), so hashing a string allocates nothing per call.
 *
 * @packageDocumentation
 */
import { encodeUtf8Into } from '../core/index.js';

/**
 * The input of the hash functions: a string (hashed as its UTF-8 encoding, lone surrogates as
 * U+FFFD exactly like `TextEncoder`) or raw bytes.
 *
 * @example
 * ```ts
 * import { murmur3, type HashInput } from 'distkit/hashing';
 * const key: HashInput = new TextEncoder().encode('user:42');
 * murmur3(key) === murmur3('user:42'); //=> true
 * ```
 */
export type HashInput = string | Uint8Array;

let scratch = new Uint8Array(1024);

/** Encodes `s` as UTF-8 into the scratch buffer (grown as needed) and returns the byte length. */
function encodeUtf8(s: string): number {
  if (s.length * 3 > scratch.length) scratch = new Uint8Array(Math.max(s.length * 3, scratch.length * 2));
  return encodeUtf8Into(s, scratch);
}

function murmur3Bytes(b: Uint8Array, len: number, seed: number): number {
  let h = seed | 0;
  const end = len & ~3;
  let i = 0;
  for (; i < end; i += 4) {
    let k = readU32le(b, i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rem = len & 3;
  if (rem > 0) {
    let k = b[i]!;
    if (rem > 1) k |= b[i + 1]! << 8;
    if (rem > 2) k |= b[i + 2]! << 16;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= len;
  return fmix32(h);
}

/**
 * The MurmurHash3 32-bit finalizer (`fmix32`): a bijective avalanche mix of a 32-bit word.
 * Source: SMHasher, MurmurHash3.cpp.
 *
 * @example
 * ```ts
 * import { fmix32 } from 'distkit/hashing';
 * fmix32(0); //=> 0
 * ```
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * MurmurHash3 x86_32 of the UTF-8 bytes of `input`, as an unsigned 32-bit integer.
 * Source: Austin Appleby, SMHasher `MurmurHash3_x86_32`.
 *
 * @param seed - any 32-bit value (default 0).
 * @example
 * ```ts
 * import { murmur3 } from 'distkit/hashing';
 * murmur3('', 1);                    //=> 0x514e28b7
 * murmur3('Hello, world!', 0x9747b28c); //=> 0x24884cba
 * ```
 */
export function murmur3(input: HashInput, seed = 0): number {
  return overBytes(input, seed, murmur3Bytes);
}

const P1 = 2654435761;
const P2 = 2246822519;
const P3 = 3266489917;
const P4 = 668265263;
const P5 = 374761393;

/** The little-endian 32-bit word at byte `i`. */
function readU32le(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
}

/** xxHash32's round (XXH32 spec, "round"): one lane absorbs one 32-bit input word. */
function xxh32Round(acc: number, word: number): number {
  const v = (acc + Math.imul(word, P2)) | 0;
  return Math.imul((v << 13) | (v >>> 19), P1);
}

function xxh32Bytes(b: Uint8Array, len: number, seed: number): number {
  let i = 0;
  let h: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = len - 16;
    while (i <= limit) {
      v1 = xxh32Round(v1, readU32le(b, i));
      v2 = xxh32Round(v2, readU32le(b, i + 4));
      v3 = xxh32Round(v3, readU32le(b, i + 8));
      v4 = xxh32Round(v4, readU32le(b, i + 12));
      i += 16;
    }
    h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + len) | 0;
  while (i + 4 <= len) {
    h = (h + Math.imul(readU32le(b, i), P3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), P4);
    i += 4;
  }
  while (i < len) {
    h = (h + Math.imul(b[i]!, P5)) | 0;
    h = Math.imul((h << 11) | (h >>> 21), P1);
    i++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * xxHash32 of the UTF-8 bytes of `input`, as an unsigned 32-bit integer.
 * Source: Yann Collet, xxHash specification (XXH32).
 *
 * @param seed - any 32-bit value (default 0).
 * @example
 * ```ts
 * import { xxh32 } from 'distkit/hashing';
 * xxh32('', 0);    //=> 0x02cc5d05
 * xxh32('abc', 0); //=> 0x32d153ff
 * ```
 */
export function xxh32(input: HashInput, seed = 0): number {
  return overBytes(input, seed, xxh32Bytes);
}

/** Runs a byte hash over `input`: a string is hashed as its UTF-8 bytes. */
function overBytes(input: HashInput, seed: number, hashBytes: (b: Uint8Array, len: number, seed: number) => number): number {
  if (typeof input === 'string') {
    const len = encodeUtf8(input); // may replace the scratch buffer: read it after
    return hashBytes(scratch, len, seed);
  }
  return hashBytes(input, input.length, seed);
}

/**
 * The name of a built-in 32-bit hash function, as stored in serialized placement values.
 *
 * @example
 * ```ts
 * import { HashRing, type HashName } from 'distkit/hashing';
 * const hash: HashName = 'xxh32';
 * HashRing.create(['a', 'b'], { hash });
 * ```
 */
export type HashName = 'murmur3' | 'xxh32';

/**
 * Resolves a {@link HashName} to its function.
 *
 * @example
 * ```ts
 * import { hashFunction } from 'distkit/hashing';
 * hashFunction('xxh32')('abc', 0); //=> 0x32d153ff
 * ```
 */
export function hashFunction(name: HashName): (input: HashInput, seed?: number) => number {
  return name === 'xxh32' ? xxh32 : murmur3;
}
