import { ConfigError, v } from '../core/index.js';
import { hashFunction, type HashInput, type HashName } from './hash.js';
import { normalizeNodes, parseOrThrow, weightedNodeJson, type NodeSpec } from './json.js';

/**
 * Options of {@link HashRing.create}.
 *
 * @example
 * ```ts
 * import { HashRing, type HashRingOptions } from 'distkit/hashing';
 * const opts: HashRingOptions = { vnodes: 160, hash: 'murmur3', seed: 0 };
 * const ring = HashRing.create(['a', 'b'], opts);
 * // 160 points per node; each node owns about half the ring.
 * [ring.pointCount, Object.values(ring.shares()).every((s) => Math.abs(s - 0.5) < 0.1)]; //=> [320, true]
 * ```
 */
export interface HashRingOptions {
  /** Virtual nodes (points on the ring) per unit of weight. Default 160. */
  readonly vnodes?: number;
  /** The hash function for keys and points. Default `'murmur3'`. */
  readonly hash?: HashName;
  /** The hash seed. Default 0. */
  readonly seed?: number;
}

/**
 * A key range that changed owner: keys whose ring hash `h` lies on the arc `(start, end]`
 * (clockwise, wrapping past 2^32 - 1 to 0 when `start >= end`) moved from node `from` to node `to`.
 *
 * @example
 * ```ts
 * import { HashRing, type MovedRange } from 'distkit/hashing';
 * const { moved } = HashRing.create(['a', 'b']).add('c');
 * // Adding a node moves ranges only to it, from the nodes that owned them.
 * const ranges: readonly MovedRange[] = moved;
 * [ranges.every((r) => r.to === 'c'), [...new Set(ranges.map((r) => r.from))].sort()]; //=> [true, ['a', 'b']]
 * ```
 */
export interface MovedRange {
  /** Exclusive start of the arc (a ring hash). */
  readonly start: number;
  /** Inclusive end of the arc (a ring hash). */
  readonly end: number;
  /** The previous owner. */
  readonly from: string;
  /** The new owner. */
  readonly to: string;
}

/**
 * The result of a membership change: the new ring and the key ranges that moved.
 *
 * @example
 * ```ts
 * import { HashRing, type RingChange } from 'distkit/hashing';
 * const change: RingChange = HashRing.create(['a']).add('b');
 * change.ring.nodes; //=> ['a', 'b']
 * ```
 */
export interface RingChange {
  /** The new ring. */
  readonly ring: HashRing;
  /** The arcs whose owner changed, in ring order, adjacent arcs with the same move merged. */
  readonly moved: readonly MovedRange[];
}

/**
 * The serialized form of a {@link HashRing}. Points are recomputed on load.
 *
 * @example
 * ```ts
 * import { HashRing, type HashRingJSON } from 'distkit/hashing';
 * const ring = HashRing.create([{ id: 'a', weight: 2 }, 'b']);
 * const j: HashRingJSON = JSON.parse(JSON.stringify(ring));
 * // The JSON round-trip rebuilds the same ring: same owners for every key.
 * [j, HashRing.fromJSON(j).lookup('user:42') === ring.lookup('user:42')]; //=> [{ kind: 'hashring', vnodes: 160, hash: 'murmur3', seed: 0, nodes: [{ id: 'a', weight: 2 }, { id: 'b', weight: 1 }] }, true]
 * ```
 */
export interface HashRingJSON {
  /** Always `'hashring'`. */
  readonly kind: 'hashring';
  /** Virtual nodes per unit of weight. */
  readonly vnodes: number;
  /** The hash function. */
  readonly hash: HashName;
  /** The hash seed. */
  readonly seed: number;
  /** The members and their weights. */
  readonly nodes: readonly { readonly id: string; readonly weight: number }[];
}

const MAX_NODES = 1 << 20;
const MAX_POINTS = 1 << 24;

const ringJson = v.object({
  kind: v.literal('hashring'),
  vnodes: v.int({ min: 1, max: 1 << 16 }),
  hash: v.literal('murmur3', 'xxh32'),
  seed: v.int({ min: 0, max: 0xffffffff }),
  nodes: v.array(weightedNodeJson, { maxLength: MAX_NODES }),
});

