/**
 * Messaging and event sourcing: a replicated queue with leases and fencing, pub/sub with committed
 * offsets, and an event store with projections.
 *
 * @module messaging
 */
export * from './app.js';
export * from './queue.js';
export * from './replicated.js';
export * from './event-store.js';
export * from './projection.js';
export * from './invariants.js';
