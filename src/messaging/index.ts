/**
 * Messaging and event sourcing: a queue with leases, fencing tokens, idempotent enqueue and dead
 * letters, an event store with expected revisions, deciders, catch-up subscriptions and
 * projections, and the machinery that replicates either over Raft.
 *
 * Guides: [Messaging](../../docs/messaging.md), [Event sourcing](../../docs/event-sourcing.md).
 *
 * @module messaging
 */
export * from './app.js';
export * from './queue.js';
export * from './replicated.js';
export * from './event-store.js';
export * from './projection.js';
export * from './invariants.js';
