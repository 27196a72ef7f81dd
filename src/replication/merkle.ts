/**
 * Merkle trees over a key range, for anti-entropy between replicas (Dynamo §4.7; Merkle 1987).
 *
 * @packageDocumentation
 */
import { murmur3 } from '../hashing/index.js';

/**
 * A Merkle tree of a replica's keys: `2^depth` leaf buckets (a key's bucket is the top `depth`
 * bits of its murmur3 hash), each hashing the sorted `(key, digest)` pairs it holds, and inner
 * nodes hashing their two children. Heap layout: `hashes[1]` is the root, node `i` has children
 * `2i` and `2i + 1`, leaves are `hashes[2^depth ..]`; an empty subtree hashes to 0. Plain JSON.
 *
 * @example
 * ```ts
 * import { merkleBuild } from 'distkit/replication';
 * const t = merkleBuild({ cart: 'v1' }, 2);
 * t.hashes.length; //=> 8
 * ```
 */
export interface MerkleTree {
  /** Levels below the root (0..16). */
  readonly depth: number;
  /** Node hashes in heap order; index 0 unused. */
  readonly hashes: readonly number[];
}

/** The deepest tree {@link merkleBuild} makes: 65,536 leaf buckets. */
export const MAX_MERKLE_DEPTH = 16;

/**
 * The leaf bucket of a key in a tree of `depth` levels.
 *
 * @example
 * ```ts
 * import { merkleBucket } from 'distkit/replication';
 * merkleBucket('cart', 0); //=> 0
 * ```
 */
export function merkleBucket(key: string, depth: number): number {
  return depth === 0 ? 0 : murmur3(key) >>> (32 - depth);
}

/**
 * Builds the tree of a replica's keys, each with a digest of its value (for the quorum store,
 * a hash of the key's clock). Throws a `RangeError` for a depth outside 0..16.
 *
 * @example
 * ```ts
 * import { merkleBuild } from 'distkit/replication';
 * merkleBuild({}, 1).hashes; //=> [0, 0, 0, 0]
 * merkleBuild({ a: 'x' }, 1).hashes[1] !== 0; //=> true
 * ```
 */
export function merkleBuild(digests: Readonly<Record<string, string>>, depth: number): MerkleTree {
  if (!Number.isInteger(depth) || depth < 0 || depth > MAX_MERKLE_DEPTH) throw new RangeError(`depth: expected an integer in [0, ${MAX_MERKLE_DEPTH}], got ${depth}`);
  const leaves = 1 << depth;
  const buckets: string[][] = Array.from({ length: leaves }, () => []);
  for (const key of Object.keys(digests).sort()) buckets[merkleBucket(key, depth)]!.push(`${JSON.stringify(key)}:${JSON.stringify(digests[key])}`);
  const hashes = new Array<number>(2 * leaves).fill(0);
  for (let b = 0; b < leaves; b++) hashes[leaves + b] = buckets[b]!.length === 0 ? 0 : murmur3(buckets[b]!.join(',')) || 1;
  for (let i = leaves - 1; i >= 1; i--) {
    const l = hashes[2 * i]!;
    const r = hashes[2 * i + 1]!;
    hashes[i] = l === 0 && r === 0 ? 0 : murmur3(`${l}/${r}`) || 1;
  }
  return { depth, hashes };
}

/**
 * What one side of an exchange sends when asked for `indices`: their hashes (unknown indices
 * answer 0).
 *
 * @example
 * ```ts
 * import { merkleBuild, merkleHashes } from 'distkit/replication';
 * merkleHashes(merkleBuild({}, 2), [1, 2]); //=> [0, 0]
 * ```
 */
export function merkleHashes(tree: MerkleTree, indices: readonly number[]): number[] {
  return indices.map((i) => (Number.isInteger(i) && i >= 1 && i < tree.hashes.length ? tree.hashes[i]! : 0));
}

/**
 * One step of the exchange down the tree: given the remote hashes of `indices`, the indices to
 * ask for next (the children of the inner nodes that differ) and the leaf buckets found to
 * differ.
 *
 * @example
 * ```ts
 * import { merkleBuild, merkleHashes, merkleStep } from 'distkit/replication';
 * const a = merkleBuild({ k: '1' }, 1);
 * const b = merkleBuild({ k: '2' }, 1);
 * const first = merkleStep(a, [1], merkleHashes(b, [1]));
 * first.next.length; //=> 2
 * ```
 */
export function merkleStep(local: MerkleTree, indices: readonly number[], remote: readonly number[]): { next: number[]; buckets: number[] } {
  const leaves = 1 << local.depth;
  const next: number[] = [];
  const buckets: number[] = [];
  indices.forEach((i, k) => {
    if (local.hashes[i] === remote[k]) return;
    if (i >= leaves) buckets.push(i - leaves);
    else next.push(2 * i, 2 * i + 1);
  });
  return { next, buckets };
}

/**
 * Runs the whole exchange between two trees of the same depth (Dynamo §4.7: compare the roots,
 * then the children of the nodes that differ, down to the leaves) and returns the leaf buckets
 * whose keys must be synchronized, with the number of hashes exchanged — one when the replicas
 * agree, about `2·depth` per differing bucket otherwise, instead of one per key.
 *
 * @example
 * ```ts
 * import { merkleBuild, merkleDiff } from 'distkit/replication';
 * const same = merkleDiff(merkleBuild({ a: '1' }, 4), merkleBuild({ a: '1' }, 4));
 * same; //=> { buckets: [], hashesExchanged: 1 }
 * ```
 */
export function merkleDiff(a: MerkleTree, b: MerkleTree): { buckets: number[]; hashesExchanged: number } {
  if (a.depth !== b.depth) throw new RangeError(`trees of different depths (${a.depth} and ${b.depth})`);
  let indices = [1];
  let exchanged = 0;
  const buckets: number[] = [];
  while (indices.length > 0) {
    exchanged += indices.length;
    const step = merkleStep(a, indices, merkleHashes(b, indices));
    buckets.push(...step.buckets);
    indices = step.next;
  }
  return { buckets: buckets.sort((x, y) => x - y), hashesExchanged: exchanged };
}