/** The number of points a node of `weight` gets. */
function pointsFor(weight: number, vnodes: number): number {
  return Math.max(1, Math.round(weight * vnodes));
}

/**
 * An immutable consistent-hash ring with virtual nodes and weights (Karger et al. 1997; Dynamo's
 * preference lists, DeCandia et al. 2007 §4.3). A key belongs to the node owning the first point
 * clockwise from the key's hash; lookup is a binary search over a sorted `Uint32Array` of points.
 * `add` and `remove` return a new ring and the exact key ranges that moved.
 *
 * Point `i` of node `id` is `hash(id + '#' + i)`; equal points are ordered by node id, so every
 * process builds the very same ring from the same members.
 *
 * @example
 * ```ts
 * import { HashRing } from 'distkit/hashing';
 * const ring = HashRing.create(['cache-a', 'cache-b', 'cache-c']);
 * ring.lookup('user:42'); //=> 'cache-c'
 * ring.preferenceList('user:42', 2); //=> ['cache-c', 'cache-b']
 * // Adding a node moves only the keys the new node takes over.
 * const { ring: bigger } = ring.add('cache-d');
 * const keys = Array.from({ length: 1000 }, (_, i) => `user:${i}`);
 * keys.filter((k) => bigger.lookup(k) !== ring.lookup(k)).every((k) => bigger.lookup(k) === 'cache-d'); //=> true
 * ```
 */
export class HashRing {
  /** Member ids, sorted. */
  readonly nodes: readonly string[];
  /** Virtual nodes per unit of weight. */
  readonly vnodes: number;
  /** The hash function. */
  readonly hash: HashName;
  /** The hash seed. */
  readonly seed: number;
  private readonly weights: readonly number[];
  private readonly points: Uint32Array;
  private readonly owners: Uint32Array;
  private readonly hashFn: (input: HashInput, seed?: number) => number;

  private constructor(nodes: readonly { id: string; weight: number }[], vnodes: number, hash: HashName, seed: number) {
    const sorted = nodes.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.nodes = Object.freeze(sorted.map((n) => n.id));
    this.weights = Object.freeze(sorted.map((n) => n.weight));
    this.vnodes = vnodes;
    this.hash = hash;
    this.seed = seed;
    this.hashFn = hashFunction(hash);
    let total = 0;
    for (const n of sorted) total += pointsFor(n.weight, vnodes);
    if (total > MAX_POINTS) throw new ConfigError('nodes', `too many points (${total} > ${MAX_POINTS}); lower vnodes or weights`);
    // Pack (point, node index) into one double so one numeric typed-array sort orders both.
    const packed = new Float64Array(total);
    let k = 0;
    for (let i = 0; i < sorted.length; i++) {
      const n = sorted[i]!;
      const count = pointsFor(n.weight, vnodes);
      const prefix = `${n.id}#`;
      for (let p = 0; p < count; p++) packed[k++] = this.hashFn(prefix + p, seed) * MAX_NODES + i;
    }
    packed.sort();
    this.points = new Uint32Array(total);
    this.owners = new Uint32Array(total);
    for (let p = 0; p < total; p++) {
      const x = packed[p]!;
      const point = Math.floor(x / MAX_NODES);
      this.points[p] = point;
      this.owners[p] = x - point * MAX_NODES;
    }
    Object.freeze(this);
  }

