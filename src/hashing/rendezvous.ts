import { ConfigError, v } from '../core/index.js';
import { fmix32, murmur3, type HashInput } from './hash.js';
import { normalizeNodes, parseOrThrow, weightedNodeJson, type NodeSpec } from './json.js';

/**
 * The serialized form of a {@link Rendezvous}.
 *
 * @example
 * ```ts
 * import type { RendezvousJSON } from 'distkit/hashing';
 * const j: RendezvousJSON = { kind: 'rendezvous', seed: 0, nodes: [{ id: 'a', weight: 1 }] };
 * ```
 */
export interface RendezvousJSON {
  /** Always `'rendezvous'`. */
  readonly kind: 'rendezvous';
  /** The hash seed. */
  readonly seed: number;
  /** The members and their weights. */
  readonly nodes: readonly { readonly id: string; readonly weight: number }[];
}

const rendezvousJson = v.object({
  kind: v.literal('rendezvous'),
  seed: v.int({ min: 0, max: 0xffffffff }),
  nodes: v.array(weightedNodeJson, { maxLength: 1 << 20 }),
});

/**
 * Immutable rendezvous (highest random weight) hashing with weights: a key goes to the node with
 * the highest score `-weight / ln(u)`, `u` a per-(key, node) uniform hash in (0, 1) — the
 * logarithmic method of Schindelhauer & Schomaker (2005), which gives each node a share of keys
 * proportional to its weight. Source: Thaler & Ravishankar, "Using name-based mappings to
 * increase hit rates" (1998). Lookup costs O(N); removing a node moves only its own keys.
 *
 * @example
 * ```ts
 * import { Rendezvous } from 'distkit/hashing';
 * const r = Rendezvous.create(['a', 'b', { id: 'c', weight: 2 }]);
 * r.lookup('session:9');   // one of 'a' | 'b' | 'c' ('c' twice as often)
 * r.topN('session:9', 2);  // the two highest-scoring nodes, best first
 * ```
 */
export class Rendezvous {
  /** Member ids, sorted. */
  readonly nodes: readonly string[];
  /** The hash seed. */
  readonly seed: number;
  private readonly weights: readonly number[];
  private readonly nodeHashes: Uint32Array;
  private readonly uniform: boolean;

  private constructor(nodes: { id: string; weight: number }[], seed: number) {
    const sorted = nodes.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.nodes = Object.freeze(sorted.map((n) => n.id));
    this.weights = Object.freeze(sorted.map((n) => n.weight));
    this.seed = seed;
    this.nodeHashes = new Uint32Array(sorted.map((n) => murmur3(n.id, seed ^ 0x5bd1e995)));
    this.uniform = sorted.every((n) => n.weight === sorted[0]!.weight);
    Object.freeze(this);
  }

  /** Builds a placement. Throws {@link ConfigError} on duplicate ids or non-positive weights. */
  static create(nodes: readonly NodeSpec[], options: { readonly seed?: number } = {}): Rendezvous {
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ConfigError('seed', `expected an integer in [0, 2^32), got ${String(seed)}`);
    return new Rendezvous(normalizeNodes(nodes), seed);
  }

  /** The number of members. */
  get size(): number {
    return this.nodes.length;
  }

  /** The members with their weights, sorted by id. */
  members(): { id: string; weight: number }[] {
    return this.nodes.map((id, i) => ({ id, weight: this.weights[i]! }));
  }

  /** The score of node index `i` for key hash `hk` (higher wins). */
  private score(hk: number, i: number): number {
    const x = fmix32(Math.imul(hk ^ this.nodeHashes[i]!, 0x9e3779b1) ^ (hk >>> 15));
    if (this.uniform) return x;
    const u = (x + 0.5) / 4294967296;
    return -this.weights[i]! / Math.log(u);
  }

  /** The node with the highest score for `key`. Throws {@link ConfigError} when empty. */
  lookup(key: HashInput): string {
    const n = this.nodes.length;
    if (n === 0) throw new ConfigError('nodes', 'no nodes');
    const hk = murmur3(key, this.seed);
    let best = 0;
    let bestScore = -Infinity;
    if (this.uniform) {
      // Equal weights: the raw mixed hash orders nodes like the weighted score does.
      const nh = this.nodeHashes;
      const hk2 = hk >>> 15;
      for (let i = 0; i < n; i++) {
        const x = fmix32(Math.imul(hk ^ nh[i]!, 0x9e3779b1) ^ hk2);
        if (x > bestScore) {
          bestScore = x;
          best = i;
        }
      }
      return this.nodes[best]!;
    }
    for (let i = 0; i < n; i++) {
      const s = this.score(hk, i);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    return this.nodes[best]!;
  }

  /** The `n` highest-scoring distinct nodes for `key`, best first (fewer if there are fewer nodes). */
  topN(key: HashInput, n: number): string[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`n: expected an integer >= 0, got ${n}`);
    const hk = murmur3(key, this.seed);
    const scored: { i: number; s: number }[] = [];
    for (let i = 0; i < this.nodes.length; i++) scored.push({ i, s: this.score(hk, i) });
    scored.sort((a, b) => b.s - a.s || a.i - b.i);
    return scored.slice(0, n).map((x) => this.nodes[x.i]!);
  }

  /** A new placement with `node` added. Throws if it is already a member. */
  add(node: string, weight = 1): Rendezvous {
    if (this.nodes.includes(node)) throw new ConfigError('node', `${JSON.stringify(node)} is already a member`);
    return Rendezvous.create([...this.members(), { id: node, weight }], { seed: this.seed });
  }

  /** A new placement without `node`. Throws if it is not a member. */
  remove(node: string): Rendezvous {
    if (!this.nodes.includes(node)) throw new ConfigError('node', `${JSON.stringify(node)} is not a member`);
    return new Rendezvous(
      this.members().filter((m) => m.id !== node),
      this.seed,
    );
  }

  /** Plain data for JSON. */
  toJSON(): RendezvousJSON {
    return { kind: 'rendezvous', seed: this.seed, nodes: this.members() };
  }

  /** Rebuilds from untrusted data; throws {@link ConfigError} naming the bad field. */
  static fromJSON(data: unknown): Rendezvous {
    const d = parseOrThrow(rendezvousJson, data);
    return Rendezvous.create(d.nodes, { seed: d.seed });
  }
}
