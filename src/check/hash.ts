/**
 * Stable hashes of plain data (over `canonicalJson` from core), for model states and model-checker fingerprints.
 *
 * @packageDocumentation
 */
import { canonicalJson } from '../core/index.js';

/**
 * A 32-bit FNV-1a hash of a string's UTF-16 code units (FNV, Fowler–Noll–Vo). Stable across
 * runs and platforms; not cryptographic.
 *
 * @example
 * ```ts
 * import { hashString } from 'distkit/check';
 * hashString('abc') === hashString('abc'); //=> true
 * ```
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A 53-bit hash of a string (two independent 32-bit multiply-xorshift lanes, the "cyrb53"
 * construction), returned as a safe integer. Used for model-checker fingerprints: two different
 * states collide with probability about 2^-53 per pair.
 *
 * @example
 * ```ts
 * import { hash53 } from 'distkit/check';
 * Number.isSafeInteger(hash53('{"a":1}')); //=> true
 * ```
 */
export function hash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * A 32-bit hash of any plain JSON value: fast paths for integers, strings, booleans and null,
 * canonical JSON otherwise. Equal values (by {@link sameValue}) hash equally.
 *
 * @example
 * ```ts
 * import { hashValue } from 'distkit/check';
 * hashValue({ a: 1, b: 2 }) === hashValue({ b: 2, a: 1 }); //=> true
 * ```
 */
export function hashValue(value: unknown): number {
  switch (typeof value) {
    case 'number':
      if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) {
        let h = Math.imul(value | 0, 0x9e3779b1);
        h ^= h >>> 15;
        return h >>> 0;
      }
      return hashString('n' + String(value));
    case 'string':
      return hashString(value);
    case 'boolean':
      return value ? 0x6b43a9b5 : 0x1b873593;
    default:
      return value === null || value === undefined ? 0x2545f491 : hashString(canonicalJson(value));
  }
}

/**
 * Structural equality of plain JSON values: `===` for primitives, canonical JSON otherwise.
 *
 * @example
 * ```ts
 * import { sameValue } from 'distkit/check';
 * sameValue([1, { a: 2 }], [1, { a: 2 }]); //=> true
 * sameValue(1, '1');                       //=> false
 * ```
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return canonicalJson(a) === canonicalJson(b);
}
