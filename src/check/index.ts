/**
 * Correctness checkers: operation histories and the tools that judge them — a linearizability
 * checker with register, key-value, set and queue models, a Jepsen log parser, and a bounded
 * model checker over the core `Invariant`s.
 *
 * Guide: [Checking](../../docs/checking.md).
 *
 * @module check
 */
export * from './history.js';
export * from './hash.js';
export * from './models.js';
export * from './linearizability.js';
export * from './jepsen.js';
export * from './modelcheck.js';
export * from './html.js';
export * from './set.js';
export * from './counter.js';
export * from './total-queue.js';
export * from './event-store.js';
export * from './consistency.js';
export * from './pubsub.js';
