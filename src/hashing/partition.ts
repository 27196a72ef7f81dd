import { ConfigError, getOwn, numericIdMessage, setOwn, v } from '../core/index.js';
import { murmur3, type HashInput } from './hash.js';
import { parseOrThrow } from './json.js';

/**
 * The serialized form of a {@link DataPartitioner}.
 *
 * @example
 * ```ts
 * import { DataPartitioner, type DataPartitionerJSON } from 'distkit/hashing';
 * const j: DataPartitionerJSON = DataPartitioner.create(['a', 'b']).toJSON();
 * j; //=> { kind: 'partitioner', nodes: ['a', 'b'], seed: 0 }
 * ```
 */
export interface DataPartitionerJSON {
  /** Always `'partitioner'`. */
  readonly kind: 'partitioner';
  /** The nodes, in partition order. */
  readonly nodes: readonly string[];
  /** The hash seed. */
  readonly seed: number;
}

/**
 * The serialized form of a {@link DataDistributor}.
 *
 * @example
 * ```ts
 * import { DataDistributor, type DataDistributorJSON } from 'distkit/hashing';
 * const j: DataDistributorJSON = DataDistributor.create(['a', 'b', 'c'], 2).toJSON();
 * [j, DataDistributor.fromJSON(j).lookup('k')]; //=> [{ kind: 'distributor', nodes: ['a', 'b', 'c'], seed: 0, replicationFactor: 2 }, ['c', 'a']]
 * ```
 */
export interface DataDistributorJSON {
  /** Always `'distributor'`. */
  readonly kind: 'distributor';
  /** The nodes, in order. */
  readonly nodes: readonly string[];
  /** The hash seed. */
  readonly seed: number;
  /** How many successive nodes hold each key. */
  readonly replicationFactor: number;
}

const nodeList = v.array(v.string({ minLength: 1, maxLength: 1024 }), { maxLength: 1 << 20 });
const seedCheck = v.int({ min: 0, max: 0xffffffff });
const partitionerJson = v.object({ kind: v.literal('partitioner'), nodes: nodeList, seed: seedCheck });
const distributorJson = v.object({
  kind: v.literal('distributor'),
  nodes: nodeList,
  seed: seedCheck,
  replicationFactor: v.int({ min: 1, max: 1 << 20 }),
});

function checkList(nodes: readonly string[]): string[] {
  if (!Array.isArray(nodes)) throw new ConfigError('nodes', 'expected an array');
  const seen = new Set<string>();
  nodes.forEach((n, i) => {
    if (typeof n === 'number') throw new ConfigError(`nodes[${i}]`, numericIdMessage(n));
    if (typeof n !== 'string' || n.length === 0) throw new ConfigError(`nodes[${i}]`, 'expected a non-empty string');
    if (seen.has(n)) throw new ConfigError(`nodes[${i}]`, `duplicate node ${JSON.stringify(n)}`);
    seen.add(n);
  });
  return nodes.slice();
}

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ConfigError('seed', `expected an integer in [0, 2^32), got ${String(seed)}`);
  return seed;
}

/**
 * Hash-mod-N partitioning: key → `nodes[hash(key) mod N]`. Simple and perfectly balanced, but
 * changing N moves about N/(N+1) of all keys (not 1/(N+1)); prefer {@link HashRing},
 * {@link Rendezvous} or {@link JumpHash} when membership changes.
 *
 * @example
 * ```ts
 * import { DataPartitioner } from 'distkit/hashing';
 * const p = DataPartitioner.create(['db-0', 'db-1', 'db-2']);
 * [p.partitionOf('order:7'), p.lookup('order:7')]; //=> [2, 'db-2']
 * ```
 */
export class DataPartitioner {
  /** The nodes, in partition order. */
  readonly nodes: readonly string[];
  /** The hash seed (MurmurHash3). */
  readonly seed: number;

  private constructor(nodes: string[], seed: number) {
    this.nodes = Object.freeze(nodes);
    this.seed = seed;
    Object.freeze(this);
  }

  /** Builds a partitioner; throws {@link ConfigError} on empty or duplicate nodes. */
  static create(nodes: readonly string[], seed = 0): DataPartitioner {
    const list = checkList(nodes);
    if (list.length === 0) throw new ConfigError('nodes', 'must not be empty');
    return new DataPartitioner(list, checkSeed(seed));
  }

  /** The partition index of a key: `murmur3(key, seed) mod N`. */
  partitionOf(key: HashInput): number {
    return murmur3(key, this.seed) % this.nodes.length;
  }

  /** The node holding a key. */
  lookup(key: HashInput): string {
    return this.nodes[murmur3(key, this.seed) % this.nodes.length]!;
  }

  /** A new partitioner with `node` appended. */
  add(node: string): DataPartitioner {
    return DataPartitioner.create([...this.nodes, node], this.seed);
  }

