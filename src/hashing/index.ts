/**
 * Hashing and partitioning: MurmurHash3 and xxHash32 over UTF-8, an immutable consistent-hash
 * ring with virtual nodes, weights, preference lists and exact moved ranges, hash-mod-N
 * partitioners, weighted rendezvous hashing, jump consistent hash, Maglev lookup tables, and the
 * Chord distributed hash table as a pure state machine.
 *
 * Guide: [Hashing](../../docs/hashing.md).
 *
 * @module hashing
 */
export { murmur3, xxh32, fmix32, hashFunction, type HashInput, type HashName } from './hash.js';
export type { NodeSpec } from './json.js';
export { HashRing, type HashRingOptions, type HashRingJSON, type MovedRange, type RingChange } from './ring.js';
export { DataPartitioner, DataDistributor, type DataPartitionerJSON, type DataDistributorJSON } from './partition.js';
export { Rendezvous, type RendezvousJSON } from './rendezvous.js';
export { jumpHash, jumpHash64, jumpHashString, JumpHash, type JumpHashJSON } from './jump.js';
export { Maglev, maglevPopulate, type MaglevPermutation, type MaglevJSON, type MaglevOptions } from './maglev.js';
export {
  chord,
  chordId,
  chordKeyId,
  chordOwns,
  CHORD_MAX_KEYS,
  CHORD_MAX_PENDING,
  CHORD_MAX_SUCCESSORS,
  CHORD_MAX_SUSPECTS,
  CHORD_MAX_TRANSFER_ITEMS,
  CHORD_MAX_KEY_LENGTH,
  type ChordPeer,
  type ChordConfig,
  type ChordSettings,
  type ChordItem,
  type ChordLookupPurpose,
  type ChordLookup,
  type ChordPending,
  type ChordKeyPending,
  type ChordState,
  type ChordMessage,
  type ChordInput,
  type ChordOutput,
} from './chord.js';
