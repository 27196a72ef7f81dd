/**
 * Correctness checkers: operation histories and the tools that judge them — a linearizability
 * checker with register, key-value, set and queue models, a Jepsen log parser, invariant helpers
 * shared with the simulator, and a bounded model checker.
 *
 * @module check
 */
export * from './history.js';
export * from './hash.js';
export * from './models.js';
export * from './linearizability.js';
export * from './jepsen.js';
export * from './invariants.js';
export * from './modelcheck.js';
export * from './html.js';