  /** A new partitioner without `node`. */
  remove(node: string): DataPartitioner {
    if (!this.nodes.includes(node)) throw new ConfigError('node', `${JSON.stringify(node)} is not a member`);
    return DataPartitioner.create(
      this.nodes.filter((n) => n !== node),
      this.seed,
    );
  }

  /** Plain data for JSON. */
  toJSON(): DataPartitionerJSON {
    return { kind: 'partitioner', nodes: this.nodes.slice(), seed: this.seed };
  }

  /** Rebuilds from untrusted data; throws {@link ConfigError} naming the bad field. */
  static fromJSON(data: unknown): DataPartitioner {
    const d = parseOrThrow(partitionerJson, data);
    return DataPartitioner.create(d.nodes, d.seed);
  }
}

/**
 * Replicated hash-mod-N placement: a key lives on `replicationFactor` successive nodes starting at
 * `hash(key) mod N` (wrapping). Same resize caveat as {@link DataPartitioner}.
 *
 * @example
 * ```ts
 * import { DataDistributor } from 'distkit/hashing';
 * const d = DataDistributor.create(['a', 'b', 'c', 'd'], 3);
 * // Three distinct nodes for each key, the primary first (the notes' get_node_for_key).
 * d.lookup('k'); //=> ['b', 'c', 'd']
 * ```
 */
export class DataDistributor {
  /** The nodes, in order. */
  readonly nodes: readonly string[];
  /** How many successive nodes hold each key (capped at the node count on lookup). */
  readonly replicationFactor: number;
  /** The hash seed (MurmurHash3). */
  readonly seed: number;

  private constructor(nodes: string[], replicationFactor: number, seed: number) {
    this.nodes = Object.freeze(nodes);
    this.replicationFactor = replicationFactor;
    this.seed = seed;
    Object.freeze(this);
  }

  /** Builds a distributor; throws {@link ConfigError} on empty/duplicate nodes or a bad factor. */
  static create(nodes: readonly string[], replicationFactor: number, seed = 0): DataDistributor {
    const list = checkList(nodes);
    if (list.length === 0) throw new ConfigError('nodes', 'must not be empty');
    if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
      throw new ConfigError('replicationFactor', `expected an integer >= 1, got ${String(replicationFactor)}`);
    }
    return new DataDistributor(list, replicationFactor, checkSeed(seed));
  }

  /** The nodes holding a key: the primary first, then its successors. */
  lookup(key: HashInput): string[] {
    const n = this.nodes.length;
    const start = murmur3(key, this.seed) % n;
    const count = Math.min(this.replicationFactor, n);
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(this.nodes[(start + i) % n]!);
    return out;
  }

  /** The notes' `get_node_for_key(key)`: the same as {@link DataDistributor.lookup}. */
  getNodeForKey(key: HashInput): string[] {
    return this.lookup(key);
  }

  /**
   * The notes' `distribute_data(data)`: which keys each node holds, every key on each of its
   * replicas. Keys are read as own properties, so a key named `__proto__` is data like any other.
   *
   * @example
   * ```ts
   * import { DataDistributor } from 'distkit/hashing';
   * const d = DataDistributor.create(['a', 'b', 'c'], 2);
   * const byNode = d.distributeData({ 'user:1': 'ann', 'user:2': 'bob' });
   * Object.values(byNode).reduce((n, held) => n + Object.keys(held).length, 0); //=> 4
   * ```
   */
  distributeData<V>(data: Readonly<Record<string, V>>): Record<string, Record<string, V>> {
    const out: Record<string, Record<string, V>> = {};
    for (const node of this.nodes) setOwn(out, node, {});
    for (const key of Object.keys(data)) {
      const value = getOwn(data, key) as V;
      for (const node of this.lookup(key)) setOwn(getOwn(out, node)!, key, value);
    }
    return out;
  }

  /** A new distributor with `node` appended. */
  add(node: string): DataDistributor {
    return DataDistributor.create([...this.nodes, node], this.replicationFactor, this.seed);
  }

  /** A new distributor without `node`. */
  remove(node: string): DataDistributor {
    if (!this.nodes.includes(node)) throw new ConfigError('node', `${JSON.stringify(node)} is not a member`);
    return DataDistributor.create(
      this.nodes.filter((n) => n !== node),
      this.replicationFactor,
      this.seed,
    );
  }

  /** Plain data for JSON. */
  toJSON(): DataDistributorJSON {
    return { kind: 'distributor', nodes: this.nodes.slice(), seed: this.seed, replicationFactor: this.replicationFactor };
  }

  /** Rebuilds from untrusted data; throws {@link ConfigError} naming the bad field. */
  static fromJSON(data: unknown): DataDistributor {
    const d = parseOrThrow(distributorJson, data);
    return DataDistributor.create(d.nodes, d.replicationFactor, d.seed);
  }
}