  /**
   * Builds a ring. Throws {@link ConfigError} on duplicate ids, non-positive weights or bad options.
   */
  static create(nodes: readonly NodeSpec[], options: HashRingOptions = {}): HashRing {
    const vnodes = options.vnodes ?? 160;
    if (!Number.isInteger(vnodes) || vnodes < 1 || vnodes > 1 << 16) {
      throw new ConfigError('vnodes', `expected an integer in [1, 65536], got ${String(vnodes)}`);
    }
    const hash = options.hash ?? 'murmur3';
    if (hash !== 'murmur3' && hash !== 'xxh32') throw new ConfigError('hash', `expected 'murmur3' or 'xxh32', got ${String(hash)}`);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new ConfigError('seed', `expected an integer in [0, 2^32), got ${String(seed)}`);
    }
    const list = normalizeNodes(nodes);
    if (list.length > MAX_NODES) throw new ConfigError('nodes', `at most ${MAX_NODES} nodes`);
    return new HashRing(list, vnodes, hash, seed);
  }

  /** The number of members. */
  get size(): number {
    return this.nodes.length;
  }

  /** The number of points (virtual nodes) on the ring. */
  get pointCount(): number {
    return this.points.length;
  }

  /** `true` when `node` is a member. */
  has(node: string): boolean {
    return this.indexOf(node) >= 0;
  }

  /** The weight of a member, or `undefined` for a non-member. */
  weightOf(node: string): number | undefined {
    const i = this.indexOf(node);
    return i < 0 ? undefined : this.weights[i];
  }

  /** The members with their weights, sorted by id. */
  members(): { id: string; weight: number }[] {
    return this.nodes.map((id, i) => ({ id, weight: this.weights[i]! }));
  }

  /** The fraction of the hash space (hence of uniformly hashed keys) each member owns. */
  shares(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const id of this.nodes) out[id] = 0;
    const pts = this.points;
    const n = pts.length;
    for (let p = 0; p < n; p++) {
      const prev = p === 0 ? pts[n - 1]! - 4294967296 : pts[p - 1]!;
      const id = this.nodes[this.owners[p]!]!;
      out[id] = out[id]! + (n === 1 ? 4294967296 : pts[p]! - prev) / 4294967296;
    }
    return out;
  }

  /** The ring position of a key: its hash with this ring's function and seed. */
  keyHash(key: HashInput): number {
    return this.hashFn(key, this.seed);
  }

  /** The node owning a ring position (the first point clockwise at or after it). */
  ownerOfHash(h: number): string {
    const pts = this.points;
    const n = pts.length;
    if (n === 0) throw new ConfigError('nodes', 'the ring is empty');
    const lo = this.firstPointAtOrAfter(h);
    return this.nodes[this.owners[lo === n ? 0 : lo]!]!;
  }

  /** The node owning `key`. Throws {@link ConfigError} when the ring is empty. */
  lookup(key: HashInput): string {
    return this.ownerOfHash(this.hashFn(key, this.seed));
  }

  /**
   * The first `n` distinct nodes clockwise from the key (Dynamo's preference list, DeCandia et al.
   * 2007 §4.3), the owner first. Returns fewer when the ring has fewer members.
   */
  preferenceList(key: HashInput, n: number): string[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n: expected an integer >= 0, got ${n}`);
    const want = Math.min(n, this.nodes.length);
    const out: string[] = [];
    if (want === 0) return out;
    const pts = this.points;
    const lo = this.firstPointAtOrAfter(this.hashFn(key, this.seed));
    // Small lists (the usual replica counts) check membership in a short list; long ones use a mask.
    const seen = want > 8 ? new Uint8Array(this.nodes.length) : undefined;
    const picked: number[] = [];
    for (let k = 0; k < pts.length && out.length < want; k++) {
      const o = this.owners[(lo + k) % pts.length]!;
      if (seen !== undefined) {
        if (seen[o] === 1) continue;
        seen[o] = 1;
      } else if (picked.includes(o)) {
        continue;
      }
      picked.push(o);
      out.push(this.nodes[o]!);
    }
    return out;
  }

  /**
   * A new ring with `node` added (weight 1 unless given) and the ranges that moved to it.
   * Throws {@link ConfigError} if it is already a member.
   */
  add(node: string, weight = 1): RingChange {
    if (this.has(node)) throw new ConfigError('node', `${JSON.stringify(node)} is already a member`);
    const ring = HashRing.create([...this.members(), { id: node, weight }], this.options());
    return { ring, moved: HashRing.diff(this, ring) };
  }

  /** A new ring without `node` and the ranges that moved away from it. Throws if not a member. */
  remove(node: string): RingChange {
    if (!this.has(node)) throw new ConfigError('node', `${JSON.stringify(node)} is not a member`);
    const ring = new HashRing(
      this.members().filter((m) => m.id !== node),
      this.vnodes,
      this.hash,
      this.seed,
    );
    return { ring, moved: HashRing.diff(this, ring) };
  }

  /** A new ring with `node`'s weight changed, and the ranges that moved. */
  reweight(node: string, weight: number): RingChange {
    if (!this.has(node)) throw new ConfigError('node', `${JSON.stringify(node)} is not a member`);
    const ring = HashRing.create(
      this.members().map((m) => (m.id === node ? { id: node, weight } : m)),
      this.options(),
    );
    return { ring, moved: HashRing.diff(this, ring) };
  }

  /**
   * The arcs whose owner differs between two rings (built with the same hash and seed), in ring
   * order. Every key whose hash lies in a returned arc moved `from` → `to`; no other key moved.
   */
  static diff(a: HashRing, b: HashRing): MovedRange[] {
    if (a.hash !== b.hash || a.seed !== b.seed) throw new ConfigError('ring', 'rings use different hash functions or seeds');
    const out: MovedRange[] = [];
    if (a.points.length === 0 || b.points.length === 0) return out;
    // The union of both rings' points, sorted and distinct; each elementary arc (prev, p] has one
    // owner in each ring: the owner of the first point >= p in that ring.
    const union = new Uint32Array(a.points.length + b.points.length);
    union.set(a.points);
    union.set(b.points, a.points.length);
    union.sort();
    let prev = union[union.length - 1]!;
    let ia = 0;
    let ib = 0;
    let last: { start: number; end: number; from: string; to: string } | undefined;
    let first: typeof last;
    for (let u = 0; u < union.length; u++) {
      const p = union[u]!;
      if (u > 0 && p === union[u - 1]) continue;
      while (ia < a.points.length && a.points[ia]! < p) ia++;
      while (ib < b.points.length && b.points[ib]! < p) ib++;
      const from = a.nodes[a.owners[ia === a.points.length ? 0 : ia]!]!;
      const to = b.nodes[b.owners[ib === b.points.length ? 0 : ib]!]!;
      if (from !== to) {
        if (last !== undefined && last.end === prev && last.from === from && last.to === to) {
          last.end = p;
        } else {
          last = { start: prev, end: p, from, to };
          out.push(last);
          first ??= last;
        }
      }
      prev = p;
    }
    // Merge the arc that wraps past zero with the first one.
    if (out.length > 1 && first !== undefined && last !== undefined && last.end === first.start && last.from === first.from && last.to === first.to) {
      first.start = last.start;
      out.pop();
    }
    return out;
  }

  /** `true` when ring position `h` lies on the arc of `range`. */
  static inRange(h: number, range: MovedRange): boolean {
    return range.start < range.end ? h > range.start && h <= range.end : h > range.start || h <= range.end;
  }

  /** Plain data for JSON: the members and options (points are recomputed on load). */
  toJSON(): HashRingJSON {
    return { kind: 'hashring', vnodes: this.vnodes, hash: this.hash, seed: this.seed, nodes: this.members() };
  }

  /** Rebuilds a ring from untrusted data; throws {@link ConfigError} naming the bad field. */
  static fromJSON(data: unknown): HashRing {
    const d = parseOrThrow(ringJson, data);
    return HashRing.create(d.nodes, { vnodes: d.vnodes, hash: d.hash, seed: d.seed });
  }

  private options(): HashRingOptions {
    return { vnodes: this.vnodes, hash: this.hash, seed: this.seed };
  }

  /** The index of the first point at or after ring position `h` (`points.length` when none is). */
  private firstPointAtOrAfter(h: number): number {
    const pts = this.points;
    let lo = 0;
    let hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pts[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private indexOf(node: string): number {
    let lo = 0;
    let hi = this.nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.nodes[mid]! < node) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.nodes.length && this.nodes[lo] === node ? lo : -1;
  }
}
