/**
 * Distributed mutual exclusion as pure machines: a centralized coordinator, a token ring with safe
 * token regeneration, Ricart–Agrawala, Lamport's algorithm, Maekawa's √N voting with deadlock
 * avoidance, and a lease lock service with fencing tokens. All share the `request` / `release`
 * commands and the `enter` event.
 *
 * Guide: [Mutual exclusion](../../docs/mutex.md).
 *
 * @module mutex
 */
export { compareRequests } from './common.js';
export type { RequestCommand, ReleaseCommand, EnterOutput, MutexInput, MutexOutput, MutexPhase, TimestampedRequesterState } from './common.js';
export * from './centralized.js';
export * from './token-ring.js';
export * from './ricart-agrawala.js';
export * from './lamport.js';
export * from './maekawa.js';
export * from './lease.js';
export * from './lease-server.js';
export * from './distributed-lock.js';
export * from './invariants.js';
