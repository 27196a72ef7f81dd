/**
 * The layout of a dot map (Almeida, Shoker and Baquero, arXiv:1603.01529, §5, `DotMap`): keys
 * spread over {@link DOT_MAP_BUCKETS} buckets by a hash of the key, so that a join which changes
 * one key copies one bucket and the small bucket table, not every key of the map.
 *
 * @packageDocumentation
 */
import { getOwn, setOwn } from '../../core/index.js';

/**
 * How many buckets a dot map spreads its keys over: a join that changes one key of an `n`-key map
 * copies one bucket of about `n / 32` keys and the table of at most 32 buckets.
 *
 * @example
 * ```ts
 * import { DOT_MAP_BUCKETS } from 'distkit/replication';
 * DOT_MAP_BUCKETS; //=> 32
 * ```
 */
export const DOT_MAP_BUCKETS = 32;

/**
 * One key of a dot map with its value, as stored in a bucket.
 *
 * @example
 * ```ts
 * import type { DotMapPair, DotEntry } from 'distkit/replication';
 * const p: DotMapPair<readonly DotEntry[]> = ['milk', [['a', 1]]];
 * ```
 */
export type DotMapPair<S> = readonly [key: string, value: S];

/**
 * A dot map: bucket → the `[key, value]` pairs of the keys in that bucket, sorted by key
 * (code-unit order), each value a non-empty dot store. The bucket of a key is
 * {@link DotMap}`.bucketOf(key)`, a decimal string in `['0', '31']`; a bucket holds at least one
 * key, so a map has exactly one layout and equal maps are structurally equal. A join copies the
 * bucket table and the buckets it changes: arrays, which copy at memory speed. Read it with
 * {@link DotMap}'s functions (`get`, `keys`, `toObject`) rather than by hand.
 *
 * @example
 * ```ts
 * import { DotMap, type DotEntry } from 'distkit/replication';
 * const m: DotMap<readonly DotEntry[]> = DotMap.from({ milk: [['a', 1]] });
 * DotMap.get(m, 'milk'); //=> [['a', 1]]
 * m[DotMap.bucketOf('milk')]; //=> [['milk', [['a', 1]]]]
 * ```
 */
export interface DotMap<S> {
  readonly [bucket: string]: readonly DotMapPair<S>[];
}

const BUCKET_NAMES: readonly string[] = Array.from({ length: DOT_MAP_BUCKETS }, (_, i) => String(i));

/**
 * One object per bucket holding only that bucket's slot, spread to make a one-bucket map: about
 * 2.5 times faster than adding an array-index key to an empty object. Never handed out, never
 * written (and not frozen: V8 copies frozen elements slowly).
 */
const ONE_BUCKET_TEMPLATES: readonly Readonly<Record<string, null>>[] = BUCKET_NAMES.map((b) => {
  const o: Record<string, null> = {};
  o[b] = null;
  return o;
});

/** FNV-1a over the UTF-16 code units, then a 32-bit finalizer; the top 5 bits pick the bucket. */
function bucketIndex(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 27;
}

function bucketOf(key: string): string {
  return BUCKET_NAMES[bucketIndex(key)]!;
}

/** The index of `key` in a sorted bucket, or `-(insertion point) - 1`. */
export function findKey<S>(bucket: readonly DotMapPair<S>[], key: string): number {
  let lo = 0;
  let hi = bucket.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const k = bucket[mid]![0];
    if (k === key) return mid;
    if (k < key) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

function get<S>(map: DotMap<S>, key: string): S | undefined {
  const bucket = getOwn(map, bucketOf(key));
  if (bucket === undefined) return undefined;
  const i = findKey(bucket, key);
  return i < 0 ? undefined : bucket[i]![1];
}

function keys<S>(map: DotMap<S>): string[] {
  const out: string[] = [];
  for (const b of Object.keys(map)) for (const p of map[b]!) out.push(p[0]);
  return out;
}

function of<S>(key: string, value: S): DotMap<S> {
  const i = bucketIndex(key);
  const map = { ...ONE_BUCKET_TEMPLATES[i] } as unknown as Record<string, readonly DotMapPair<S>[]>;
  map[BUCKET_NAMES[i]!] = [[key, value]];
  return map;
}

const byKey = <S>(x: DotMapPair<S>, y: DotMapPair<S>): number => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0);

function from<S>(record: Readonly<Record<string, S>>): DotMap<S> {
  const map: Record<string, DotMapPair<S>[]> = {};
  for (const k of Object.keys(record)) (map[bucketOf(k)] ??= []).push([k, record[k]!]);
  for (const b of Object.keys(map)) map[b]!.sort(byKey);
  return map;
}

function toObject<S>(map: DotMap<S>): Record<string, S> {
  const out: Record<string, S> = {};
  for (const b of Object.keys(map)) for (const p of map[b]!) setOwn(out, p[0], p[1]);
  return out;
}

/**
 * Reading and building dot maps: `get` a key's value, `keys` (unsorted), `of` (one key), `from`
 * and `toObject` (to and from a plain `key → value` record, one level), `bucketOf` a key.
 *
 * @example
 * ```ts
 * import { AWORSet, DotMap } from 'distkit/replication';
 * const s = AWORSet.join(AWORSet.empty(), AWORSet.add(AWORSet.empty(), 'a', 'milk'));
 * DotMap.toObject(s.store); //=> { milk: [['a', 1]] }
 * DotMap.keys(s.store);     //=> ['milk']
 * ```
 */
export const DotMap = Object.freeze({
  /** The bucket of `key`. */
  bucketOf,
  /** The value under `key`, or `undefined`. */
  get,
  /** Every key, in no particular order. */
  keys,
  /** The map holding only `key → value`. */
  of,
  /** The map of a plain record (values are taken as they are: nested maps must be built first). */
  from,
  /** The plain `key → value` record of a map (one level: nested maps stay dot maps). */
  toObject,
});
