/**
 * Replication: consistency levels, primary-backup and chain replication, a Dynamo-style quorum
 * key-value store, delta-state CRDTs, gossip dissemination and counters.
 *
 * @module replication
 */
export * from './crdt/index.js';
export * from './anti-entropy.js';
export * from './anti-entropy-invariants.js';
export * from './gossip.js';
