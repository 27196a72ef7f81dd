/**
 * Global snapshots: the Chandy–Lamport marker algorithm as a wrapper around any application
 * machine, and the assembly of per-node reports into a consistent global state.
 *
 * Guide: [Snapshots](../../docs/snapshot.md).
 *
 * @module snapshot
 */
export * from './chandy-lamport.js';
export * from './invariants.js';
