/**
 * Distributed transactions and coordination as pure machines: two-phase commit (with presumed
 * abort, read-only participants and cooperative termination), three-phase commit, the saga
 * orchestrator and its async runner, wait-for-graph deadlock detection (centralized and
 * Chandy–Misra–Haas edge chasing), and a reusable distributed barrier.
 *
 * Guide: [Transactions](../../docs/txn.md).
 *
 * @module txn
 */
export type { Vote, Decision } from './common.js';
export { DEFAULT_MAX_TRANSACTIONS } from './common.js';
export { DEFAULT_RETAIN_DECIDED_MS, type Tombstones, type TombstoneBucket } from './tombstones.js';
export * from './two-phase.js';
export * from './three-phase.js';
export * from './saga.js';
export * from './deadlock.js';
export * from './barrier.js';
export * from './invariants.js';
