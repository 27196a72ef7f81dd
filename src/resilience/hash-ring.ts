/**
 * A 32-bit string hash: FNV-1a over UTF-16 code units, finished with MurmurHash3's fmix32 so
 * nearby keys spread over the whole ring.
 *
 * @example
 * ```ts
 * import { hash32 } from 'distkit/resilience';
 * hash32('node-a') === hash32('node-a'); //=> true
 * ```
 */
export function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A consistent-hash ring (Karger et al., STOC 1997) as plain data: sorted point hashes and the
 * node index owning each point. Each node gets `vnodes · weight` points.
 *
 * @example
 * ```ts
 * import { buildRing } from 'distkit/resilience';
 * const ring = buildRing(['a', 'b'], [1, 1], 50);
 * ring.points.length; //=> 100
 * ```
 */
export interface HashRingData {
  /** Point hashes, ascending. */
  readonly points: readonly number[];
  /** Node index of each point. */
  readonly owners: readonly number[];
}

/**
 * Builds a ring over `ids` (with integer-rounded `weights` scaling the virtual nodes).
 *
 * @example
 * ```ts
 * import { buildRing, ringLookup } from 'distkit/resilience';
 * const ring = buildRing(['a', 'b', 'c'], [1, 1, 1], 100);
 * ringLookup(ring, 'user:42', () => true); // index of the owner
 * ```
 */
export function buildRing(ids: readonly string[], weights: readonly number[], vnodes: number): HashRingData {
  const pairs: [number, number][] = [];
  ids.forEach((id, i) => {
    const n = Math.max(1, Math.round(vnodes * (weights[i] ?? 1)));
    for (let v = 0; v < n; v++) pairs.push([hash32(`${id}#${v}`), i]);
  });
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  return { points: pairs.map((p) => p[0]), owners: pairs.map((p) => p[1]) };
}

/**
 * The first node clockwise from `key`'s hash that `eligible` accepts, or -1 when none does.
 *
 * @example
 * ```ts
 * import { buildRing, ringLookup } from 'distkit/resilience';
 * const ring = buildRing(['a', 'b'], [1, 1], 10);
 * ringLookup(ring, 'k', (i) => i !== 0); //=> 1
 * ```
 */
export function ringLookup(ring: HashRingData, key: string, eligible: (index: number) => boolean): number {
  const n = ring.points.length;
  if (n === 0) return -1;
  const h = hash32(key);
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ring.points[mid]! < h) lo = mid + 1;
    else hi = mid;
  }
  const tried = new Set<number>();
  for (let k = 0; k < n; k++) {
    const owner = ring.owners[(lo + k) % n]!;
    if (tried.has(owner)) continue;
    if (eligible(owner)) return owner;
    tried.add(owner);
  }
  return -1;
}
