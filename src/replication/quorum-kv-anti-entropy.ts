/**
 * The quorum key-value store's Merkle-tree anti-entropy (Dynamo §4.7): per peer, a tree over the
 * keys both replicate; trees are compared from the root down, and the keys of differing leaf
 * buckets are sent across.
 *
 * @packageDocumentation
 */
import { canonicalJson, reject, send, startTimer, transition, type NodeId, type Transition } from '../core/index.js';
import { murmur3 } from '../hashing/index.js';
import { merkleBucket, merkleBuild, merkleHashes, merkleStep, type MerkleTree } from './merkle.js';
import { isDown, preferenceList } from './quorum-kv-store.js';
import type { QuorumKvOutput, QuorumKvState } from './quorum-kv-types.js';

type T = Transition<QuorumKvState, QuorumKvOutput>;

interface PeerTree {
  readonly tree: MerkleTree;
  readonly buckets: readonly (readonly string[])[];
}

// Trees are derived from the store object, which changes exactly when the store does.
const trees = new WeakMap<object, Map<string, PeerTree>>();

/**
 * The tree of the keys this node stores whose preference list names both it and `peer`. A node
 * keeps its copies of ranges a join moved away from it (Dynamo §4.9); those are no longer its to
 * compare, and the peer's tree leaves them out too.
 */
function treeFor(s: QuorumKvState, peer: NodeId): PeerTree {
  let byPeer = trees.get(s.store);
  if (byPeer === undefined) {
    byPeer = new Map();
    trees.set(s.store, byPeer);
  }
  // Rings only grow, so the member count names the ring a tree was built on.
  const memo = `${s.id}/${peer}/${s.n}/${s.merkleDepth}/${s.nodes.length}`;
  const known = byPeer.get(memo);
  if (known !== undefined) return known;
  const digests: Record<string, string> = {};
  const buckets: string[][] = Array.from({ length: 1 << s.merkleDepth }, () => []);
  for (const key of Object.keys(s.store)) {
    const owners = preferenceList(s, key, s.n);
    if (!owners.includes(peer) || !owners.includes(s.id)) continue;
    Object.defineProperty(digests, key, { value: String(murmur3(canonicalJson(s.store[key]))), enumerable: true });
    buckets[merkleBucket(key, s.merkleDepth)]!.push(key);
  }
  const made = { tree: merkleBuild(digests, s.merkleDepth), buckets };
  byPeer.set(memo, made);
  return made;
}

/** Starts an exchange with the next healthy peer: sends it the root of their shared tree. */
export function antiEntropyTick(t: T, now: number): T {
  const s = t.state;
  const peers = s.nodes.filter((x) => x !== s.id && !isDown(s, x));
  const next = { ...s, antiEntropy: startTimer(now, s.antiEntropyIntervalMs ?? 0), antiEntropyRounds: s.antiEntropyRounds + 1 };
  if (peers.length === 0) return transition(next, t.outputs);
  const peer = peers[s.antiEntropyRounds % peers.length]!;
  const root = treeFor(s, peer).tree.hashes[1]!;
  return transition(next, [...t.outputs, send(peer, { type: 'tree', indices: [1], hashes: [root], reply: false })]);
}

/**
 * Dynamo §4.7: compares a peer's hashes with this node's at the same positions; answers with the
 * children of differing inner nodes, and for differing leaves sends the bucket's keys (and, unless
 * the message was itself the answer at the leaves, this node's leaf hashes, so the peer sends its
 * keys too).
 */
export function onTree(s: QuorumKvState, from: NodeId, indices: readonly number[], hashes: readonly number[], reply: boolean): T {
  const size = 2 << s.merkleDepth;
  if (indices.length !== hashes.length) return reject(s, from, 'tree: indices and hashes differ in length');
  if (indices.some((i) => i >= size)) return reject(s, from, `tree: index beyond a tree of depth ${s.merkleDepth}`);
  const { tree, buckets } = treeFor(s, from);
  const step = merkleStep(tree, indices, hashes);
  const outputs: QuorumKvOutput[] = [];
  if (step.next.length > 0) outputs.push(send(from, { type: 'tree', indices: step.next, hashes: merkleHashes(tree, step.next), reply: false }));
  let sent = 0;
  for (const b of step.buckets) {
    for (const key of buckets[b]!) {
      outputs.push(send(from, { type: 'write', seq: 0, key, clock: s.store[key]!, repair: true }));
      sent++;
    }
  }
  const leaves = step.buckets.map((b) => (1 << s.merkleDepth) + b);
  if (!reply && leaves.length > 0) outputs.push(send(from, { type: 'tree', indices: leaves, hashes: merkleHashes(tree, leaves), reply: true }));
  const state = sent === 0 ? s : { ...s, stats: { ...s.stats, antiEntropyKeys: s.stats.antiEntropyKeys + sent } };
  return transition(state, outputs);
}
